"""How the suite itself runs: what keeps it fast on a 2-core runner without weakening a test."""

from __future__ import annotations

import sys

import pytest


@pytest.mark.no_cover
def test_a_test_marked_no_cover_runs_untraced() -> None:
    """The property tests re-run hundreds of generated histories through code the unit tests cover,
    and are marked `no_cover` so that coverage does not double their CPU. Under `.ci/run`'s
    `pytest -n auto --cov`, pytest-cov 7.1 left a second coverage tracing each xdist worker through
    them (tests/conftest.py pytest_sessionstart): no tracer may run here."""
    assert sys.gettrace() is None
