"""Find the features in a repository: every ``aigov.yaml`` git would commit, and their files."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from aigov.errors import AigovError
from aigov.tree import FOLDER, OUTSIDE, Tree

MANIFEST_NAME = "aigov.yaml"


@dataclass
class FeatureLocation:
    dir: str  # repository-relative, "." for the root
    manifest_path: str
    files: list[str] = field(default_factory=list)  # repository-relative, the feature's own files


def discover_features(tree: Tree, scope: str = ".", exclude: list[str] | None = None) -> list[FeatureLocation]:
    """The features to judge for ``scope`` (a repository-relative folder); each file belongs to its nearest feature.

    A scope inside a feature's folder judges that feature. ``exclude`` comes from the org config
    only: what the repository itself asks to exclude never hides a feature.
    """
    manifests = all_features(tree, exclude)
    chosen = [manifests[d] for d in sorted(manifests) if _under(d, scope)]
    if not chosen and scope != ".":
        around = owning_feature(f"{scope}/x", manifests)
        chosen = [around] if around is not None else []
    return chosen


def all_features(tree: Tree, exclude: list[str] | None = None) -> dict[str, FeatureLocation]:
    """Every feature of the repository by folder, each with the files it owns."""
    files = [rel for rel in tree.files if not excluded(rel, exclude or [])]
    manifests: dict[str, FeatureLocation] = {}
    for rel in files:
        if f"/{MANIFEST_NAME}/" in f"/{rel}":
            folder = rel[: rel.index(MANIFEST_NAME) + len(MANIFEST_NAME)]
            raise AigovError("is a directory, expected the feature manifest file", folder)
        if is_manifest(rel):
            kind = tree.kind(rel)
            if kind == OUTSIDE:
                raise AigovError("is a symlink that points outside the repository; aigov does not follow it", rel)
            if kind == FOLDER:
                raise AigovError("is a directory, expected the feature manifest file", rel)
            feature_dir = parent(rel)
            manifests[feature_dir] = FeatureLocation(dir=feature_dir, manifest_path=rel)
    for rel in files:
        owner = owning_feature(rel, manifests)
        if owner is not None:
            owner.files.append(rel)
    return manifests


def is_manifest(rel: str) -> bool:
    return rel == MANIFEST_NAME or rel.endswith("/" + MANIFEST_NAME)


def parent(rel: str) -> str:
    return rel.rpartition("/")[0] or "."


def _under(folder: str, scope: str) -> bool:
    return scope == "." or folder == scope or folder.startswith(scope + "/")


def excluded(rel: str, patterns: list[str]) -> bool:
    """Whether a file lies in (or is) a path matched by one of the org config's exclude globs."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, p.rstrip("/")) for p in patterns for prefix in prefixes)


def owning_feature(rel: str, manifests: dict[str, FeatureLocation]) -> FeatureLocation | None:
    """The feature whose folder is the nearest ancestor of ``rel``."""
    folder = parent(rel)
    while True:
        if folder in manifests:
            return manifests[folder]
        if folder == ".":
            return None
        folder = parent(folder)
