"""``--format github``: workflow commands that annotate the pull request's diff, and the job summary.

Each finding becomes ``::error`` (blocking), ``::warning`` (not blocking) or ``::notice`` (info,
or waived) with its file and line. When ``GITHUB_STEP_SUMMARY`` names a file, the Markdown report
is appended to it (the same renderer as ``--format markdown``). Values are escaped as
actions/toolkit's ``command.ts`` escapes them, so a message from the checked repository cannot
end its command early or issue a command of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from aigov.model import CheckResult, Finding
from aigov.report import Reporter, write_text
from aigov.report.markdown import MarkdownReporter, render_markdown
from aigov.report.text import headline
from aigov.untrusted import line_text


class GithubReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        lines = [annotation(f) for f in result.findings]
        if result.verdict == "pass":  # a pass says so once, rather than with silence
            lines.append(verdict_notice(result))
        return "".join(line + "\n" for line in lines)

    def render_error(self, message: str) -> str:
        return f"::error title={escape_property('aigov could not decide')}::{escape_data(line_text(message))}\n"

    def publish_extras(self, result: CheckResult) -> None:
        _append_summary(render_markdown(result))

    def publish_error_extras(self, message: str) -> None:
        _append_summary(MarkdownReporter().render_error(message))


def _append_summary(markdown: str) -> None:
    """Append to the job summary when GitHub provides one: each step adds its own part."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        write_text(markdown, Path(summary), append=True)


def verdict_notice(result: CheckResult) -> str:
    """One ``::notice`` with the verdict and what was checked, the text report's headline."""
    return f"::notice title={escape_property('aigov')}::{escape_data(line_text(headline(result)))}"


def annotation(finding: Finding) -> str:
    properties = {"file": line_text(finding.path)}
    if finding.line:
        properties["line"] = str(finding.line)
    properties["title"] = line_text(f"{finding.id} {finding.title}")
    message = line_text(finding.message)
    if finding.waived:
        message = f"waived: {message}"
    elif finding.remediation:
        message = f"{message}\nfix: {line_text(finding.remediation)}"
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{_command(finding)} {props}::{escape_data(message)}"


def _command(finding: Finding) -> str:
    if finding.blocking and not finding.waived:
        return "error"
    return "notice" if finding.waived or finding.severity == "info" else "warning"


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
