"""SHA-256 digests, the way aigov names content: ``sha256:<hex>``.

CPython's built-in SHA-256 is used when it is there: ``import hashlib`` loads OpenSSL's
libcrypto, ~3 ms of every check's start-up, and what a check hashes (its pack, its inputs, its
findings: well under a megabyte) gains nothing from OpenSSL's speed. The digests are the same
either way. (The standard library's ``random`` module avoids hashlib for the same reason.)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the private modules have no type stubs; their sha256 is hashlib's
    from hashlib import sha256
else:
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:  # pragma: no cover - other interpreters and versions
        try:
            from _sha2 import sha256  # CPython 3.12+
        except ImportError:
            from hashlib import sha256

__all__ = ["canonical_digest", "content_digest", "sha256", "sha256_hex"]


def sha256_hex(data: bytes | str) -> str:
    """The hex SHA-256 of ``data`` (text as UTF-8; lone surrogates, as in file names, kept as they are)."""
    return sha256(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data).hexdigest()


def content_digest(data: bytes | str) -> str:
    """``sha256:<hex>`` of ``data`` (text as sha256_hex encodes it)."""
    return "sha256:" + sha256_hex(data)


def canonical_digest(value: Any) -> str:
    """The digest of ``value`` as canonical JSON (sorted keys, no whitespace, UTF-8)."""
    return content_digest(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
