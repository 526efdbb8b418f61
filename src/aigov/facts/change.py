"""Facts about the change under review: what a pull request changed, and what the features were before it.

``aigov check --base REF [--head REF]`` or ``--pr`` (the GitHub event file) makes a check diff-aware.
The diff is ``git diff B head`` where B is where head branched from base (in CI the checkout of a pull
request is its merge commit, whose first parent is the base: the diff is then exactly what the PR
changes).
The tree judged is always the work tree; the base side is read from git objects, never checked out.

git runs as a plain process, one call per question (the name-status list, the hunks, one
``git cat-file --batch`` for every base blob): importing gitpython alone costs more than the
whole diff, and a check runs on every pull request. Like :mod:`aigov.files`, git runs with the
repository's fsmonitor switched off and without external diff drivers or text conversion, so no
code the repository configures ever runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov.errors import AigovError

if TYPE_CHECKING:
    from aigov.facts.discovery import FeatureLocation

_GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.quotePath=false",
        "-c", "diff.renames=true")
_DIFF = ("diff", "--no-ext-diff", "--no-textconv", "--no-color", "-M")
GIT_TIMEOUT_S = 120
MAX_BASE_BLOB_BYTES = 3 * 1024 * 1024  # manifests and CODEOWNERS (GitHub ignores a larger CODEOWNERS)
# Changed paths that feed every feature's facts: the workflows GitHub runs, the repository's
# aigov config, and CODEOWNERS. (The org config and registry live outside the tree.)
SHARED_PREFIXES = (".github/workflows/", ".aigov/")
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
FETCH_DEPTH_HINT = ("set `fetch-depth: 0` (or `fetch-depth: 2` for the merge commit of a pull request) "
                    "on the actions/checkout step so that the base commit is in the clone")
STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added", "T": "modified"}


class GitFailed(Exception):
    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run one git command in ``root``; its standard output, or GitFailed with git's first error line."""
    try:
        proc = subprocess.run([*_GIT, "-C", str(root), *args], input=stdin, capture_output=True, timeout=GIT_TIMEOUT_S,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})  # fail rather than wait for a password
    except FileNotFoundError:
        raise AigovError("a diff-aware check needs git, and the git command is not installed", str(root)) from None
    except subprocess.TimeoutExpired:
        raise AigovError(f"git {args[0]} took over {GIT_TIMEOUT_S} s", str(root)) from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(lines[0] if lines else f"exit code {proc.returncode}")
    return proc.stdout


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


@dataclass
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

    def touches_shared(self) -> bool:
        """Whether a file that feeds every feature's facts changed."""
        return any(p.startswith(SHARED_PREFIXES) or p in CODEOWNERS_PATHS for p in self.paths)

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
    from aigov.files import read_text_file

    text = read_text_file(Path(path), path, max_bytes=25 * 1024 * 1024)
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AigovError(f"is not JSON: {exc.msg}", path, exc.lineno) from None
    except RecursionError:
        raise AigovError("is nested too deeply to be a GitHub event", path) from None
    if not isinstance(event, dict):
        raise AigovError("is not a GitHub event (expected a JSON object)", path)
    repository = event.get("repository") if isinstance(event.get("repository"), dict) else {}
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
            current = by_path.get(_diff_path(line[4:]))
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


# --- The base side -------------------------------------------------------------------------------


def read_base_blobs(root: Path, commit: str, paths: list[str]) -> dict[str, bytes | None]:
    """The contents of ``paths`` at ``commit``; None where a path is not a file there or is over the size cap.

    Two processes whatever the number of paths: ``git cat-file --batch-check`` for the sizes, then
    one ``--batch`` for the blobs small enough to read (never a process per file).
    """
    asked = [p for p in dict.fromkeys(paths) if "\n" not in p]
    blobs: dict[str, bytes | None] = {p: None for p in paths}
    if not asked:
        return blobs
    names = "".join(f"{commit}:{p}\n" for p in asked).encode("utf-8", "surrogateescape")
    wanted: list[tuple[str, str]] = []  # (object id, path)
    for path, line in zip(asked, git(root, "cat-file", "--batch-check", stdin=names).decode().splitlines()):
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == "blob" and int(parts[2]) <= MAX_BASE_BLOB_BYTES:
            wanted.append((parts[0], path))
    if not wanted:
        return blobs
    out = git(root, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid, _ in wanted).encode())
    pos = 0
    for _, path in wanted:
        end = out.index(b"\n", pos)
        size = int(out[pos:end].split(b" ")[2])
        blobs[path] = out[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
    return blobs


# --- input.change, per feature -------------------------------------------------------------------


def base_manifest_facts(path: str, blob: bytes | None) -> dict[str, Any]:
    """The fields of the feature's manifest at the base commit that the change rules compare."""
    facts: dict[str, Any] = {"exists": blob is not None, "manifest_path": path, "error": None, "spec": {}}
    if blob is None:
        return facts
    from aigov.yamlfile import parse_yaml

    try:
        data = parse_yaml(blob.decode("utf-8-sig"), path).data
    except (AigovError, UnicodeDecodeError) as exc:
        facts["error"] = exc.message if isinstance(exc, AigovError) else "not UTF-8 text"
        return facts
    spec = data.get("spec") if isinstance(data, dict) else None
    models = spec.get("models") if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(models, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in models):
        facts["error"] = "it has no spec with a list of models"
        return facts
    facts["spec"] = {"riskTier": spec.get("riskTier"), "dataClassification": spec.get("dataClassification"), "models": models}
    return facts


def add_change_facts(inputs: list[dict[str, Any]], locations: list[FeatureLocation], change: Change, token: str | None,
                     approvers: list[str] | None = None) -> None:
    """``input.change`` for each judged feature: its changed files, itself at the base commit, the reviews.

    ``approvers``: the reviewers org data names (data.aigov.settings.approvals), whose approval the
    change rules may ask for besides the CODEOWNERS'."""
    from aigov.facts.discovery import owning_feature

    by_dir = {loc.dir: loc for loc in locations}
    files: dict[str, list[ChangedFile]] = {loc.dir: [] for loc in locations}
    for changed in change.files:
        owners = {owner.dir for p in (changed.path, changed.old_path) if p and (owner := owning_feature(p, by_dir)) is not None}
        for folder in owners:
            files[folder].append(changed)
    renamed = {f.path: f.old_path for f in change.files if f.old_path}
    base_paths = {doc["feature"]["manifest_path"]: renamed.get(doc["feature"]["manifest_path"], doc["feature"]["manifest_path"])
                  for doc in inputs}
    blobs = read_base_blobs(change.root, change.base, sorted(set(base_paths.values())))
    # Only a manifest the change edits can need approval: the reviews API is asked only then.
    to_approve = [path for path in base_paths if path in change.paths]
    review = None
    if to_approve:
        from aigov.facts.review import collect_review  # it imports this module

        # Owners of the manifest where it was at the base: a move cannot pick its own approvers.
        review = collect_review(change, sorted({base_paths[path] for path in to_approve}), token, approvers or [])
    for doc in inputs:
        feature = doc["feature"]
        manifest_path = feature["manifest_path"]
        baseline = eval_baseline_path(feature["dir"], (feature["manifest"]["spec"].get("evals") or {}).get("config"))
        doc["change"] = feature_change_facts(
            change, files[feature["dir"]], base_manifest_facts(base_paths[manifest_path], blobs.get(base_paths[manifest_path])),
            {"path": baseline, "exists": baseline is not None and (change.root / baseline).is_file()},
            review if manifest_path in to_approve else None,
        )


def feature_change_facts(change: Change, files: list[ChangedFile], base_feature: dict[str, Any], baseline: dict[str, Any],
                         review: dict[str, Any] | None) -> dict[str, Any]:
    """``input.change`` for one feature: the commits, its changed files, itself at the base, the reviews."""
    return {"base": change.base, "head": change.head, "pr": change.request.pr, "files": [f.as_fact() for f in files],
            "base_feature": base_feature, "eval_baseline": baseline, "review": review}


def eval_baseline_path(feature_dir: str, eval_config: str | None) -> str | None:
    """Where a feature records its eval baseline: ``baseline.json`` beside its eval config."""
    if not eval_config:
        return None
    folder = eval_config.rpartition("/")[0]
    rel = f"{folder}/baseline.json" if folder else "baseline.json"
    return rel if feature_dir == "." else f"{feature_dir}/{rel}"


# --- The base tree, for --new-only ----------------------------------------------------------------

MAX_MATERIALISED_BYTES = 64 * 1024 * 1024  # per file: the largest file a check reads (a dataset)


def materialise_base(root: Path, commit: str, paths: list[str], dest: Path) -> None:
    """Write the regular files under ``paths`` at ``commit`` into ``dest`` (``"."``: the whole tree).

    Read from git objects (``ls-tree`` + one ``cat-file --batch``) rather than ``git archive``:
    no attribute of the tree (export-ignore, export-subst) can change what is written, symlinks
    and submodules are left out, and every path is checked to stay inside ``dest``.
    """
    pathspec = [] if "." in paths else paths
    listing = git(root, "ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--", *pathspec).decode("utf-8", "surrogateescape")
    wanted: list[tuple[str, str]] = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, kind, oid, size = meta.split()
        if kind == "blob" and mode in ("100644", "100755") and int(size) <= MAX_MATERIALISED_BYTES and _safe_relative(path):
            wanted.append((oid, path))
    if not wanted:
        return
    _write_blobs(root, wanted, dest)


def _safe_relative(path: str) -> bool:
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and ".git" not in parts and "\n" not in path


def _write_blobs(root: Path, wanted: list[tuple[str, str]], dest: Path) -> None:
    import threading

    proc = subprocess.Popen([*_GIT, "-C", str(root), "cat-file", "--batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:  # in a thread: a long list would fill the pipe while nobody reads the answers
        try:
            proc.stdin.write("".join(f"{oid}\n" for oid, _ in wanted).encode())
        finally:
            proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for _, path in wanted:
            size = int(proc.stdout.readline().split(b" ")[2])
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(proc.stdout.read(size))
            proc.stdout.read(1)  # the newline after each object
    finally:
        writer.join(timeout=GIT_TIMEOUT_S)
        proc.stdout.close()
        proc.wait(timeout=GIT_TIMEOUT_S)
