"""The files of a commit as a persistent tree of folders, as git keeps them.

A :class:`FileTree` is a snapshot: applying a commit's changes gives a new snapshot that shares
every folder the commit did not touch (only the folders on a changed path are new), so an
evidence replay keeps a snapshot per judged commit for the cost of a few small dicts, never a copy
of the whole tree. A folder object is the same in two snapshots exactly when nothing below it
changed; its ``listing`` token is the same when no file below it was added, removed or changed
kind (a file's content may have changed): what a recorded listing read depends on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Union, cast

Blob = tuple[str, str]  # (mode, object id), as `git ls-tree` lists a file
Entry = Union["Folder", Blob]
LINK_MODE = "120000"
DELETED_MODE = "000000"
# What a checkout holds as a file: regular files and symlinks. A submodule (160000) is not a file
# of the commit; both ways of making a snapshot leave it out, as CommitTree always has.
FILE_MODES = ("100644", "100755", LINK_MODE)


class Folder:
    """One folder's entries by name: a sub-folder, or a file's (mode, object id). Never changed once built."""

    __slots__ = ("entries", "listing", "_files", "_links")

    def __init__(self, entries: dict[str, Entry], listing: object | None = None) -> None:
        self.entries = entries
        self.listing = listing if listing is not None else object()
        self._files: tuple[str, list[str]] | None = None  # (the prefix they were listed under, every file below)
        self._links: tuple[str, list[str]] | None = None  # (prefix, every symlink below), as _files

    def files(self, prefix: str) -> list[str]:
        """Every file below, as ``prefix + relative path``, sorted as strings sort (cached: a folder is
        only ever at one path)."""
        if self._files is None or self._files[0] != prefix:
            out: list[str] = []
            for name, entry in self.entries.items():
                if isinstance(entry, Folder):
                    out.extend(entry.files(f"{prefix}{name}/"))
                else:
                    out.append(prefix + name)
            out.sort()
            self._files = (prefix, out)
        return self._files[1]

    def links(self, prefix: str) -> list[str]:
        """Every symlink below, as :meth:`files` lists them. Built from the sub-folders' own lists, so
        a new snapshot looks again only in the folders its commit changed."""
        if self._links is None or self._links[0] != prefix:
            out: list[str] = []
            for name, entry in self.entries.items():
                if isinstance(entry, Folder):
                    out.extend(entry.links(f"{prefix}{name}/"))
                elif entry[0] == LINK_MODE:
                    out.append(prefix + name)
            out.sort()
            self._links = (prefix, out)
        return self._links[1]


class FileTree:
    """One commit's files: path -> (mode, object id), folders as git has them."""

    __slots__ = ("root",)

    def __init__(self, root: Folder | None = None) -> None:
        self.root = root if root is not None else Folder({})

    @classmethod
    def of(cls, entries: Mapping[str, Blob]) -> FileTree:
        """The snapshot of a flat listing (``git ls-tree -r``)."""
        nested: dict[str, object] = {}
        for path, blob in entries.items():
            if blob[0] not in FILE_MODES:
                continue
            *parents, name = path.split("/")
            node = nested
            for part in parents:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):  # a file and a folder of one name: git lists no such tree
                    break
                node = child
            else:
                node[name] = blob
        return cls(_frozen(nested))

    def entry(self, path: str) -> Entry | None:
        """What is at ``path`` ("." or "" for the root folder): a Folder, a file's (mode, id), or None."""
        node: Entry = self.root
        if path in (".", ""):
            return node
        for part in path.split("/"):
            if not isinstance(node, Folder):
                return None
            found = node.entries.get(part)
            if found is None:
                return None
            node = found
        return node

    def get(self, path: str) -> Blob | None:
        """A file's (mode, object id); None for a folder or nothing."""
        found = self.entry(path)
        return None if found is None or isinstance(found, Folder) else found

    def is_folder(self, path: str) -> bool:
        return isinstance(self.entry(path), Folder)

    def files_under(self, folder: str) -> list[str]:
        """Every file below ``folder`` ("." for all), repository-relative, sorted."""
        found = self.entry(folder)
        if not isinstance(found, Folder):
            return []
        return found.files("" if folder in (".", "") else folder.rstrip("/") + "/")

    def links_under(self, folder: str) -> list[str]:
        found = self.entry(folder)
        if not isinstance(found, Folder):
            return []
        return found.links("" if folder in (".", "") else folder.rstrip("/") + "/")

    def listing(self, folder: str) -> object | None:
        """A token that changes when a file below ``folder`` is added, removed or changes kind."""
        found = self.entry(folder)
        return found.listing if isinstance(found, Folder) else None

    def items(self) -> Iterator[tuple[str, Blob]]:
        for path in self.files_under("."):
            blob = self.get(path)
            assert blob is not None
            yield path, blob

    def applied(self, changes: Iterable[tuple[str, str, str]]) -> FileTree:
        """A new snapshot with ``changes`` (path, new mode, new object id; mode 000000 deletes) applied;
        this one is left as it was. A folder left empty disappears, as in git. Each path comes once
        (as in a commit's raw diff)."""
        nested: dict[str, object] = {}
        # Deletions first: a folder replaced by a file (or a file by a folder) in one commit shows
        # as the old paths deleted and the new one added.
        for path, mode, oid in sorted(changes, key=lambda change: change[1] != DELETED_MODE):
            *parents, name = path.split("/")
            node = nested
            for part in parents:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[name] = (mode, oid) if mode in FILE_MODES else None
        if not nested:
            return self
        root, _ = _changed(self.root, nested)
        return FileTree(root if root is not None else Folder({}))


def _frozen(nested: dict[str, object]) -> Folder:
    return Folder({name: _frozen(child) if isinstance(child, dict) else child  # type: ignore[misc]
                   for name, child in nested.items()})


def _changed(folder: Folder | None, changes: dict[str, object]) -> tuple[Folder | None, bool]:
    """``folder`` with ``changes`` applied (None when nothing is left in it), and whether a file below
    was added, removed or changed kind (then its listing changes)."""
    entries = dict(folder.entries) if folder is not None else {}
    relisted = folder is None
    for name, change in changes.items():
        old = entries.get(name)
        if isinstance(change, dict):
            sub, sub_relisted = _changed(old if isinstance(old, Folder) else None, change)
            relisted |= sub_relisted or not isinstance(old, Folder)
            new: Entry | None = sub
        else:
            blob = cast("Blob | None", change)  # a file's (mode, oid); None: removed
            relisted |= old is None or isinstance(old, Folder) or blob is None or _kind(old[0]) != _kind(blob[0])
            new = blob
        if new is None:
            entries.pop(name, None)
        else:
            entries[name] = new
    if not entries:
        return None, True
    listing = folder.listing if folder is not None and not relisted else None
    return Folder(entries, listing), relisted


def _kind(mode: str) -> str:
    return "link" if mode == LINK_MODE else "file"
