"""``aigov check``: collect facts, evaluate the pack, join findings to METADATA, decide the verdict."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from aigov.config import OrgConfig, RepositoryConfig, Source, blocking_severities, load_org_config, load_repository_config
from aigov.digests import canonical_digest, content_digest
from aigov.errors import EXIT_BLOCKING, EXIT_PASS, AigovError
from aigov.facts.build import RepoContext, build_inputs
from aigov.facts.discovery import FeatureLocation, discover_features, owning_feature
from aigov.files import Repo, find_repository_root
from aigov.policy.engine import Engine, make_engine
from aigov.policy.metadata import RuleMeta
from aigov.policy.loading import build_pack
from aigov.policy.pack import PolicyPack

if TYPE_CHECKING:  # diff-aware checks only: a plain check does not load the diff code
    from aigov.facts.change import Change, ChangeRequest

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    message: str
    path: str
    line: int | None
    feature: str
    remediation: str
    controls: list[str]
    blocking: bool
    # Filled in by the PR gate (issue 8): the waiver that covers this finding (then it does not
    # block), a fingerprint stable across unrelated edits (SARIF partialFingerprints, --new-only),
    # and whether the change under review introduced it (None: not a diff-aware check).
    waived: bool = False
    waiver: dict[str, Any] | None = None
    fingerprint: str = ""
    introduced: bool | None = None

    def sort_key(self) -> tuple[Any, ...]:
        # Within a severity, the manifest's findings come first: they are usually the cause
        # (an unapproved model) of the others (a model card or SBOM that does not match it).
        in_manifest = self.path.rsplit("/", 1)[-1] == "aigov.yaml"
        return (SEVERITY_ORDER[self.severity], self.feature, not in_manifest, self.path, self.line or 0, self.id, self.message)


@dataclass
class CheckResult:
    verdict: str  # pass | fail
    findings: list[Finding]
    features: list[str]
    now: str
    pack_version: str
    engine: str
    digests: dict[str, str]
    rules: int
    block: tuple[str, ...] = ()
    sources: list[Source] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # The PR gate (issue 8): the change under review (base, head, PR number, changed files) and
    # every waiver with its state: active, expiring, expired, stale, unapproved or refused (a rule
    # that cannot be waived, or longer than allowed), and how many findings it covers.
    change: dict[str, Any] | None = None
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # Every rule the pack evaluated for each feature, by id: SARIF lists them as rules[], JUnit
    # reports one test case per rule and feature (a rule without findings passed).
    rule_catalog: list[RuleMeta] = field(default_factory=list, repr=False)
    # The repository's root folder: the decision record reads its commit and remote from it.
    root: Path | None = field(default=None, repr=False)

    @property
    def exit_code(self) -> int:
        return EXIT_BLOCKING if self.verdict == "fail" else EXIT_PASS

    def summary(self) -> dict[str, Any]:
        counts = {sev: 0 for sev in SEVERITY_ORDER}
        for finding in self.findings:
            counts[finding.severity] += 1
        return {
            "features": len(self.features),
            "findings": len(self.findings),
            "blocking": sum(f.blocking for f in self.findings),
            "by_severity": counts,
        }


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
    policy_bundle: Any = None  # --policy-bundle (aigov.policy.bundle.BundleRequest): replaces the org config's
    offline: bool = False  # --offline: a URL policy bundle comes from the cache only
    # --engine and the --opa-* options given (OpaSettings' field names); they win over the org config's.
    engine_name: str | None = None
    opa: dict[str, Any] = field(default_factory=dict)
    facts_in_background: bool = True  # off for evidence replays: see aigov.facts.build.build_inputs


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# time.parse_rfc3339_ns counts nanoseconds in 64 bits: it cannot represent instants after 2262.
EARLIEST_CLOCK_YEAR, LATEST_CLOCK_YEAR = 1970, 2261


def parse_now(value: str) -> str:
    """Validate an RFC 3339 timestamp given with --now and normalise it to UTC."""
    example = "an RFC 3339 timestamp such as 2026-01-31T12:00:00Z"
    if not value.strip():
        raise AigovError(f"--now is empty; give {example}, or leave it out to use the current time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AigovError(f"--now {value!r} is not {example}") from None
    if parsed.tzinfo is None:
        raise AigovError(f"--now {value!r} needs a time zone, such as a trailing Z")
    try:
        utc = parsed.astimezone(dt.timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_CLOCK_YEAR <= utc.year <= LATEST_CLOCK_YEAR:
        raise AigovError(f"--now {value!r} is outside the years {EARLIEST_CLOCK_YEAR}-{LATEST_CLOCK_YEAR} the policies can reason about")
    return utc.isoformat().replace("+00:00", "Z")


@dataclass
class CheckInputs:
    """Everything a check evaluates: the repository, who decides, the pack and one input per feature."""

    repo: Repo
    org: OrgConfig
    repository: RepositoryConfig
    pack: PolicyPack
    inputs: list[dict[str, Any]]
    change: Change | None = None
    scope: str = "."  # the folder judged, repository-relative ("." for the whole repository)
    engine: Engine | None = None  # with_engine: already loading the pack while the facts were collected

    @property
    def block(self) -> tuple[str, ...]:
        return blocking_severities(self.org, self.repository)


def collect_inputs(path: Path, options: CheckOptions, exclude_outputs: Iterable[Path] = (), with_engine: bool = False) -> CheckInputs:
    """Judge the features under ``path`` with their repository's workflows and config, whatever folder is named.

    ``exclude_outputs``: this run's own report files, which must not be judged if they land in the tree.
    ``with_engine``: choose the engine and start it once the features are known, so that it loads
    the pack while the facts are collected (the caller closes it).
    """
    if not path.is_dir():
        raise AigovError("is not a directory", str(path))
    repo = Repo(_repository_root(path, options.repository_root))
    repo.list_files_early()
    engine: Engine | None = None
    try:
        change = None
        if options.change is not None:
            from aigov.facts.change import resolve_change

            change = resolve_change(repo.root, options.change)
        for output in exclude_outputs:
            repo.ignore(output)
        scope = repo.rel(path.resolve())
        org = load_org_config(options.config_path, repo)
        org.block = tuple(dict.fromkeys([*org.block, *options.fail_on]))
        use_policy_bundle(org, options)
        repository = load_repository_config(repo)
        pack = build_pack(org, options.registry_path, repo=repo, repository=repository)
        engine = choose_engine(options, org, repo) if with_engine else None
        locations = discover_features(repo, scope, org.exclude)
        if not locations:
            raise AigovError("no aigov.yaml found; nothing to check (run 'aigov new' to start a feature)", str(path))
        refuse_excludes_that_hide_features(repository, locations)
        if change is not None:
            locations = touched_features(change, locations)
        if engine is not None and locations:  # a change that touches no feature evaluates nothing, contacts no server
            engine.prepare(pack)  # it loads the pack while the facts are collected
        ctx = RepoContext(repo=repo, registry=pack.data["aigov"]["registry"], now=options.now or utc_now(),
                          settings=pack.data["aigov"]["settings"], trusted_root=options.trusted_root)
        repository_facts = {"path": repository.path, "refused": [r.as_fact() for r in repository.refused]}
        inputs = [{**doc, "repository_config": repository_facts} for doc in build_inputs(ctx, locations, options.facts_in_background)]
        _refuse_duplicate_names(inputs)
        if change is not None:
            from aigov.facts.change import add_change_facts

            reviewers = (pack.data["aigov"]["settings"].get("approvals") or {}).get("reviewers") or {}
            add_change_facts(inputs, locations, change, options.github_token, sorted(reviewers.values()))
        return CheckInputs(repo, org, repository, pack, inputs, change, scope, engine)
    except BaseException:  # neither git nor the engine's child may outlive a failed collection
        repo.stop_listing()
        if engine is not None:
            engine.close()
        raise


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
    from aigov.config import Refusal
    from aigov.facts.discovery import excluded

    for pattern, line in repository.exclude:
        hidden = [loc.dir for loc in locations if any(excluded(rel, [pattern]) for rel in [loc.manifest_path, *loc.files])]
        if hidden:
            repository.refused.append(Refusal("exclude", f"exclude {pattern!r}, which holds the feature in {hidden[0]}", repository.path or "", line))


def run_check(path: Path, options: CheckOptions | None = None, exclude_outputs: Iterable[Path] = ()) -> CheckResult:
    options = options or CheckOptions()
    collected = collect_inputs(path, options, exclude_outputs, with_engine=True)
    assert collected.engine is not None
    try:
        return _judge(collected, options)
    finally:
        collected.engine.close()


def _judge(collected: CheckInputs, options: CheckOptions) -> CheckResult:
    pack, inputs, engine = collected.pack, collected.inputs, collected.engine
    assert engine is not None
    rules = pack.rules
    if not rules:
        raise AigovError("the policy pack has no rules; refusing to pass a check that judged nothing")
    findings = []
    if inputs:  # a change that touches no feature has nothing to evaluate
        for input_doc, raws in zip(inputs, engine.evaluate_all(inputs)):
            for raw in raws:
                findings.append(_join(raw, rules, input_doc["feature"], collected.block))
    findings = _unique(findings)
    digests = {"policies": pack.policy_digest(), "data": pack.data_digest(), "input": canonical_digest(inputs)}
    waivers: list[dict[str, Any]] = []
    waiver_doc = waiver_input(collected, findings, options.github_token) if inputs and options.apply_waivers else None
    if waiver_doc is not None:
        findings, waivers = apply_waivers(engine, waiver_doc, findings, rules, collected.block)
        digests["input"] = canonical_digest([*inputs, waiver_doc])  # everything the engine saw
    findings = sorted(findings, key=Finding.sort_key)
    set_fingerprints(findings, collected.repo)
    if collected.change is not None and options.new_only:
        mark_introduced(findings, base_findings(collected, options))
    return CheckResult(
        verdict="fail" if any(f.blocking for f in findings) else "pass",
        findings=findings,
        features=[i["feature"]["name"] for i in inputs],
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
        root=collected.repo.root,
    )


def choose_engine(options: CheckOptions, org: OrgConfig, repo: Repo) -> Engine:
    """The engine the flags or the org config name (default: the embedded one); never the repository's choice."""
    from aigov.config import refuse_inside

    name = options.engine_name or org.engine or "regorus"
    if name != "opa" and options.opa.get("url"):
        raise AigovError("--opa-url needs --engine opa (or engine: opa in the org config)")
    opa = {**org.opa, **options.opa}
    if name == "opa" and opa.get("ca_bundle"):
        refuse_inside(Path(opa["ca_bundle"]), repo, "--opa-ca-bundle")
    return make_engine(name, org.evaluation_timeout_s, opa)


# --- Diff-aware checks (--base/--head/--pr) ------------------------------------------------------


def touched_features(change: Change, locations: list[FeatureLocation]) -> list[FeatureLocation]:
    """The features a change touches: a file of theirs changed, or a file that feeds every feature
    (a workflow, the repository's .aigov/, CODEOWNERS). Only these are built and judged."""
    if change.touches_shared():
        return locations
    by_dir = {loc.dir: loc for loc in locations}
    touched = {owner.dir for p in change.paths if (owner := owning_feature(p, by_dir)) is not None}
    return [loc for loc in locations if loc.dir in touched]


def set_fingerprints(findings: list[Finding], repo: Repo) -> None:
    """A fingerprint per finding that survives line shifts: rule, feature, path and the normalised text
    of the flagged line (the message when there is no line). Each flagged file is read once."""
    texts: dict[str, list[str] | None] = {}
    for finding in findings:
        if finding.line and finding.path not in texts:
            texts[finding.path] = _file_lines(repo, finding.path)
        lines = texts.get(finding.path) if finding.line else None
        flagged = finding.message
        if lines is not None and finding.line is not None and finding.line <= len(lines):
            flagged = " ".join(lines[finding.line - 1].split())
        key = "\0".join([finding.id, finding.feature, finding.path, flagged])
        finding.fingerprint = content_digest(key)


def _file_lines(repo: Repo, rel: str) -> list[str] | None:
    if not repo.inside(rel):
        return None
    try:
        return repo.read_text(repo.root / rel).splitlines()
    except AigovError:
        return None


FindingKey = tuple[str, str, str]  # rule id, feature, fingerprint


def base_findings(collected: CheckInputs, options: CheckOptions) -> Counter[FindingKey] | None:
    """The findings of the same features at the base commit, or None when the base cannot be judged.

    The base tree of the judged features' folders, .github/ and .aigov/ is written to a temporary
    folder and checked there with the same authority; the base side never runs from the work tree.
    """
    import tempfile
    from dataclasses import replace

    from aigov.facts.change import materialise_base

    change = collected.change
    assert change is not None
    folders = sorted({doc["feature"]["dir"] for doc in collected.inputs})
    if not folders:
        return Counter()
    with tempfile.TemporaryDirectory(prefix="aigov-base-") as tmp:
        base_root = Path(tmp)
        materialise_base(change.root, change.base, [*folders, ".github", ".aigov"], base_root)
        base_options = replace(options, change=None, new_only=False, repository_root=base_root, apply_waivers=False)
        try:
            result = run_check(base_root, base_options)
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
    waivers = collect_waivers(collected.repo, collected.pack.rules,
                              lambda: waiver_base(collected.repo, change and change.base, settings), manifests)
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
    decision = engine.evaluate_rule("data.aigov.waivers.decision", doc)
    if not isinstance(decision, dict):
        raise AigovError("data.aigov.waivers.decision is undefined; the waiver policy did not decide")
    waivers = doc["waivers"]
    for applied in decision["applied"]:
        finding, waiver = findings[applied["finding"]], waivers[applied["waiver"]]
        finding.waived, finding.blocking, finding.waiver = True, False, waiver_summary(waiver)
    for raw in decision["deny"]:
        scope = {"name": raw.get("feature") or REPOSITORY_SCOPE, "manifest_path": raw.get("path")}
        findings.append(_join({**raw, "_package": "aigov.waivers"}, rules, scope, block))
    states = {s["waiver"]: s["state"] for s in decision["states"]}
    covered = [sum(1 for a in decision["applied"] if a["waiver"] == w["index"]) for w in waivers]
    listed = [{**waiver_summary(w), "state": states[w["index"]], "covers": n} for w, n in zip(waivers, covered)]
    return findings, listed


def waiver_summary(waiver: dict[str, Any]) -> dict[str, Any]:
    """A waiver as reports show it (Finding.waiver, CheckResult.waivers)."""
    keys = ("rule", "feature", "path", "reason", "ticket", "approver", "created", "expires", "file", "line")
    return {key: waiver.get(key) for key in keys}


def _join(raw: Any, rules: dict, feature: dict[str, Any], block: tuple[str, ...]) -> Finding:
    package = raw.get("_package", "?") if isinstance(raw, dict) else "?"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("msg"), str):
        raise AigovError(f"a deny rule in package {package} produced {json.dumps(raw)[:120]}; expected an object with string 'id' and 'msg'")
    meta = rules.get(raw["id"])
    if meta is None:
        raise AigovError(f"package {package} produced finding id {raw['id']}, which no rule's METADATA declares")
    line = raw.get("line")
    return Finding(
        id=meta.id,
        severity=meta.severity,
        title=meta.title,
        message=raw["msg"],
        path=str(raw.get("path") or feature["manifest_path"]),
        line=line if isinstance(line, int) and line > 0 else None,
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


def finding_dict(finding: Finding) -> dict[str, Any]:
    return asdict(finding)
