"""The feature manifest (aigov.yaml): parsed, validated against its schema, lines kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigov.errors import AigovError
from aigov.tree import Tree, inside, join
from aigov.validation import validate_document
from aigov.yamlfile import YamlDocument, parse_yaml


@dataclass
class Manifest:
    path: str  # repository-relative
    dir: str  # repository-relative feature directory
    doc: YamlDocument

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    @property
    def name(self) -> str:
        return self.data["metadata"]["name"]

    @property
    def spec(self) -> dict[str, Any]:
        return self.data["spec"]

    def feature_path(self, relative: str) -> str:
        """A path from the manifest, as a repository-relative path."""
        return join(self.dir, relative)


def load_manifest(tree: Tree, path: str, feature_dir: str) -> Manifest:
    """Read and validate one aigov.yaml; any problem is an AigovError naming file and line."""
    text = tree.read_text(path, max_bytes=1024 * 1024)
    doc = parse_yaml(text, path)
    if not isinstance(doc.data, dict):
        raise AigovError("must be a YAML mapping with apiVersion, kind, metadata and spec", path, doc.line_of(""))
    validate_document(doc, "manifest", path)
    _refuse_paths_outside(doc, path, feature_dir)
    return Manifest(path=path, dir=feature_dir, doc=doc)


def _refuse_paths_outside(doc: YamlDocument, path: str, feature_dir: str) -> None:
    """A path the manifest names must stay in the repository: aigov never looks outside it.

    The schema already keeps most paths feature-relative; the risk assessment may also be a URL.
    """
    reference = ((doc.data["spec"].get("oversight") or {}).get("riskAssessment")) or ""
    if not reference or "://" in reference:
        return
    if not inside(join(feature_dir, reference)):
        raise AigovError(
            f"spec.oversight.riskAssessment {reference!r} points outside the repository; give a URL or a path inside it",
            path, doc.line_of("spec.oversight.riskAssessment"),
        )
