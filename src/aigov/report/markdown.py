"""``--format markdown``: the verdict as a Markdown page, also the GitHub job summary.

Messages and paths come from the checked repository, so every cell is escaped: a pull request
must not be able to inject HTML, images or links into the summary its reviewers read.
"""

from __future__ import annotations

from typing import Any

from aigov.model import CheckResult, Finding
from aigov.report import Reporter, waiver_justification
from aigov.report.text import sources_line
from aigov.untrusted import markdown_text
from aigov.words import counted

# GitHub refuses a job summary over 1 MiB: long lists are cut, pointing to the full reports.
MAX_CHANGED_FILES = 50
MAX_FINDING_ROWS = 1000


class MarkdownReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        return render_markdown(result)

    def render_error(self, message: str) -> str:
        return f"## aigov: ⚠️ ERROR\n\naigov could not decide: {markdown_text(message)}\n"


def render_markdown(result: CheckResult) -> str:
    sections = [_headline(result), *_feature_sections(result), _waivers_section(result), _change_section(result), _footer(result)]
    return "\n\n".join(section for section in sections if section) + "\n"


def _headline(result: CheckResult) -> str:
    count = len(result.features)
    blocking = sum(f.blocking and not f.waived for f in result.findings)
    features = counted(count, "feature")
    if result.verdict == "pass":
        return f"## aigov: ✅ PASS\n\n{features} checked, no blocking findings."
    return f"## aigov: ❌ FAIL\n\n{features} checked, {counted(blocking, 'blocking finding')}."


def _feature_sections(result: CheckResult) -> list[str]:
    sections = []
    budget = MAX_FINDING_ROWS
    with_findings = {f.feature for f in result.findings}
    clean = [feature for feature in result.features if feature not in with_findings]
    for feature in result.features:
        findings = [f for f in result.findings if f.feature == feature]
        if not findings:
            continue
        title = f"### {markdown_text(feature)}"
        rows = ["| Severity | Rule | Title | Location | Message | Fix |", "|---|---|---|---|---|---|"]
        rows += [_finding_row(f) for f in findings[:max(budget, 0)]]
        if len(findings) > budget:
            rows.append(f"\n… and {len(findings) - max(budget, 0)} more: see the JSON or SARIF report.")
        budget -= len(findings)
        sections.append(title + "\n\n" + "\n".join(rows))
    if clean:  # one line, however many features a monorepo has
        sections.append("No findings in " + ", ".join(markdown_text(feature) for feature in clean) + ".")
    return sections


def _finding_row(finding: Finding) -> str:
    if finding.waived:
        state = "waived"
    else:
        state = "blocking" if finding.blocking else "not blocking"
    where = finding.path + (f":{finding.line}" if finding.line else "")
    return (f"| {markdown_text(finding.severity)} ({state}) | {markdown_text(finding.id)} | {markdown_text(finding.title)} "
            f"| {markdown_text(where)} | {markdown_text(finding.message)} | {markdown_text(finding.remediation)} |")


def _waivers_section(result: CheckResult) -> str:
    if not result.waivers:
        return ""
    rows = ["### Waivers", "", "| State | Rule | Applies to | Expires | Justification |", "|---|---|---|---|---|"]
    for waiver in result.waivers:
        scope = " ".join(str(waiver[key]) for key in ("feature", "path") if waiver.get(key)) or "everything"
        rows.append(f"| {markdown_text(waiver.get('state', '?'))} | {markdown_text(waiver.get('rule', '?'))} | {markdown_text(scope)} "
                    f"| {markdown_text(waiver.get('expires') or '?')} | {markdown_text(waiver_justification(waiver))} |")
    return "\n".join(rows)


def _change_section(result: CheckResult) -> str:
    change = result.change
    if not change:
        return ""
    pr = f" (pull request #{markdown_text(change['pr'])})" if change.get("pr") else ""
    base, head = markdown_text(str(change.get("base") or "?")[:12]), markdown_text(str(change.get("head") or "?")[:12])
    files = [_changed_file(entry) for entry in change.get("files") or []]
    lines = ["### Changed since the base", "", f"{base}..{head}{pr}: {counted(len(files), 'file')} changed."]
    if files:
        lines.append("")
        lines += [f"- {entry}" for entry in files[:MAX_CHANGED_FILES]]
        if len(files) > MAX_CHANGED_FILES:
            lines.append(f"- … and {len(files) - MAX_CHANGED_FILES} more")
    return "\n".join(lines)


def _changed_file(entry: Any) -> str:
    """A changed file as the diff collector gives it: a path, or a dict with path and status."""
    if isinstance(entry, dict):
        status = f" ({markdown_text(entry['status'])})" if entry.get("status") else ""
        return markdown_text(entry.get("path", "?")) + status
    return markdown_text(entry)


def _footer(result: CheckResult) -> str:
    return (f"<sub>{markdown_text(sources_line(result))}<br>policy pack {markdown_text(result.pack_version)} "
            f"({result.rules} rules, {markdown_text(result.engine)}), clock {markdown_text(result.now)}</sub>")
