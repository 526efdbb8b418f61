"""Pull-request test helpers shared by test modules: git with a fixed identity, a commit of everything,
a repository committed on main and checked out on branch feat, and an exact edit of a file."""

from __future__ import annotations

from pathlib import Path

from repo_helpers import commit_all, git


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
