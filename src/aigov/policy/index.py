"""The shipped pack, read ahead: each module as the engine parses it and each data file's contents, keyed by digest.

Every check reads the shipped pack: its modules as the engine parses them (which rules exist,
~80 METADATA blocks, the builtins they call), three YAML data files and the registry checked
against its schema, all files that change only with a release: ~140 ms of each pull request's
start-up through regorus' AST, ~4 ms through the index. A report that names rules' controls
reads controls.yaml (~5 ms). ``policies/index.json`` holds what that reading produces, each
entry with the sha256 of the text it came from. An entry whose digest does not match the file
(a pack edited without rebuilding the index) is ignored and the file is read as usual, so the
index can make a check slower, never different. A test keeps the committed index current.

Rebuild: python -m aigov.policy.index
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

from aigov.digests import sha256_hex
from aigov.policy.metadata import ModuleInfo, RuleMeta, parse_module
from aigov.yamlfile import parse_yaml

INDEX_FILE = "index.json"
INDEX_FORMAT = 3  # 2: modules as the engine parses them (rules, functions, calls left to the package); 3: metadata_ids
MISSING = object()  # not in the index, or the file changed since it was built


@functools.cache
def _index(policies: Path) -> dict[str, Any]:
    try:
        index = json.loads((policies / INDEX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return index if isinstance(index, dict) and index.get("format") == INDEX_FORMAT else {}


def known_module(policies: Path, source: str, display: str) -> ModuleInfo | None:
    """The ModuleInfo of a module whose very source the index holds (whatever its name: a bundle built
    from the shipped pack carries the same modules), its rules named by ``display`` as parse_module
    would name them."""
    entry = _modules_by_digest(policies).get(sha256_hex(source))
    if entry is None:
        return None
    info = entry["info"]
    rules = [RuleMeta(**{**rule, "metadata_controls": tuple(rule["metadata_controls"]), "path": display})
             for rule in info["rules"]]
    return ModuleInfo(info["package"], rules, list(info["tests"]), list(info["defines"]),
                      [(name, line) for name, line in info["unresolved"]],
                      [(start, end, rule_id) for start, end, rule_id in info["metadata_ids"]])


@functools.cache
def _modules_by_digest(policies: Path) -> dict[str, Any]:
    return {entry["sha256"]: entry for entry in _index(policies).get("modules", {}).values()}


def known_data(policies: Path, name: str, text: str) -> Any:
    """The parsed (and, for the registry, schema-checked) contents of data file ``name`` if the index
    holds this very text; MISSING otherwise."""
    entry = _index(policies).get("data", {}).get(name)
    if not entry or entry["sha256"] != sha256_hex(text):
        return MISSING
    return json.loads(json.dumps(entry["value"]))  # a copy: callers merge into it


def build_index(policies: Path) -> dict[str, Any]:
    """Read the pack in ``policies`` the way a check does; the index of what it found."""
    from aigov.policy.controls import CONTROLS_FILE  # lazy: policy.controls imports this module (a cycle)
    from aigov.policy.loading import parse_registry  # lazy: policy.loading imports this module (a cycle)

    modules = {}
    for path in sorted(p for p in (policies / "aigov").rglob("*.rego") if p.is_file()):
        name = path.relative_to(policies).as_posix()
        source = path.read_text(encoding="utf-8")
        info = dataclasses.asdict(parse_module(source, name))
        for rule in info["rules"]:
            del rule["path"]  # given by the caller: it depends on how the pack is labelled
        modules[name] = {"sha256": sha256_hex(source), "info": info}
    data = {}
    for path in [*sorted((policies / "data").glob("*.yaml")), policies / CONTROLS_FILE]:
        name = path.relative_to(policies).as_posix()
        text = path.read_text(encoding="utf-8")
        value = parse_registry(text, name) if path.stem == "registry" else parse_yaml(text, name).data
        data[name] = {"sha256": sha256_hex(text), "value": value}
    return {"format": INDEX_FORMAT, "modules": modules, "data": data}


def render_index(policies: Path) -> str:
    return json.dumps(build_index(policies), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    from aigov.resources import policies_dir

    target = policies_dir() / INDEX_FILE
    target.write_text(render_index(policies_dir()), encoding="utf-8")
    print(f"wrote {target}")
