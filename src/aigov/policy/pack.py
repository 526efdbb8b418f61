"""A policy pack: Rego modules, their METADATA and the data they are evaluated with.

The shipped pack (``policies/``) is always loaded; an organisation adds folders and data on top
(``.aigov/config.yaml``). Digests of the policies and the data go into every decision record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.policy.metadata import ModuleInfo, RuleMeta, parse_module


@dataclass
class PolicyPack:
    modules: dict[str, str] = field(default_factory=dict)  # display path -> Rego source
    infos: dict[str, ModuleInfo] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    version: str = "unversioned"

    @property
    def rules(self) -> dict[str, RuleMeta]:
        """Rule METADATA by finding id."""
        return {meta.id: meta for info in self.infos.values() for meta in info.rules}

    def deny_packages(self) -> list[str]:
        """Packages with at least one ``deny`` rule, i.e. those evaluated by ``aigov check``."""
        return sorted({info.package for info in self.infos.values() if info.deny_heads})

    def policy_digest(self) -> str:
        return _digest({path: source for path, source in sorted(self.modules.items())})

    def data_digest(self) -> str:
        return _digest(self.data)

    def add_module(self, path: str, source: str) -> None:
        info = parse_module(source, path)
        annotated = {meta.line for meta in info.rules}
        for name, line in info.deny_heads:
            if line not in annotated:
                raise AigovError(f"rule '{name}' has no METADATA block with custom.id", path, line)
        for meta in info.rules:
            other = self.rules.get(meta.id)
            if other is not None and (other.path, other.line) != (meta.path, meta.line):
                raise AigovError(f"finding id {meta.id} is already used at {other.path}:{other.line}", path, meta.line)
        self.modules[path] = source
        self.infos[path] = info


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_rego_dir(pack: PolicyPack, folder: Path, label: str, include_tests: bool = True) -> None:
    """Add every .rego file below ``folder``; display paths start with ``label``."""
    if not folder.is_dir():
        raise AigovError("is not a folder of .rego files" if folder.exists() else "policy folder not found", label)
    files = sorted(p for p in folder.rglob("*.rego") if p.is_file())
    for path in files:
        if not include_tests and path.stem.endswith("_test"):
            continue
        display = f"{label}/{path.relative_to(folder).as_posix()}"
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise AigovError("is not UTF-8 text", display) from None
        except OSError as exc:
            raise AigovError(f"cannot be read: {exc.strerror}", display) from None
        pack.add_module(display, source)


def merge_data(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``extra`` into ``base``: mappings merge, anything else is replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_data(out[key], value)
        else:
            out[key] = value
    return out
