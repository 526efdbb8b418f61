"""JSON Schema ``format`` checks for the formats CycloneDX uses, written out by hand.

jsonschema only checks ``date-time``, ``iri-reference`` and ``uri`` when optional packages are
installed (``rfc3339-validator``, ``rfc3987-syntax``), and the latter makes ``import jsonschema``
take seconds (see DESIGN.md). These small checkers follow RFC 3339 (timestamps), RFC 3986/3987
(URI and IRI references) and RFC 5321/5322/6531 (e-mail addresses) closely enough to agree with
the CycloneDX specification's own test documents, and cost nothing to import.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable
from typing import Any

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_TIME = r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
_OFFSET = r"(?:[Zz]|([+-])(\d{2}):(\d{2}))"
_DATE_RE = re.compile(rf"^{_DATE}$", re.ASCII)
_TIME_RE = re.compile(rf"^{_TIME}{_OFFSET}$", re.ASCII)
_DATE_TIME_RE = re.compile(rf"^{_DATE}[Tt]{_TIME}{_OFFSET}$", re.ASCII)


def is_date(value: str) -> bool:
    match = _DATE_RE.match(value)
    return match is not None and _valid_date(*map(int, match.groups()))


def is_time(value: str) -> bool:
    match = _TIME_RE.match(value)
    return match is not None and _valid_time(*match.groups())


def is_date_time(value: str) -> bool:
    """RFC 3339 ``date-time``: a full date, 'T', a time and a mandatory offset (Z or ±hh:mm)."""
    match = _DATE_TIME_RE.match(value)
    if not match:
        return False
    groups = match.groups()
    return _valid_date(*map(int, groups[:3])) and _valid_time(*groups[3:])


def _valid_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _valid_time(hour: str, minute: str, second: str, sign: str | None, off_hour: str | None, off_minute: str | None) -> bool:
    """The groups of _TIME and _OFFSET; the offset's are None for Z."""
    if off_hour is not None and (int(off_hour) > 23 or int(off_minute or 0) > 59):
        return False
    # 60 is a leap second; RFC 3339 allows it, and checking it against UTC 23:59 needs a calendar
    # of leap seconds nobody ships, so it is accepted at any minute like most validators do.
    return int(hour) <= 23 and int(minute) <= 59 and int(second) <= 60


# RFC 3986 / 3987 characters. An IRI also allows non-ASCII characters (RFC 3987 ucschar and
# iprivate); aigov accepts any above the C1 controls, which keeps the regular expressions small
# and quick to compile: only surrogates and non-characters slip through.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_NON_ASCII = r"[^\x00-\x9F]"
_PCT = r"%[0-9A-Fa-f]{2}"


def _charset(extra: str, iri: bool) -> str:
    chars = _UNRESERVED + re.escape(_SUB_DELIMS) + extra
    return rf"(?:[{chars}]|{_PCT}" + (f"|{_NON_ASCII})" if iri else ")")


# Compiled on first use: a check pays only for the formats its document holds (each of these
# patterns costs several milliseconds to compile, and a BOM rarely holds them all).
@functools.cache
def _reference_re(iri: bool) -> re.Pattern[str]:
    pchar = _charset(":@", iri)
    segment_nc = _charset("@", iri)  # a first segment of a relative path may not hold ':'
    userinfo = _charset(":", iri)
    reg_name = _charset("", iri)
    query = rf"(?:{_charset(':@/?', iri)})*"
    host = rf"(?:\[[0-9A-Fa-f:.vV\-{re.escape(_SUB_DELIMS)}{_UNRESERVED}]+\]|{reg_name}*)"
    authority = rf"(?:{userinfo}*@)?{host}(?::\d*)?"
    hier = rf"(?://{authority}(?:/{pchar}*)*|/(?:{pchar}+(?:/{pchar}*)*)?|{pchar}+(?:/{pchar}*)*|)"
    relative = rf"(?://{authority}(?:/{pchar}*)*|/(?:{pchar}+(?:/{pchar}*)*)?|{segment_nc}+(?:/{pchar}*)*|)"
    scheme = r"[A-Za-z][A-Za-z0-9+\-.]*"
    tail = rf"(?:\?{query})?(?:\#{query})?"
    return re.compile(rf"^(?:(?P<absolute>{scheme}:{hier}{tail})|(?P<relative>{relative}{tail}))$")


def _reference_check(iri: bool, absolute: bool) -> Callable[[str], bool]:
    """A check for an IRI/URI reference, or (``absolute``) for a full IRI/URI with a scheme."""

    def check(value: str) -> bool:
        match = _reference_re(iri).match(value)
        return match is not None and (not absolute or match.group("absolute") is not None)

    return check


# RFC 5322 addr-spec (dot-atom or quoted local part; dot-atom or literal domain); the idn-
# variant (RFC 6531) also allows non-ASCII characters in both parts.
_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~"


@functools.cache
def _email_re(idn: bool) -> re.Pattern[str]:
    extra = f"|{_NON_ASCII}" if idn else ""
    atom = rf"(?:[{_ATEXT}]{extra})+"
    dot_atom = rf"{atom}(?:\.{atom})*"
    quoted = r'"(?:[\x20\x21\x23-\x5B\x5D-\x7E]' + extra + r'|\\[\x20-\x7E])*"'
    letter = rf"(?:[A-Za-z0-9]{extra})"
    label = rf"{letter}(?:(?:{letter}|-)*{letter})?"
    domain = rf"(?:{label}(?:\.{label})*|\[[\x21-\x5A\x5E-\x7E]*\])"
    return re.compile(rf"^(?:{dot_atom}|{quoted})@{domain}$")


def _email_check(idn: bool) -> Callable[[str], bool]:
    return lambda value: len(value) <= 320 and bool(_email_re(idn).match(value))


CHECKS: dict[str, Callable[[str], bool]] = {
    "date-time": is_date_time,
    "date": is_date,
    "time": is_time,
    "iri-reference": _reference_check(iri=True, absolute=False),
    "iri": _reference_check(iri=True, absolute=True),
    "uri-reference": _reference_check(iri=False, absolute=False),
    "uri": _reference_check(iri=False, absolute=True),
    "email": _email_check(idn=False),
    "idn-email": _email_check(idn=True),
}


def format_checker() -> Any:
    """A jsonschema FormatChecker that knows exactly the formats above (others always pass)."""
    import jsonschema  # lazy: jsonschema costs ~70 ms; only an SBOM to validate needs it

    checker = jsonschema.FormatChecker(formats=())
    for name, check in CHECKS.items():
        # Non-strings are the ``type`` keyword's business, as the JSON Schema spec says.
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker
