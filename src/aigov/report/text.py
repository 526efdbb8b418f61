"""The default output: a short verdict first, then findings grouped by severity."""

from __future__ import annotations

from aigov.check import SEVERITY_ORDER, CheckResult, Finding


def render_text(result: CheckResult) -> str:
    lines = [_headline(result)]
    for severity in SEVERITY_ORDER:
        group = [f for f in result.findings if f.severity == severity]
        if not group:
            continue
        lines.append("")
        state = "blocking" if severity in result.block else "not blocking"
        lines.append(f"{severity.upper()} ({len(group)}, {state})")
        for finding in group:
            lines.extend(_finding_lines(finding))
    lines.append("")
    lines.append(
        f"policy pack {result.pack_version} ({result.rules} rules, {result.engine}), clock {result.now}"
    )
    return "\n".join(lines) + "\n"


def _headline(result: CheckResult) -> str:
    features = f"{len(result.features)} feature{'s' if len(result.features) != 1 else ''}"
    blocking = sum(f.blocking for f in result.findings)
    others = len(result.findings) - blocking
    if result.verdict == "pass":
        extra = f", {others} non-blocking finding{'s' if others != 1 else ''}" if others else ""
        return f"PASS  {features} checked, no blocking findings{extra}"
    return f"FAIL  {features} checked, {blocking} blocking finding{'s' if blocking != 1 else ''}" + (
        f", {others} other{'s' if others != 1 else ''}" if others else ""
    )


def _finding_lines(finding: Finding) -> list[str]:
    where = finding.path + (f":{finding.line}" if finding.line else "")
    out = [f"  {finding.id}  {finding.title}", f"    {where}: {finding.message}"]
    if finding.remediation:
        out.append(f"    fix: {finding.remediation}")
    return out
