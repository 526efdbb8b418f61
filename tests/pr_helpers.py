"""Pull-request test helpers shared by test modules: a repository committed on main and checked out on branch feat."""

from __future__ import annotations

from pathlib import Path

from repo_helpers import commit_all, git


def on_branch(repo: Path, message: str = "base") -> Path:
    """``repo`` (a folder of files) as a git repository committed on main, checked out on branch feat."""
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    commit_all(repo, message)
    git(repo, "checkout", "-q", "-b", "feat")
    return repo
