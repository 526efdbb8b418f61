"""The default branch's first-parent history in a period, read from git objects with few processes.

History is topology, not dates: a commit date is a claim by whoever committed. The chain is read
whole (one ``git rev-list --first-parent``, no diffs), every commit gets an effective time that
never goes backwards along it (its own date, or its parent's effective time if later), and a
period holds the commits whose effective time falls in it, applied in chain order: a commit
dated after the period takes the commits after it out of the period with it, and a commit
back-dated before the period is judged where it stands. Every date that disagrees with the
chain is a date anomaly, listed in the bundle.

Then one ``git log --first-parent --raw -z`` for the period's commits, one ``git ls-tree`` for
the tree the period starts from, and blobs through one long-lived ``git cat-file``
(aigov.gitcli). Never a process or a ``Commit.diff()`` per commit: 10,000 commits x 4 ms is
already 40 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.filetree import FileTree
from aigov.gitcli import GitFailed, ObjectReader, checked_revision, commit_id, git
from aigov.tree import CommitTree

MAX_NOTE_BYTES = 1024 * 1024
KEPT_BLOB_BYTES = 32 * 1024 * 1024  # recent blobs kept in memory: the same unchanged files are read at every commit
MAX_ANOMALIES = 1000  # listed per repository; a history that lies about every date is counted, not copied


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
    time: int  # committer time, seconds since the epoch: what the commit claims
    subject: str
    changes: list[Change] = field(default_factory=list)
    effective: int = 0  # the time it is judged at (Link.effective): the clock a replay sees
    parents: tuple[str, ...] = ()

    @property
    def clock(self) -> str:
        return rfc3339(self.effective)


@dataclass(frozen=True)
class Link:
    """One commit of the first-parent chain: the date it claims, the time it is judged at (never
    before its parent's), and its parents (a merge's second parent is what it merged)."""

    sha: str
    time: int
    effective: int
    parents: tuple[str, ...]


@dataclass
class Span:
    """What a period holds of the chain."""

    base: Link | None  # the last commit before the period: its tree is where the period starts
    commits: list[Link]  # the period's commits, in chain order
    anomalies: list[dict[str, Any]]  # the dates that disagree with the chain, where they touch the period
    anomalies_total: int = 0  # how many there are (only MAX_ANOMALIES are listed)
    chain: frozenset[str] = frozenset()  # every commit of the first-parent chain, the period's or not

    @property
    def head(self) -> Link | None:
        """The last commit of the period (the repository's head for it)."""
        return self.commits[-1] if self.commits else self.base


def rfc3339(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


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
        self.objects = ObjectReader(path, keep_bytes=KEPT_BLOB_BYTES)

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

    def chain(self) -> list[Link]:
        """The branch's first-parent chain, oldest first, each commit with its effective time."""
        raw = self._git("rev-list", "--first-parent", "--timestamp", "--parents", self.branch_ref, "--")
        out: list[Link] = []
        effective = None
        for line in reversed(raw.splitlines()):
            stamp, sha, *parents = line.split()
            time = int(stamp)
            effective = time if effective is None else max(time, effective)
            out.append(Link(sha, time, effective, tuple(parents)))
        return out

    def span(self, since: int, until: int, clock: int) -> Span:
        """The commits of [since, until) by effective time, the one before them, and the date anomalies
        that touch the period (``clock``: the time the bundle is built; a later date is future-dated)."""
        chain = self.chain()
        base = None
        commits = []
        for link in chain:
            if link.effective < since:
                base = link
            elif link.effective < until:
                commits.append(link)
            else:
                break  # effective times never go backwards
        anomalies = date_anomalies(chain, since, until, clock)
        listed = anomalies[:MAX_ANOMALIES]
        subjects = self.subjects([a["commit"] for a in listed])
        for anomaly in listed:
            anomaly["subject"] = subjects.get(anomaly["commit"], "")
        return Span(base, commits, listed, len(anomalies), frozenset(link.sha for link in chain))

    def subjects(self, shas: list[str]) -> dict[str, str]:
        """commit -> its subject line, for a few commits (one git process)."""
        if not shas:
            return {}
        raw = git(self.path, "log", "--no-walk=unsorted", "-z", "--format=%H%x1f%s", "--stdin", stdin="\n".join(shas).encode())
        return dict(entry.decode("utf-8", "replace").split("\x1f", 1) for entry in raw.split(b"\0") if b"\x1f" in entry)

    def commits(self, span: Span) -> Iterator[Commit]:
        """The period's commits, oldest first, each with what it changed on the branch."""
        if not span.commits:
            return iter(())
        last = span.commits[-1].sha
        range_ = f"{span.base.sha}..{last}" if span.base else last
        # --diff-merges=first-parent: a merge shows what it brought to the branch. Newest first
        # (--reverse would make git hold every commit) and a small delta cache: git's own memory
        # stays flat in the number of commits; the output (~200 bytes a commit) is reversed here.
        raw = git(self.path, "-c", "core.deltaBaseCacheLimit=16m", "log", "--first-parent", "--raw", "-z",
                  "--no-renames", "--no-abbrev", "--diff-merges=first-parent", "--format=%x1e%H%x1f%ct%x1f%s%x1f", range_, "--")
        links = {link.sha: link for link in span.commits}
        out = list(_parse_log(raw))
        for commit in out:
            commit.effective, commit.parents = links[commit.sha].effective, links[commit.sha].parents
        # Every blob the period brings, sized in one go: a check reads a file's size before its bytes.
        self.objects.learn_sizes([c.blob for commit in out for c in commit.changes if not c.deleted])
        return reversed(out)

    def files(self, commit: str | None) -> FileTree:
        """The files of ``commit`` (none before the first commit), listed with one ``git ls-tree``."""
        if commit is None:
            return FileTree()
        return CommitTree(self.path, commit, self.objects).snapshot

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

    def notes(self, ref: str = "aigov") -> dict[str, str]:
        """commit -> the blob of its note under refs/notes/<ref> (one `git notes list`), every note."""
        try:
            listing = self._git("notes", "--ref", ref, "list")
        except GitFailed:
            return {}
        out: dict[str, str] = {}
        for line in listing.splitlines():
            blob, _, commit = line.partition(" ")
            out[commit] = blob
        return out

    def note(self, blob: str) -> bytes | str:
        """A note's bytes; a note too large to be a decision record is the reason instead."""
        size = self.objects.size(blob) or 0
        if size > MAX_NOTE_BYTES:
            return f"note is {size} bytes, over the {MAX_NOTE_BYTES}-byte limit"
        return self.objects.read(blob) or b""

    def commit_time(self, sha: str) -> int | None:
        """The committer date of a commit that may be on no branch; None if it is not here."""
        try:
            out = self._git("log", "-1", "--no-walk", "--format=%ct", checked_revision(sha, "a noted commit"), "--").strip()
        except (GitFailed, AigovError):
            return None
        return int(out) if out.isdigit() else None

    def origin_url(self) -> str | None:
        try:
            return self._git("remote", "get-url", "origin").strip() or None
        except GitFailed:
            return None

    def close(self) -> None:
        self.objects.close()


def date_anomalies(chain: list[Link], since: int, until: int, clock: int) -> list[dict[str, Any]]:
    """Each commit whose date disagrees with the chain where it touches [since, until): dated after
    ``clock`` (future-dated: the period's history stops before it), dated before the period it is
    judged in (back-dated), or dated before a commit that precedes it (out of order)."""
    out = []
    previous: Link | None = None
    for link in chain:
        after = previous.effective if previous else None
        kind = None
        if link.time > clock and (after is None or after < until):
            kind = "future-dated"
        elif after is not None and link.time < after and (since <= link.effective < until or since <= link.time < until):
            kind = "back-dated" if link.time < since <= link.effective else "out of order"
        if kind:
            out.append({"commit": link.sha, "kind": kind, "dated": rfc3339(link.time), "effective": rfc3339(link.effective),
                        "follows": previous.sha if previous else None, "follows_dated": rfc3339(previous.time) if previous else None})
        previous = link
    return out


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
