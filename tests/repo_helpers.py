"""Real git repositories for tests: one way to run git and commit, whatever the test module."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import time
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


class Commits:
    """Commits of a work tree's successive states, all written by one ``git fast-import`` (a generated
    history's ``git add -A`` and ``git commit`` were two processes a commit, thousands a run). A state is
    read as ``git add -A`` reads it: regular files (executable or not) and symlinks (their targets, not
    followed), folders only through what they hold, nothing under .git; a .gitignore is refused, as this
    reader does not apply one. The index is left empty: the work tree's files count as untracked."""

    def __init__(self, repo: Path, branch: str = "main") -> None:
        self.repo, self.ref = repo, f"refs/heads/{branch}"
        self.stream: list[bytes] = []
        self.count = 0

    def commit(self, message: str, date: str | None = None) -> int:
        """Record the work tree as it is now as the branch's next commit (dated ``date``, ISO 8601, else
        now); its number, which :meth:`write` turns into its id."""
        self.count += 1
        when = int(dt.datetime.fromisoformat(date).timestamp()) if date else int(time.time())
        text = message.encode() + b"\n"
        header = (f"commit {self.ref}\nmark :{self.count}\nauthor t <t@example.com> {when} +0000\n"
                  f"committer t <t@example.com> {when} +0000\ndata {len(text)}\n").encode()
        self.stream += [header, text, b"deleteall\n", *self._files(self.repo, "")]
        return self.count

    def _files(self, folder: Path, prefix: str) -> list[bytes]:
        lines = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            path = prefix + entry.name
            assert entry.name != ".gitignore" and '"' not in path and "\n" not in path, path
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                lines.append(self._blob("120000", path, os.readlink(entry.path).encode()))
            elif stat.S_ISDIR(mode):
                if path != ".git":
                    lines += self._files(Path(entry.path), path + "/")
            elif stat.S_ISREG(mode):
                lines.append(self._blob("100755" if mode & 0o111 else "100644", path, Path(entry.path).read_bytes()))
        return lines

    @staticmethod
    def _blob(mode: str, path: str, content: bytes) -> bytes:
        return f'M {mode} inline "{path}"\ndata {len(content)}\n'.encode() + content + b"\n"

    def write(self) -> list[str]:
        """Write every recorded commit; their ids, in order."""
        marks = self.repo / ".git" / "commit-marks"
        subprocess.run(["git", "-C", str(self.repo), "fast-import", "--quiet", f"--export-marks={marks}"],
                       input=b"".join(self.stream), check=True, capture_output=True, env={**os.environ, **GIT_ENV})
        ids = dict(line.split() for line in marks.read_text().splitlines())
        marks.unlink()
        return [ids[f":{number}"] for number in range(1, self.count + 1)]


def add_notes(repo: Path, ref: str, notes: dict[str, str]) -> None:
    """``git notes --ref REF add -m TEXT COMMIT`` for every commit and text, as one ``git fast-import``, on a
    ref that holds no notes yet."""
    stream = [f"commit refs/notes/{ref}\ncommitter t <t@example.com> {int(time.time())} +0000\ndata 0\n".encode()]
    for commit, text in notes.items():
        content = text.encode() + b"\n"
        stream.append(f"N inline {commit}\ndata {len(content)}\n".encode() + content + b"\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True,
                   capture_output=True, env={**os.environ, **GIT_ENV})


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
