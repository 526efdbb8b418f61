"""Interrupts while ``aigov new`` writes: whatever is interrupted leaves nothing half-written behind.

SIGTERM and SIGHUP kill a Python process outright, before any ``finally`` block runs, so a CI
runner cancelling a job used to leave a half-rendered ``.aigov-new-XXXX/`` folder that a later
``aigov check`` judged as a feature. While aigov new writes they raise ``Terminated`` instead, and
the few steps that must not be cut in half (creating the staging folder and remembering it,
moving the finished repository into place, removing the staging folder) run with the signals held.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_TERMINATING = (signal.SIGTERM, signal.SIGHUP) if hasattr(signal, "SIGHUP") else (signal.SIGTERM,)


class Terminated(BaseException):
    """SIGTERM or SIGHUP while aigov new writes. A BaseException, like KeyboardInterrupt, so that
    nothing on the way (copier included) swallows it and every finally block cleans up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_raise() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into Terminated: by default they kill the process before any clean-up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    previous = {signum: signal.signal(signum, handler) for signum in _TERMINATING}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back for a few steps that must not be cut in half; they arrive after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, *_TERMINATING}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
