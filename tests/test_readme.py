"""README is user documentation: every code block is closed, so every section renders as text."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
# CommonMark: a fence opens with ``` and an optional info string; only ``` alone (same indentation
# or less, spaces around) closes it, so "```sh" inside an open block does not.
OPENING = re.compile(r"^\s*```[\w+-]*\s*$")
CLOSING = re.compile(r"^\s*```\s*$")


def test_every_code_block_is_closed_and_no_heading_is_inside_one() -> None:
    open_at = None
    inside_headings = []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        if open_at is None and OPENING.match(line):
            open_at = number
        elif open_at is not None and CLOSING.match(line):
            open_at = None
        elif open_at is not None and line.startswith("## "):
            inside_headings.append(f"{number}: {line} (in the block opened on line {open_at})")
    assert open_at is None, f"the code block opened on README.md:{open_at} is never closed"
    assert inside_headings == []
