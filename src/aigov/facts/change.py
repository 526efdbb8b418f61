"""Facts about the change under review: what a pull request changed, and what the features were before it.

``aigov check --base REF [--head REF]`` or ``--pr`` (the GitHub event file) makes a check diff-aware.
The diff is ``git diff B head`` where B is where head branched from base (in CI the checkout of a pull
request is its merge commit, whose first parent is the base: the diff is then exactly what the PR
changes).
The tree judged is always the work tree; the base side is read from git objects by the same reader
(:class:`aigov.tree.CommitTree`), never checked out. git runs through :mod:`aigov.gitcli`: no code
the repository configures ever runs.

A feature is its ``metadata.name``: a manifest that moved (a rename, or a delete and an add) is
compared with its base self wherever that was, and a feature whose manifest the change deleted is
judged by the change rules as a removed feature (it needs the approval a lowered tier does).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Protocol

from aigov import __version__
from aigov.errors import AigovError
from aigov.facts.discovery import is_manifest
from aigov.facts.model_card import collect_documents, document_paths
from aigov.files import read_text_file
from aigov.gitcli import GitFailed, git
from aigov.tree import MISSING, CommitTree, Reads, Tree, join
from aigov.yamlfile import parse_yaml

FETCH_DEPTH_HINT = ("set `fetch-depth: 0` (or `fetch-depth: 2` for the merge commit of a pull request) "
                    "on the actions/checkout step so that the base commit is in the clone")
STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added", "T": "modified"}
_DIFF = ("diff", "--no-ext-diff", "--no-textconv", "--no-color", "-M")
MAX_BASE_MANIFEST_BYTES = 1024 * 1024  # as at the head


@dataclass
class ChangeRequest:
    """What the user asked to compare: from --base/--head, or from the pull_request event (--pr)."""

    base: str
    head: str | None = None  # None: the checked-out commit (HEAD)
    pr: int | None = None
    repository: str | None = None  # owner/name, for the reviews API
    pr_head: str | None = None  # the pull request's head commit, which approvals must be on
    # Who opened the pull request (pull_request.user.login): their own review never approves it. A
    # merge_group event names neither author nor head; the review collector reads both from the API.
    author: str | None = None
    source: str = "--base"  # where base came from, for error messages


@dataclass
class ChangedFile:
    path: str
    status: str  # added | modified | deleted | renamed
    old_path: str | None = None
    lines: list[list[int]] = field(default_factory=list)  # head-side changed line ranges, inclusive

    def as_fact(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "old_path": self.old_path, "lines": self.lines}


@dataclass(eq=False)
class Change:
    root: Path
    base: str  # full commit ids
    head: str
    request: ChangeRequest
    files: list[ChangedFile]

    @property
    def paths(self) -> set[str]:
        """Every path the change touches, on either side (a rename touches both)."""
        return {p for f in self.files for p in (f.path, f.old_path) if p}

    def touches_manifests(self) -> bool:
        return any(is_manifest(path) for path in self.paths)

    @cached_property
    def base_tree(self) -> CommitTree:
        """The base commit, read by the one reader (listed once, on first use)."""
        return CommitTree(self.root, self.base)

    def summary(self) -> dict[str, Any]:
        """``CheckResult.change``: what was compared and every changed file."""
        return {"base": self.base, "head": self.head, "pr": self.request.pr, "files": [f.as_fact() for f in self.files]}


# --- The GitHub event file (--pr) ----------------------------------------------------------------


PR_EVENT_NAMES = ("pull_request", "merge_group")


def read_event(path: str | None, event_name: str | None = None) -> ChangeRequest:
    """The base, head and PR number of a ``pull_request`` or ``merge_group`` event (GITHUB_EVENT_PATH;
    GITHUB_EVENT_NAME, when set, must name one of them: a pull_request_target payload looks the same)."""
    if event_name and event_name not in PR_EVENT_NAMES:
        raise AigovError(f"--pr judges pull_request and merge_group events, not {event_name} (GITHUB_EVENT_NAME)")
    if not path:
        raise AigovError("--pr reads the GitHub event file named by GITHUB_EVENT_PATH, which is not set")

    text = read_text_file(Path(path), path, max_bytes=25 * 1024 * 1024)
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AigovError(f"is not JSON: {exc.msg}", path, exc.lineno) from None
    except RecursionError:
        raise AigovError("is nested too deeply to be a GitHub event", path) from None
    if not isinstance(event, dict):
        raise AigovError("is not a GitHub event (expected a JSON object)", path)
    repository = event.get("repository")
    if not isinstance(repository, dict):
        repository = {}
    full_name = _string(repository, "full_name")
    if isinstance(event.get("pull_request"), dict):
        pr = event["pull_request"]
        number = pr.get("number", event.get("number"))
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise AigovError("pull_request.number is missing or not a positive integer", path)
        user = pr.get("user") if isinstance(pr.get("user"), dict) else {}
        return ChangeRequest(base=_sha(pr, "base", path), pr=number, repository=full_name, pr_head=_sha(pr, "head", path),
                             author=_string(user, "login"), source=f"pull_request.base.sha in {path}")
    if isinstance(event.get("merge_group"), dict):
        group = event["merge_group"]
        base = _commit_id(group.get("base_sha"), "merge_group.base_sha", path)
        head = _commit_id(group.get("head_sha"), "merge_group.head_sha", path)
        # The queue's branch is gh-readonly-queue/<base>/pr-<number>-<sha>: the PR whose reviews count.
        found = re.search(r"/pr-([0-9]+)-[0-9a-f]+$", _string(group, "head_ref") or "")
        # The payload names neither the PR's own head commit nor its author: the review collector asks the API.
        return ChangeRequest(base=base, head=head, pr=int(found.group(1)) if found else None, repository=full_name,
                             pr_head=None, source=f"merge_group.base_sha in {path}")
    raise AigovError("is not a pull_request or merge_group event; --pr judges pull requests "
                     "(run aigov check without --pr, or with --base REF, on other events)", path)


def _string(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _sha(pr: dict[str, Any], side: str, path: str) -> str:
    ref = pr.get(side)
    return _commit_id(ref.get("sha") if isinstance(ref, dict) else None, f"pull_request.{side}.sha", path)


def _commit_id(value: Any, name: str, path: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", value):
        raise AigovError(f"{name} is missing or not a commit id", path)
    return value


# --- The diff ------------------------------------------------------------------------------------


def resolve_change(root: Path, request: ChangeRequest) -> Change:
    """The changed files between the base and head commits; an error naming a base that is not there."""
    if not (root / ".git").exists():
        raise AigovError("a diff-aware check (--base/--pr) needs a git repository", str(root))
    head = _commit(root, request.head or "HEAD", "--head", fetch=request.head is not None)
    base = _fork_point(root, _commit(root, request.base, request.source, fetch=True), head)
    files = _changed_files(root, base, head)
    _add_line_ranges(root, base, head, files)
    return Change(root=root, base=base, head=head, request=request, files=files)


def _commit(root: Path, ref: str, source: str, fetch: bool) -> str:
    """The full id of ``ref``; a commit id missing from a shallow clone is fetched once."""
    if ref.startswith("-"):
        raise AigovError(f"{ref!r} is not a git revision", source)
    found = _rev_parse(root, ref)
    if found is None and fetch and re.fullmatch(r"[0-9a-f]{7,64}", ref):
        try:
            git(root, "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--depth=1", "origin", ref)
        except GitFailed:
            pass
        found = _rev_parse(root, ref)
    if found is not None:
        return found
    if (root / ".git" / "shallow").exists() or _is_shallow(root):
        raise AigovError(f"the base commit {ref} is not in this shallow clone and could not be fetched from origin; "
                         f"{FETCH_DEPTH_HINT}", source)
    raise AigovError(f"the git revision {ref!r} does not exist in this repository", source)


def _fork_point(root: Path, base: str, head: str) -> str:
    """Where head branched from base: what GitHub's "Files changed" compares against. When the base
    branch moved on after the branch point, diffing against its tip would show its new commits
    reverted as if the pull request made them. For a merge commit (the usual checkout of a pull
    request) it is the base itself; in a clone too shallow to tell, the base is used as given."""
    try:
        return git(root, "merge-base", base, head).decode().strip() or base
    except GitFailed:
        return base


def _rev_parse(root: Path, ref: str) -> str | None:
    try:
        return git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except GitFailed:
        return None


def _is_shallow(root: Path) -> bool:
    try:
        return git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"
    except GitFailed:
        return False


def _changed_files(root: Path, base: str, head: str) -> list[ChangedFile]:
    out = git(root, *_DIFF, "--name-status", "-z", base, head, "--").decode("utf-8", "surrogateescape")
    fields = out.split("\0")
    files: list[ChangedFile] = []
    i = 0
    while i < len(fields) - 1:
        code = fields[i][:1]
        if code in ("R", "C"):
            old, new = fields[i + 1], fields[i + 2]
            files.append(ChangedFile(new, STATUS[code], old if code == "R" else None))
            i += 3
        else:
            files.append(ChangedFile(fields[i + 1], STATUS.get(code, "modified")))
            i += 2
    return files


_HUNK = re.compile(rb"^@@ -[0-9,]+ \+([0-9]+)(?:,([0-9]+))? @@")


def _add_line_ranges(root: Path, base: str, head: str, files: list[ChangedFile]) -> None:
    """The head-side line ranges of every text file's hunks (``git diff -U0``); binary files have none."""
    by_path = {f.path: f for f in files if f.status != "deleted"}
    if not by_path:
        return
    current: ChangedFile | None = None
    for line in git(root, *_DIFF, "-U0", base, head, "--").split(b"\n"):
        if line.startswith(b"+++ "):
            current = by_path.get(_diff_path(line[4:]) or "")  # no path: /dev/null, a deleted file
        elif current is not None and line.startswith(b"@@"):
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or b"1")
                if count:
                    current.lines.append([start, start + count - 1])


def _diff_path(raw: bytes) -> str | None:
    """The path of a ``+++ b/path`` line (git quotes unusual names C-style, and ends a name that has
    spaces with a tab)."""
    if raw.endswith(b"\t"):
        raw = raw[:-1]
    if raw.startswith(b'"') and raw.endswith(b'"'):
        raw = raw[1:-1].decode("unicode_escape").encode("latin-1")
    if not raw.startswith(b"b/"):
        return None  # /dev/null
    return raw[2:].decode("utf-8", "surrogateescape")


# --- input.change, per feature -------------------------------------------------------------------


def base_manifest_facts(path: str, data: Any, error: str | None = None, exists: bool = True) -> dict[str, Any]:
    """The fields of the feature's manifest at the base commit that the change rules compare."""
    facts: dict[str, Any] = {"exists": exists, "manifest_path": path, "dir": _parent(path), "error": error, "spec": {}}
    if not exists or error is not None:
        return facts
    spec = data.get("spec") if isinstance(data, dict) else None
    models = spec.get("models") if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(models, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in models):
        facts["error"] = "it has no spec with a list of models"
        return facts
    facts["spec"] = {key: spec.get(key) for key in BASE_SPEC_FIELDS}
    return facts


# The fields of a base manifest the change rules compare: the tier, the data, the models, and where
# its governed documents were (a draft's review is judged against the document it was).
BASE_SPEC_FIELDS = ("riskTier", "dataClassification", "models", "modelCard", "oversight")


@dataclass
class BaseManifest:
    path: str
    name: str | None
    data: Any
    error: str | None


def _parent(path: str) -> str:
    return path.rpartition("/")[0] or "."


def base_manifests(change: Change, scope: str) -> list[BaseManifest]:
    """The base side of every manifest the change touched (modified, moved, deleted), under ``scope``."""
    out = []
    for path in sorted(change.paths):
        if not is_manifest(path) or not (scope == "." or path.startswith(scope + "/")):
            continue
        base = change.base_tree  # listed only when a manifest changed
        if base.kind(path) == MISSING:
            continue
        try:
            data = parse_yaml(base.read_text(path, MAX_BASE_MANIFEST_BYTES), path).data
        except AigovError as exc:
            out.append(BaseManifest(path, None, None, exc.message))
            continue
        metadata = data.get("metadata") if isinstance(data, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        out.append(BaseManifest(path, name if isinstance(name, str) else None, data, None))
    return out


class CollectedChange(Protocol):
    """What the change facts are added to: the check's collected inputs (aigov.check.collect.CheckInputs)."""

    tree: Tree
    change: Change | None
    scope: str  # the folder judged
    inputs: list[dict[str, Any]]  # one input document per judged feature
    reads: dict[str, Reads]  # what each feature's facts were read from, by feature folder
    now: str


def add_change_facts(collected: CollectedChange, token: str | None, approvers: list[str] | None = None) -> list[dict[str, Any]]:
    """``input.change`` for each judged feature: its changed files, itself at the base commit (found by
    name), its recorded eval results, the prompt files and governed documents the change touched, the
    reviews. Returns the input documents of the features the change removed.

    ``approvers``: the reviewers org data names (data.aigov.settings.approvals), whose approval the
    change rules may ask for besides the CODEOWNERS'."""
    change = collected.change
    assert change is not None
    touched_manifests = base_manifests(change, collected.scope)
    by_name = {m.name: m for m in touched_manifests if m.name is not None}
    head_names = {doc["feature"]["name"] for doc in collected.inputs}
    removed = [m for m in touched_manifests if m.name is not None and m.name not in head_names]
    for doc in collected.inputs:
        feature = doc["feature"]
        path = feature["manifest_path"]
        if path in change.paths:
            found = by_name.get(feature["name"])
            base = base_manifest_facts(found.path, found.data, found.error) if found else base_manifest_facts(path, None, exists=False)
        else:
            base = _unchanged_base(collected, feature)
        files = _files_of(change, collected.reads[feature["dir"]])
        prompts = _prompts(collected, feature, files)
        # The recorded results are read (and the files they name digested) only for what calls for
        # them: a change to the manifest (its models) or to a prompt.
        results = _eval_results(collected, feature) if path in change.paths or prompts else None
        doc["change"] = feature_change_facts(change, files, base, results, None, prompts, _documents(change, feature, base))
    # The reviews are asked for once, and only when a change needs an approval or is a prompt
    # promotion: a manifest edited, moved or deleted, a prompt changed, a governed document changed.
    reviewed = [doc for doc in collected.inputs if _needs_review(change, doc)]
    if not reviewed and not touched_manifests:
        return []
    from aigov.facts.review import collect_review  # lazy: facts.review imports this module (a cycle)

    paths = {m.path for m in touched_manifests} | {doc["feature"]["manifest_path"] for doc in reviewed}
    # A draft's owners approve the pull request that makes it final.
    paths |= {d["path"] for doc in reviewed for d in (doc["change"]["documents"] or {}).get("base", []) if d["status"] == "draft"}
    review = collect_review(change, sorted(paths), token, approvers or [])
    for doc in reviewed:
        doc["change"]["review"] = review
    return [_removed_input(collected, m, review) for m in removed]


def _needs_review(change: Change, doc: dict[str, Any]) -> bool:
    facts = doc["change"]
    return doc["feature"]["manifest_path"] in change.paths or bool(facts["prompts"]) or facts["documents"] is not None


def _eval_results(collected: CollectedChange, feature: dict[str, Any]) -> dict[str, Any]:
    from aigov.facts.eval_results import eval_results_facts  # lazy: only a diff-aware check compares eval results

    path = eval_baseline_path(feature["dir"], (feature["manifest"]["spec"].get("evals") or {}).get("config"))
    return eval_results_facts(collected.tree, feature, path)


def _prompts(collected: CollectedChange, feature: dict[str, Any], files: list[ChangedFile]) -> list[dict[str, Any]]:
    """The prompt files of the feature the change touched, at the base and at the head."""
    from aigov.facts.prompts import prompt_change_facts  # lazy: only a diff-aware check compares prompts

    change = collected.change
    assert change is not None
    folder = join(feature["dir"], feature["manifest"]["spec"].get("prompts", "prompts"))
    return prompt_change_facts(change, collected.tree, folder, files)


def _documents(change: Change, feature: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | None:
    """The governed documents (model card, risk assessment) as they were at the base, when the change
    touched one of them or the manifest that names them; None otherwise (they are as at the head)."""
    base_paths = document_paths(base["spec"], partial(join, base["dir"])) if base["exists"] and base["error"] is None else {}
    touched = {feature["manifest_path"], *base_paths.values(), *(d["path"] for d in feature.get("documents", []))}
    if not touched & change.paths:
        return None
    return {"base": collect_documents(change.base_tree, base_paths), "base_date": _commit_date(change.root, change.base)}


def _commit_date(root: Path, commit: str) -> str | None:
    """The UTC day of a commit's committer date (a claim by whoever committed, like every git date)."""
    try:
        stamp = int(git(root, "show", "-s", "--format=%ct", commit).decode().strip())
    except (GitFailed, ValueError):
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).date().isoformat()


def _unchanged_base(collected: CollectedChange, feature: dict[str, Any]) -> dict[str, Any]:
    """A manifest the change did not touch is the same at the base."""
    return base_manifest_facts(feature["manifest_path"], feature["manifest"])


def _files_of(change: Change, reads: Any) -> list[ChangedFile]:
    """The changed files a feature's facts were read from."""
    return [f for f in change.files if reads.meets([p for p in (f.path, f.old_path) if p])]


def _removed_input(collected: CollectedChange, manifest: BaseManifest, review: dict[str, Any] | None) -> dict[str, Any]:
    """The input document of a feature the change removed: itself at the base, judged by the change rules only."""
    change = collected.change
    assert change is not None and manifest.name is not None
    base = base_manifest_facts(manifest.path, manifest.data, manifest.error)
    feature = {"name": manifest.name, "dir": _parent(manifest.path), "manifest_path": manifest.path,
               "manifest": manifest.data, "lines": {}, "removed": True}
    deleted = [f for f in change.files if manifest.path in (f.path, f.old_path)]
    return {"now": collected.now, "aigov": {"version": _version()},
            "feature": feature, "change": feature_change_facts(change, deleted, base, None, review)}


def _version() -> str:
    return __version__


def feature_change_facts(change: Change, files: list[ChangedFile], base_feature: dict[str, Any], baseline: dict[str, Any] | None,
                         review: dict[str, Any] | None, prompts: list[dict[str, Any]] | None = None,
                         documents: dict[str, Any] | None = None) -> dict[str, Any]:
    """``input.change`` for one feature: the commits, its changed files, itself at the base, its recorded
    eval results, its changed prompts, its governed documents at the base, the reviews."""
    return {"base": change.base, "head": change.head, "pr": change.request.pr, "files": [f.as_fact() for f in files],
            "base_feature": base_feature, "eval_baseline": baseline, "review": review, "prompts": prompts or [],
            "documents": documents}


def eval_baseline_path(feature_dir: str, eval_config: str | None) -> str | None:
    """Where a feature records its eval baseline: ``baseline.json`` beside its eval config."""
    if not eval_config:
        return None
    folder = eval_config.rpartition("/")[0]
    rel = f"{folder}/baseline.json" if folder else "baseline.json"
    return rel if feature_dir == "." else f"{feature_dir}/{rel}"
