"""The one way aigov runs git: nothing the checked repository configures runs, nothing waits for a
person, and nothing read from the repository is taken for an option.

Every git process aigov starts goes through :func:`git_command`:

- no hooks, no fsmonitor, no pager, no external diff driver or text conversion (the repository's
  config can name programs for all of them; aigov never runs the repository's code);
- no ``ext::`` transport (it runs a command), no password prompt (a fetch fails instead of hanging);
- revisions are validated before use (:func:`checked_revision`) and paths follow ``--``;
- every call has a time limit, and a failure is one line: :class:`GitFailed` with git's own first
  error line, or an :class:`AigovError` when git is missing or too slow.

Blobs are read through one long-lived ``git cat-file --batch-command`` (:class:`ObjectReader`):
never a process per file.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import OrderedDict
from pathlib import Path
from typing import IO

from aigov.errors import AigovError

GIT_TIMEOUT_S = 120
PREFETCH_COMMANDS = 256  # blobs asked in one round trip
PREFETCH_MAX_BLOB = 256 * 1024  # larger blobs are read when needed
_CONFIG = (
    "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.untrackedCache=false",
    "-c", "core.quotePath=false", "-c", "protocol.ext.allow=never", "-c", "diff.external=",
)
_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",  # fail rather than wait for a password
    "GIT_PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",  # reading never rewrites the index of the repository under check
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
}
# A commit id, or a ref name as git check-ref-format allows it (no leading dash, no "..", no control
# characters); anything else is refused before git sees it.
_REVISION = re.compile(r"[0-9A-Za-z_./@{}^~:+-]+")


class GitFailed(Exception):
    """git ran and said no; ``stderr`` is its first error line, ``last`` its last, ``returncode`` its status."""

    def __init__(self, stderr: str, returncode: int = 1, last: str | None = None) -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.returncode = returncode
        self.last = last or stderr


def git_command(root: Path, *args: str) -> list[str]:
    """The argument list of ``git args`` run in ``root`` with aigov's hardening."""
    return ["git", "--no-pager", *_CONFIG, "-C", str(root), *args]


def git_environment() -> dict[str, str]:
    return {**os.environ, **_ENVIRONMENT}


def git(root: Path, *args: str, stdin: bytes | None = None, timeout: float = GIT_TIMEOUT_S) -> bytes:
    """Run one git command in ``root``; its standard output, or GitFailed with git's first error line."""
    try:
        proc = subprocess.run(git_command(root, *args), input=stdin, capture_output=True, timeout=timeout,
                              stdin=None if stdin is not None else subprocess.DEVNULL, env=git_environment())
    except FileNotFoundError:
        raise AigovError("aigov needs git here, and the git command is not installed", str(root)) from None
    except subprocess.TimeoutExpired:
        raise AigovError(f"git {args[0]} took over {timeout:.0f} s", str(root)) from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit code {proc.returncode}"]
        raise GitFailed(lines[0], proc.returncode, lines[-1])
    return proc.stdout


def start_git(root: Path, *args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """A git process left running (a listing read later, a batch reader)."""
    try:
        return subprocess.Popen(git_command(root, *args), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=git_environment())
    except FileNotFoundError:
        raise AigovError("aigov needs git here, and the git command is not installed", str(root)) from None


def checked_revision(value: str, source: str) -> str:
    """``value`` if it can only be a revision (never an option, never a pathspec); else an AigovError."""
    if not value or value.startswith("-") or ".." in value or not _REVISION.fullmatch(value):
        raise AigovError(f"{value!r} is not a commit or a ref name", source)
    return value


def is_git_work_tree(root: Path) -> bool:
    return (root / ".git").exists()


def commit_id(root: Path, revision: str, source: str) -> str | None:
    """The full id of the commit ``revision`` names, or None if there is none."""
    try:
        out = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{checked_revision(revision, source)}^{{commit}}")
    except GitFailed:
        return None
    return out.decode().strip() or None


class ObjectReader:
    """Blob sizes and contents through one ``git cat-file --batch-command`` process.

    Used for every blob a check or an evidence replay reads at a commit; close() ends the process.
    Objects never change: every size learnt is kept, and with ``keep_bytes`` the blobs read last,
    up to that many bytes (an evidence replay reads the same unchanged files at thousands of commits).
    """

    def __init__(self, root: Path, keep_bytes: int = 0) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._keep_bytes = keep_bytes
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._kept_bytes = 0
        self._sizes: dict[str, int | None] = {}

    def _process(self) -> subprocess.Popen[bytes]:
        if self._owner != os.getpid():
            # A forked child (a background collector) must not talk to its parent's git: two readers of
            # one pipe would take each other's answers. It starts its own.
            self._proc, self._owner = None, os.getpid()
        if self._proc is None:
            self._proc = start_git(self.root, "cat-file", "--batch-command", stdin=subprocess.PIPE)
        return self._proc

    def _ask(self, command: str, oid: str) -> tuple[IO[bytes], list[bytes]]:
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", oid):
            raise AigovError(f"{oid!r} is not a git object id", str(self.root))
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(f"{command} {oid}\n".encode())
            proc.stdin.flush()
        except BrokenPipeError:
            raise AigovError("git cat-file stopped answering", str(self.root)) from None
        header = proc.stdout.readline()
        if not header:
            raise AigovError("git cat-file stopped answering", str(self.root))
        return proc.stdout, header.split()

    def size(self, oid: str) -> int | None:
        """The size of a blob; None if the object is missing or not a blob."""
        if oid in self._sizes:
            return self._sizes[oid]
        with self._lock:
            _, parts = self._ask("info", oid)
        size = self._sizes[oid] = int(parts[2]) if len(parts) == 3 and parts[1] == b"blob" else None
        return size

    def prefetch(self, oids: list[str]) -> None:
        """Read these blobs ahead, many to a round trip (each costs ~1 ms waiting for git), keeping
        them for read(). Only small blobs of known size, and no more than half of what is kept."""
        if not self._keep_bytes:
            return
        budget = self._keep_bytes // 2
        wanted = []
        for oid in dict.fromkeys(oids):
            size = self._sizes.get(oid)
            if oid not in self._kept and size is not None and size <= PREFETCH_MAX_BLOB and budget >= size:
                wanted.append(oid)
                budget -= size
        for start in range(0, len(wanted), PREFETCH_COMMANDS):
            self._read_many(wanted[start:start + PREFETCH_COMMANDS])

    def _read_many(self, oids: list[str]) -> None:
        # The commands all fit in the pipe to git (46 bytes each), so writing them never waits
        # for git, which may itself wait for us to read its answers.
        with self._lock:
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write("".join(f"contents {oid}\n" for oid in oids).encode())
                proc.stdin.flush()
            except BrokenPipeError:
                raise AigovError("git cat-file stopped answering", str(self.root)) from None
            for oid in oids:
                parts = proc.stdout.readline().split()
                if len(parts) != 3:
                    if not parts:
                        raise AigovError("git cat-file stopped answering", str(self.root))
                    continue  # "<oid> missing"
                data = _read_exactly(proc.stdout, int(parts[2]))
                proc.stdout.read(1)
                if parts[1] == b"blob":
                    self._keep(oid, data)

    def _keep(self, oid: str, data: bytes) -> None:
        if self._keep_bytes and len(data) <= self._keep_bytes // 16 and oid not in self._kept:  # small ones: a large one would push out the rest
            self._kept[oid] = data
            self._kept_bytes += len(data)
            while self._kept_bytes > self._keep_bytes:
                self._kept_bytes -= len(self._kept.popitem(last=False)[1])

    def learn_sizes(self, oids: list[str]) -> None:
        """Ask the sizes of many blobs at once (one ``git cat-file --batch-check``), ahead of their use."""
        unknown = [oid for oid in dict.fromkeys(oids) if oid not in self._sizes and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", oid)]
        if not unknown:
            return
        out = git(self.root, "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)",
                  stdin="\n".join(unknown).encode() + b"\n")
        for line in out.decode().splitlines():
            parts = line.split()
            if len(parts) == 3:
                self._sizes[parts[0]] = int(parts[2]) if parts[1] == "blob" else None

    def know_size(self, oid: str, size: int) -> None:
        """A blob's size learnt elsewhere (``git ls-tree -l``)."""
        self._sizes[oid] = size

    def read(self, oid: str) -> bytes | None:
        """The bytes of a blob; None if the object is missing or not a blob."""
        kept = self._kept.get(oid)
        if kept is not None:
            self._kept.move_to_end(oid)
            return kept
        with self._lock:
            stream, parts = self._ask("contents", oid)
            if len(parts) != 3:
                return None  # "<oid> missing"
            data = _read_exactly(stream, int(parts[2]))
            stream.read(1)  # the newline after each object
        if parts[1] != b"blob":
            return None
        self._keep(oid, data)
        return data

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or self._owner != os.getpid():
            return  # a parent's process is the parent's to end
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            raise AigovError("git cat-file ended in the middle of an object")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
