"""Run work that cannot be interrupted (a native Rego evaluation, an OPA server exchange) under a
deadline, or beside the caller (facts read meanwhile).

The work runs in a forked child, a ``Worker``: it inherits everything already loaded, sets itself
up (an engine loads the pack there, while the parent goes on collecting facts), then answers
requests one at a time. For each request it reports the step it starts and sends its result back
as JSON through a pipe. If a request's deadline passes, the child is killed and the caller gets an
AigovError naming the step it was on. Any failure in the child, its set-up included, comes back
as the same one-line error it would have raised in the parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from aigov.errors import AigovError

# The child may use this much more address space than the parent already has: a rule that
# builds an enormous set dies with a clear error instead of taking the machine with it.
CHILD_MEMORY_HEADROOM = 2 * 1024**3

ReportStep = Callable[[str], None]
Handler = Callable[[Any, ReportStep], Any]  # (request, report_step) -> JSON-serialisable result


class Worker:
    """A forked child that runs ``setup(report_step)`` once, then serves each request with the handler it
    returned. Steps the set-up reports are read with the first request (a hang there names its step)."""

    def __init__(self, setup: Callable[[ReportStep], Handler], what: str, requests: int | None = None) -> None:
        """``requests``: how many requests the child answers before it exits on its own (None: until
        closed); a child that has ended by the time it is closed costs no wait for its teardown."""
        self.what = what
        request_read, self._requests = os.pipe()
        self._replies, reply_write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: never returns
            os.close(self._requests)
            os.close(self._replies)
            _child(setup, request_read, reply_write, requests)
        os.close(request_read)
        os.close(reply_write)
        os.set_blocking(self._requests, False)  # a child that stopped reading must not hold a write past the deadline
        self._buffer = b""
        self._closed = False
        self._status = 0

    def call(self, request: Any, timeout_s: float) -> Any:
        """The handler's result for ``request``, or an AigovError (its own, or a deadline passed)."""
        if self._closed:
            raise AigovError(f"{self.what} is no longer running")
        deadline = time.monotonic() + timeout_s
        state = {"step": "start"}
        try:
            self._send((json.dumps(request) + "\n").encode(), deadline, timeout_s, state)
            reply = self._receive(deadline, timeout_s, state)
        except BaseException:  # a deadline, Ctrl-C, a broken pipe: the child cannot be trusted to go on
            self.close()
            raise
        if reply is None:  # the child ended without answering: wait for it, to say how
            status = self.close(ended=True)
            raise AigovError(f"{self.what} stopped unexpectedly ({_describe(status)}) in {state['step']}; out of memory?")
        if "error" in reply:
            message, path, line = reply["error"]
            raise AigovError(message, path, line)
        if "internal" in reply:
            raise RuntimeError(reply["internal"])
        return reply["result"]

    def close(self, ended: bool = False) -> int:
        """Stop the child (it holds nothing worth a clean exit) and reap it.

        ``ended``: the child closed its end, so it is exiting on its own: wait for it and return
        its wait status, which says how it ended. Otherwise the child is killed and reaped by a
        thread: waiting here for the kernel to take its memory down would cost the check ~1 ms."""
        if not self._closed:
            self._closed = True
            for fd in (self._requests, self._replies):
                os.close(fd)
            if ended:
                self._status = _wait(self._pid)
            else:
                _kill(self._pid)
        return self._status

    def _send(self, data: bytes, deadline: float, timeout_s: float, state: dict[str, str]) -> None:
        view = memoryview(data)
        while view:
            _, writable, _ = select.select([], [self._requests], [], self._remaining(deadline, timeout_s, state))
            if writable:
                try:
                    view = view[os.write(self._requests, view):]
                except BrokenPipeError:  # the child is gone; _receive reports how it ended
                    return

    def _receive(self, deadline: float, timeout_s: float, state: dict[str, str]) -> dict[str, Any] | None:
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                message = json.loads(line)
                if "step" not in message:
                    return message
                state["step"] = message["step"]
            ready, _, _ = select.select([self._replies], [], [], self._remaining(deadline, timeout_s, state))
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    return None
                self._buffer += chunk

    def _remaining(self, deadline: float, timeout_s: float, state: dict[str, str]) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AigovError(f"{self.what} did not finish within {timeout_s:g} s; it was in {state['step']}")
        return remaining


def _child(setup: Callable[[ReportStep], Handler], request_fd: int, reply_fd: int, requests: int | None) -> None:
    code = 0
    try:
        _limit_memory()
        replies = os.fdopen(reply_fd, "w", encoding="utf-8")

        def send(message: dict[str, Any]) -> None:
            replies.write(json.dumps(message) + "\n")
            replies.flush()

        def report_step(step: str) -> None:
            send({"step": step})

        handler, setup_error = _set_up(setup, report_step)
        with os.fdopen(request_fd, "rb") as lines:
            for answered, line in enumerate(lines, 1):  # until the parent closes the pipe or kills the child
                send(setup_error or _answer(handler, json.loads(line), report_step))
                if answered == requests:
                    break
    except BaseException:
        code = 1
    finally:
        # Skip atexit handlers and buffered files inherited from the parent: they are the parent's.
        os._exit(code)


def _set_up(setup: Callable[[ReportStep], Handler], report_step: ReportStep) -> tuple[Handler | None, dict[str, Any] | None]:
    """The handler, or the reply every request gets when the set-up failed."""
    try:
        return setup(report_step), None
    except Exception as exc:
        return None, _failure(exc)


def _answer(handler: Handler | None, request: Any, report_step: ReportStep) -> dict[str, Any]:
    assert handler is not None
    try:
        return {"result": handler(request, report_step)}
    except Exception as exc:
        return _failure(exc)


def _failure(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, AigovError):
        return {"error": [exc.message, exc.path, exc.line]}
    if isinstance(exc, MemoryError):
        return {"error": ["ran out of memory", None, None]}
    return {"internal": f"{type(exc).__name__}: {exc}"}  # fail closed: the parent reports it like any internal error


def _limit_memory() -> None:
    import resource  # lazy: only the forked evaluation child limits its memory

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


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    threading.Thread(target=_wait, args=(pid,), name=f"aigov-reap-{pid}", daemon=True).start()


def _wait(pid: int) -> int:
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
