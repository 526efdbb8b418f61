"""Real git repositories for tests: one way to run git and commit, whatever the test module."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}


def git(repo: Path, *args: str, env: dict[str, str] | None = None, strip: bool = True, date: str | None = None) -> str:
    """``git -C repo args`` with a fixed identity and no user config; its output, stripped unless
    ``strip=False`` (a test of exact bytes). ``date``: the author and committer date of a commit it makes
    (evidence walks history by these claims)."""
    dated = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
    out = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                         env={**os.environ, **GIT_ENV, **dated, **(env or {})}).stdout
    return out.strip() if strip else out


def init_repo(repo: Path, branch: str = "main") -> Path:
    git(repo.parent, "init", "-q", "-b", branch, str(repo))
    return repo


def commit_all(repo: Path, message: str, date: str | None = None) -> str:
    """Commit every change in the work tree; the new commit's id."""
    git(repo, "add", "-A")
    summary = git(repo, "-c", "core.abbrev=no", "commit", "--allow-empty", "-m", message, date=date)
    # "[main (root-commit) <id>] message": the id, without a rev-parse process for it (some 2,000 commits a run)
    return re.match(r"\[.*? ([0-9a-f]{40,64})\]", summary)[1]


def link(path: Path, target: str) -> Path:
    """A relative symlink at ``path`` (as git stores one) pointing to ``target``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(target)
    return path


def local_action_caller(action: str) -> str:
    """A pull-request workflow whose one job runs the local composite action at ``action``."""
    return ("name: evals\non:\n  pull_request:\n    branches: [main]\njobs:\n  evals:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - uses: actions/checkout@v4\n      - uses: ./{action}\n")
