"""Find the features in a repository: every ``aigov.yaml`` below the root, and their files."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from aigov.errors import AigovError
from aigov.files import Repo

MANIFEST_NAME = "aigov.yaml"
# Folders that never hold a feature's own source: tool caches, vendored code, VCS data.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs", "build"}
)


@dataclass
class FeatureLocation:
    dir: str  # repository-relative, "." for the root
    manifest_path: str
    files: list[str] = field(default_factory=list)  # repository-relative, the feature's own files


def discover_features(repo: Repo, exclude: list[str] | None = None) -> list[FeatureLocation]:
    """Every feature below the repository root; each file belongs to its nearest feature."""
    exclude = exclude or []
    manifests: dict[str, FeatureLocation] = {}
    all_files: list[str] = []
    for current, dirs, names in os.walk(repo.root, followlinks=False):
        rel_dir = repo.rel(Path(current))
        if MANIFEST_NAME in dirs:
            raise AigovError("is a directory, expected the feature manifest file", _join(rel_dir, MANIFEST_NAME))
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not _excluded(_join(rel_dir, d), exclude))
        for name in names:
            rel = _join(rel_dir, name)
            if name == MANIFEST_NAME:
                repo.resolve_inside(repo.root / rel)
                manifests[rel_dir] = FeatureLocation(dir=rel_dir, manifest_path=rel)
            all_files.append(rel)
    for rel in all_files:
        owner = _owning_feature(rel, manifests)
        if owner is not None:
            owner.files.append(rel)
    return [manifests[d] for d in sorted(manifests)]


def _join(rel_dir: str, name: str) -> str:
    return name if rel_dir == "." else f"{rel_dir}/{name}"


def _excluded(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.rstrip("/")) for p in patterns)


def _owning_feature(rel: str, manifests: dict[str, FeatureLocation]) -> FeatureLocation | None:
    parent = rel.rpartition("/")[0] or "."
    while True:
        if parent in manifests:
            return manifests[parent]
        if parent == ".":
            return None
        parent = parent.rpartition("/")[0] or "."
