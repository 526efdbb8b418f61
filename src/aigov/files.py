"""Reading one file safely, with errors that name it: never blocking on a pipe, never more than a cap.

Repository files are read through :mod:`aigov.tree` (the one reader of a repository, in the work
tree or at a commit), which ends here for files on disk; aigov's own configuration given by flag
(an org config, a policy bundle, an event file) is read here directly.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aigov.errors import AigovError

MAX_FILE_BYTES = 5 * 1024 * 1024  # the most aigov reads of any one file


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
    """The bytes of a regular file, at most ``max_bytes``; a pipe, device or folder is an error."""
    fd = open_regular_file(path, name, max_bytes)
    try:
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as exc:
        raise AigovError(f"cannot be read: {exc.strerror}", name) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while being read
        raise AigovError(f"is over the {max_bytes}-byte limit for this file", name)
    return data


def open_regular_file(path: Path, name: str, max_bytes: int | None = None) -> int:
    """An open descriptor of a regular file (at most ``max_bytes`` long); a pipe, device or folder is an error.

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
        if max_bytes is not None and info.st_size > max_bytes:
            raise AigovError(f"is {info.st_size} bytes, over the {max_bytes}-byte limit for this file", name)
    except BaseException:
        os.close(fd)
        raise
    return fd


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
