"""The feature manifest (aigov.yaml): parsed, validated against its schema, lines kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigov.errors import AigovError
from aigov.files import Repo
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
        return relative if self.dir == "." else f"{self.dir}/{relative}"


def load_manifest(repo: Repo, path: str, feature_dir: str) -> Manifest:
    """Read and validate one aigov.yaml; any problem is an AigovError naming file and line."""
    text = repo.read_text(repo.root / path, max_bytes=1024 * 1024)
    doc = parse_yaml(text, path)
    if not isinstance(doc.data, dict):
        raise AigovError("must be a YAML mapping with apiVersion, kind, metadata and spec", path, doc.line_of(""))
    validate_document(doc, "manifest", path)
    return Manifest(path=path, dir=feature_dir, doc=doc)
