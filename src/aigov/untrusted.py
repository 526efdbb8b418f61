"""Text from the checked repository (and from servers), made safe for the place it is printed.

A message, path, waiver reason or commit subject is untrusted: printed raw, a newline followed
by ``::add-mask::…`` or ``::error …`` becomes a workflow command in the GitHub Actions log, an
escape sequence rewrites the terminal, a right-to-left override reorders what a reviewer reads,
and in Markdown or HTML it becomes markup, links and remote images. Every output goes through
one of these, chosen by where it lands:

- :func:`line_text`: one line of a log or a terminal (the text report, standard error, the
  commands' output lines, JUnit's text);
- :func:`json_text`: a JSON document as printed (it stays the same JSON);
- :func:`markdown_text`: plain text inside Markdown (job summary, report.md, SARIF help);
- :func:`html_text`: plain text inside HTML (report.html).

Ordinary text is left as it is: a path with a space stays readable, ``std::string`` stays.
"""

from __future__ import annotations

import re
from typing import Any

# Control characters: C0 (newlines and tabs included), then DEL, C1, the line and paragraph
# separators, and the bidirectional embeddings, overrides and isolates ("Trojan Source").
_C0 = "\x00-\x1f"
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Patterns as text: re compiles them on first use (most text needs neither), not on every import.
_CONTROLS = f"[{_C0}{_BEYOND_C0}]"
# In JSON text C0 is either escaped by json.dumps (in strings) or structure (the newlines of indent).
_CONTROLS_IN_JSON = f"[{_BEYOND_C0}]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The GitHub runner reads a line as a command when it starts, after white space, with "::"
# (``::error::``, ``::add-mask::``, ``::stop-commands::``), or when it holds "##[" anywhere (the
# older ``##[add-mask]`` form, still parsed). Nothing else in a line makes it a command.
_OLD_COMMAND = "##["
# HTML's special characters as entities (as html.escape, without importing html's entity table);
# in Markdown also a backslash before what makes emphasis, code, links and images and table
# cells, and before the backslash itself (first, so the backslashes added are not doubled).
_HTML = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))
_MARKDOWN = (*((char, "\\" + char) for char in "\\`*_~[]|"), *_HTML[:3])


def visible(value: Any) -> str:
    """``value`` as text with every control character shown as an escape (``\\n``, ``\\x1b``, ``\\u202e``)."""
    text = str(value)
    return text if text.isprintable() else re.sub(_CONTROLS, _shown, text)  # isprintable: a fast first look


def line_text(value: Any) -> str:
    """``value`` as one line that a log or terminal shows as it is and never runs as a command."""
    text = visible(value)
    if _OLD_COMMAND in text:
        text = text.replace(_OLD_COMMAND, "##\\[")
    if text.lstrip().startswith("::"):
        start = len(text) - len(text.lstrip())
        text = f"{text[:start]}\\{text[start:]}"
    return text


def json_text(document: str) -> str:
    """A serialised JSON document (``json.dumps``, which already escapes C0) that a log shows as it is
    and never runs: what is left to neutralise can occur only inside strings, where ``\\u005b`` is
    the same ``[`` and ``\\u202e`` the same character, so every parser reads the same document."""
    if not document.isascii():
        document = re.sub(_CONTROLS_IN_JSON, lambda match: f"\\u{ord(match.group()):04x}", document)
    return document.replace(_OLD_COMMAND, "##\\u005b") if _OLD_COMMAND in document else document


def markdown_text(value: Any) -> str:
    """Plain text inside Markdown: HTML neutralised, Markdown syntax escaped, controls shown, one line
    (white space runs collapse, as Markdown itself renders them)."""
    return visible(_replace_each(" ".join(str(value).split()), _MARKDOWN))


def html_text(value: Any) -> str:
    """Plain text inside HTML, attribute values included."""
    return visible(_replace_each(str(value), _HTML))


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}")


def _replace_each(text: str, replacements: tuple[tuple[str, str], ...]) -> str:
    """str.replace per character: several times faster than str.translate with a table of strings."""
    for char, replacement in replacements:
        if char in text:
            text = text.replace(char, replacement)
    return text
