"""JSON paths for people ($.components[3].hashes[0].content) and the line each value starts on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from aigov.jsonfile import json_tokens

PathPart = str | int

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def format_path(parts: Iterable[PathPart]) -> str:
    """``['components', 3, 'bom-ref']`` -> ``$.components[3]['bom-ref']``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}"
        else:
            out += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def value_lines(text: str) -> dict[tuple[PathPart, ...], int]:
    """The 1-based line on which each value of a (well-formed) JSON text starts, by path.

    json.loads keeps no positions; this walks the tokens once, which is enough to point a
    reader at the line of an error.
    """
    lines: dict[tuple[PathPart, ...], int] = {}
    # Each open container: [path, is_object, next key or index, expecting a key].
    stack: list[list[Any]] = []
    for start, end, line in json_tokens(text):
        token = text[start]  # one character tells the token's kind; strings may be huge
        if token in ",:":
            if token == "," and stack:
                top = stack[-1]
                if top[1]:
                    top[3] = True
                else:
                    top[2] += 1
            continue
        if token in "}]":
            stack.pop()
            continue
        if stack and stack[-1][1] and stack[-1][3]:  # an object key
            key = text[start + 1 : end - 1]  # decoded only when it holds an escape: fast on big BOMs
            stack[-1][2] = json.loads(text[start:end]) if "\\" in key else key
            stack[-1][3] = False
            continue
        path = (*stack[-1][0], stack[-1][2]) if stack else ()
        lines.setdefault(path, line)
        if token == "{":
            stack.append([path, True, None, True])
        elif token == "[":
            stack.append([path, False, 0, False])
    return lines


def line_of(lines: dict[tuple[PathPart, ...], int], parts: Iterable[PathPart]) -> int | None:
    """The line of the value at ``parts``, or of its nearest ancestor that has one."""
    path = tuple(parts)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
