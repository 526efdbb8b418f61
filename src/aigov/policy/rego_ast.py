"""What the engine parsed: a Rego module's package, imports, rules and calls, read from regorus' AST.

Which rules a module has and which functions they call is read from the module as the embedded
engine parses it (``Engine.get_ast_as_json``), never from the text with regular expressions: an
indented rule, a head split over lines, a name inside a string or a comment are seen exactly as
the engine sees them. Only comments are not in the AST; aigov reads METADATA blocks itself
(aigov.policy.metadata) and attaches each to the rule the AST says follows it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import AigovError

_LOCATION = re.compile(r"-->\s*(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)")
_MESSAGE = re.compile(r"^error:\s*(?P<msg>.+)$", re.MULTILINE)
_ROOT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
# Imports that bind no name (language versions and keyword sets).
_KEYWORD_IMPORTS = ("rego.", "future.")
# How a deny rule reads its own id from its METADATA. OPA evaluates it; the embedded engine has no
# rego.metadata, so aigov writes the id there for it (aigov.policy.metadata.embedded_source).
METADATA_ID = "rego.metadata.rule().custom.id"


@dataclass(frozen=True)
class Span:
    start: int  # byte offsets in the module's source
    end: int
    line: int


@dataclass(frozen=True)
class Call:
    name: str  # the function as written: sprintf, lib.finding, http.send
    line: int
    literals: tuple[str | None, ...]  # each argument's value where it is a string literal

    @property
    def root(self) -> str:
        return reference_root(self.name)


@dataclass(frozen=True)
class Rule:
    name: str  # the head's reference as written: deny, deny.extra, deny[x], test_passes
    kind: str  # "contains" (a multi-value rule), "value", "function" or "default"
    line: int
    literals: frozenset[str]  # every string literal in the rule
    calls: tuple[Call, ...]
    metadata_ids: tuple[Span, ...] = ()  # where the rule reads METADATA_ID

    @property
    def root(self) -> str:
        return reference_root(self.name)


@dataclass
class ParsedModule:
    package: str  # as the engine names it, without ``data.``
    package_line: int
    import_lines: list[int]
    bound_names: set[str]  # names the imports bind: lib for ``import data.aigov.lib``
    rules: list[Rule] = field(default_factory=list)
    string_lines: set[int] = field(default_factory=set)  # lines inside a multi-line raw string, not comments

    def local_names(self) -> set[str]:
        """First names a call may start with to reach a function of this pack rather than a builtin."""
        return self.bound_names | {rule.root for rule in self.rules} | {"data", "input"}


def reference_root(name: str) -> str:
    """The first name of a reference as written: ``lib`` of ``lib.finding``, ``deny`` of ``deny[x]``."""
    match = _ROOT.match(name)
    return match.group(0) if match else ""


def new_regorus() -> Any:
    # Without this, regorus errors carry a Rust stack trace that buries the one useful line.
    os.environ["RUST_BACKTRACE"] = "0"
    os.environ["RUST_LIB_BACKTRACE"] = "0"
    import regorus  # lazy: ~2 ms; a check evaluates in its forked child, the parent seldom needs it

    return regorus.Engine()


def rego_error(exc: Exception, fallback_path: str | None = None) -> AigovError:
    """regorus' multi-line error as one line: ``file:line: message``."""
    text = str(exc)
    location = _LOCATION.search(text)
    message = _MESSAGE.search(text)
    msg = message.group("msg").strip() if message else text.strip().splitlines()[0] if text.strip() else "error"
    if location:
        return AigovError(f"Rego: {msg} (column {location.group('col')})", location.group("path"), int(location.group("line")))
    return AigovError(f"Rego: {msg}", fallback_path)


def parse_rego(path: str, source: str) -> ParsedModule:
    """The module as the embedded engine parses it; an AigovError naming file:line if it does not."""
    engine, package = _engine_with(path, source)
    [entry] = json.loads(engine.get_ast_as_json())
    ast = entry["ast"]
    encoded = source.encode("utf-8")  # spans count bytes
    return ParsedModule(
        package=package,
        package_line=ast["package"]["span"]["line"],
        import_lines=[item["span"]["line"] for item in ast["imports"]],
        bound_names={name for item in ast["imports"] if (name := _bound_name(item, encoded)) is not None},
        rules=[_rule(node) for node in ast["rules"]],
        string_lines=_multiline_string_lines(ast, encoded),
    )


def module_package(path: str, source: str) -> str:
    """The package a module really declares, as the engine reads it (``aigov["x"]`` is ``aigov.x``)."""
    return _engine_with(path, source)[1]


def _engine_with(path: str, source: str) -> tuple[Any, str]:
    """A fresh engine holding just this module, and its package without ``data.``."""
    engine = new_regorus()
    try:
        package = str(engine.add_policy(path, source))
    except Exception as exc:  # regorus raises plain RuntimeError/ValueError
        raise rego_error(exc, path) from None
    return engine, package.removeprefix("data.")


def _bound_name(item: dict[str, Any], source: bytes) -> str | None:
    """The name an import binds: its alias, else the reference's last part; none for ``rego.v1`` and ``future.*``."""
    if (ref_name(item["refr"]) or "").startswith(_KEYWORD_IMPORTS):
        return None
    alias = item.get("as")
    if alias:  # the AST has only its span: the alias is the text there
        return source[alias["start"]:alias["end"]].decode("utf-8")
    kind, body = next(iter(item["refr"].items()))
    if kind == "RefDot":
        return str(body["field"][1])
    if kind == "RefBrack":
        return str(next(iter(body["index"].values())).get("value"))
    return str(body.get("value"))


def _rule(node: dict[str, Any]) -> Rule:
    kind, body = next(iter(node.items()))
    if kind == "Default":
        name, rule_kind = ref_name(body["refr"]) or "?", "default"
    else:
        head_kind, head = next(iter(body["head"].items()))
        name = ref_name(head["refr"]) or "?"
        rule_kind = {"Set": "contains", "Func": "function"}.get(head_kind, "value")
    literals: set[str] = set()
    calls: list[Call] = []
    metadata_ids: list[Span] = []
    _collect(node, literals, calls, metadata_ids)
    return Rule(name, rule_kind, body["span"]["line"], frozenset(literals), tuple(calls), tuple(metadata_ids))


def ref_name(node: dict[str, Any]) -> str | None:
    """A reference as written (``http.send``, ``deny[x]``, ``lib["f"]``); None for other terms."""
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return str(body["value"])
    base = ref_name(body["refr"]) if kind in ("RefDot", "RefBrack") else None
    if base is None:
        return None
    if kind == "RefDot":
        return f"{base}.{body['field'][1]}"
    index_kind, index = next(iter(body["index"].items()))
    if index_kind in ("String", "RawString"):
        return f"{base}[{json.dumps(index['value'])}]"
    return f"{base}[{index['value']}]" if index_kind == "Var" else f"{base}[...]"


def _collect(node: Any, literals: set[str], calls: list[Call], metadata_ids: list[Span]) -> None:
    """Every string literal, every call and every METADATA_ID below ``node``."""
    if isinstance(node, list):
        for item in node:
            _collect(item, literals, calls, metadata_ids)
        return
    if not isinstance(node, dict):
        return
    for kind, body in node.items():
        if kind in ("String", "RawString") and isinstance(body, dict):
            literals.add(body["value"])
        elif kind == "Call" and isinstance(body, dict):
            name = ref_name(body["fcn"]) or "?"
            args = tuple(_literal(param) for param in body["params"])
            calls.append(Call(name, body["span"]["line"], args))
        elif _is_metadata_id(kind, body):
            span = body["span"]
            metadata_ids.append(Span(span["start"], span["end"], span["line"]))
            continue  # not a call of rego.metadata.rule, which is refused anywhere else
        _collect(body, literals, calls, metadata_ids)


def _is_metadata_id(kind: str, body: Any) -> bool:
    """Whether this node is ``rego.metadata.rule().custom.id``, exactly."""
    if kind != "RefDot" or body["field"][1] != "id":
        return False
    custom_kind, custom = next(iter(body["refr"].items()))
    if custom_kind != "RefDot" or custom["field"][1] != "custom":
        return False
    call_kind, call = next(iter(custom["refr"].items()))
    return call_kind == "Call" and not call["params"] and ref_name(call["fcn"]) == "rego.metadata.rule"


def _literal(node: dict[str, Any]) -> str | None:
    kind, body = next(iter(node.items()))
    return body["value"] if kind in ("String", "RawString") else None


def _multiline_string_lines(node: Any, source: bytes) -> set[int]:
    """Lines a raw string spans past its first: a ``# METADATA`` there is text, not a comment."""
    lines: set[int] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            raw = item.get("RawString")
            if isinstance(raw, dict) and "\n" in raw["value"]:
                span = raw["span"]
                extra = source[span["start"]:span["end"]].count(b"\n")
                lines.update(range(span["line"] + 1, span["line"] + extra + 1))
            stack.extend(item.values())
    return lines
