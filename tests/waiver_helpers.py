"""Waiver test helpers shared by test modules: a real git repository with a feature whose eval set is
too small (AIGOV-EVAL-006), and a waiver for it merged on main."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_feature, write
from repo_helpers import commit_all, git

WAIVERS = ".aigov/waivers.yaml"
EVAL_WAIVER = """\
waivers:
  - rule: AIGOV-EVAL-006
    feature: support-summarize
    reason: the golden set grows to 25 cases next sprint
    ticket: GOV-17
    approver: alice
    created: {created}
    expires: {expires}
"""


def too_few_cases(tmp_path: Path) -> Path:
    """A git repository on main whose feature has 3 eval cases: AIGOV-EVAL-006 (high, blocking)."""
    root = make_feature(tmp_path / "repo")
    write(root / "evals/golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(3)))
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    return root


def merged_waiver(root: Path, text: str) -> None:
    """A waiver that reached the default branch (reviewed when it merged)."""
    write(root / WAIVERS, text)
    commit_all(root, "waiver")
