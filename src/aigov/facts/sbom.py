"""Facts about the feature's SBOM (``spec.sbom``) and the Python dependencies it pins.

``sbom``: whether one is declared and exists, its specVersion, whether it is valid CycloneDX
(errors with JSON path and line, first MAX_ERRORS), its repeated bom-refs (same shape, first
MAX_ERRORS), its machine-learning-model components
(whether each has a modelCard) and its other components (name, version, purl).
``python_dependencies`` (only with spec.sbom): the exact pins in the feature's requirements,
pyproject and lock files, each with file and line. Rego compares the two; nothing is decided here.

jsonschema is imported only for a feature that declares an SBOM that exists.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from aigov.errors import AigovError
from aigov.facts.build import RepoContext, collector
from aigov.facts.discovery import FeatureLocation
from aigov.facts.manifest import Manifest
from aigov.sbom.requirements import dependency_files, normalize_name, scan_dependencies
from aigov.tree import MISSING, Tree

MAX_ERRORS = 10
ML_MODEL = "machine-learning-model"


@collector
def _sbom_facts(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    sbom = collect_sbom(ctx.tree, manifest)
    if not sbom["declared"]:
        # Without an SBOM nothing compares the pins, and a feature's pyproject.toml should not
        # be able to break a check that never needed it.
        return {"sbom": sbom}
    deps = scan_dependencies(dependency_files(ctx.tree, location.dir), ctx.tree.read_text)
    return {"sbom": sbom, "python_dependencies": deps.to_facts()}


def collect_sbom(tree: Tree, manifest: Manifest) -> dict[str, Any]:
    declared = manifest.spec.get("sbom")
    if declared is None:
        return {"declared": False}
    if "://" in declared:  # a URL cannot be checked offline, so it does not count as an SBOM here
        return {"declared": True, "path": declared, "url": True, "exists": False}
    path = manifest.feature_path(declared)
    if tree.kind(path) == MISSING:
        return {"declared": True, "path": path, "exists": False}
    facts: dict[str, Any] = {"declared": True, "path": path, "exists": True}
    from aigov.sbom.validate import MAX_BOM_BYTES, parse_bom, validate_bom  # lazy: ~35 ms, only a feature with an SBOM needs it

    try:
        text = tree.read_text(path, max_bytes=MAX_BOM_BYTES)
        document = parse_bom(text, path)
    except AigovError as exc:  # the feature's SBOM is broken: a finding, not an aigov failure
        error = {"path": "$", "message": exc.message, "line": exc.line}
        return {**facts, "parsed": False, "valid": False, "errors": [error], "error_count": 1}
    result = validate_bom(document, text)
    facts.update(
        parsed=True,
        spec_version=document.get("specVersion") if isinstance(document, dict) and isinstance(document.get("specVersion"), str) else None,
        valid=result.valid,
        errors=[e.to_dict() for e in result.errors[:MAX_ERRORS]],
        error_count=len(result.errors),
        repeated_bom_refs=[w.to_dict() for w in result.warnings[:MAX_ERRORS]],
    )
    facts.update(_components(document, text))
    return facts


def _components(document: Any, text: str) -> dict[str, Any]:
    from aigov.sbom.jsonpaths import line_of, value_lines  # lazy: with sbom.validate

    lines = value_lines(text)
    models, others = [], []
    top = document.get("components") if isinstance(document, dict) else None
    for parts, component in _walk_components(top, ("components",)):
        name = component.get("name")
        if not isinstance(name, str):
            continue
        group = component.get("group") if isinstance(component.get("group"), str) else None
        line = line_of(lines, parts) or 1
        if component.get("type") == ML_MODEL:
            card = component.get("modelCard")
            models.append({
                "name": name,
                "group": group,
                "id": f"{group}/{name}" if group else name,
                "bom_ref": component.get("bom-ref"),
                "has_model_card": isinstance(card, dict) and bool(card),
                "line": line,
            })
        else:
            others.append(_library(component, name, group, line))
    spec_line = line_of(lines, ("specVersion",)) or 1
    return {"spec_version_line": spec_line, "ml_components": models, "components": others}


def _library(component: dict[str, Any], name: str, group: str | None, line: int) -> dict[str, Any]:
    purl = component.get("purl") if isinstance(component.get("purl"), str) else None
    purl_type, purl_name = _purl_parts(purl)
    version = component.get("version")
    return {
        "name": name,
        "group": group,
        "type": component.get("type") if isinstance(component.get("type"), str) else "untyped",
        "version": version if isinstance(version, str) else None,
        "purl": purl,
        "purl_type": purl_type,
        # PEP 503 name: the rules compare it with the pins' normalised names.
        "normalized": normalize_name(purl_name or name),
        "line": line,
    }


def _purl_parts(purl: str | None) -> tuple[str | None, str | None]:
    """``pkg:pypi/Foo_Bar@1.0`` -> (``pypi``, ``Foo_Bar``); a malformed purl gives (None, None)."""
    match = re.match(r"^pkg:([A-Za-z][A-Za-z0-9.+-]*)/(?:[^@?#]*/)?([^/@?#]+)", purl or "")
    if not match:
        return None, None

    return match.group(1).lower(), unquote(match.group(2))


def _walk_components(components: Any, parts: tuple[Any, ...]) -> Any:
    """Every component, nested ones included, with its path in the document."""
    if not isinstance(components, list):
        return
    for index, component in enumerate(components):
        if isinstance(component, dict):
            yield (*parts, index), component
            yield from _walk_components(component.get("components"), (*parts, index, "components"))
