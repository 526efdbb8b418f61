"""The default output: a short verdict first, then findings grouped by severity."""

from __future__ import annotations

from aigov.model import SEVERITY_ORDER, CheckResult, Finding, Source
from aigov.report import Reporter, waiver_note
from aigov.untrusted import line_text
from aigov.words import counted


class TextReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        return render_text(result)


def render_text(result: CheckResult) -> str:
    lines = [headline(result), sources_line(result), *change_lines(result)]
    open_findings = [f for f in result.findings if not f.waived]
    for severity in SEVERITY_ORDER:
        group = [f for f in open_findings if f.severity == severity]
        if not group:
            continue
        lines.append("")
        state = "blocking" if severity in result.block else "not blocking"
        lines.append(f"{severity.upper()} ({len(group)}, {state})")
        for finding in group:
            lines.extend(_finding_lines(finding))
    lines.extend(_waived_lines([f for f in result.findings if f.waived]))
    lines.append("")
    lines.append(
        f"policy pack {result.pack_version} ({result.rules} rules, {result.engine}), clock {result.now}"
    )
    # Messages, paths and waiver texts come from the checked repository: each line is made safe
    # where it is printed, so no value can start a line of its own or a workflow command.
    return "\n".join(map(line_text, lines)) + "\n"


def sources_line(result: CheckResult) -> str:
    """Who decided, in one line: the authority first, then what the repository added."""
    authority = [s for s in result.sources if not s.role.startswith("repository-")]
    added = [s for s in result.sources if s.role.startswith("repository-")]
    line = "authority: " + ", ".join(_source(s) for s in authority)
    if added:
        line += "; repository adds: " + ", ".join(_source(s) for s in added)
    return line


def change_lines(result: CheckResult, most: int = 20) -> list[str]:
    """What a diff-aware check compared; when the change touches no feature, what it changed instead."""
    change = result.change
    if change is None:
        return []
    pr = f" (pull request #{change['pr']})" if change.get("pr") else ""
    files = change["files"]
    out = [f"change: {change['base'][:12]}..{change['head'][:12]}{pr}, {counted(len(files), 'file')} changed"]
    if not result.features:
        changed = ", ".join(f["path"] for f in files[:most]) + (f" and {len(files) - most} more" if len(files) > most else "")
        out.append("no feature touched by this change" + (f"; changed: {changed}" if files else ""))
    return out


def _source(source: Source) -> str:
    label = {"policy-pack": "policy pack", "org-config": "org config", "org-policies": "org rules",
             "data": "data", "registry": "registry", "repository-config": "", "repository-policies": "rules"}.get(source.role, source.role)
    version = f" {source.version}" if source.version else ""
    if source.role == "policy-pack":  # the shipped pack is named by its version
        return f"policy pack{version} ({source.digest.removeprefix('sha256:')[:12]})"
    # Twelve hex digits identify a source at a glance; JSON reports carry the whole digest.
    return f"{label} {source.path}{version} ({source.digest.removeprefix('sha256:')[:12]})".strip()


def headline(result: CheckResult) -> str:
    features = counted(len(result.features), "feature")
    waived = sum(f.waived for f in result.findings)
    blocking = sum(f.blocking and not f.waived for f in result.findings)
    others = len(result.findings) - blocking - waived
    tail = f", {waived} waived" if waived else ""
    if result.verdict == "pass":
        extra = f", {counted(others, 'non-blocking finding')}" if others else ""
        return f"PASS  {features} checked, no blocking findings{extra}{tail}"
    return f"FAIL  {features} checked, {counted(blocking, 'blocking finding')}" + (f", {counted(others, 'other')}" if others else "") + tail


def _waived_lines(waived: list[Finding]) -> list[str]:
    """Waived findings stay visible, with who accepted them and until when; they do not block."""
    if not waived:
        return []
    lines = ["", f"WAIVED ({len(waived)}, not blocking)"]
    for finding in waived:
        lines.extend(_finding_lines(finding)[:2])
        lines.append(f"    {waiver_note(finding.waiver or {})}")
    return lines


def _finding_lines(finding: Finding) -> list[str]:
    where = finding.path + (f":{finding.line}" if finding.line else "")
    debt = "  (existing before this change: not blocking with --new-only)" if finding.introduced is False else ""
    out = [f"  {finding.id}  {finding.title}{debt}", f"    {where}: {finding.message}"]
    if finding.remediation:
        out.append(f"    fix: {finding.remediation}")
    return out
