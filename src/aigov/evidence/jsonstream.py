"""Canonical JSON written piece by piece: the bytes ``canonical_json`` gives, for documents too
large to hold as one Python value (an org bundle's summary at a thousand repositories is tens of
megabytes of objects). The large parts are :class:`Rows` and :class:`Pairs`: an array or an
object whose items are produced again, in order, each time they are read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from aigov.evidence.decision import canonical_json


class Rows:
    """A JSON array kept out of memory: ``items()`` yields its items afresh on each reading. Each
    item is encoded whole, unless ``nested`` says items may hold Rows themselves. ``encoded``, where
    given, yields the same items as canonical JSON text (a store that keeps them so spares decoding
    and encoding them again)."""

    def __init__(self, items: Callable[[], Iterable[Any]], count: Callable[[], int], nested: bool = False,
                 encoded: Callable[[], Iterable[Any]] | None = None) -> None:
        self._items = items
        self._count = count
        self.nested = nested
        self.encoded = encoded

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def __len__(self) -> int:
        return self._count()

    def __bool__(self) -> bool:
        return len(self) > 0


class Pairs(Rows):
    """A JSON object kept out of memory: its (key, value) pairs, keys already in sorted order."""

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self._items())


class HashingWriter:
    """Text to a binary file as UTF-8, hashed on the way (the manifest needs every file's sha256).
    Pieces are gathered to 64 KB first: a summary is written in a hundred thousand small ones."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.pending: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.pending.append(text)
        self.size += len(text)
        if self.size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        data = "".join(self.pending).encode("utf-8")
        self.digest.update(data)
        self.handle.write(data)
        self.pending, self.size = [], 0

    def sha256(self) -> str:
        self.flush()
        return "sha256:" + self.digest.hexdigest()


def write_json(out: HashingWriter, value: Any) -> None:
    """``canonical_json(value)`` to ``out``, where ``value`` may hold Rows and Pairs. Whatever holds
    neither is encoded whole, by the same json call canonical_json makes."""
    if isinstance(value, Rows):
        pairs = isinstance(value, Pairs)
        encode: Callable[[Any], str] | None
        if value.encoded is not None:
            source, encode = value.encoded(), str  # already canonical JSON
        else:
            source, encode = value._items(), (None if value.nested else canonical_json)
        items = ((_key(k), v) for k, v in source) if pairs else (("", v) for v in source)
        _write_items(out, "{}" if pairs else "[]", items, encode)
    elif isinstance(value, dict) and _holds_rows(value):
        # Sorted as sort_keys sorts. Only aigov's own views get here, and their keys are all str.
        _write_items(out, "{}", ((_key(k), value[k]) for k in sorted(value)), None)
    elif isinstance(value, (list, tuple)) and _holds_rows(value):
        _write_items(out, "[]", (("", v) for v in value), None)
    else:
        out.write(canonical_json(value))


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False) + ":"


def _write_items(out: HashingWriter, brackets: str, items: Iterable[tuple[str, Any]],
                 encode: Callable[[Any], str] | None) -> None:
    """``encode``: how to write an item whole; None for a skeleton item that may hold Rows."""
    out.write(brackets[0])
    for index, (prefix, item) in enumerate(items):
        out.write(("," if index else "") + prefix)
        if encode is None:
            write_json(out, item)
        else:
            out.write(encode(item))
    out.write(brackets[1])


def _holds_rows(value: Any) -> bool:
    if isinstance(value, Rows):
        return True
    if isinstance(value, dict):
        return any(_holds_rows(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_rows(v) for v in value)
    return False
