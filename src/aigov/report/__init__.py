"""Reporters: one module per output format, each turning a CheckResult into one document.

Every format sits behind the same small interface (:class:`Reporter`) and is found in one table
(:data:`REPORTERS`), as pip-audit does with its output formats: the CLI only wires them. Each
module is imported only when its format is asked for, so a text report never imports xml or
jsonschema.
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov.errors import AigovError

if TYPE_CHECKING:  # the CLI imports this table at start-up; aigov.check is heavy
    from aigov.model import CheckResult


class Reporter(ABC):
    """One output format."""

    @abstractmethod
    def render(self, result: CheckResult) -> str:
        """The whole report for ``result``, as text to print or write to a file."""

    def publish_extras(self, result: CheckResult) -> None:  # noqa: B027 (optional: most formats have none)
        """Anything the format writes besides its report (the GitHub job summary); nothing by default."""

    def publish_error_extras(self, message: str) -> None:  # noqa: B027 (optional, as publish_extras)
        """What :meth:`publish_extras` writes, when aigov could not decide; nothing by default."""

    def render_error(self, message: str) -> str | None:
        """The report when aigov could not decide, or None when standard error says it all.

        Machine formats get a document that says so, rather than no file or last run's file,
        which a later CI step could mistake for a verdict.
        """
        return None


# Format name -> "module:class", imported on demand.
REPORTERS: dict[str, str] = {
    "text": "aigov.report.text:TextReporter",
    "json": "aigov.report.json_report:JsonReporter",
    "sarif": "aigov.report.sarif:SarifReporter",
    "junit": "aigov.report.junit:JunitReporter",
    "markdown": "aigov.report.markdown:MarkdownReporter",
    "github": "aigov.report.github:GithubReporter",
    "record": "aigov.report.record:RecordReporter",
}
FORMATS = tuple(REPORTERS)


def reporter_for(name: str) -> Reporter:
    try:
        module, _, attr = REPORTERS[name].partition(":")
    except KeyError:
        raise AigovError(f"unknown output format {name!r}; choose one of {', '.join(FORMATS)}") from None
    return getattr(importlib.import_module(module), attr)()


def waiver_justification(waiver: dict[str, Any]) -> str:
    """Why a finding was accepted and who accepted it, in one line: reason, ticket, approver."""
    parts = [str(waiver.get("reason") or "no reason given")]
    if waiver.get("ticket"):
        parts.append(f"ticket {waiver['ticket']}")
    if waiver.get("approver"):
        parts.append(f"approved by {waiver['approver']}")
    return "; ".join(parts)


def waiver_note(waiver: dict[str, Any]) -> str:
    """A waived finding's note: until when the waiver holds, then its justification."""
    return f"waived until {waiver.get('expires') or '?'}: {waiver_justification(waiver)}"


def write_reports(result: CheckResult, outputs: list[tuple[str, Path | None]]) -> None:
    """Render each requested format once from the same result, then write each where it was asked for.

    ``outputs``: (format, file) pairs; file None is standard output. Everything is rendered
    before anything is written, so a renderer's error leaves no half set of reports behind.
    """
    reporters = {name: reporter_for(name) for name, _ in outputs}
    rendered = {name: reporter.render(result) for name, reporter in reporters.items()}
    for name, path in outputs:
        write_text(rendered[name], path)
    for reporter in reporters.values():
        reporter.publish_extras(result)


def refuse_shared_files(outputs: list[tuple[str, Path | None]]) -> None:
    """Two reports in one file would leave only the last: the CLI says so before checking anything."""
    seen: dict[Path, str] = {}
    for name, path in outputs:
        if path is None:
            continue
        key = path.resolve()
        if key in seen and seen[key] != name:
            raise AigovError(f"is given for both the {seen[key]} and the {name} report; give each its own file", str(path))
        seen[key] = name


def write_error_reports(message: str, outputs: list[tuple[str, Path | None]]) -> None:
    """Write each format's error document where its report would have gone; best effort, since
    aigov is already stopping with ``message`` on standard error."""
    for name, path in outputs:
        reporter = reporter_for(name)
        document = reporter.render_error(message)
        try:
            if document is not None:
                write_text(document, path)
            reporter.publish_error_extras(message)
        except AigovError:
            pass


def write_text(text: str, path: Path | None, append: bool = False) -> None:
    """Print ``text``, or write it to ``path``; a one-line error naming the file when that fails.

    Report paths often lie inside the checked tree, which may carry a symbolic link under the
    report's name: it is not followed (it could point at a file outside the repository). A FIFO
    with no reader is an error instead of a hang (O_NONBLOCK).
    """
    if path is None:
        click.echo(text, nl=False)
        return

    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_APPEND if append else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        reason = "is a symbolic link; aigov does not write reports through links" if path.is_symlink() else exc.strerror
        raise AigovError(f"cannot write the report: {reason or exc}", str(path)) from None
