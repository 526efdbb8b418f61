"""Reading files from the repository under check: safely, with errors that name the file.

aigov never follows a symlink out of the repository, refuses files that are too large to be
honest configuration, and reports non-UTF-8 text instead of guessing.
"""

from __future__ import annotations

import os
import posixpath
import stat
import subprocess
from functools import cached_property
from pathlib import Path
from typing import Any

from aigov.errors import AigovError

MAX_FILE_BYTES = 5 * 1024 * 1024
# Folders that never hold a feature's own source when the tree is not a git work tree (in git,
# .gitignore decides): tool caches, virtual environments, VCS data.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs"}
)
# git must not run anything the checked repository configures: an fsmonitor hook would run on
# `git ls-files` (hooks and filters do not run for it).
_GIT_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false")


def run_git(root: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess[Any]:
    """``git -C root args`` with nothing the repository configures run; a failure to start is exit 1."""
    try:
        return subprocess.run(["git", *_GIT_SAFE, "-C", str(root), *args], capture_output=True, text=text, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(args, 1, "" if text else b"", str(exc) if text else str(exc).encode())


def find_repository_root(path: Path) -> Path:
    """The top level of the git work tree that holds ``path``; ``path`` itself outside git.

    Features are judged with their repository's workflows and config whichever folder is
    named, because GitHub only ever runs the workflows at the top of the repository.
    """
    start = path.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


class Repo:
    """The repository (or folder) being checked; every path handed out is relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._ignored: set[str] = set()
        self._listing: subprocess.Popen[bytes] | None = None

    def list_files_early(self) -> None:
        """Start ``git ls-files`` now: it runs while aigov loads its policy pack, and :attr:`files` reads it."""
        if self.is_git and self._listing is None and "files" not in self.__dict__:
            self._listing = self._start_git_listing()

    def ignore(self, path: Path) -> None:
        """Leave ``path`` out of :attr:`files` (aigov's own report, written into the tree)."""
        try:
            self._ignored.add(self.rel(path.resolve()))
        except ValueError:
            pass

    @property
    def is_git(self) -> bool:
        return (self.root / ".git").exists()

    @cached_property
    def files(self) -> list[str]:
        """Every file git would commit (tracked, plus untracked and not ignored), repository-relative.

        Outside git: every file below the root except tool caches. Only these files are judged:
        a report written into the tree, a virtual environment or a build folder is not the
        feature's source.
        """
        listed = self._git_files() if self.is_git else self._walked_files()
        return [rel for rel in listed if rel not in self._ignored]

    def stop_listing(self) -> None:
        """End a listing started early that nobody will read (the check failed first)."""
        if self._listing is not None:
            self._listing.kill()
            self._listing.communicate()
            self._listing = None

    def _start_git_listing(self) -> subprocess.Popen[bytes]:
        cmd = ["git", *_GIT_SAFE, "-C", str(self.root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        try:
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise AigovError("is a git work tree, but the git command is not installed", str(self.root)) from None

    def _git_files(self) -> list[str]:
        listing, self._listing = self._listing or self._start_git_listing(), None
        try:
            stdout, stderr = listing.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            listing.kill()
            listing.communicate()
            raise AigovError("git ls-files took over 120 s", str(self.root)) from None
        if listing.returncode != 0:
            reason = stderr.decode("utf-8", "replace").strip().splitlines()
            raise AigovError(f"git ls-files failed: {reason[0] if reason else listing.returncode}", str(self.root))
        names = sorted({name for name in stdout.decode("utf-8", "surrogateescape").split("\0") if name})
        # A tracked file deleted from the work tree is still in the index; a submodule is a folder.
        # A folder link is an entry git commits: collectors judge where it points. os.path on
        # strings: pathlib objects cost ~0.2 ms a file, which a 3,000-file monorepo feels.
        root = str(self.root)
        return [name for name in names if os.path.lexists(full := os.path.join(root, name)) and not _real_folder(full)]

    def _walked_files(self) -> list[str]:
        found: list[str] = []
        for current, dirs, names in os.walk(self.root, followlinks=False):
            rel_dir = self.rel(Path(current))
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            links = [d for d in dirs if os.path.islink(os.path.join(current, d))]  # listed as git lists them, not walked
            found.extend(name if rel_dir == "." else f"{rel_dir}/{name}" for name in [*names, *links])
        return sorted(found)

    def inside(self, rel: str) -> bool:
        """Whether a repository-relative path, as written, stays inside the repository."""
        if rel.startswith("/") or rel.startswith("\\") or (len(rel) > 1 and rel[1] == ":"):
            return False
        normal = posixpath.normpath(rel)
        return normal != ".." and not normal.startswith("../")

    def is_regular_file(self, rel: str) -> bool:
        """Whether ``rel`` is a regular file inside the repository (symlinks followed only inside)."""
        return self._mode_inside(rel, stat.S_ISREG)

    def is_folder(self, rel: str) -> bool:
        """Whether ``rel`` is a folder inside the repository (symlinks followed only inside)."""
        return self._mode_inside(rel, stat.S_ISDIR)

    def _mode_inside(self, rel: str, test: Any) -> bool:
        if not self.inside(rel):
            return False
        real = Path(os.path.realpath(self.root / rel))
        if real != self.root and self.root not in real.parents:
            return False
        try:
            return bool(test(real.stat().st_mode))
        except OSError:
            return False

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path != self.root else "."

    def resolve_inside(self, path: Path) -> Path:
        """The real path of ``path``; an error if a symlink takes it outside the repository."""
        real = Path(os.path.realpath(path))
        if real != self.root and self.root not in real.parents:
            raise AigovError(
                "is a symlink that points outside the repository; aigov does not follow it",
                self.rel_or_str(path),
            )
        return real

    def rel_or_str(self, path: Path) -> str:
        try:
            return self.rel(Path(os.path.abspath(path)))
        except ValueError:
            return str(path)

    def read_text(self, path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
        """The text of a repository file, or an AigovError naming it."""
        real = self.resolve_inside(path)
        return read_text_file(real, self.rel_or_str(path), max_bytes)


def _real_folder(path: str | Path) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def read_text_file(path: Path, name: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """UTF-8 text of ``path``; every failure is an AigovError naming ``name`` (and the line for bad bytes)."""
    data = read_regular_file(path, name, max_bytes)
    try:
        # Editors on Windows write a byte-order mark; it is not part of the text.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AigovError("is not UTF-8 text", name, line) from None


def read_regular_file(path: Path, name: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, at most ``max_bytes``; a pipe, device or folder is an error.

    The file is opened without blocking and checked on its descriptor, so a FIFO or /dev/zero
    swapped in after a first look can neither hang the read nor fill the memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AigovError("file not found", name) from None
    except PermissionError:
        raise AigovError("cannot be read: permission denied", name) from None
    except OSError as exc:
        raise AigovError(f"cannot be read: {exc.strerror}", name) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise AigovError("is a directory, expected a file", name)
        if not stat.S_ISREG(info.st_mode):
            raise AigovError("is not a regular file (a pipe, socket or device)", name)
        if info.st_size > max_bytes:
            raise AigovError(f"is {info.st_size} bytes, over the {max_bytes}-byte limit for this file", name)
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as exc:
        raise AigovError(f"cannot be read: {exc.strerror}", name) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while being read
        raise AigovError(f"is over the {max_bytes}-byte limit for this file", name)
    return data


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_config_file(path: Path, name: str) -> str:
    """Text of a file aigov itself is configured with (policy data, an org config given by flag)."""
    return read_text_file(path, name)
