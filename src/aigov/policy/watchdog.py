"""Run CPU-bound work that cannot be interrupted (a native Rego evaluation) under a deadline.

The work runs in a forked child: it inherits everything already loaded, reports each step it
starts and sends its result back as JSON through a pipe. If the deadline passes, the child is
killed and the caller gets an AigovError naming the step it was on. Any failure in the child
comes back as the same one-line error it would have raised in the parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from typing import Any, Callable

from aigov.errors import AigovError

# The child may use this much more address space than the parent already has: a rule that
# builds an enormous set dies with a clear error instead of taking the machine with it.
CHILD_MEMORY_HEADROOM = 2 * 1024**3


def run_with_deadline(work: Callable[[Callable[[str], None]], Any], timeout_s: float, what: str) -> Any:
    """``work(report_step)`` in a child process; its JSON-serialisable result, or an AigovError."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(work, write_fd)
    os.close(write_fd)
    try:
        return _parent(pid, read_fd, timeout_s, what)
    finally:
        os.close(read_fd)


def _child(work: Callable[[Callable[[str], None]], Any], fd: int) -> None:
    code = 0
    try:
        _limit_memory()
        out = os.fdopen(fd, "w", encoding="utf-8")

        def report_step(step: str) -> None:
            out.write(json.dumps({"step": step}) + "\n")
            out.flush()

        try:
            message: dict[str, Any] = {"result": work(report_step)}
        except AigovError as exc:
            message = {"error": [exc.message, exc.path, exc.line]}
        except MemoryError:
            message = {"error": ["ran out of memory", None, None]}
        except Exception as exc:  # fail closed: the parent reports it like any internal error
            message = {"internal": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(message) + "\n")
        out.flush()
    except BaseException:
        code = 1
    finally:
        # Skip atexit handlers and buffered files inherited from the parent: they are the parent's.
        os._exit(code)


def _limit_memory() -> None:
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + CHILD_MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or wanted < soft:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _parent(pid: int, fd: int, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    step = "start"
    buffer = b""
    last: dict[str, Any] | None = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AigovError(f"{what} did not finish within {timeout_s:g} s; it was in {step}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "step" in message:
                    step = message["step"]
                else:
                    last = message
    except KeyboardInterrupt:
        _kill(pid)
        raise
    except AigovError:
        _kill(pid)
        raise
    status = _reap(pid)
    if last is None:
        raise AigovError(f"{what} stopped unexpectedly ({_describe(status)}) in {step}; out of memory?")
    if "error" in last:
        message, path, line = last["error"]
        raise AigovError(message, path, line)
    if "internal" in last:
        raise RuntimeError(last["internal"])
    return last["result"]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> int:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


if sys.platform == "win32":  # pragma: no cover - aigov runs on Linux and macOS runners
    raise ImportError("aigov's policy watchdog needs os.fork")
