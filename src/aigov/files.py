"""Reading files from the repository under check: safely, with errors that name the file.

aigov never follows a symlink out of the repository, refuses files that are too large to be
honest configuration, and reports non-UTF-8 text instead of guessing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aigov.errors import AigovError

MAX_FILE_BYTES = 5 * 1024 * 1024


class Repo:
    """The repository (or folder) being checked; every path handed out is relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

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
        # A named pipe (or device) in the checkout would block the read forever; directories keep
        # their own message below.
        if real.exists() and not real.is_file() and not real.is_dir():
            raise AigovError("is not a regular file (a pipe, socket or device)", self.rel_or_str(path))
        return read_text_file(real, self.rel_or_str(path), max_bytes)


def read_text_file(path: Path, name: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """UTF-8 text of ``path``; every failure is an AigovError naming ``name`` (and the line for bad bytes)."""
    try:
        data = _read_capped(path, name, max_bytes)
    except FileNotFoundError:
        raise AigovError("file not found", name) from None
    except IsADirectoryError:
        raise AigovError("is a directory, expected a file", name) from None
    except PermissionError:
        raise AigovError("cannot be read: permission denied", name) from None
    except OSError as exc:
        raise AigovError(f"cannot be read: {exc.strerror}", name) from None
    try:
        # Editors on Windows write a byte-order mark; it is not part of the text.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AigovError("is not UTF-8 text", name, line) from None


def _read_capped(path: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, never more than that read.

    Opened non-blocking so that a named pipe cannot block the open itself; a pipe or device
    (``/dev/zero`` never ends) is refused before a byte is read, and a file that grows past the
    cap while being read is caught by reading one byte more than allowed.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise AigovError("is not a regular file (a pipe, socket or device)", name)
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise AigovError(f"is {size} bytes, over the {max_bytes}-byte limit for this file", name)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AigovError(f"is over the {max_bytes}-byte limit for this file", name)
    return data


def read_config_file(path: Path, name: str) -> str:
    """Text of a file aigov itself is configured with (policy data, an org config given by flag)."""
    return read_text_file(path, name)
