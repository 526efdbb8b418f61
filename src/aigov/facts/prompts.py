"""Facts about the prompt files a change touched: what each was at the base and is at the head.

A versioned prompt is a YAML (or JSON) mapping with a ``version`` (the paved road's prompts/*.yaml:
``id``, ``version``, ``owner``, ``model``, ``system``, ``template``). For each changed file under the
feature's prompts folder, ``input.change.prompts`` holds its status, its version at the base and at
the head (as written, and as a list of numbers when it is an integer or dotted numbers such as
``1.2.0``) and whether its content other than the version changed (comments and layout do not
count: the parsed documents are compared). Whether a version had to increase, and who must approve
a prompt promotion, is for policies/aigov/changes.rego to decide.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aigov.errors import AigovError
from aigov.jsonfile import parse_json
from aigov.tree import FILE, Tree
from aigov.yamlfile import parse_yaml

if TYPE_CHECKING:
    from aigov.facts.change import Change, ChangedFile

MAX_PROMPT_BYTES = 1024 * 1024
STRUCTURED = (".yaml", ".yml", ".json")
_DOTTED = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,5}")


def prompt_change_facts(change: Change, tree: Tree, prompts_dir: str, files: list[ChangedFile]) -> list[dict[str, Any]]:
    """One fact per changed file under ``prompts_dir`` (repository-relative), base read from git objects."""
    prefix = prompts_dir.rstrip("/") + "/"
    facts = []
    for changed in files:
        old = changed.old_path or changed.path
        if not (changed.path.startswith(prefix) or old.startswith(prefix)):
            continue
        base = _side(change.base_tree, old) if changed.status != "added" else _absent()
        head = _side(tree, changed.path) if changed.status != "deleted" else _absent()
        facts.append({"path": changed.path, "old_path": changed.old_path, "status": changed.status,
                      "line": changed.lines[0][0] if changed.lines else 1, "base": _public(base), "head": _public(head),
                      "content_changed": base["content"] != head["content"]})
    return facts


def _absent() -> dict[str, Any]:
    return {"exists": False, "version": None, "parts": None, "line": None, "error": None, "content": None}


def _side(tree: Tree, path: str) -> dict[str, Any]:
    """A prompt file on one side: its version and its content without the version."""
    side = {**_absent(), "exists": tree.kind(path) == FILE}
    if not side["exists"]:
        return side
    try:
        text = tree.read_text(path, MAX_PROMPT_BYTES)
    except AigovError as exc:
        return {**side, "error": exc.message}
    if not path.endswith(STRUCTURED):
        return {**side, "content": text}
    try:
        data, line_of = _parse(text, path)
    except AigovError as exc:
        return {**side, "error": f"line {exc.line}: {exc.message}" if exc.line else exc.message, "content": text}
    if not isinstance(data, dict) or "version" not in data:
        return {**side, "content": data}
    version = data["version"]
    return {**side, "version": _shown(version), "parts": version_parts(version), "line": line_of("version"),
            "content": {key: value for key, value in data.items() if key != "version"}}


def _parse(text: str, path: str) -> tuple[Any, Any]:
    """The document and a function giving a field's line (None when unknown, as in JSON)."""
    if path.endswith(".json"):
        return parse_json(text, path), lambda _field: None

    doc = parse_yaml(text, path)
    return doc.data, doc.line_of


def version_parts(version: Any) -> list[int] | None:
    """An integer version or dotted numbers as a list of numbers to compare; None for anything else."""
    if isinstance(version, int) and not isinstance(version, bool) and version >= 0:
        return [version]
    if isinstance(version, float):  # YAML reads `version: 1.2` as a number
        version = repr(version)
    if isinstance(version, str) and _DOTTED.fullmatch(version.strip()):
        return [int(part) for part in version.strip().split(".")]
    return None


def _shown(version: Any) -> str:
    return str(version)[:40]


def _public(side: dict[str, Any]) -> dict[str, Any]:
    """A side as the policies see it: the content itself stays out of the input document."""
    return {key: value for key, value in side.items() if key != "content"}
