"""Helpers over a commit's files (a :class:`aigov.filetree.FileTree`) for the evidence replay."""

from __future__ import annotations

import posixpath
from typing import Any

from aigov.filetree import FileTree

MANIFEST = "aigov.yaml"


def feature_dirs(files: FileTree) -> list[str]:
    """The folders holding a manifest ("." for the root), sorted."""
    return sorted(posixpath.dirname(p) or "." for p in files.files_under(".") if posixpath.basename(p) == MANIFEST)


def under(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or inside it."""
    return folder == "." or path == folder or path.startswith(folder + "/")


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
