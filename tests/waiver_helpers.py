"""Waiver test helpers shared by test modules: a real git repository with a feature whose eval set is
too small (AIGOV-EVAL-006), and a waiver for it merged on main."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import make_feature, write

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


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit_all(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


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
