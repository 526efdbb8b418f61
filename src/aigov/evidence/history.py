"""The default branch's first-parent history in a period, read from git objects with few processes.

DESIGN: one ``git log --first-parent --raw -z`` for the whole period, one ``git ls-tree`` for the
tree the period starts from, and blobs through one long-lived ``git cat-file`` (aigov.gitcli).
Never a process or a ``Commit.diff()`` per commit: 10,000 commits x 4 ms is already 40 s.
The tree is kept as a path -> (mode, blob id) map and updated from each commit's raw diff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from aigov.errors import AigovError
from aigov.gitcli import GitFailed, ObjectReader, checked_revision, commit_id, git

MAX_NOTE_BYTES = 1024 * 1024


@dataclass
class Change:
    path: str
    mode: str  # new mode; "000000" when deleted
    blob: str  # new blob id; all zeros when deleted

    @property
    def deleted(self) -> bool:
        return self.mode == "000000"


@dataclass
class Commit:
    sha: str
    time: int  # committer time, seconds since the epoch: the clock a replay sees
    subject: str
    changes: list[Change] = field(default_factory=list)

    @property
    def clock(self) -> str:
        return rfc3339(self.time)


def rfc3339(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat().replace("+00:00", "Z")


class History:
    """One repository's git objects: the default branch, its history in a period, blob contents."""

    def __init__(self, path: Path, branch: str | None = None) -> None:
        self.path = path
        try:
            shallow = self._git("rev-parse", "--is-shallow-repository").strip()
        except GitFailed:
            raise AigovError("is not a git repository", str(path)) from None
        if shallow == "true":
            raise AigovError(
                "is a shallow clone: evidence needs the whole history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)",
                str(path),
            )
        self.branch_ref = self._default_branch(branch)
        self.objects = ObjectReader(path)

    def _git(self, *args: str) -> str:
        return git(self.path, *args).decode("utf-8", "surrogateescape")

    def _default_branch(self, branch: str | None) -> str:
        """origin/HEAD's branch where there is a remote, else the branch HEAD names."""
        candidates: list[str] = []
        if branch:
            checked_revision(branch, "--branch")
            candidates = [f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"]
        else:
            for ref in ("refs/remotes/origin/HEAD", "HEAD"):
                try:
                    target = self._git("symbolic-ref", ref).strip()
                except GitFailed:
                    continue
                candidates.append(target)
                if ref != "HEAD":
                    candidates.append("refs/heads/" + target.rsplit("/", 1)[-1])
        for ref in candidates:
            if commit_id(self.path, ref, "--branch") is not None:
                return ref
        wanted = f"branch {branch!r}" if branch else "default branch (no origin/HEAD, and HEAD names no branch with commits)"
        raise AigovError(f"has no {wanted}; give --branch NAME", str(self.path))

    @property
    def branch(self) -> str:
        return self.branch_ref.rsplit("/", 1)[-1] if self.branch_ref.startswith("refs/remotes/") else self.branch_ref.removeprefix("refs/heads/")

    def head(self, until: int) -> str | None:
        """The last commit on the branch at ``until`` (the repository's head for the period)."""
        out = self._git("rev-list", "-1", "--first-parent", f"--before={until}", self.branch_ref, "--").strip()
        return out or None

    def commits(self, since: int, until: int) -> tuple[str | None, Iterator[Commit]]:
        """(the commit the period starts from, the period's first-parent commits oldest first)."""
        base = self._git("rev-list", "-1", "--first-parent", f"--before={since - 1}", self.branch_ref, "--").strip() or None
        span = f"{base}..{self.branch_ref}" if base else self.branch_ref
        # --diff-merges=first-parent: a merge shows what it brought to the branch. Newest first
        # (--reverse would make git hold every commit) and a small delta cache: git's own memory
        # stays flat in the number of commits; the output (~200 bytes a commit) is reversed here.
        raw = git(self.path, "-c", "core.deltaBaseCacheLimit=16m", "log", "--first-parent", "--raw", "-z",
                  "--no-renames", "--no-abbrev", "--diff-merges=first-parent", f"--until={until - 1}",
                  "--format=%x1e%H%x1f%ct%x1f%s%x1f", span, "--")
        return base, reversed(list(_parse_log(raw)))

    def tree(self, commit: str | None) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob id) of every file in ``commit`` (empty before the first commit)."""
        if commit is None:
            return {}
        raw = git(self.path, "ls-tree", "-r", "-z", "--full-tree", commit)
        files = {}
        for entry in raw.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, _kind, blob = meta.decode().split(" ")
            files[path.decode("utf-8", "surrogateescape")] = (mode, blob)
        return files

    def tags(self) -> dict[str, list[str]]:
        """commit -> the tags that point at it (release points)."""
        out: dict[str, list[str]] = {}
        raw = self._git("for-each-ref", "--format=%(objectname) %(*objectname) %(refname:short)", "refs/tags")
        for line in raw.splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                target = parts[1] or parts[0]
                out.setdefault(target, []).append(parts[2])
        return out

    def notes(self, commits: set[str], ref: str = "aigov") -> dict[str, bytes | str]:
        """commit -> its note under refs/notes/<ref> (one `git notes list`, blobs through cat-file);
        a note too large to be a decision record is the reason instead of its bytes."""
        try:
            listing = self._git("notes", "--ref", ref, "list")
        except GitFailed:
            return {}
        out: dict[str, bytes | str] = {}
        for line in listing.splitlines():
            blob, _, commit = line.partition(" ")
            if commit in commits:
                size = self.objects.size(blob) or 0
                out[commit] = (self.objects.read(blob) or b"") if size <= MAX_NOTE_BYTES else f"note is {size} bytes, over the {MAX_NOTE_BYTES}-byte limit"
        return out

    def origin_url(self) -> str | None:
        try:
            return self._git("remote", "get-url", "origin").strip() or None
        except GitFailed:
            return None

    def close(self) -> None:
        self.objects.close()


def _parse_log(raw: bytes) -> Iterator[Commit]:
    for record in raw.split(b"\x1e"):
        if not record.strip(b"\0\n"):
            continue
        sha, ctime, subject, rest = record.split(b"\x1f", 3)
        commit = Commit(sha.decode(), int(ctime), subject.decode("utf-8", "replace"))
        tokens = rest.split(b"\0")
        i = 0
        while i < len(tokens):
            token = tokens[i].strip(b"\n")
            if token.startswith(b":") and i + 1 < len(tokens):
                _old_mode, new_mode, _old, new, _status = token[1:].decode().split(" ")
                commit.changes.append(Change(tokens[i + 1].decode("utf-8", "surrogateescape"), new_mode, new))
                i += 2
            else:
                i += 1
        yield commit


def apply(tree: dict[str, tuple[str, str]], commit: Commit) -> None:
    for change in commit.changes:
        if change.deleted:
            tree.pop(change.path, None)
        else:
            tree[change.path] = (change.mode, change.blob)
