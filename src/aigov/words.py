"""Counts in the words people read: "1 finding", "2 findings", "1 repository"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun``, in the plural (``plural``, else ``noun`` + s) unless it is exactly one."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
