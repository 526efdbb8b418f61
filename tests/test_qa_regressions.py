"""Regressions found by using aigov as its users do: each is bad input that once gave a traceback,
a hang, an error naming aigov's own policy file, or a silent pass instead of one clear line."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import check, write
from test_bad_input import assert_error


def test_impossible_calendar_date_names_file_and_line(feature: Path) -> None:
    """`last_reviewed: 2026-02-30` looks like a YAML date but is none: PyYAML raised a bare ValueError (internal error)."""
    card = feature / "MODEL_CARD.md"
    card.write_text(card.read_text().replace("last_reviewed: 2026-10-01", "last_reviewed: 2026-02-30"))
    assert_error(check(feature), "MODEL_CARD.md:4", "2026-02-30")


def test_blank_last_reviewed_is_a_finding_not_a_policy_crash(feature: Path) -> None:
    """A blank (null) or non-string last_reviewed is invalid metadata (AIGOV-CARD-003), not a Rego type error in modelcard.rego."""
    card = feature / "MODEL_CARD.md"
    original = card.read_text()
    for value in ("", " 5", " [2026-10-01]", " true"):
        card.write_text(original.replace("last_reviewed: 2026-10-01", f"last_reviewed:{value}"))
        result = check(feature)
        assert result.exit_code == 1, (value, result.stdout, result.stderr)
        assert "AIGOV-CARD-003" in result.stdout and "modelcard.rego" not in result.stderr + result.stdout


def test_yaml_alias_bomb_is_refused_quickly(feature: Path) -> None:
    """A few lines of nested aliases expand to millions of values: aigov refuses them instead of hanging for minutes."""
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 7)
    )
    write(feature / ".github/workflows/bomb.yml", "on: pull_request\n" + bomb + "jobs: {}\n")
    started = time.monotonic()
    result = check(feature)
    assert time.monotonic() - started < 5
    assert_error(result, ".github/workflows/bomb.yml", "alias")


def test_recursive_yaml_alias_is_an_error_not_a_crash(feature: Path) -> None:
    """`x: &l [*l]` builds a list that contains itself: once a RecursionError (internal error)."""
    write(feature / ".github/workflows/loop.yml", "on: pull_request\nx: &l [*l]\njobs: {}\n")
    assert_error(check(feature), ".github/workflows/loop.yml:2", "alias")


def test_model_card_yaml_error_names_the_line_in_the_file(feature: Path) -> None:
    """A YAML error in the front matter named the line one above the broken one (counted after '---')."""
    write(feature / "MODEL_CARD.md", "---\nmodels: [x]\nowners: [a]\nbad: [\n---\n# T\n")
    assert_error(check(feature), "MODEL_CARD.md:5:", "invalid YAML")
