"""The rules a module defines, from the engine's parsed module, with the METADATA aigov joins findings to.

Which rules exist is read from the module as the embedded engine parses it
(aigov.policy.rego_ast). The embedded engine has no ``rego.metadata.*``, so aigov reads the
annotation blocks itself: a ``# METADATA`` comment line followed by YAML in comments, attached,
as OPA attaches it, to the first statement after it. A deny rule reads its own id as
``rego.metadata.rule().custom.id``: OPA evaluates that, and for the embedded engine aigov writes
the id from the METADATA in its place (:func:`embedded_source`). What aigov evaluates is ``deny``
in each package, so the load fails, naming file:line, for anything that would be listed and never
run, or run differently on the two engines:

- a ``deny`` rule without METADATA, or one that is not ``deny contains finding if {...}``;
- METADATA on any other rule (``violation contains ...``), or above an import or nothing;
- a rule that names the id of another rule of its module (a copied rule whose id was not
  changed would be joined to the other rule's METADATA: its severity, its remediation);
- ``rego.metadata.rule().custom.id`` outside a deny rule, below an indented METADATA block (OPA
  does not read it), or for an id the two engines' YAML readers could read differently;
- a call of a builtin both engines do not evaluate alike, or one outside the input
  (aigov.policy.builtins).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from aigov.errors import AigovError
from aigov.model import SEVERITIES
from aigov.policy import builtins
from aigov.policy.rego_ast import METADATA_ID, ParsedModule, Rule, Span, parse_rego
from aigov.yamlfile import safe_load

DENY = "deny"
DENY_SHAPE = "deny contains finding if {...}"
# An id both YAML readers (PyYAML here, Go's in OPA) read as this very string: 1e3 or 0o17 is a
# string to one and a number to the other, yes/null a string to neither.
_PLAIN_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    severity: str
    description: str
    remediation: str
    metadata_controls: tuple[str, ...]  # custom.controls as the METADATA names them
    package: str
    rule: str
    path: str
    line: int
    # Where `controls` come from: "metadata"; "mapping" (policies/controls.yaml, the shipped
    # rules); or "mapping-or-metadata" (a policy bundle's rules: the mapping where it has the id).
    controls_source: str = "metadata"
    # custom.waivable: false says no waiver may cover the rule's findings (a rule that asks for an
    # approval is satisfied by that approval, never by a waiver); waivers.rego reads it.
    waivable: bool = True

    @property
    def controls(self) -> tuple[str, ...]:
        """The framework controls this rule evidences. Read from controls.yaml only when asked
        (a passing text check never is: parsing the mapping costs ~9 ms of every check)."""
        if self.controls_source == "metadata":
            return self.metadata_controls
        from aigov.policy.controls import rule_control_labels  # lazy: a cycle (controls -> index -> metadata); a passing check never needs it

        mapped = tuple(rule_control_labels(self.id))
        return mapped or (self.metadata_controls if self.controls_source == "mapping-or-metadata" else ())


@dataclass
class ModuleInfo:
    package: str
    rules: list[RuleMeta] = field(default_factory=list)  # the deny rules, each with its METADATA
    tests: list[str] = field(default_factory=list)
    defines: list[str] = field(default_factory=list)  # first names of the module's rules and functions
    # Calls (name, line) neither of the module's own functions nor of a builtin the engine has:
    # a function another module of the package defines, or nothing (aigov.policy.pack resolves them).
    unresolved: list[tuple[str, int]] = field(default_factory=list)
    # (start byte, end byte, id): where a deny rule reads its id as rego.metadata.rule().custom.id.
    metadata_ids: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Block:
    data: dict[str, Any]
    first_line: int  # the ``# METADATA`` line
    last_line: int
    flush: bool  # every line starts at column 1: OPA reads the block (it ignores an indented one)


def parse_module(source: str, path: str) -> ModuleInfo:
    """The deny rules of one module with their METADATA, its test rules, and the calls it leaves to others."""
    return describe_module(parse_rego(path, source), source, path)


def describe_module(parsed: ParsedModule, source: str, path: str) -> ModuleInfo:
    """:func:`parse_module` of a module the engine has already parsed."""
    annotations = _attach(_metadata_blocks(source, path, parsed.string_lines), parsed, path)
    info = ModuleInfo(package=parsed.package, defines=sorted({rule.root for rule in parsed.rules}))
    for rule in parsed.rules:
        block = annotations.get(rule.line)
        if rule.root == DENY:
            _require_set_rule(rule, path)
            if block is None:
                raise AigovError(f"rule '{rule.name}' has no METADATA block with custom.id; every deny rule needs one", path, rule.line)
            meta = _rule_meta(block, parsed.package, rule, path)
            info.rules.append(meta)
            info.metadata_ids += [(span.start, span.end, meta.id) for span in _metadata_ids(rule, block, meta, path)]
        elif rule.metadata_ids:
            raise AigovError(f"{METADATA_ID} in rule '{rule.name}', which has no METADATA (on OPA it is undefined there); "
                             "read it in the deny rule and pass it on", path, rule.metadata_ids[0].line)
        elif block is not None:
            raise AigovError(
                f"METADATA annotates rule '{rule.name}', which aigov never evaluates: only `{DENY_SHAPE}` rules "
                f"produce findings; make it a deny rule, or turn the block into an ordinary comment", path, block.first_line)
        if rule.root.startswith("test_") and rule.root not in info.tests:
            info.tests.append(rule.root)
    _refuse_borrowed_ids(parsed, info, path)
    info.unresolved = _refuse_calls(parsed, path)
    return info


def _require_set_rule(rule: Rule, path: str) -> None:
    if rule.kind != "contains" or rule.name != DENY:
        raise AigovError(f"rule '{rule.name}' is not a set of findings: aigov evaluates each package's deny as "
                         f"`{DENY_SHAPE}`", path, rule.line)


def _metadata_blocks(source: str, path: str, string_lines: set[int]) -> list[_Block]:
    """Each ``# METADATA`` comment block, parsed; lines inside a multi-line string are not comments."""
    lines = source.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "# METADATA" and i + 1 not in string_lines:
            first = i + 1
            text = []
            i += 1
            while i < len(lines) and lines[i].lstrip().startswith("#") and i + 1 not in string_lines:
                comment = lines[i].lstrip()[1:]
                text.append(comment[1:] if comment.startswith(" ") else comment)
                i += 1
            flush = all(line.startswith("#") for line in lines[first - 1:i])
            blocks.append(_Block(_parse_block(text, path, first), first, i, flush))
            continue
        i += 1
    return blocks


def _attach(blocks: list[_Block], parsed: ParsedModule, path: str) -> dict[int, _Block]:
    """Rule line -> its METADATA. A block belongs to the first statement after it (as in OPA); one
    above the package documents the package."""
    statements = sorted([(parsed.package_line, "package"), *((line, "import") for line in parsed.import_lines),
                         *((rule.line, "rule") for rule in parsed.rules)])
    attached: dict[int, _Block] = {}
    for block in blocks:
        following = next(((line, kind) for line, kind in statements if line > block.last_line), None)
        scope = block.data.get("scope", "rule")
        if following is not None and following[1] == "package":
            continue
        if following is None or following[1] == "import":
            raise AigovError("METADATA block annotates no rule; put it directly above the deny rule it describes",
                             path, block.first_line)
        if scope != "rule":
            raise AigovError(f"METADATA block has scope {scope!r}; aigov reads METADATA per rule (scope: rule, the default)",
                             path, block.first_line)
        if following[0] in attached:
            raise AigovError(f"rule at line {following[0]} already has a METADATA block (line {attached[following[0]].first_line})",
                             path, block.first_line)
        attached[following[0]] = block
    return attached


def _parse_block(block: list[str], path: str, first_line: int) -> dict[str, Any]:
    try:
        data = safe_load("\n".join(block)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line + 1 if mark else 0)
        raise AigovError(f"METADATA block is not valid YAML: {getattr(exc, 'problem', exc)}", path, line) from None
    if not isinstance(data, dict):
        raise AigovError("METADATA block must be a YAML mapping", path, first_line)
    return data


def _rule_meta(block: _Block, package: str, rule: Rule, path: str) -> RuleMeta:
    data, line = block.data, rule.line
    custom = data.get("custom") or {}
    if not isinstance(custom, dict) or not custom.get("id"):
        raise AigovError(f"METADATA of rule '{rule.name}' has no custom.id", path, line)
    severity = str(custom.get("severity", ""))
    if severity not in SEVERITIES:
        raise AigovError(
            f"METADATA of {custom['id']} has severity {severity!r}; use one of {', '.join(SEVERITIES)}", path, line
        )
    controls = custom.get("controls") or []
    if not isinstance(controls, list):
        raise AigovError(f"METADATA of {custom['id']}: custom.controls must be a list", path, line)
    waivable = custom.get("waivable", True)
    if not isinstance(waivable, bool):
        raise AigovError(f"METADATA of {custom['id']}: custom.waivable must be true or false", path, line)
    return RuleMeta(
        id=str(custom["id"]),
        title=str(data.get("title") or custom["id"]),
        severity=severity,
        description=str(data.get("description") or "").strip(),
        remediation=str(custom.get("remediation") or "").strip(),
        metadata_controls=tuple(str(c) for c in controls),
        package=package,
        rule=rule.name,
        path=path,
        line=line,
        waivable=waivable,
    )


def _metadata_ids(rule: Rule, block: _Block, meta: RuleMeta, path: str) -> tuple[Span, ...]:
    """Where the deny rule reads its id, once both engines are sure to read the same one."""
    if not rule.metadata_ids:
        return ()
    line = rule.metadata_ids[0].line
    if not block.flush:
        raise AigovError(f"{METADATA_ID} of {meta.id}: its METADATA block is indented, and OPA reads only blocks at "
                         "column 1 (the id would be undefined there and the rule never fire); start each line of the "
                         "block at column 1", path, block.first_line)
    custom = block.data["custom"]
    if not isinstance(custom["id"], str) or not _PLAIN_ID.fullmatch(custom["id"]):
        raise AigovError(f"{METADATA_ID}: custom.id {custom['id']!r} is not a plain id (a letter, then letters, digits, "
                         "'-', '_' or '.'), which the two engines' YAML readers could read differently", path, line)
    return rule.metadata_ids


def embedded_source(source: str, info: ModuleInfo) -> str:
    """The module as the embedded engine loads it: each rego.metadata.rule().custom.id, which it does
    not implement, replaced by the id as a string literal, padded to the same width so that the
    lines and columns of its errors are the file's."""
    if not info.metadata_ids:
        return source
    data = source.encode("utf-8")
    parts, done = [], 0
    for start, end, rule_id in sorted(info.metadata_ids):
        newlines = data.count(b"\n", start, end)  # rego.metadata.rule(\n) spans lines
        parts += [data[done:start], json.dumps(rule_id).encode("utf-8").ljust(end - start - newlines), b"\n" * newlines]
        done = end
    parts.append(data[done:])
    return b"".join(parts).decode("utf-8")


def _refuse_borrowed_ids(parsed: ParsedModule, info: ModuleInfo, path: str) -> None:
    """A deny rule may name no other deny rule's id of its module: the finding would carry that rule's METADATA."""
    owner = {meta.id: meta.line for meta in info.rules}
    for rule in parsed.rules:
        if rule.root != DENY:
            continue
        own = next(meta.id for meta in info.rules if meta.line == rule.line)
        for borrowed in sorted(rule.literals & set(owner) - {own}):
            raise AigovError(f"rule {own} names {borrowed}, the id of the rule at line {owner[borrowed]}; "
                             f"a rule emits only the id its own METADATA declares", path, rule.line)


def _refuse_calls(parsed: ParsedModule, path: str) -> list[tuple[str, int]]:
    """Refuse builtins aigov does not evaluate alike on both engines; return the calls left to the package."""
    local = parsed.local_names()
    known = builtins.engine_builtins()
    unresolved = []
    for rule in parsed.rules:
        for call in rule.calls:
            if call.root in local:
                continue
            problem = builtins.refusal(call)
            if problem is not None:
                raise AigovError(problem, path, call.line)
            if call.name not in known:
                unresolved.append((call.name, call.line))
    return unresolved
