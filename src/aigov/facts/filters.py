"""GitHub Actions filter patterns for branches and paths, with GitHub's own glob rules.

From GitHub's "filter pattern cheat sheet": ``*`` matches any characters but ``/``; ``**`` matches
any characters; ``?`` and ``+`` make the preceding character optional or repeatable; ``[]`` is a
character class; ``\\`` escapes; a leading ``!`` negates, and the last pattern that matches wins.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1024)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The compiled regular expression for one (non-negated) filter pattern."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")  # `**/` may also match no folder at all: **/README.md matches README.md
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char in "?+" and out:
            out[-1] = f"(?:{out[-1]}){char}"
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + "".join(c if c == "-" else re.escape(c) for c in pattern[i + 1 : end]) + "]")
            i = end + 1
            continue
        elif char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def as_patterns(value: Any) -> list[str]:
    """A filter's patterns; GitHub takes a list, a lone string is read as a list of one."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def included(patterns: list[str], value: str) -> bool:
    """Whether ``value`` is selected: the last matching pattern decides, ``!`` patterns exclude."""
    selected = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if pattern_regex(pattern[1:] if negated else pattern).match(value):
            selected = not negated
    return selected
