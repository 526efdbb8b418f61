"""Findings as the engine produced them, joined to their rule's METADATA: severity, title, controls."""

from __future__ import annotations

import json
from typing import Any

from aigov.errors import AigovError
from aigov.model import Finding
from aigov.policy.metadata import RuleMeta


def join_finding(raw: Any, rules: dict[str, RuleMeta], feature: dict[str, Any], block: tuple[str, ...]) -> Finding:
    """A deny object of package ``raw["_package"]`` about ``feature`` (its name and manifest_path), as a
    Finding; refused unless it is the finding of a rule of that package."""
    package = raw.get("_package", "?") if isinstance(raw, dict) else "?"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("msg"), str) or \
            not all(isinstance(raw.get(key), (str, type(None))) for key in ("path", "feature", "remediation")):
        raise AigovError(f"a deny rule in package {package} produced {json.dumps(raw)[:120]}; expected an object with "
                         "string 'id' and 'msg' (and 'path', 'feature', 'remediation' strings if given)")
    meta = rules.get(raw["id"])
    if meta is None:
        raise AigovError(f"package {package} produced finding id {raw['id']}, which no rule's METADATA declares")
    if meta.package != package:  # another package's rule: its METADATA (severity, controls) would vouch for this finding
        raise AigovError(f"package {package} produced finding id {raw['id']}, the id of a rule of package {meta.package} "
                         f"({meta.path}:{meta.line}); a rule emits only the id its own METADATA declares")
    line = raw.get("line")
    return Finding(
        id=meta.id,
        severity=meta.severity,
        title=meta.title,
        message=raw["msg"],
        path=str(raw.get("path") or feature["manifest_path"]),
        line=line if type(line) is int and line > 0 else None,
        feature=feature["name"],
        remediation=str(raw.get("remediation") or meta.remediation),
        controls=list(meta.controls),
        blocking=meta.severity in block,
    )


def unique_findings(findings: list[Finding]) -> list[Finding]:
    """One finding per rule, feature, place and message (the first), however many deny objects said it."""
    seen: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        seen.setdefault((f.id, f.feature, f.path, f.line, f.message), f)
    return list(seen.values())
