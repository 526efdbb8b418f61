"""The organisation config, ``.aigov/config.yaml``: extra policies and data, the registry, blocking severities."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aigov.errors import AigovError
from aigov.files import Repo, read_config_file
from aigov.validation import validate_document
from aigov.yamlfile import parse_yaml

CONFIG_PATH = ".aigov/config.yaml"
ALWAYS_BLOCK = ("critical", "high")


@dataclass
class OrgConfig:
    path: str | None = None
    policies: list[Path] = field(default_factory=list)
    data: list[Path] = field(default_factory=list)
    registry: Path | None = None
    extra_registries: list[Path] = field(default_factory=list)
    block: tuple[str, ...] = ALWAYS_BLOCK
    exclude: list[str] = field(default_factory=list)


def load_config(repo: Repo, explicit: Path | None = None) -> OrgConfig:
    """The org config from ``explicit`` or the repository's ``.aigov/config.yaml``, if any."""
    path = explicit if explicit is not None else repo.root / CONFIG_PATH
    if explicit is None and not path.exists():
        return OrgConfig()
    name = repo.rel_or_str(path)
    text = repo.read_text(path) if explicit is None else read_config_file(path, name)
    doc = parse_yaml(text, name)
    if doc.data is None:
        return OrgConfig(path=name)
    validate_document(doc, "config", name)
    base = path.parent.parent if explicit is None else path.parent
    inside = explicit is None  # paths in the repository's own config must stay inside it

    def resolve(value: str, key: str) -> Path:
        target = (base / value).resolve()
        if inside and repo.root not in target.parents and target != repo.root:
            raise AigovError(f"{key}: {value!r} points outside the repository", name, doc.line_of(key))
        return target

    data = doc.data
    block = tuple(dict.fromkeys([*ALWAYS_BLOCK, *data.get("block", [])]))
    return OrgConfig(
        path=name,
        policies=[resolve(p, "policies") for p in data.get("policies", [])],
        data=[resolve(p, "data") for p in data.get("data", [])],
        registry=resolve(data["registry"], "registry") if "registry" in data else None,
        extra_registries=[resolve(p, "extraRegistries") for p in data.get("extraRegistries", [])],
        block=block,
        exclude=list(data.get("exclude", [])),
    )

