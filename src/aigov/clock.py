"""The clock the policies see: an input (RFC 3339, UTC), never the wall clock inside a rule."""

from __future__ import annotations

import datetime as dt

from aigov.errors import AigovError


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# time.parse_rfc3339_ns counts nanoseconds in 64 bits: it cannot represent instants after 2262.
EARLIEST_CLOCK_YEAR, LATEST_CLOCK_YEAR = 1970, 2261


def parse_now(value: str) -> str:
    """Validate an RFC 3339 timestamp given with --now and normalise it to UTC."""
    example = "an RFC 3339 timestamp such as 2026-01-31T12:00:00Z"
    if not value.strip():
        raise AigovError(f"--now is empty; give {example}, or leave it out to use the current time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AigovError(f"--now {value!r} is not {example}") from None
    if parsed.tzinfo is None:
        raise AigovError(f"--now {value!r} needs a time zone, such as a trailing Z")
    try:
        utc = parsed.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_CLOCK_YEAR <= utc.year <= LATEST_CLOCK_YEAR:
        raise AigovError(f"--now {value!r} is outside the years {EARLIEST_CLOCK_YEAR}-{LATEST_CLOCK_YEAR} the policies can reason about")
    return utc.isoformat().replace("+00:00", "Z")
