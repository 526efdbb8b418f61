"""Strict JSON for every JSON document aigov reads from the repository under check.

Python's json module accepts what JSON forbids or leaves undefined, and some of it breaks aigov
further on: a repeated key silently keeps its last value (so a document can say two things at
once), NaN and Infinity are not JSON, a ``\\ud800`` escape yields a string that is not Unicode
text (it fails later as an internal error), a 5001-digit integer exceeds Python's int limit, and
100,000 nested ``[`` exhaust the stack. Each is refused here with one line naming the file and line.

The common case costs one ``json.loads`` with hooks; only a refused document is scanned again
(:func:`json_tokens`) to find the line of the problem.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.files import read_text_file

# Far beyond honest documents (CycloneDX's own test documents nest 12 levels, Sigstore bundles 6),
# and well inside Python's recursion limit for everything that walks the value afterwards.
MAX_DEPTH = 100
# A number this long is not a quantity anyone means; it only exercises Python's int limit.
MAX_NUMBER_CHARS = 100

# Any \uD800-\uDFFF escape; only a document with one can hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Tokens of a JSON text whose escapes were blanked out (see json_tokens): strings, punctuation,
# and bare words (numbers, true, false, null, NaN). Every repeat is a single character class,
# so matching a 50-million-character string takes no memory beyond the match.
_TOKEN = re.compile(r'"[^"]*"|[{}\[\],:]|[^\s{}\[\],:"]+')


class _Refused(Exception):
    """Raised inside json.loads by a hook; the document is then scanned for the exact place."""


def read_json_file(path: Path, name: str, max_bytes: int) -> tuple[str, Any]:
    """The text and strict JSON value of a file (a regular file, at most ``max_bytes``)."""
    text = read_text_file(path, name, max_bytes=max_bytes)
    return text, parse_json(text, name)


def parse_json(text: str, name: str) -> Any:
    """The JSON value of ``text``; anything strict JSON refuses is an AigovError at ``name``:line."""
    try:
        value = json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_refuse, parse_int=_int, parse_float=_float
        )
    except json.JSONDecodeError as exc:
        raise AigovError(f"is not JSON: {exc.msg} (column {exc.colno})", name, exc.lineno) from None
    except (_Refused, RecursionError):
        raise _problem(text, name) or AigovError("is not usable JSON", name) from None
    if _deeper_than(value, MAX_DEPTH) or _SURROGATE_ESCAPE.search(text):
        problem = _problem(text, name)
        if problem is not None:
            raise problem
    return value


def json_tokens(text: str) -> Iterator[tuple[int, int, int]]:
    """``(start, end, line)`` of each token of a JSON text; ``text[start]`` tells its kind.

    Escaped backslashes and quotes are blanked (same length, so offsets hold) before matching,
    which lets a string be matched as ``"[^"]*"`` without backtracking.
    """
    blanked = text.replace("\\\\", "__").replace('\\"', "__")
    line, pos = 1, 0
    for match in _TOKEN.finditer(blanked):
        start = match.start()
        line += blanked.count("\n", pos, start)
        pos = start
        yield start, match.end(), line


# --- hooks: fast checks during the parse --------------------------------------------------------

def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Refused
    return value


def _refuse(_constant: str) -> Any:
    raise _Refused


def _int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_CHARS:
        raise _Refused
    return int(digits)


def _float(digits: str) -> float:
    number = float(digits)
    if len(digits) > MAX_NUMBER_CHARS or math.isinf(number):
        raise _Refused
    return number


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` deep (iterative: the value may be deep)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        container, depth = stack.pop()
        if depth > limit:
            return True
        children = container.values() if isinstance(container, dict) else container
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


# --- the scan that names the first problem and its line ------------------------------------------

def _problem(text: str, name: str) -> AigovError | None:
    """The first thing strict JSON refuses in a (syntactically valid) JSON text, with its line."""
    # Each open container: None for an array, else the keys seen so far and whether a key is next.
    stack: list[list[Any] | None] = []
    for start, end, line in json_tokens(text):
        char = text[start]
        if char in "{[":
            stack.append([set(), True] if char == "{" else None)
            if len(stack) > MAX_DEPTH:
                return AigovError(f"values are nested more than {MAX_DEPTH} levels deep", name, line)
        elif char in "}]" and stack:
            stack.pop()
        elif char == ",":
            if stack and stack[-1] is not None:
                stack[-1][1] = True
        elif char == '"':
            problem = _string_problem(text[start:end], stack, name, line)
            if problem is not None:
                return problem
        elif char != ":":
            problem = _bare_word_problem(text[start:end], name, line)
            if problem is not None:
                return problem
    return None


def _string_problem(token: str, stack: list[list[Any] | None], name: str, line: int) -> AigovError | None:
    value = json.loads(token) if "\\" in token else token[1:-1]
    if _SURROGATE_ESCAPE.search(token):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(value[exc.start])
            return AigovError(f"a string holds a lone UTF-16 surrogate (\\u{code:04x}), which is not Unicode text", name, line)
    top = stack[-1] if stack else None
    if top is not None and top[1]:  # an object key
        top[1] = False
        if value in top[0]:
            return AigovError(f"duplicate key {_quoted(value)}", name, line)
        top[0].add(value)
    return None


def _bare_word_problem(word: str, name: str, line: int) -> AigovError | None:
    if word in ("NaN", "Infinity", "-Infinity"):
        return AigovError(f"{word} is not a JSON number", name, line)
    if len(word) > MAX_NUMBER_CHARS:
        return AigovError(f"a number of {len(word)} characters is longer than the {MAX_NUMBER_CHARS} aigov accepts", name, line)
    if word[0] in "-0123456789" and math.isinf(float(word)):
        return AigovError(f"the number {word} is out of range", name, line)
    return None


def _quoted(key: str, limit: int = 60) -> str:
    text = repr(key)
    return text if len(text) <= limit else text[: limit - 3] + "..."
