"""CODEOWNERS, matched the way GitHub matches it.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS``, ``docs/CODEOWNERS`` and, for a
pull request, reads it from the base branch: a PR cannot make its author the owner of what it
changes. Patterns follow gitignore with GitHub's differences: the last matching line wins; ``*``
and ``?`` stay within one path segment, ``**`` spans segments; a pattern with a slash at the start
or in the middle is anchored to the root, one without matches at any depth; a trailing slash means
"everything under this folder"; ``docs/*`` owns the files directly in docs/ only. Lines GitHub
calls errors (``!`` negation, ``[...]`` ranges) are skipped, as GitHub skips them. Owners are
``@user``, ``@org/team`` or an e-mail address.

Matching works segment by segment with a small dynamic programme: the patterns come from the
judged repository, and a backtracking regular expression of many ``*`` could be made to hang.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MAX_LINE_CHARS = 4096


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    segments: tuple[str, ...]  # what a path's segments must match, "**" spanning any number


def parse_codeowners(text: str) -> list[Rule]:
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        words = _split(raw[:MAX_LINE_CHARS])
        if not words or _unsupported(words[0]):
            continue
        rules.append(Rule(words[0], tuple(w for w in words[1:] if _is_owner(w)), number, _segments(words[0])))
    return rules


def owners_of(rules: list[Rule], path: str) -> list[str]:
    """The owners of a repository-relative path: those of the last rule that matches it."""
    parts = path.split("/")
    for rule in reversed(rules):
        if _match(rule.segments, parts):
            return list(rule.owners)
    return []


def _split(line: str) -> list[str]:
    """Words of a line up to an unescaped ``#``; ``\\ `` and ``\\#`` are part of a word."""
    words: list[str] = []
    word, escaped = "", False
    for char in line:
        if escaped:
            word, escaped = word + char, False
        elif char == "\\":
            escaped = True
        elif char == "#":
            break
        elif char.isspace():
            if word:
                words.append(word)
            word = ""
        else:
            word += char
    if word:
        words.append(word)
    return words


def _unsupported(pattern: str) -> bool:
    return pattern.startswith("!") or "[" in pattern or "]" in pattern


def _is_owner(word: str) -> bool:
    if word.startswith("@"):
        return len(word) > 1
    return "@" in word[1:]  # an e-mail address


def _segments(pattern: str) -> tuple[str, ...]:
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    parts = [p for p in body.split("/") if p] or ["**"]
    if not anchored:
        parts = ["**", *parts]
    if directory:
        parts += ["*", "**"]  # something under the folder
    elif parts[-1] == "**" or not _has_wildcard(parts[-1]):
        parts += ["**"]  # the file itself, or everything under a folder of that name
    return tuple(parts)


def _has_wildcard(segment: str) -> bool:
    return "*" in segment or "?" in segment


def _match(pattern: tuple[str, ...], path: list[str]) -> bool:
    """Whether path segments match pattern segments; ``**`` matches zero or more segments."""
    n, m = len(pattern), len(path)
    # reach[j]: pattern[i:] matches path[j:], filled from the end (O(n*m)).
    reach = [False] * m + [True]
    for i in range(n - 1, -1, -1):
        row = [False] * (m + 1)
        for j in range(m, -1, -1):
            if pattern[i] == "**":
                row[j] = reach[j] or (j < m and row[j + 1])
            else:
                row[j] = j < m and _glob(pattern[i], path[j]) and reach[j + 1]
        reach = row
    return reach[0]


def _glob(pattern: str, name: str) -> bool:
    """``*`` and ``?`` within one segment, without backtracking blow-up (the classic two-pointer scan)."""
    p = n = 0
    star, mark = -1, 0
    while n < len(name):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == name[n]):
            p, n = p + 1, n + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, n, p + 1
        elif star != -1:
            p, mark = star + 1, mark + 1
            n = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
