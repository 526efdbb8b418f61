"""Rule METADATA, parsed from the comments of .rego files.

The embedded engine does not expose ``rego.metadata.*``, so aigov reads the annotation blocks
itself: a ``# METADATA`` comment line followed by YAML in comments, directly above a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from aigov.errors import AigovError
from aigov.yamlfile import safe_load

SEVERITIES = ("critical", "high", "medium", "low", "info")
_RULE_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\b")
_PACKAGE = re.compile(r"^package\s+([A-Za-z0-9_.]+)", re.MULTILINE)


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
        from aigov.evidence.controls import rule_control_labels

        mapped = tuple(rule_control_labels(self.id))
        return mapped or (self.metadata_controls if self.controls_source == "mapping-or-metadata" else ())


@dataclass
class ModuleInfo:
    package: str
    rules: list[RuleMeta] = field(default_factory=list)
    #: (rule name, line) of every ``deny`` rule in the module, annotated or not.
    deny_heads: list[tuple[str, int]] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)


def package_of(source: str, path: str) -> str:
    match = _PACKAGE.search(source)
    if not match:
        raise AigovError("has no package declaration", path)
    return match.group(1)


def parse_module(source: str, path: str) -> ModuleInfo:
    """METADATA of every annotated rule, the deny rules and the test rules of one module."""
    info = ModuleInfo(package=package_of(source, path))
    lines = source.splitlines()
    pending: tuple[dict, int] | None = None
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped == "# METADATA":
            block, i = _comment_block(lines, i + 1)
            pending = (_parse_block(block, path, i - len(block)), i - len(block))
            continue
        head = _RULE_HEAD.match(lines[i])
        if head and not stripped.startswith(("package", "import")):
            name = head.group(1)
            if name == "deny":
                info.deny_heads.append((name, i + 1))
            if name.startswith("test_") and name not in info.tests:
                info.tests.append(name)
            if pending is not None and pending[0].get("scope", "rule") == "rule":
                info.rules.append(_rule_meta(pending[0], info.package, name, path, i + 1))
            pending = None
        elif stripped and not stripped.startswith("#"):
            pending = None
        i += 1
    return info


def _comment_block(lines: list[str], start: int) -> tuple[list[str], int]:
    block = []
    i = start
    while i < len(lines) and lines[i].lstrip().startswith("#"):
        text = lines[i].lstrip()[1:]
        block.append(text[1:] if text.startswith(" ") else text)
        i += 1
    return block, i


def _parse_block(block: list[str], path: str, first_line: int) -> dict:
    try:
        data = safe_load("\n".join(block)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line + 1 if mark else 0)
        raise AigovError(f"METADATA block is not valid YAML: {getattr(exc, 'problem', exc)}", path, line) from None
    if not isinstance(data, dict):
        raise AigovError("METADATA block must be a YAML mapping", path, first_line)
    return data


def _rule_meta(data: dict, package: str, rule: str, path: str, line: int) -> RuleMeta:
    custom = data.get("custom") or {}
    if not isinstance(custom, dict) or not custom.get("id"):
        raise AigovError(f"METADATA of rule '{rule}' has no custom.id", path, line)
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
        rule=rule,
        path=path,
        line=line,
        waivable=waivable,
    )
