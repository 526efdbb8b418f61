"""``aigov check``: collect facts, evaluate the pack, join findings to METADATA, decide the verdict."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov.clock import utc_now
from aigov.config import OrgConfig, Refusal, RepositoryConfig, blocking_severities, load_org_config, load_repository_config, refuse_inside
from aigov.digests import canonical_digest, content_digest
from aigov.errors import AigovError
from aigov.facts.build import RepoContext, build_inputs
from aigov.facts.discovery import FeatureLocation, discover_features, excluded
from aigov.files import find_repository_root
from aigov.model import CheckResult, Finding, Verdict
from aigov.policy.engine import Engine, make_engine
from aigov.policy.loading import build_pack
from aigov.policy.pack import WAIVER_DECISION, PolicyPack
from aigov.tree import Reads, Tree, WorkTree

if TYPE_CHECKING:  # diff-aware checks only: a plain check does not load the diff code
    from aigov.facts.change import Change, ChangeRequest

CHANGES_PACKAGE = "aigov.changes"  # the rules that judge what a change did, a removed feature included


@dataclass
class CheckOptions:
    config_path: Path | None = None
    registry_path: Path | None = None
    now: str | None = None
    trusted_root: Path | None = None
    repository_root: Path | None = None  # --root; default: the git top level of the checked path
    # A diff-aware check (--base/--head/--pr): judge only the features the change touches, with
    # input.change; --new-only blocks only on findings the change introduced.
    change: ChangeRequest | None = None
    new_only: bool = False
    github_token: str | None = None
    # Off only for the base side of --new-only: waiver findings are always the change's own (their
    # approval is already judged against the base), so the base must not offer them as debt.
    apply_waivers: bool = True
    fail_on: tuple[str, ...] = ()  # --fail-on: severities that also block (critical and high always do)
    policy_bundle: Any = None  # --policy-bundle (aigov.config.BundleRequest): replaces the org config's
    offline: bool = False  # --offline: a URL policy bundle comes from the cache only
    # --engine and the --opa-* options given (OpaSettings' field names); they win over the org config's.
    engine_name: str | None = None
    opa: dict[str, Any] = field(default_factory=dict)
    facts_in_background: bool = True  # off for evidence replays: see aigov.facts.build.build_inputs
    # A release (--release, or a tag in GitHub Actions): why, or None. Every declared artefact must then be there.
    release: str | None = None
    # An engine the caller keeps across checks (an evidence replay's, which remembers answers); the
    # check prepares it with its pack and leaves it running (its close() is the caller's to make real).
    engine: Engine | None = None


@dataclass
class CheckInputs:
    """Everything a check evaluates: the repository, who decides, the pack and one input per feature."""

    tree: Tree
    org: OrgConfig
    repository: RepositoryConfig
    pack: PolicyPack
    inputs: list[dict[str, Any]]
    change: Change | None = None
    scope: str = "."  # the folder judged, repository-relative ("." for the whole repository)
    engine: Engine | None = None  # with_engine: already loading the pack while the facts were collected
    # What each judged feature's facts were read from (by feature folder), the repository's own
    # config, rules and waivers included: diff scope and incremental evidence compare changes with it.
    reads: dict[str, Reads] = field(default_factory=dict)
    removed: list[dict[str, Any]] = field(default_factory=list)  # features a change removed (input documents)
    now: str = ""  # the clock the policies see

    @property
    def block(self) -> tuple[str, ...]:
        return blocking_severities(self.org, self.repository)

    def close(self) -> None:
        """End every process the collection started: the engine's child, git readers."""
        if self.engine is not None:
            self.engine.close()
        if self.change is not None and "base_tree" in self.change.__dict__:
            self.change.base_tree.close()
        self.tree.close()


def collect_inputs(path: Path, options: CheckOptions, exclude_outputs: Iterable[Path] = (), with_engine: bool = False) -> CheckInputs:
    """Judge the features under ``path`` with their repository's workflows and config, whatever folder is named.

    ``exclude_outputs``: this run's own report files, which must not be judged if they land in the tree.
    ``with_engine``: choose the engine and start it once the features are known, so that it loads
    the pack while the facts are collected (the caller closes it).
    """
    if not path.is_dir():
        raise AigovError("is not a directory", str(path))
    tree = WorkTree(_repository_root(path, options.repository_root))
    tree.list_files_early()
    for output in exclude_outputs:
        tree.ignore(output)
    try:
        return collect_tree_inputs(tree, tree.rel(path.resolve()), options, with_engine)
    except BaseException:  # git must not outlive a failed collection
        tree.stop_listing()
        raise


def collect_tree_inputs(tree: Tree, scope: str, options: CheckOptions, with_engine: bool = False,
                        only: set[str] | None = None) -> CheckInputs:
    """The check's inputs for the features under ``scope`` of ``tree`` (the work tree, or a commit read
    from git objects: the same rules either way); ``only``: just the features in these folders."""
    engine: Engine | None = None
    try:
        change = None
        if options.change is not None:
            from aigov.facts.change import resolve_change

            change = resolve_change(tree.root, options.change)
        # Memoised where the tree keeps a memo (an evidence replay judges thousands of commits):
        # the org config is outside the tree, the repository's own config and rules and the feature
        # list are the same wherever what they read is the same.
        org = tree.memoised(("org config", str(options.config_path)), lambda: load_org_config(options.config_path, tree.root))
        org.block = tuple(dict.fromkeys([*org.block, *options.fail_on]))
        use_policy_bundle(org, options)
        with tree.recording() as repository_reads:  # the repository's own config and rules feed every feature
            repository, pack, _ = tree.memoised(("repository config", id(org), str(options.registry_path)), lambda: (
                *_repository_pack(tree, org, options.registry_path), org))
        repository_reads.paths.update(REPOSITORY_WIDE_FILES)
        locations = tree.memoised(("features", scope, tuple(org.exclude)), lambda: _features(tree, scope, org.exclude))
        if not locations and not (change is not None and change.touches_manifests()):  # a change may remove the last one
            raise AigovError("no aigov.yaml found; nothing to check (run 'aigov new' to start a feature, "
                             "or 'aigov init' for existing code)", tree.label if scope == "." else scope)
        refuse_excludes_that_hide_features(repository, locations)
        if only is not None:
            locations = [loc for loc in locations if loc.dir in only]
        ctx = RepoContext(tree=tree, registry=pack.data["aigov"]["registry"], now=options.now or utc_now(),
                          settings=pack.data["aigov"]["settings"], trusted_root=options.trusted_root, release=options.release)
        everything, bounds = locations, None
        if change is not None:
            from aigov.facts.scope import candidates

            locations, bounds = candidates(ctx, change, locations, repository_reads)
        engine = (options.engine or choose_engine(options, org, tree.root)) if with_engine else None
        may_remove = change is not None and change.touches_manifests()  # a removed feature is judged too
        if engine is not None and (locations or may_remove):  # a change that touches no feature contacts no server
            engine.prepare(pack)  # it loads the pack while the facts are collected
        inputs = build_inputs(ctx, locations, options.facts_in_background)
        reads = {loc.dir: _feature_reads(ctx, loc.dir, repository_reads) for loc in locations}
        if bounds is not None and not all(bounds.holds(folder, read) for folder, read in reads.items()):
            # A feature read where no bound foresaw: judge the change against every feature, never miss one.
            rest = [loc for loc in everything if loc.dir not in reads]
            if rest and engine is not None and not locations:
                engine.prepare(pack)
            inputs += build_inputs(ctx, rest, options.facts_in_background)
            reads.update({loc.dir: _feature_reads(ctx, loc.dir, repository_reads) for loc in rest})
        collected = CheckInputs(tree, org, repository, pack, inputs, change, scope, engine, reads, now=ctx.now)
        repository_facts = {"path": repository.path, "refused": [r.as_fact() for r in repository.refused]}
        for doc in inputs:
            doc["repository_config"] = repository_facts
        _refuse_duplicate_names(inputs)
        if change is not None:
            from aigov.facts.change import add_change_facts
            from aigov.facts.scope import touched

            collected.inputs = touched(collected.inputs, reads, change)
            reviewers = (pack.data["aigov"]["settings"].get("approvals") or {}).get("reviewers") or {}
            collected.removed = add_change_facts(collected, options.github_token, sorted(reviewers.values()))
        return collected
    except BaseException:  # the engine's child may not outlive a failed collection
        if engine is not None:
            engine.close()
        raise


def _repository_pack(tree: Tree, org: OrgConfig, registry_path: Path | None) -> tuple[RepositoryConfig, PolicyPack]:
    repository = load_repository_config(tree)
    return repository, build_pack(org, registry_path, tree=tree, repository=repository)


def _features(tree: Tree, scope: str, exclude: list[str]) -> list[FeatureLocation]:
    tree.note(Reads(folders={"."}))  # the features and the files each owns come from the whole listing
    return discover_features(tree, scope, exclude)


# Files every feature's verdict depends on besides what its collectors read: the waivers (decided
# over every judged feature's findings) and CODEOWNERS (who approves a change).
REPOSITORY_WIDE_FILES = (".aigov/waivers.yaml", ".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def _feature_reads(ctx: RepoContext, folder: str, repository_reads: Reads) -> Reads:
    """What a feature's verdict was read from: its collectors' reads, the repository's own config,
    rules and waivers, and the ignore files of the folders around it (they decide which files are
    its own in a work tree)."""
    from aigov.facts.scope import ignore_files

    reads = Reads()
    reads.add(ctx.reads.get(folder, Reads()))
    reads.add(repository_reads)
    reads.paths.update(ignore_files(folder))
    return reads


def use_policy_bundle(org: OrgConfig, options: CheckOptions) -> None:
    """--policy-bundle wins over the org config's policyBundle:; --offline applies to whichever is used."""
    from dataclasses import replace

    if options.policy_bundle is not None:
        org.policy_bundle = options.policy_bundle
    if org.policy_bundle is not None:
        org.policy_bundle = replace(org.policy_bundle, offline=options.offline or org.policy_bundle.offline,
                                    trusted_root=org.policy_bundle.trusted_root or options.trusted_root)


def _repository_root(path: Path, given: Path | None) -> Path:
    if given is None:
        return find_repository_root(path)
    root = given.resolve()
    if not root.is_dir():
        raise AigovError("--root is not a directory", str(given))
    if path.resolve() != root and root not in path.resolve().parents:
        raise AigovError(f"is not inside --root {given}", str(path))
    return root


def refuse_excludes_that_hide_features(repository: RepositoryConfig, locations: list[FeatureLocation]) -> None:
    """The repository may not exclude a folder that holds a feature or its files: it would hide what is judged."""
    for pattern, line in repository.exclude:
        hidden = [loc.dir for loc in locations if any(excluded(rel, [pattern]) for rel in [loc.manifest_path, *loc.files])]
        if hidden:
            repository.refused.append(Refusal("exclude", f"exclude {pattern!r}, which holds the feature in {hidden[0]}", repository.path or "", line))


def run_check(path: Path, options: CheckOptions | None = None, exclude_outputs: Iterable[Path] = ()) -> CheckResult:
    """``aigov check PATH``: the features under PATH in the work tree."""
    options = options or CheckOptions()
    return judge(collect_inputs(path, options, exclude_outputs, with_engine=True), options)


def check_tree(tree: Tree, options: CheckOptions, scope: str = ".") -> CheckResult:
    """The same check of ``tree`` (a commit read from git objects, say): the one way to decide."""
    return judge(collect_tree_inputs(tree, scope, options, with_engine=True), options)


def judge(collected: CheckInputs, options: CheckOptions) -> CheckResult:
    assert collected.engine is not None
    try:
        return _judge(collected, options)
    finally:
        collected.close()


def _judge(collected: CheckInputs, options: CheckOptions) -> CheckResult:
    pack, inputs, engine = collected.pack, collected.inputs, collected.engine
    assert engine is not None
    rules = pack.rules
    if not rules:
        raise AigovError("the policy pack has no rules; refusing to pass a check that judged nothing")
    findings = []
    if inputs:  # a change that touches no feature has nothing to evaluate
        for input_doc, raws in zip(inputs, checked_deny_results(engine.evaluate_all(inputs), len(inputs), engine.name), strict=True):
            for raw in raws:
                findings.append(_join(raw, rules, input_doc["feature"], collected.block))
    for removed in collected.removed:  # only the change rules judge a feature that is gone
        for raw in engine.evaluate_rule(f"data.{CHANGES_PACKAGE}.deny", removed) or []:
            findings.append(_join({**raw, "_package": CHANGES_PACKAGE}, rules, removed["feature"], collected.block))
    findings = _unique(findings)
    # The pack is not changed once built: a replay that judges thousands of commits with one pack digests it once.
    policies, data, _ = collected.tree.memoised(("pack digests", id(pack)), lambda: (pack.policy_digest(), pack.data_digest(), pack))
    digests = {"policies": policies, "data": data, "input": canonical_digest(inputs)}
    waivers: list[dict[str, Any]] = []
    waiver_doc = waiver_input(collected, findings, options.github_token) if inputs and options.apply_waivers else None
    if waiver_doc is not None:
        findings, waivers = apply_waivers(engine, waiver_doc, findings, rules, collected.block)
        digests["input"] = canonical_digest([*inputs, waiver_doc])  # everything the engine saw
    findings = sorted(findings, key=Finding.sort_key)
    set_fingerprints(findings, collected.tree)
    if collected.change is not None and options.new_only:
        mark_introduced(findings, base_findings(collected, options))
    return CheckResult(
        verdict=Verdict.FAIL if any(f.blocking for f in findings) else Verdict.PASS,
        findings=findings,
        features=[i["feature"]["name"] for i in inputs] + [r["feature"]["name"] for r in collected.removed],
        now=inputs[0]["now"] if inputs else options.now or utc_now(),
        pack_version=pack.version,
        engine=engine.name,
        digests=digests,
        rules=len(rules),
        block=collected.block,
        sources=pack.sources,
        inputs=inputs,
        rule_catalog=sorted(rules.values(), key=lambda rule: rule.id),
        change=collected.change.summary() if collected.change is not None else None,
        waivers=waivers,
        root=collected.tree.root,
        reads=collected.reads,
    )


def choose_engine(options: CheckOptions, org: OrgConfig, repo_root: Path) -> Engine:
    """The engine the flags or the org config name (default: the embedded one); never the repository's choice."""
    name = options.engine_name or org.engine or "regorus"
    if name != "opa" and options.opa.get("url"):
        raise AigovError("--opa-url needs --engine opa (or engine: opa in the org config)")
    opa = {**org.opa, **options.opa}
    if name == "opa" and opa.get("ca_bundle"):
        refuse_inside(Path(opa["ca_bundle"]), repo_root, "--opa-ca-bundle")
    return make_engine(name, org.evaluation_timeout_s, opa)


# --- Diff-aware checks (--base/--head/--pr) ------------------------------------------------------


def set_fingerprints(findings: list[Finding], tree: Tree) -> None:
    """A fingerprint per finding that survives line shifts: rule, feature, path and the normalised text
    of the flagged line (the message when there is no line). Each flagged file is read once, each
    flagged line normalised once and counted up to FINGERPRINT_LINE_CHARS (a minified file's one line
    may carry thousands of findings)."""
    texts: dict[str, list[str] | None] = {}
    normalised: dict[tuple[str, int], str] = {}
    for finding in findings:
        if finding.line and finding.path not in texts:
            texts[finding.path] = _file_lines(tree, finding.path)
        lines = texts.get(finding.path) if finding.line else None
        flagged = finding.message
        if lines is not None and finding.line is not None and finding.line <= len(lines):
            where = (finding.path, finding.line)
            if where not in normalised:
                normalised[where] = " ".join(lines[finding.line - 1].split())[:FINGERPRINT_LINE_CHARS]
            flagged = normalised[where]
        key = "\0".join([finding.id, finding.feature, finding.path, flagged])
        finding.fingerprint = content_digest(key)


FINGERPRINT_LINE_CHARS = 4096


def _file_lines(tree: Tree, rel: str) -> list[str] | None:
    try:
        return tree.read_text(rel).splitlines()
    except AigovError:
        return None


FindingKey = tuple[str, str, str]  # rule id, feature, fingerprint


def base_findings(collected: CheckInputs, options: CheckOptions) -> Counter[FindingKey] | None:
    """The findings of the same features at the base commit, or None when the base cannot be judged.

    The base is read from git objects by the same reader as any check (the whole commit: its
    workflows, config, links and all) and judged with the same authority; a feature is itself at
    the base under the folder it had there (a moved feature is compared with its old self).
    """
    from dataclasses import replace

    change = collected.change
    assert change is not None
    folders = {doc["change"]["base_feature"]["dir"] for doc in collected.inputs if doc["change"]["base_feature"]["exists"]}
    if not folders:
        return Counter()
    base_options = replace(options, change=None, new_only=False, apply_waivers=False)
    try:
        result = judge(collect_tree_inputs(change.base_tree, ".", base_options, with_engine=True, only=folders), base_options)
    except AigovError:
        return None  # the base cannot be judged: every finding counts as introduced
    return Counter((f.id, f.feature, f.fingerprint) for f in result.findings)


def mark_introduced(findings: list[Finding], base: Counter[FindingKey] | None) -> None:
    """--new-only: a finding also present at the base is debt, reported but not blocking."""
    remaining = Counter(base or {})
    for finding in findings:
        key = (finding.id, finding.feature, finding.fingerprint)
        finding.introduced = remaining[key] == 0
        if not finding.introduced:
            remaining[key] -= 1
            finding.blocking = False



# Findings of waiver requests that name no feature belong to the repository as a whole.
REPOSITORY_SCOPE = "(repository)"


def waiver_input(collected: CheckInputs, findings: list[Finding], token: str | None = None) -> dict[str, Any] | None:
    """The input of the waiver evaluation: the judged features, their findings and the waiver requests; None without waivers.

    In a diff-aware check it also carries the change's commits and, when the change adds or edits a
    waiver, the pull request's reviews (the same review facts as input.change.review).
    """
    from aigov.facts.waivers import WAIVERS_FILE, collect_waivers, waiver_base

    change = collected.change
    settings = collected.pack.data["aigov"]["settings"]
    manifests = {doc["feature"]["name"]: doc["feature"]["manifest_path"] for doc in collected.inputs}
    waivers = collect_waivers(collected.tree, collected.pack.rules,
                              lambda: waiver_base(collected.tree, change and change.base, settings), manifests)
    if waivers is None:
        return None
    doc: dict[str, Any] = {
        "now": collected.inputs[0]["now"],
        "aigov": collected.inputs[0]["aigov"],
        "waivers": waivers,
        "scope": collected.scope,
        "features": [{"name": doc["feature"]["name"], "dir": doc["feature"]["dir"]} for doc in collected.inputs],
        "findings": [{"index": i, "id": f.id, "severity": f.severity, "feature": f.feature, "path": f.path, "line": f.line}
                     for i, f in enumerate(findings)],
    }
    if change is not None:
        doc["change"] = {"base": change.base, "head": change.head, "pr": change.request.pr, "review": None}
        requested = [w for w in waivers if w["base"]["state"] != "unchanged"]
        if requested:  # only then are the reviews asked for
            from aigov.facts.review import collect_review

            doc["change"]["review"] = collect_review(change, [WAIVERS_FILE], token, [w["approver"] for w in requested])
    return doc


def apply_waivers(engine: Engine, doc: dict[str, Any], findings: list[Finding], rules: dict,
                  block: tuple[str, ...]) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Join the Rego decision (data.aigov.waivers.decision) to the findings: Python decides nothing here.

    Returns the findings (waived ones marked and no longer blocking, plus the waiver rules' own
    findings) and every waiver with its state.
    """
    waivers = doc["waivers"]
    decision = checked_decision(engine.evaluate_rule(WAIVER_DECISION, doc), len(findings), len(waivers), engine.name)
    for applied in decision["applied"]:
        finding, waiver = findings[applied["finding"]], waivers[applied["waiver"]]
        finding.waived, finding.blocking, finding.waiver = True, False, waiver_summary(waiver)
    for raw in decision["deny"]:
        scope = {"name": raw.get("feature") or REPOSITORY_SCOPE, "manifest_path": raw.get("path")}
        findings.append(_join({**raw, "_package": "aigov.waivers"}, rules, scope, block))
    states = {s["waiver"]: s["state"] for s in decision["states"]}
    covered = [sum(1 for a in decision["applied"] if a["waiver"] == w["index"]) for w in waivers]
    listed = [{**waiver_summary(w), "state": states[w["index"]], "covers": n} for w, n in zip(waivers, covered, strict=True)]
    return findings, listed


# --- What an engine answers, checked before it is used ------------------------------------------
# A central OPA (or a bundle's own waiver policy) is another program: an index it invents, such as
# {"finding": -1}, would waive the last finding in Python. Both engines' answers pass here.


def checked_deny_results(results: Any, inputs: int, engine: str) -> list[list[Any]]:
    """One list of deny objects per input, as many as there were inputs (zip would drop the rest)."""
    if not isinstance(results, list) or len(results) != inputs or not all(isinstance(r, list) for r in results):
        raise AigovError(f"the {engine} engine did not answer one list of findings for each of the {inputs} features it was asked about")
    return results


def checked_decision(decision: Any, findings: int, waivers: int, engine: str) -> dict[str, list[Any]]:
    """data.aigov.waivers.decision, refused unless it is one a waiver policy can give: every applied
    pair names one of the ``findings`` and one of the ``waivers`` by index, every waiver has a state."""
    where = f"{WAIVER_DECISION} (from the {engine} engine)"
    if not isinstance(decision, dict):
        raise AigovError(f"{where} is undefined; the waiver policy did not decide")
    for key in ("applied", "states", "deny"):
        if not isinstance(decision.get(key), list):
            raise AigovError(f"{where}: {key} is not a list")
    for n, pair in enumerate(decision["applied"]):
        if not (isinstance(pair, dict) and _is_index(pair.get("finding"), findings) and _is_index(pair.get("waiver"), waivers)):
            raise AigovError(f"{where}: applied[{n}] is {json.dumps(pair)[:120]}; expected the index of one of the "
                             f"{findings} findings and of one of the {waivers} waivers")
    stated = [s.get("waiver") for s in decision["states"] if isinstance(s, dict) and isinstance(s.get("state"), str)]
    if len(stated) != len(decision["states"]) or not all(_is_index(i, waivers) for i in stated) or sorted(stated) != list(range(waivers)):
        raise AigovError(f"{where}: states must give each of the {waivers} waivers one state")
    return decision


def _is_index(value: Any, size: int) -> bool:
    return type(value) is int and 0 <= value < size  # not True, 1.0 or "1", which Python would also take


def waiver_summary(waiver: dict[str, Any]) -> dict[str, Any]:
    """A waiver as reports show it (Finding.waiver, CheckResult.waivers)."""
    keys = ("rule", "feature", "path", "reason", "ticket", "approver", "created", "expires", "file", "line")
    return {key: waiver.get(key) for key in keys}


def _join(raw: Any, rules: dict, feature: dict[str, Any], block: tuple[str, ...]) -> Finding:
    package = raw.get("_package", "?") if isinstance(raw, dict) else "?"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("msg"), str) or \
            not all(isinstance(raw.get(key), (str, type(None))) for key in ("path", "feature", "remediation")):
        raise AigovError(f"a deny rule in package {package} produced {json.dumps(raw)[:120]}; expected an object with "
                         "string 'id' and 'msg' (and 'path', 'feature', 'remediation' strings if given)")
    meta = rules.get(raw["id"])
    if meta is None:
        raise AigovError(f"package {package} produced finding id {raw['id']}, which no rule's METADATA declares")
    if meta.package != package:  # another package's rule: its METADATA (severity, controls) would vouch for this finding
        raise AigovError(f"package {package} produced finding id {raw['id']}, the id of a rule of package {meta.package} "
                         f"({meta.path}:{meta.line}); a rule emits only the id its own METADATA declares")
    line = raw.get("line")
    return Finding(
        id=meta.id,
        severity=meta.severity,
        title=meta.title,
        message=raw["msg"],
        path=str(raw.get("path") or feature["manifest_path"]),
        line=line if type(line) is int and line > 0 else None,
        feature=feature["name"],
        remediation=str(raw.get("remediation") or meta.remediation),
        controls=list(meta.controls),
        blocking=meta.severity in block,
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        seen.setdefault((f.id, f.feature, f.path, f.line, f.message), f)
    return list(seen.values())


def _refuse_duplicate_names(inputs: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for doc in inputs:
        feature = doc["feature"]
        if feature["name"] in seen:
            raise AigovError(
                f"metadata.name '{feature['name']}' is already used by {seen[feature['name']]}; feature names must be unique",
                feature["manifest_path"], feature["lines"].get("metadata.name"),
            )
        seen[feature["name"]] = feature["manifest_path"]
