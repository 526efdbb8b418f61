"""An overall deadline for a network exchange (the GitHub API, a policy-bundle download).

requests' ``timeout`` bounds each wait for a byte, not the exchange: a server that sends its
status line, headers or body one byte a second never trips it and holds the check for as long
as it likes. A hang is a bypass too. So the whole exchange — connecting, TLS, headers, body,
redirects — runs on a thread of its own and the caller waits for it until the deadline, then
gives up with :class:`DeadlinePassed`. The thread is left to the server (a daemon: it cannot keep
aigov alive, and it has nothing to write anywhere); streaming the body against a clock would
not help, as the headers come before any body. (The OPA engine's exchanges run in the policy
watchdog's child process instead, killed at the evaluation time limit.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

from aigov.errors import AigovError

T = TypeVar("T")
MAX_SECONDS = 600.0


class DeadlinePassed(Exception):
    """The exchange did not finish in time; it is abandoned."""


def within(seconds: float, work: Callable[[], T], what: str = "network exchange") -> T:
    """``work()``'s result, or its exception, if it finishes within ``seconds``; else DeadlinePassed."""
    outcome: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the caller, whatever it is
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"aigov {what}", daemon=True).start()
    if not done.wait(seconds):
        raise DeadlinePassed(f"{what} did not finish within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def env_seconds(name: str, default: float) -> float:
    """A time limit from the environment (``AIGOV_GITHUB_TIMEOUT``...): seconds, more than 0, at most 600."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_SECONDS:
        raise AigovError(f"{name}={raw!r} is not a number of seconds between 0 and {MAX_SECONDS:g}")
    return value
