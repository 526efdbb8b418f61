"""``aigov policy doc``: a Markdown reference of every rule, from METADATA, for the platform team's docs site."""

from __future__ import annotations

from aigov.policy.metadata import RuleMeta
from aigov.policy.pack import PolicyPack


def policy_reference(pack: PolicyPack) -> str:
    """Every rule grouped by package (sorted), each with id, severity, title, description,
    remediation and controls. Deterministic: the same pack gives the same text."""
    by_package: dict[str, list[RuleMeta]] = {}
    for rule in pack.rules.values():
        by_package.setdefault(rule.package, []).append(rule)
    lines = ["# aigov policy reference", "", f"Policy pack {pack.version}: {len(pack.rules)} rules in {len(by_package)} packages.", ""]
    for package in sorted(by_package):
        lines += [f"## `{package}`", ""]
        for rule in sorted(by_package[package], key=lambda r: r.id):
            lines += _rule_section(rule)
    return "\n".join(lines).rstrip() + "\n"


def _rule_section(rule: RuleMeta) -> list[str]:
    controls = rule.controls  # from policies/controls.yaml for shipped rules (build_pack), else METADATA
    lines = [
        f"### {rule.id}: {_one_line(rule.title)}",
        "",
        f"- **Severity:** {rule.severity}",
        f"- **Rule:** `{rule.rule}` in `{rule.path}`",
        f"- **Controls:** {', '.join(controls) if controls else 'none mapped'}",
        "",
    ]
    if rule.description.strip():
        lines += [rule.description.strip(), ""]
    if rule.remediation.strip():
        lines += [f"**Remediation:** {rule.remediation.strip()}", ""]
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())
