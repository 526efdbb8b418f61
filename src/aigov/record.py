"""The decision record: what one check decided, in canonical JSON, kept as git notes in ``refs/notes/aigov``.

A record names everything needed to re-check a decision (the versions and digests of the
policies, data and input, the clock, the commit) and the decision itself (the findings, waived
ones included, and the verdict). Canonical JSON makes the same inputs give the same bytes, so a
record can be rebuilt and compared byte for byte; the evidence bundles are built from these notes
(:func:`read_records`). Described by schemas/decision-record.schema.json.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from aigov import __version__
from aigov.check import CheckResult
from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.files import _GIT_SAFE, MAX_FILE_BYTES, run_git
from aigov.report import Reporter

RECORD_VERSION = "1"
NOTES_REF = "refs/notes/aigov"
FINDING_KEYS = ("id", "severity", "title", "message", "path", "line", "feature", "controls", "blocking", "waived", "waiver")


def decision_record(result: CheckResult) -> dict[str, Any]:
    """The record of ``result`` (schemas/decision-record.schema.json), for the repository it judged."""
    root = result.root
    return {
        **decision_fields(result),
        "repository": repository_name(root) if root is not None else "",
        "commit": head_commit(root) if root is not None else None,
    }


def decision_fields(result: CheckResult) -> dict[str, Any]:
    """Everything of the record that ``result`` alone decides: the evidence replay adds the
    repository and commit it judged (a replay runs in a folder outside git)."""
    change = result.change or {}
    return {
        "record": RECORD_VERSION,
        "aigov": __version__,
        "policy": {"version": result.pack_version, "digest": result.digests["policies"], "rules": result.rules},
        "digests": dict(result.digests),
        "engine": result.engine,
        "sources": [source.as_dict() for source in result.sources],
        "base": change.get("base"),
        "pr": change.get("pr"),
        "clock": result.now,
        "features": list(result.features),
        "block": list(result.block),
        "findings": [_finding(f) for f in result.findings],
        "waivers": list(result.waivers),
        "verdict": result.verdict,
    }


def _finding(finding: Any) -> dict[str, Any]:
    out = {key: getattr(finding, key) for key in FINDING_KEYS}
    if finding.fingerprint:
        out["fingerprint"] = finding.fingerprint
    if finding.introduced is not None:
        out["introduced"] = finding.introduced
    return out


def canonical_bytes(record: dict[str, Any]) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8, one trailing newline: the same record, the same bytes."""
    return (json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def record_digest(record: dict[str, Any]) -> str:
    return content_digest(canonical_bytes(record))


class RecordReporter(Reporter):
    """The decision record as an output format (`check --record FILE`, `--format record`)."""

    def render(self, result: CheckResult) -> str:
        return canonical_bytes(decision_record(result)).decode("utf-8")

    def render_error(self, message: str) -> str:
        # Not a record (the schema has no "error" verdict), so `aigov record --from` refuses it,
        # and last run's record is not left behind to be mistaken for this run's decision.
        return json.dumps({"record": RECORD_VERSION, "verdict": "error", "error": message}, sort_keys=True) + "\n"


# --- Facts about the repository the record names ---------------------------------------------


def head_commit(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    proc = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def repository_name(root: Path) -> str:
    """The origin remote's URL without credentials, else the root folder's name."""
    if (root / ".git").exists():
        proc = run_git(root, "config", "--get", "remote.origin.url")
        if proc.returncode == 0 and proc.stdout.strip():
            return without_credentials(proc.stdout.strip())
    return root.name


def without_credentials(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://host/x``; scp-like ``git@host:x`` names no secret and stays."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc or "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


# --- Records as git notes ---------------------------------------------------------------------


def validate_record(record: Any, name: str) -> dict[str, Any]:
    """``record`` if it is a decision record; else an AigovError naming ``name`` and the first problem."""
    from aigov.validation import schema_errors

    errors = schema_errors(record, "decision-record")
    if errors:
        path, message = errors[0]
        raise AigovError(f"not a decision record: {path + ': ' if path else ''}{message}", name)
    return record


def parse_record(data: bytes, name: str) -> dict[str, Any]:
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise AigovError(f"not a decision record: not JSON ({type(exc).__name__})", name) from None
    return validate_record(record, name)


def open_repository(root: Path) -> Any:
    """The git repository at ``root`` (gitpython, imported only by the commands that write or read notes)."""
    import git

    try:
        return git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise AigovError("is not a git repository; decision records are kept as git notes", str(root)) from None


def resolve_commit(repo: Any, rev: str) -> str:
    import git

    if rev.startswith("-"):
        raise AigovError(f"{rev!r} is not a commit")
    try:
        return str(repo.git.execute(["git", *_GIT_SAFE, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])).strip()
    except git.GitCommandError:
        raise AigovError(f"{rev!r} is not a commit in this repository", repo.working_tree_dir) from None


def write_note(repo: Any, commit: str, data: bytes) -> None:
    """Store ``data`` as the aigov note on ``commit``, replacing an earlier one (git notes --ref aigov add -f)."""
    import git

    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as handle:
        handle.write(data)
    try:
        repo.git.execute(["git", *_GIT_SAFE, "notes", "--ref", NOTES_REF, "add", "-f", "-F", handle.name, commit],
                         env=_identity_env(repo))
    except git.GitCommandError as exc:
        raise AigovError(f"git notes failed: {_git_problem(exc)}", repo.working_tree_dir) from None
    finally:
        os.unlink(handle.name)


# --- Pushing the notes ---------------------------------------------------------------------------

PUSH_ATTEMPTS = 5
REMOTE_NOTES = "refs/notes/aigov-remote"  # where the remote's notes are fetched to be merged
NETWORK_TIMEOUT_S = 120


def push_notes(repo: Any, remote: str) -> None:
    """Push refs/notes/aigov to ``remote`` after merging the notes already there.

    A CI clone carries no notes, so pushing its own would be refused as not a fast-forward from the
    second decision on; and pipelines of two merges push at once. So the remote's notes are fetched
    and merged first (``-s ours``: this run's note wins on its own commit, every other note is
    kept), and a push refused because the remote's notes moved meanwhile is fetched, merged and
    tried again.
    """
    import git

    if remote.startswith("-"):
        raise AigovError(f"--push {remote!r} is not a git remote")
    problem = ""
    for attempt in range(PUSH_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0.1, 0.5) * attempt)  # apart from the other pushers
        try:
            _merge_remote_notes(repo, remote)
            _network_git(repo, "push", "--quiet", "--no-verify", remote, f"{NOTES_REF}:{NOTES_REF}")
            return
        except git.GitCommandError as exc:
            problem = _git_problem(exc)
    raise AigovError(f"could not push {NOTES_REF} to {remote} after {PUSH_ATTEMPTS} attempts: {problem}", repo.working_tree_dir)


def _merge_remote_notes(repo: Any, remote: str) -> None:
    import git

    try:
        _network_git(repo, "ls-remote", "--exit-code", remote, NOTES_REF)
    except git.GitCommandError as exc:
        if exc.status == 2:  # the remote has no notes yet
            return
        raise
    _network_git(repo, "fetch", "--quiet", "--no-tags", remote, f"+{NOTES_REF}:{REMOTE_NOTES}")
    repo.git.execute(["git", *_GIT_SAFE, "notes", "--ref", NOTES_REF, "merge", "--quiet", "-s", "ours", REMOTE_NOTES],
                     env=_identity_env(repo))


def _network_git(repo: Any, *args: str) -> None:
    # Fail rather than wait for a password, and never run the clone's hooks.
    repo.git.execute(["git", *_GIT_SAFE, "-c", "core.hooksPath=/dev/null", *args], kill_after_timeout=NETWORK_TIMEOUT_S,
                     env={"GIT_TERMINAL_PROMPT": "0"})


def _git_problem(exc: Any) -> str:
    """git's last line of error output, which says what went wrong."""
    return str(exc.stderr).strip().splitlines()[-1] if str(exc.stderr or "").strip() else str(exc)


def _identity_env(repo: Any) -> dict[str, str]:
    """CI runners often have no git identity; a note (and a notes merge) is still a commit in refs/notes/aigov."""
    import git

    try:
        if str(repo.git.execute(["git", "config", "user.email"])).strip():
            return {}
    except git.GitCommandError:
        pass
    return {"GIT_AUTHOR_NAME": "aigov", "GIT_AUTHOR_EMAIL": "aigov@localhost",
            "GIT_COMMITTER_NAME": "aigov", "GIT_COMMITTER_EMAIL": "aigov@localhost"}


@dataclass
class StoredRecord:
    """One note in refs/notes/aigov: the decision record, or why the note is not one."""

    commit: str
    record: dict[str, Any] | None
    problem: str | None = None


def read_records(repo: Any) -> Iterator[StoredRecord]:
    """Every note in refs/notes/aigov, in commit order of the notes list; blobs read through one
    long-lived ``git cat-file --batch``. A note that is not a decision record is reported, not raised."""
    import git

    try:
        listing = str(repo.git.execute(["git", *_GIT_SAFE, "notes", "--ref", NOTES_REF, "list"]))
    except git.GitCommandError:
        return  # no notes yet
    for line in listing.splitlines():
        blob, _, commit = line.partition(" ")
        yield _stored(repo, blob, commit)


def read_record(repo: Any, commit: str) -> StoredRecord | None:
    """The note on ``commit``, or None when it has none."""
    import git

    try:
        blob = str(repo.git.execute(["git", *_GIT_SAFE, "notes", "--ref", NOTES_REF, "list", commit])).strip()
    except git.GitCommandError:
        return None
    return _stored(repo, blob, commit) if blob else None


def _stored(repo: Any, blob: str, commit: str) -> StoredRecord:
    _, _, size = repo.git.get_object_header(blob)
    if size > MAX_FILE_BYTES:
        return StoredRecord(commit, None, f"not a decision record: {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
    _, _, _, data = repo.git.get_object_data(blob)
    try:
        return StoredRecord(commit, parse_record(data, f"note on {commit}"))
    except AigovError as exc:
        return StoredRecord(commit, None, exc.message)
