"""Safe YAML loading that remembers where every value came from.

Values are returned as plain JSON data (dates become ISO strings) together with a map from a
field path such as ``spec.models[0].id`` to its 1-based line, so errors and findings can point
at the line a person has to edit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from aigov.errors import AigovError

# libyaml's safe loader is several times faster than the pure-Python one, and speed matters on
# every PR; both construct only plain data (never Python objects).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


@dataclass
class YamlDocument:
    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest enclosing field."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _parent(path)
        return self.lines.get("")


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def field_path(parts: list[Any] | tuple[Any, ...]) -> str:
    """``["spec", "models", 0, "id"]`` -> ``spec.models[0].id``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_yaml(text: str, name: str) -> YamlDocument:
    """Parse one YAML document with safe_load semantics; errors name ``name`` and the line."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {})
        _refuse_unsafe_shapes(node, name)
        lines: dict[str, int] = {}
        _record_lines(node, [], lines, name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise AigovError(f"invalid YAML: {problem}", name, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise AigovError(f"invalid YAML: {exc}", name) from None
    finally:
        loader.dispose()
    return YamlDocument(to_json_value(data), lines)


# Safe loading builds only plain data, but plain data can still be hostile: a few lines of nested
# aliases ("billion laughs") expand to millions of values and took a check minutes and gigabytes,
# a value can contain itself through an alias, and deep nesting exhausts Python's stack. These
# limits are far beyond any honest configuration, workflow or dataset.
MAX_NESTING = 100
MAX_ALIAS_VALUES = 100_000
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def _refuse_unsafe_shapes(root: yaml.Node, name: str) -> None:
    """An AigovError for recursive aliases, alias bombs, deep nesting and impossible dates, found
    on the composed node graph (linear in the file's size) before anything expands it."""
    expanded: dict[int, int] = {}  # node id -> number of values it stands for, aliases expanded

    def walk(node: yaml.Node, depth: int, open_nodes: set[int]) -> int:
        line = node.start_mark.line + 1
        if id(node) in open_nodes:
            raise AigovError("a YAML alias refers to a value that contains it (recursive alias)", name, line)
        if id(node) in expanded:
            return expanded[id(node)]
        if depth > MAX_NESTING:
            raise AigovError(f"values are nested more than {MAX_NESTING} levels deep", name, line)
        if node.tag == TIMESTAMP_TAG and isinstance(node, yaml.ScalarNode):
            _refuse_impossible_date(node, name)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        open_nodes.add(id(node))
        expanded[id(node)] = 1 + sum(walk(child, depth + 1, open_nodes) for child in children)
        open_nodes.discard(id(node))
        return expanded[id(node)]

    total = walk(root, 0, set())
    if total - len(expanded) > MAX_ALIAS_VALUES:
        raise AigovError(
            f"YAML aliases expand this file to {total} values; aigov refuses more than {MAX_ALIAS_VALUES} repeated values",
            name,
        )


def _refuse_impossible_date(node: yaml.ScalarNode, name: str) -> None:
    """PyYAML reads 2026-02-30 as a date and then raises a bare ValueError without a line."""
    try:
        yaml.constructor.SafeConstructor().construct_yaml_timestamp(node)
    except ValueError as exc:
        raise AigovError(f"{node.value!r} is not a real date: {exc}", name, node.start_mark.line + 1) from None


def _record_lines(node: yaml.Node, path: list[Any], lines: dict[str, int], name: str) -> None:
    lines[field_path(path)] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise AigovError(f"duplicate key '{key}'", name, key_node.start_mark.line + 1)
            seen.add(key)
            _record_lines(value_node, [*path, key], lines, name)
            lines[field_path([*path, key])] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, [*path, index], lines, name)


def to_json_value(value: Any) -> Any:
    """YAML's extra types (dates, timestamps, non-string keys) as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value
