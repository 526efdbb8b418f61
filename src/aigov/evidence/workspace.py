"""A folder holding only the files a check of the features reads, materialised from git blobs.

Kept in step with the tree map commit after commit: only files that changed are rewritten, so a
commit that touches a feature costs that feature's changed files, not a checkout.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any, Callable

from aigov.files import MAX_FILE_BYTES

# Paths outside a feature's folder that its facts are built from: workflows, the repository
# config, CODEOWNERS, ignore rules. A change to one of them can change every feature's verdict.
GLOBAL_PREFIXES = (".github/", ".aigov/")
GLOBAL_NAMES = frozenset({"CODEOWNERS", ".gitignore"})
IGNORE_FILE = ".gitignore"
MANIFEST = "aigov.yaml"

Tree = dict[str, tuple[str, str]]


def feature_dirs(tree: Tree) -> list[str]:
    """The folders holding a manifest ("." for the root), sorted."""
    return sorted(posixpath.dirname(p) or "." for p in tree if posixpath.basename(p) == MANIFEST)


def under(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or inside it."""
    return folder == "." or path == folder or path.startswith(folder + "/")


def is_global(path: str) -> bool:
    """A shared input of every feature: workflows, the repository config, CODEOWNERS, the root ignore rules."""
    return path.startswith(GLOBAL_PREFIXES) or path == IGNORE_FILE or posixpath.basename(path) == "CODEOWNERS"


def ignore_scopes(path: str, dirs: list[str]) -> list[str]:
    """The features a nested .gitignore can hide files of: those in its folder or below it."""
    folder = posixpath.dirname(path)
    return [d for d in dirs if under(d, folder)]


class Workspace:
    """The materialised files below ``root``; ``read_blob(id)`` / ``blob_size(id)`` come from git."""

    def __init__(self, root: Path, read_blob: Callable[[str], bytes], blob_size: Callable[[str], int]) -> None:
        self.root = root
        self.read_blob = read_blob
        self.blob_size = blob_size
        self.written: dict[str, str] = {}  # path -> blob id on disk
        self._references: dict[str, list[str]] = {}  # manifest blob -> paths it names (repository-relative)
        self.referenced_now: set[str] = set()  # what the manifests of the last synced tree name

    def needed(self, tree: Tree) -> dict[str, str]:
        """path -> blob of every regular file a check of the tree's features reads."""
        dirs = feature_dirs(tree)
        referenced = self.referenced_now = self.referenced(tree)
        everything = "." in dirs
        prefixes = tuple(f"{d}/" for d in dirs) + tuple(f"{r}/" for r in referenced) + GLOBAL_PREFIXES
        out = {}
        for path, (mode, blob) in tree.items():
            if mode not in ("100644", "100755"):
                continue  # symlinks and submodules: the check reads regular files only
            if everything or path.startswith(prefixes) or path in referenced or posixpath.basename(path) in GLOBAL_NAMES:
                out[path] = blob
        return out

    def referenced(self, tree: Tree) -> set[str]:
        """Paths outside feature folders that a manifest names (a shared model card, say)."""
        out: set[str] = set()
        for path, (_mode, blob) in tree.items():
            if posixpath.basename(path) == MANIFEST:
                if blob not in self._references:
                    self._references[blob] = self._manifest_paths(path, blob)
                out.update(self._references[blob])
        return out

    def _manifest_paths(self, path: str, blob: str) -> list[str]:
        from aigov.errors import AigovError
        from aigov.yamlfile import parse_yaml

        if self.blob_size(blob) > MAX_FILE_BYTES:
            return []
        try:
            # The guarded parser: alias bombs and deep nesting are refused, never expanded.
            doc = parse_yaml(self.read_blob(blob).decode("utf-8"), path).data
        except (AigovError, UnicodeDecodeError):
            return []  # the check reports the broken manifest itself
        folder = posixpath.dirname(path)
        out = []
        for value in strings_in(doc):
            if "/" in value or "." in value:
                normal = posixpath.normpath(posixpath.join(folder, value))
                if normal not in (".", "") and not normal.startswith("../") and not posixpath.isabs(value):
                    out.append(normal)
        return out

    def feature_dirs(self) -> list[str]:
        return feature_dirs({p: ("", "") for p in self.written})

    def sync(self, tree: Tree) -> None:
        needed = self.needed(tree)
        for path in [p for p, blob in self.written.items() if needed.get(p) != blob]:
            (self.root / path).unlink(missing_ok=True)
            del self.written[path]
        for path, blob in needed.items():
            if path not in self.written and _safe(path):
                self._write(path, blob)

    def _write(self, path: str, blob: str) -> None:
        target = self.root / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            size = self.blob_size(blob)
            with open(target, "wb") as handle:
                if size > MAX_FILE_BYTES:
                    handle.truncate(size)  # sparse: the check refuses it by size, as it would in a clone
                else:
                    handle.write(self.read_blob(blob))
        except (OSError, ValueError):
            return  # a path that is a file in one commit and a folder in the next: the check sees it missing
        self.written[path] = blob


def _safe(path: str) -> bool:
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and ".git" not in parts and "" not in parts


def strings_in(value: Any, depth: int = 0) -> list[str]:
    """Every string value in a JSON-like document (bounded depth: documents come from parsed input)."""
    if depth > 40:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v, depth + 1)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v, depth + 1)]
    return []
