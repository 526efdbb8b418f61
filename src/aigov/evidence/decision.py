"""The decision record of one check, as evidence keeps it: the PR gate's record (aigov.record)
with the commit the replay judged and sources named the same from any machine."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from aigov.record import decision_fields


def decision_from_result(result: Any, commit: str | None) -> dict[str, Any]:
    """What gated (or would have gated) ``commit``: versions and digests of everything that decided, and the verdict."""
    record = decision_fields(result)
    return {**record, "sources": [_portable(source) for source in record["sources"]], "commit": commit}


def _portable(source: dict[str, Any]) -> dict[str, Any]:
    # An org config given as an absolute path names the machine that built the bundle; its digest
    # identifies it, and the bundle must be the same from any clone or runner.
    if posixpath.isabs(source["path"]):
        source = {**source, "path": posixpath.basename(source["path"])}
    return source


def canonical_json(value: Any) -> str:
    """The one serialisation evidence files use: sorted keys, no spaces, UTF-8 (rebuildable byte for byte)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
