"""Pull-request test helpers shared by test modules: git with a fixed identity, a commit of everything,
a repository committed on main and checked out on branch feat, and an exact edit of a file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def on_branch(repo: Path, message: str = "base") -> Path:
    """``repo`` (a folder of files) as a git repository committed on main, checked out on branch feat."""
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    commit_all(repo, message)
    git(repo, "checkout", "-q", "-b", "feat")
    return repo


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new))
