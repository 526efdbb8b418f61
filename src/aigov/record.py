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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aigov import __version__
from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.files import MAX_FILE_BYTES
from aigov.gitcli import GitFailed, ObjectReader, commit_id, git
from aigov.model import CheckResult
from aigov.review_record import draft_documents, prompt_promotions
from aigov.validation import schema_errors

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
        **review_fields(result),
    }


def review_fields(result: CheckResult) -> dict[str, Any]:
    """The prompt promotions and drafts of the check (aigov.review_record), when there are any."""
    fields = {"prompts": prompt_promotions(result.inputs), "drafts": draft_documents(result.inputs, result.findings, result.now)}
    return {key: value for key, value in fields.items() if value}


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


# --- Facts about the repository the record names ---------------------------------------------


def head_commit(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        return commit_id(root, "HEAD", str(root))
    except AigovError:
        return None


def repository_name(root: Path) -> str:
    """The origin remote's URL without credentials, else the root folder's name."""
    if (root / ".git").exists():
        try:
            url = git(root, "config", "--get", "remote.origin.url").decode("utf-8", "replace").strip()
        except (GitFailed, AigovError):
            url = ""
        if url:
            return without_credentials(url)
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


def open_repository(root: Path) -> Path:
    """``root`` if it is a git repository (decision records are kept as git notes there)."""
    try:
        git(root, "rev-parse", "--git-dir")
    except (GitFailed, AigovError):
        raise AigovError("is not a git repository; decision records are kept as git notes", str(root)) from None
    return root


def resolve_commit(root: Path, rev: str) -> str:
    found = commit_id(root, rev, str(root))
    if found is None:
        raise AigovError(f"{rev!r} is not a commit in this repository", str(root))
    return found


def write_note(root: Path, commit: str, data: bytes) -> None:
    """Store ``data`` as the aigov note on ``commit``, replacing an earlier one (git notes --ref aigov add -f)."""
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as handle:
        handle.write(data)
    try:
        git(root, *_identity(root), "notes", "--ref", NOTES_REF, "add", "-f", "-F", handle.name, commit)
    except GitFailed as exc:
        raise AigovError(f"git notes failed: {exc.last}", str(root)) from None
    finally:
        os.unlink(handle.name)


# --- Pushing the notes ---------------------------------------------------------------------------

PUSH_ATTEMPTS = 5
REMOTE_NOTES = "refs/notes/aigov-remote"  # where the remote's notes are fetched to be merged
NETWORK_TIMEOUT_S = 120


def push_notes(root: Path, remote: str) -> None:
    """Push refs/notes/aigov to ``remote`` after merging the notes already there.

    A CI clone carries no notes, so pushing its own would be refused as not a fast-forward from the
    second decision on; and pipelines of two merges push at once. So the remote's notes are fetched
    and merged first (``-s ours``: this run's note wins on its own commit, every other note is
    kept), and a push refused because the remote's notes moved meanwhile is fetched, merged and
    tried again.
    """
    if remote.startswith("-"):
        raise AigovError(f"--push {remote!r} is not a git remote")
    problem = ""
    for attempt in range(PUSH_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0.1, 0.5) * attempt)  # apart from the other pushers
        try:
            _merge_remote_notes(root, remote)
            git(root, "push", "--quiet", "--no-verify", remote, f"{NOTES_REF}:{NOTES_REF}", timeout=NETWORK_TIMEOUT_S)
            return
        except GitFailed as exc:
            problem = exc.last
    raise AigovError(f"could not push {NOTES_REF} to {remote} after {PUSH_ATTEMPTS} attempts: {problem}", str(root))


def _merge_remote_notes(root: Path, remote: str) -> None:
    try:
        git(root, "ls-remote", "--exit-code", remote, NOTES_REF, timeout=NETWORK_TIMEOUT_S)
    except GitFailed as exc:
        if exc.returncode == 2:  # the remote has no notes yet
            return
        raise
    git(root, "fetch", "--quiet", "--no-tags", remote, f"+{NOTES_REF}:{REMOTE_NOTES}", timeout=NETWORK_TIMEOUT_S)
    git(root, *_identity(root), "notes", "--ref", NOTES_REF, "merge", "--quiet", "-s", "ours", REMOTE_NOTES)


def _identity(root: Path) -> tuple[str, ...]:
    """CI runners often have no git identity; a note (and a notes merge) is still a commit in refs/notes/aigov."""
    try:
        if git(root, "config", "user.email").strip():
            return ()
    except GitFailed:
        pass
    return ("-c", "user.name=aigov", "-c", "user.email=aigov@localhost")


@dataclass
class StoredRecord:
    """One note in refs/notes/aigov: the decision record, or why the note is not one."""

    commit: str
    record: dict[str, Any] | None
    problem: str | None = None


def read_records(root: Path) -> Iterator[StoredRecord]:
    """Every note in refs/notes/aigov, in commit order of the notes list; blobs read through one
    long-lived ``git cat-file``. A note that is not a decision record is reported, not raised."""
    try:
        listing = git(root, "notes", "--ref", NOTES_REF, "list").decode()
    except GitFailed:
        return  # no notes yet
    objects = ObjectReader(root)
    try:
        for line in listing.splitlines():
            blob, _, commit = line.partition(" ")
            yield _stored(objects, blob, commit)
    finally:
        objects.close()


def read_record(root: Path, commit: str) -> StoredRecord | None:
    """The note on ``commit``, or None when it has none."""
    try:
        blob = git(root, "notes", "--ref", NOTES_REF, "list", commit).decode().strip()
    except GitFailed:
        return None
    if not blob:
        return None
    objects = ObjectReader(root)
    try:
        return _stored(objects, blob, commit)
    finally:
        objects.close()


def _stored(objects: ObjectReader, blob: str, commit: str) -> StoredRecord:
    size = objects.size(blob) or 0
    if size > MAX_FILE_BYTES:
        return StoredRecord(commit, None, f"not a decision record: {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
    data = objects.read(blob) or b""
    try:
        return StoredRecord(commit, parse_record(data, f"note on {commit}"))
    except AigovError as exc:
        return StoredRecord(commit, None, exc.message)
