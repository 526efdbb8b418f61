"""The templates shipped with aigov: one folder per paved road under templates/, plus _common.

A road's copier.yml describes it: its computed values ``template_description``,
``suggested_models`` (per tier) and ``model_kinds`` (the kind of model each role needs) are read
here as plain YAML, without importing copier.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aigov.errors import AigovError
from aigov.resources import templates_dir

COMMON = "_common"  # files every road shares; overlaid first when a road is materialised
CONFIG_FILE = "copier.yml"
VERSION_FILE = "VERSION"


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    path: Path
    version: str
    description: str
    suggested_models: dict[str, list[dict[str, str]]]
    # The kind of model each role needs (primary, fallback: chat, embedding, ..., classic-ml).
    model_kinds: dict[str, str]
    # Where the template's eval runner records its results (None: it does not; older templates).
    eval_results_record: str | None = None


class _CopierYamlLoader(yaml.SafeLoader):
    """Safe YAML that reads copier's ``!include`` as a plain string instead of failing."""


def _include_as_text(loader: _CopierYamlLoader, node: yaml.ScalarNode) -> str:
    """copier's ``!include`` names a file: a scalar (on any other node construct_scalar raises a YAMLError)."""
    return loader.construct_scalar(node)


_CopierYamlLoader.add_constructor("!include", _include_as_text)


def read_template_config(folder: Path) -> dict[str, Any]:
    """The road's settings and questions: copier.yml's documents, with a ``!include`` of the shared
    questions (in the road's folder once materialised, in ``_common`` beside it when bundled) merged in."""
    merged: dict[str, Any] = {}
    for document in _yaml_documents(folder / CONFIG_FILE):
        if isinstance(document, str):
            included = [folder / document, folder.parent / COMMON / document]
            document = next((_yaml_documents(p)[0] for p in included if p.is_file() and p.name == document), None)
        if isinstance(document, dict):
            merged.update(document)
    return merged


def computed_values(config: dict[str, Any]) -> set[str]:
    """The values a template computes (``when: false``), never asked: an answer must not replace them."""
    return {key for key, question in config.items() if isinstance(question, dict) and question.get("when") is False}


def _yaml_documents(path: Path) -> list[Any]:
    try:
        return list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_CopierYamlLoader)) or [None]
    except OSError as exc:
        raise AigovError(f"cannot read the template config: {exc.strerror}", str(path)) from None
    except yaml.YAMLError as exc:
        raise AigovError(f"invalid YAML: {exc}", str(path)) from None


def _computed(config: dict[str, Any], key: str, default: Any) -> Any:
    question = config.get(key)
    return question.get("default", default) if isinstance(question, dict) else default


def template_info(folder: Path) -> TemplateInfo:
    config = read_template_config(folder)
    version_file = folder / VERSION_FILE
    version = version_file.read_text(encoding="utf-8").strip() if version_file.is_file() else ""
    return TemplateInfo(
        name=_computed(config, "template_name", folder.name),
        path=folder,
        version=version,
        description=_computed(config, "template_description", ""),
        suggested_models=_computed(config, "suggested_models", {}) or {},
        model_kinds=_computed(config, "model_kinds", {}) or {},
        eval_results_record=_computed(config, "eval_results_record", None),
    )


def bundled_templates() -> list[TemplateInfo]:
    root = templates_dir()
    folders = sorted(p for p in root.iterdir() if (p / CONFIG_FILE).is_file() and not p.name.startswith("_"))
    return [template_info(folder) for folder in folders]


def bundled_template(name: str) -> TemplateInfo:
    templates = {t.name: t for t in bundled_templates()}
    if name not in templates:
        raise AigovError(f"unknown template {name!r}; choose one of: {', '.join(sorted(templates))} (see `aigov templates`)")
    return templates[name]
