"""One way to read a repository: in the work tree or at a commit, with the same rules everywhere.

Every judgement aigov makes reads files through a :class:`Tree`: ``aigov check`` on the work tree
(:class:`WorkTree`), the base of a pull request, ``--new-only`` and every evidence replay at a
commit (:class:`CommitTree`, read from git objects, never checked out). The rules are one piece of
code, :meth:`Tree.resolve`, so a decision read from commit objects is the decision ``aigov check``
gives on a checkout of that commit:

- only what git would commit is there (tracked files, plus untracked ones .gitignore does not
  exclude); a folder is there when something in it is;
- a symlink is followed component by component, as the kernel does, while it stays inside the
  repository; a link that leaves it (``..`` past the top, or any absolute target) is refused, and
  so is a loop (more than 40 links, the kernel's limit);
- only regular files are read, never more than the caller's size cap.

Every path a read looks at is recorded in the active :class:`Reads` (see :meth:`Tree.recording`):
what a feature's facts were built from, link paths and their targets included. Diff scope,
``--new-only`` and incremental evidence compare changes with these sets.
"""

from __future__ import annotations

import bisect
import fnmatch
import os
import posixpath
import stat
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from aigov.errors import AigovError
from aigov.files import MAX_FILE_BYTES, open_regular_file, read_regular_file
from aigov.filetree import LINK_MODE, FileTree, Folder
from aigov.gitcli import ObjectReader, git, start_git

CHUNK_BYTES = 1024 * 1024
MAX_ARTIFACT_FILES = 200_000  # a feature folder holding more is not searched for artefacts: an error, never a pass
MAX_LINK_HOPS = 40  # Linux's MAXSYMLINKS: a check follows no more links than a checkout would

T = TypeVar("T")

FILE, FOLDER, MISSING, OUTSIDE, SPECIAL, LOOP = "file", "folder", "missing", "outside", "special", "loop"

# Why a path cannot be read, by what it resolved to (the file is named before the reason).
_UNREADABLE = {
    MISSING: "file not found",
    FOLDER: "is a directory, expected a file",
    OUTSIDE: "is a symlink that points outside the repository; aigov does not follow it",
    SPECIAL: "is not a regular file (a pipe, socket or device); aigov does not read it",
    LOOP: "is a symlink loop (more than 40 links to follow); aigov does not follow it",
}


@dataclass(frozen=True)
class Node:
    """What a repository path resolved to: its kind, where it really is, and a regular file's size."""

    kind: str
    path: str  # the resolved repository-relative path; as asked when it is not there
    size: int = 0


@dataclass
class Reads:
    """What facts were read from: paths whose content or existence was looked at, and folders whose
    listing was (adding or removing a file under one changes what was read)."""

    paths: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    # (sizes of the sets it was made for, the listed folders as prefixes, every folder around a path read)
    _index: tuple[tuple[int, int], tuple[str, ...], frozenset[str]] | None = field(default=None, compare=False, repr=False)

    def add(self, other: Reads) -> None:
        self.paths |= other.paths
        self.folders |= other.folders

    def meets(self, changed: Iterable[str]) -> bool:
        """Whether a change of these repository paths can change what was read."""
        prefixes, around = self._indexed()
        # A folder replaced by a file or a link shows in a diff as the folder's path (``around``).
        return any(path in self.paths or path in self.folders or path.startswith(prefixes) or path in around for path in changed)

    def _indexed(self) -> tuple[tuple[str, ...], frozenset[str]]:
        """Made once for sets that only grow (an evidence replay asks each feature's reads at every commit)."""
        sizes = (len(self.paths), len(self.folders))
        if self._index is None or self._index[0] != sizes:
            prefixes = tuple("" if f == "." else f + "/" for f in self.folders)
            around = frozenset(path[:i] for path in self.paths for i, char in enumerate(path) if char == "/")
            self._index = (sizes, prefixes, around)
        return self._index[1], self._index[2]

    def as_fact(self) -> dict[str, list[str]]:
        return {"paths": sorted(self.paths), "folders": sorted(self.folders)}


class Remembered:
    """A value :meth:`Tree.memoised` keeps: what it was read from, and the files of the last tree
    it was found to hold for (the next tree is compared with that one)."""

    __slots__ = ("value", "reads", "files", "groups")

    def __init__(self, value: Any, reads: Reads, tree: Tree) -> None:
        self.value = value
        self.reads = reads
        self.files = getattr(tree, "snapshot", None)
        by_folder: dict[str, list[str]] = {}
        for path in reads.paths:
            folder, _, name = path.rpartition("/")
            by_folder.setdefault(folder, []).append(name)
        self.groups = tuple((folder, tuple(names)) for folder, names in by_folder.items())


def inside(rel: str) -> bool:
    """Whether a repository-relative path, as written, stays inside the repository."""
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        return False
    normal = posixpath.normpath(rel)
    return normal != ".." and not normal.startswith("../")


def join(folder: str, rel: str) -> str:
    """``rel`` (relative to a repository folder) as a repository-relative path."""
    return rel if folder in (".", "") else f"{folder}/{rel}"


class Tree(ABC):
    """A repository's files as a check reads them. Subclasses say what one path is (without following
    it) and read a regular file; everything else is shared."""

    label: str  # for messages: "the work tree", "commit 1a2b3c4d5e6f"
    root: Path  # the repository's folder (for a commit: where its git objects are)
    commit: str | None = None

    def __init__(self) -> None:
        self._logs: list[Reads] = []

    # --- what a subclass provides ------------------------------------------------------------------

    @property
    @abstractmethod
    def files(self) -> list[str]:
        """Every file git would commit, repository-relative, sorted: regular files and symlinks."""

    @abstractmethod
    def _entry(self, path: str) -> tuple[str, str | int | None]:
        """What ``path`` is, not followed: ("link", target), (FILE, size), (FOLDER, None), (SPECIAL, None)
        or (MISSING, None). ``path`` is normalised and its parent folders are real folders."""

    @abstractmethod
    def _read(self, node: Node, name: str, max_bytes: int) -> bytes:
        """The bytes of the regular file at ``node`` (size already checked against ``max_bytes``)."""

    # --- the shared rules --------------------------------------------------------------------------

    @cached_property
    def listed(self) -> frozenset[str]:
        return frozenset(self.files)

    @property
    @abstractmethod
    def links(self) -> frozenset[str]:
        """The listed files that are symlinks."""

    @cached_property
    def folders(self) -> frozenset[str]:
        """Every folder that holds a file git would commit ("." included)."""
        out = {"."}
        for path in self.files:
            parent = path.rpartition("/")[0]
            while parent and parent not in out:
                out.add(parent)
                parent = parent.rpartition("/")[0]
        return frozenset(out)

    def resolve(self, rel: str) -> Node:
        """Follow ``rel`` component by component; every path looked at is recorded."""
        if not inside(rel):
            self._record(rel)
            return Node(OUTSIDE, rel)
        todo = [part for part in rel.replace("\\", "/").split("/") if part not in ("", ".")][::-1]
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop()
            if part == "..":
                if not done:
                    return Node(OUTSIDE, rel)
                done.pop()
                continue
            path = "/".join([*done, part])
            self._record(path)
            kind, detail = self._entry(path)
            if kind == "link":
                hops += 1
                target = str(detail)
                if hops > MAX_LINK_HOPS:
                    return Node(LOOP, rel)
                if target.startswith("/"):
                    inside_root = self._within_root(target)  # an absolute link, into the repository or not
                    if inside_root is None:
                        return Node(OUTSIDE, rel)
                    target, done = inside_root, []
                if not target:
                    return Node(OUTSIDE, rel)
                todo.extend([p for p in target.split("/") if p not in ("", ".")][::-1])
                continue
            if kind == MISSING or (todo and kind != FOLDER):
                return Node(MISSING, "/".join([*done, part, *todo[::-1]]))
            done.append(part)
            if not todo:
                return Node(kind, path, detail if isinstance(detail, int) else 0)
        self._record(".")
        return Node(FOLDER, ".")

    def _within_root(self, target: str) -> str | None:
        """An absolute link target as a repository path ("." for the root), or None when it points
        outside. A commit is read as checked out where its repository is, as a checkout would be."""
        root = str(self.root)
        normal = posixpath.normpath(target)
        if normal == root:
            return "."
        return normal[len(root) + 1:] if normal.startswith(root + "/") else None

    def kind(self, rel: str) -> str:
        return self.resolve(rel).kind

    def is_file(self, rel: str) -> bool:
        """Whether ``rel`` is a regular file inside the repository (links followed only inside)."""
        return self.kind(rel) == FILE

    def is_folder(self, rel: str) -> bool:
        return self.kind(rel) == FOLDER

    def exists(self, rel: str) -> bool:
        """Whether there is anything at ``rel``, a link that leads nowhere readable included."""
        return self.kind(rel) != MISSING

    def read_bytes(self, rel: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of a regular file inside the repository; an AigovError naming ``rel`` otherwise."""
        node = self.resolve(rel)
        if node.kind != FILE:
            raise AigovError(_UNREADABLE[node.kind], rel)
        if node.size > max_bytes:
            raise AigovError(f"is {node.size} bytes, over the {max_bytes}-byte limit for this file", rel)
        return self._read(node, rel, max_bytes)

    def read_text(self, rel: str, max_bytes: int = MAX_FILE_BYTES) -> str:
        """UTF-8 text of a repository file (a byte-order mark dropped); errors name the file and line."""
        data = self.read_bytes(rel, max_bytes)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise AigovError("is not UTF-8 text", rel, data[: exc.start].count(b"\n") + 1) from None

    def chunks(self, rel: str) -> Iterator[bytes]:
        """A regular file's bytes in chunks, whatever its size (an artefact can be model weights)."""
        node = self.resolve(rel)
        if node.kind != FILE:
            raise AigovError(_UNREADABLE[node.kind], rel)
        return self._chunks(node, rel)

    def sha256(self, rel: str) -> bytes:
        import hashlib  # lazy: ~3 ms; a check hashes no file unless an artefact is verified

        digest = hashlib.sha256()
        for chunk in self.chunks(rel):
            digest.update(chunk)
        return digest.digest()

    def read_prefix(self, rel: str, limit: int) -> bytes:
        """At most ``limit`` bytes from the start of a regular file of any size."""
        out = bytearray()
        for chunk in self.chunks(rel):
            out += chunk[: limit - len(out)]
            if len(out) >= limit:
                break
        return bytes(out)

    @abstractmethod
    def _chunks(self, node: Node, name: str) -> Iterator[bytes]:
        """The bytes of the regular file at ``node``, in chunks."""

    def artifacts(self, folder: str) -> list[str]:
        """Files below ``folder`` where built artefacts may be: what git would commit (a commit holds
        nothing else); a work tree adds what .gitignore hides, since builds write there."""
        return self.files_under(folder)

    def unreadable(self, rel: str) -> str | None:
        """Why ``rel`` is not a regular file inside the repository, or None when it is one."""
        kind = self.kind(rel)
        return None if kind == FILE else _UNREADABLE[kind]

    def files_under(self, folder: str) -> list[str]:
        """The files git would commit below ``folder`` (the listing is recorded as read)."""
        self._record_folder(folder)
        return self._files_below(folder)

    def _files_below(self, folder: str) -> list[str]:
        if folder in (".", ""):
            return list(self.files)
        return self._below(folder.rstrip("/") + "/")

    def _below(self, prefix: str) -> list[str]:
        """The listed paths that start with ``prefix``: a slice of the sorted listing (a monorepo's
        200 features each asking would otherwise scan every file 200 times)."""
        files = self.files
        return files[bisect.bisect_left(files, prefix):bisect.bisect_left(files, prefix + "\U0010ffff")]

    def glob(self, folder: str, pattern: str) -> list[str]:
        """Files below ``folder`` whose path relative to it matches ``pattern`` (fnmatch; ``*`` crosses
        no ``/``), links included, sorted. The listing of the pattern's fixed leading folder is recorded."""
        fixed = pattern.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0].rpartition("/")[0]
        base = posixpath.normpath(join(folder, fixed)) if fixed else folder
        self._record_folder(base)
        prefix = "" if folder in (".", "") else folder + "/"
        depth = pattern.count("/")
        out = []
        for path in self._files_below(base):
            if path.startswith(prefix):
                rest = path[len(prefix):]
                if rest.count("/") == depth and fnmatch.fnmatchcase(rest, pattern):
                    out.append(path)
        return out

    # --- what was read -----------------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[Reads]:
        """Record every path read inside the block (nested blocks record into every open one)."""
        reads = Reads()
        self._logs.append(reads)
        try:
            yield reads
        finally:
            # By identity: two open blocks that read nothing yet are equal, and list.remove would take the outer one.
            del self._logs[next(i for i, log in enumerate(self._logs) if log is reads)]

    def note(self, reads: Reads) -> None:
        """Count ``reads`` (made earlier, for a fact computed once) as read by every open block."""
        for log in self._logs:
            log.add(reads)

    def memoised(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, reading through this tree; or, where the tree keeps a memo (an evidence
        replay's commits), what it gave for ``key`` on an earlier tree that held the same things
        wherever it read (the same blob at each path, the same listing of each folder). Its reads
        count as read either way. ``compute`` must depend on nothing else that ``key`` does not name,
        and its value is shared: nobody may change it."""
        memo = self._memo
        if memo is None:
            return compute()
        found = memo.get(key)
        if found is not None and self._unchanged(found):
            self.note(found.reads)
            return found.value
        with self.recording() as reads:
            value = compute()
        memo[key] = Remembered(value, reads, self)
        return value

    _memo: dict[Hashable, Remembered] | None = None

    @property
    def remembers(self) -> bool:
        """Whether this tree keeps a memo across trees (an evidence replay's commits)."""
        return self._memo is not None

    def _unchanged(self, found: Remembered) -> bool:
        """Whether every read of ``found`` sees here what it saw where it was made (a tree that keeps a memo says)."""
        raise NotImplementedError

    def _record(self, path: str) -> None:
        for log in self._logs:
            log.paths.add(path)

    def _record_folder(self, folder: str) -> None:
        folder = folder.rstrip("/") or "."
        for log in self._logs:
            log.folders.add(folder)

    def close(self) -> None:  # noqa: B027 (a work tree holds nothing open)
        """Release what the tree holds open (a commit's object reader)."""


# --- The work tree -------------------------------------------------------------------------------

# Folders that never hold a feature's own source when the tree is not a git work tree (in git,
# .gitignore decides): tool caches, virtual environments, VCS data.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs"}
)


class WorkTree(Tree):
    """The files on disk below ``root``: what git would commit (outside git, every file but tool caches)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()
        self.label = str(self.root)
        self._ignored: set[str] = set()
        self._links: set[str] = set()
        self._admitted: set[str] = set()  # ignored files found as declared artefacts: readable too
        self._admitted_folders: set[str] = set()
        self._listing: subprocess.Popen[bytes] | None = None

    @property
    def is_git(self) -> bool:
        return (self.root / ".git").exists()

    def list_files_early(self) -> None:
        """Start ``git ls-files`` now: it runs while aigov loads its policy pack, and :attr:`files` reads it."""
        if self.is_git and self._listing is None and "files" not in self.__dict__:
            self._listing = start_git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")

    def ignore(self, path: Path) -> None:
        """Leave ``path`` out of :attr:`files` (aigov's own report, written into the tree)."""
        try:
            self._ignored.add(self.rel(path.resolve()))
        except ValueError:
            pass

    def stop_listing(self) -> None:
        """End a listing started early that nobody will read (the check failed first)."""
        if self._listing is not None:
            self._listing.kill()
            self._listing.communicate()
            self._listing = None

    def close(self) -> None:
        self.stop_listing()

    @cached_property
    def files(self) -> list[str]:
        listed = self._git_files() if self.is_git else self._walked_files()
        return [rel for rel in listed if rel not in self._ignored]

    def _git_files(self) -> list[str]:
        listing, self._listing = self._listing or start_git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"), None
        try:
            stdout, stderr = listing.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            listing.kill()
            listing.communicate()
            raise AigovError("git ls-files took over 120 s", str(self.root)) from None
        if listing.returncode != 0:
            reason = stderr.decode("utf-8", "replace").strip().splitlines()
            raise AigovError(f"git ls-files failed: {reason[0] if reason else listing.returncode}", str(self.root))
        names = sorted({name for name in stdout.decode("utf-8", "surrogateescape").split("\0") if name})
        # A tracked file deleted from the work tree is still in the index; a submodule is a folder.
        # os.path on strings: pathlib objects cost ~0.2 ms a file, which a 3,000-file monorepo feels.
        root = str(self.root)
        listed = []
        for name in names:
            kind = _listable(os.path.join(root, name))
            if kind:
                listed.append(name)
                if kind == "link":
                    self._links.add(name)
        return listed

    def _walked_files(self) -> list[str]:
        found: list[str] = []
        for current, dirs, names in os.walk(self.root, followlinks=False):
            rel_dir = self.rel(Path(current))
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            links = [d for d in dirs if os.path.islink(os.path.join(current, d))]  # listed as git lists them, not walked
            for name in [*names, *links]:
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                found.append(rel)
                if os.path.islink(os.path.join(current, name)):
                    self._links.add(rel)
        return sorted(found)

    @property
    def links(self) -> frozenset[str]:
        _ = self.files  # the listing finds them
        return frozenset(self._links - self._ignored)

    def artifacts(self, folder: str) -> list[str]:
        """Every file on disk below ``folder``, ignored ones included (a release's ``dist/`` is ignored),
        but not tool caches or .git; links are listed, not followed. Found files become readable."""
        self._record_folder(folder)
        base = self.root if folder in (".", "") else self.root / folder
        found: list[str] = []
        for current, dirs, names in os.walk(base, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            links = [d for d in dirs if os.path.islink(os.path.join(current, d))]
            rel_dir = self.rel(Path(current))
            found.extend(name if rel_dir == "." else f"{rel_dir}/{name}" for name in [*names, *links])
            if len(found) > MAX_ARTIFACT_FILES:
                raise AigovError(f"holds over {MAX_ARTIFACT_FILES} files; aigov does not search that many for declared artefacts", folder)
        found = sorted(rel for rel in found if rel not in self._ignored)
        self._admitted.update(found)
        for rel in found:
            parent = rel.rpartition("/")[0]
            while parent:
                self._admitted_folders.add(parent)
                parent = parent.rpartition("/")[0]
        return found

    def _entry(self, path: str) -> tuple[str, str | int | None]:
        if path not in self.listed and path not in self._admitted:
            return (FOLDER, None) if path in self.folders or path in self._admitted_folders else (MISSING, None)
        full = os.path.join(self.root, path)
        try:
            info = os.lstat(full)
        except OSError:
            return MISSING, None
        if stat.S_ISLNK(info.st_mode):
            try:
                return "link", os.readlink(full)
            except OSError:
                return MISSING, None
        if stat.S_ISREG(info.st_mode):
            return FILE, info.st_size
        return SPECIAL, None

    def _read(self, node: Node, name: str, max_bytes: int) -> bytes:
        return read_regular_file(self.root / node.path, name, max_bytes)

    def _chunks(self, node: Node, name: str) -> Iterator[bytes]:
        fd = open_regular_file(self.root / node.path, name)
        try:
            while chunk := os.read(fd, CHUNK_BYTES):
                yield chunk
        finally:
            os.close(fd)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path != self.root else "."


def _listable(path: str) -> str | None:
    """"file" or "link" for a listed name that is there and is not a real folder (a submodule's
    checkout); None otherwise."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return None
    return "link" if stat.S_ISLNK(mode) else "file"


# --- A commit ------------------------------------------------------------------------------------


class CommitTree(Tree):
    """The files of one commit, read from git objects: the same files a checkout of it would hold.

    ``files`` may be given (an evidence replay keeps a snapshot per commit, each made from the one
    before by the commit's changes: :class:`aigov.filetree.FileTree`); otherwise the commit is
    listed with one ``git ls-tree``. Blobs come through ``objects`` (one long-lived ``git cat-file``
    shared by every tree of the repository). ``memo``: shared by the trees of one replay, see
    :meth:`Tree.memoised`.
    """

    def __init__(self, root: Path, commit: str, objects: object | None = None, files: FileTree | None = None,
                 memo: dict[Hashable, Remembered] | None = None) -> None:
        super().__init__()
        self.root = root.resolve()
        self.commit = commit
        self.label = f"commit {commit[:12]}"
        self._own_objects = objects is None
        self.objects: ObjectReader = objects if objects is not None else ObjectReader(root)  # type: ignore[assignment]
        self.snapshot = files if files is not None else self._list(root, commit)
        self._targets: dict[str, str] = {}
        self._memo = memo

    def _list(self, root: Path, commit: str) -> FileTree:
        raw = git(root, "ls-tree", "-r", "-z", "-l", "--full-tree", commit)
        entries: dict[str, tuple[str, str]] = {}
        for item in raw.split(b"\0"):
            if not item:
                continue
            meta, _, name = item.partition(b"\t")
            mode, _kind, oid, size = meta.decode().split()
            path = name.decode("utf-8", "surrogateescape")
            entries[path] = (mode, oid)  # a submodule (mode 160000) is no file of the commit: FileTree leaves it out
            if size != "-":
                self.objects.know_size(oid, int(size))
        return FileTree.of(entries)

    @property
    def files(self) -> list[str]:
        return self.snapshot.files_under(".")

    @property
    def listed(self) -> _Listed:  # type: ignore[override]
        return _Listed(self)

    @property
    def folders(self) -> _Folders:  # type: ignore[override]
        return _Folders(self.snapshot)

    @cached_property
    def links(self) -> frozenset[str]:
        return frozenset(self.snapshot.links_under("."))

    def _files_below(self, folder: str) -> list[str]:
        return list(self.snapshot.files_under(folder))

    def _unchanged(self, found: Remembered) -> bool:
        before, now = found.files, self.snapshot
        if before is None:
            return False  # remembered without a snapshot to compare with
        if before is not now:
            for folder, names in found.groups:
                old, new = before.entry(folder), now.entry(folder)
                if old is new:
                    continue  # the same folder object: nothing below it changed
                if not all(_seen(_child(old, name)) == _seen(_child(new, name)) for name in names):
                    return False
            if not all(before.listing(folder) is now.listing(folder) for folder in found.reads.folders):
                return False
            found.files = now
        return True

    def resolve(self, rel: str) -> Node:
        found = self.snapshot.entry(rel) if _plain(rel) else None
        if isinstance(found, tuple) and found[0] != LINK_MODE:
            # A file git holds at this very path: no link on the way (git holds nothing below a
            # link), so the path resolves to itself. What was looked at is recorded as Tree.resolve does.
            prefix = ""
            for part in rel.split("/"):
                prefix = f"{prefix}/{part}" if prefix else part
                self._record(prefix)
            return Node(FILE, rel, self._size(found[1]))
        return super().resolve(rel)

    def _entry(self, path: str) -> tuple[str, str | int | None]:
        found = self.snapshot.entry(path)
        if isinstance(found, Folder):
            return FOLDER, None
        if found is None:
            return MISSING, None
        mode, oid = found
        if mode == LINK_MODE:
            if oid not in self._targets:
                data = self.objects.read(oid) or b""
                self._targets[oid] = data.decode("utf-8", "surrogateescape")
            return "link", self._targets[oid]
        return FILE, self._size(oid)

    def _size(self, oid: str) -> int:
        return self.objects.size(oid) or 0

    def _read(self, node: Node, name: str, max_bytes: int) -> bytes:
        data = self.objects.read(self._oid(node.path))
        if data is None:
            raise AigovError(f"its blob is missing from the repository ({self.label})", name)
        return data

    def _chunks(self, node: Node, name: str) -> Iterator[bytes]:
        if node.size <= MAX_FILE_BYTES:
            yield self._read(node, name, node.size)
            return
        proc = start_git(self.root, "cat-file", "blob", self._oid(node.path))  # a large blob, streamed
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(CHUNK_BYTES):
                yield chunk
        finally:
            proc.kill()
            proc.communicate()

    def _oid(self, path: str) -> str:
        found = self.snapshot.get(path)
        assert found is not None
        return found[1]

    def close(self) -> None:
        if self._own_objects:
            self.objects.close()


def _seen(entry: Any) -> Any:
    """What a path read saw: a file's (mode, id), that it is a folder (not what is in it), or nothing."""
    return FOLDER if isinstance(entry, Folder) else entry


def _child(folder: Any, name: str) -> Any:
    return folder.entries.get(name) if isinstance(folder, Folder) else None


def _plain(rel: str) -> bool:
    """A repository path with nothing to interpret: no "." or ".." parts, no empty ones, no backslash."""
    return bool(rel) and "\\" not in rel and not rel.startswith("/") and all(part not in ("", ".", "..") for part in rel.split("/"))


class _Listed:
    """A commit's listed files as a set, asked one path at a time without listing them all."""

    def __init__(self, tree: CommitTree) -> None:
        self.tree = tree

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.tree.snapshot.get(path) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.tree.files)

    def __len__(self) -> int:
        return len(self.tree.files)


class _Folders:
    """A commit's folders as a set, asked one path at a time."""

    def __init__(self, snapshot: FileTree) -> None:
        self.snapshot = snapshot

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.snapshot.is_folder(path)
