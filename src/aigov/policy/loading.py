"""Assemble the policy pack for a check: shipped rules and data, then the organisation's additions."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from aigov.config import OrgConfig
from aigov.errors import AigovError
from aigov.files import read_config_file
from aigov.policy.pack import PolicyPack, load_rego_dir, merge_data
from aigov.resources import policies_dir
from aigov.validation import validate_document
from aigov.yamlfile import YamlDocument, parse_yaml

SHIPPED_LABEL = "policies"
REGISTRY_FILE = "data/registry.yaml"
SETTINGS_FILE = "data/settings.yaml"
TEMPLATES_FILE = "data/templates.yaml"


def build_pack(
    config: OrgConfig, registry_override: Path | None = None, include_tests: bool = False, root: Path | None = None
) -> PolicyPack:
    """``root``: the repository, so that its own policy and data files are named relative to it."""
    shipped = policies_dir()
    _display = functools.partial(display_path, root=root)
    pack = PolicyPack(version=_pack_version(shipped))
    load_rego_dir(pack, shipped / "aigov", f"{SHIPPED_LABEL}/aigov", include_tests=include_tests)
    for folder in config.policies:
        load_rego_dir(pack, folder, _display(folder), include_tests=include_tests)

    settings = load_data_file(shipped / SETTINGS_FILE, f"{SHIPPED_LABEL}/{SETTINGS_FILE}")
    templates = load_data_file(shipped / TEMPLATES_FILE, f"{SHIPPED_LABEL}/{TEMPLATES_FILE}")
    data: dict[str, Any] = {"aigov": {"settings": settings, "templates": templates}}
    for path in config.data:
        extra = load_data_file(path, _display(path))
        if not isinstance(extra, dict):
            raise AigovError("data file must hold a mapping", _display(path))
        data = merge_data(data, extra)
    data["aigov"]["registry"] = load_registry(config, registry_override, root)
    pack.data = data
    return pack


def load_registry(config: OrgConfig, override: Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """The approved-model registry: --registry, else the config's, else the shipped one; plus extensions."""
    source = override or config.registry or policies_dir() / REGISTRY_FILE
    registry = _registry_file(source, root)
    known = {m["id"] for m in registry["models"]}
    for extra_path in config.extra_registries:
        extra = _registry_file(extra_path, root)
        for model in extra["models"]:
            if model["id"] in known:
                raise AigovError(
                    f"model {model['id']} is already in the registry; an extension may only add models",
                    display_path(extra_path, root),
                )
            registry["models"].append(model)
            known.add(model["id"])
    return registry


def _registry_file(path: Path, root: Path | None) -> dict[str, Any]:
    name = display_path(path, root)
    doc = _read_yaml(path, name)
    validate_document(doc, "registry", name)
    return doc.data


def load_data_file(path: Path, name: str) -> Any:
    if path.suffix == ".json":
        try:
            return json.loads(read_config_file(path, name))
        except json.JSONDecodeError as exc:
            raise AigovError(f"invalid JSON: {exc.msg}", name, exc.lineno) from None
    return _read_yaml(path, name).data


def _read_yaml(path: Path, name: str) -> YamlDocument:
    return parse_yaml(read_config_file(path, name), name)


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as a person would type it: relative to the repository, else to the working directory."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def _pack_version(shipped: Path) -> str:
    version_file = shipped / "VERSION"
    return version_file.read_text(encoding="utf-8").strip() if version_file.exists() else "unversioned"
