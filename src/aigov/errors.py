"""The one error type aigov raises for input it cannot decide on (exit code 2)."""

from __future__ import annotations


class AigovError(Exception):
    """A problem with aigov's input or setup, reported as one line naming the file and line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


EXIT_PASS = 0
EXIT_BLOCKING = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_STDOUT_CLOSED = 141  # 128 + SIGPIPE, as a shell reports `git log | head`: the reader left early
