"""Reporters: one module per output format, each turning a CheckResult into text."""

from __future__ import annotations

from typing import Callable

from aigov.check import CheckResult

Reporter = Callable[[CheckResult], str]


def reporter_for(name: str) -> Reporter:
    if name == "json":
        from aigov.report.json_report import render_json

        return render_json
    from aigov.report.text import render_text

    return render_text


FORMATS = ("text", "json")
