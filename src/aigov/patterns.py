"""Regular expressions that come from users (identity patterns, signer and eval-runner settings) run on RE2.

Python's ``re`` backtracks: ``^(https://github.com/([a-z./-]+)+)+X$`` against a long identity
never finishes, and a hang is a bypass. RE2 (the google-re2 wheel) matches in time linear in the
input, and refuses the few constructs that need backtracking (backreferences, lookarounds)
with a clear error instead. It is imported only when a user pattern is compiled.
"""

from __future__ import annotations

from typing import Any

from aigov.errors import AigovError

# RE2 rejects these Perl constructs; say why rather than only "invalid perl operator".
_UNSUPPORTED_HINT = "RE2 syntax, which runs in linear time, has no backreferences or lookarounds"


def compile_user_regex(pattern: str, where: str) -> Any:
    """``pattern`` compiled by RE2 (``search``/``fullmatch`` as in ``re``); an AigovError naming
    ``where`` (the setting or flag it came from) if RE2 cannot compile it."""
    import re2  # lazy: google-re2 ~2 ms, only when a user gives a regular expression

    options = re2.Options()
    options.log_errors = False  # RE2 otherwise writes its own error lines to standard error
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        hint = f" ({_UNSUPPORTED_HINT})" if _needs_backtracking(pattern, reason) else ""
        raise AigovError(f"{where} {pattern!r} is not a usable regular expression: {reason}{hint}") from None


def _needs_backtracking(pattern: str, reason: str) -> bool:
    backreference = "escape sequence" in reason and any(f"\\{digit}" in pattern for digit in "123456789")
    return "perl operator" in reason or backreference
