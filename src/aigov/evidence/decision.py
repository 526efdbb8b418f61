"""The decision record of one check, as evidence keeps it.

ONE function builds it, so that the PR gate's record (src/aigov/record.py, merged separately) can
replace it: same fields, canonical JSON.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from aigov import __version__


def decision_from_result(result: Any, commit: str | None) -> dict[str, Any]:
    """What gated (or would have gated) ``commit``: versions and digests of everything that decided, and the verdict."""
    return {
        "aigov_version": __version__,
        "pack": {"version": result.pack_version, "policies": result.digests["policies"], "data": result.digests["data"]},
        "input": result.digests["input"],
        "engine": result.engine,
        "sources": [_portable(source.as_dict()) for source in result.sources],
        "commit": commit,
        "clock": result.now,
        "features": list(result.features),
        "findings": [
            {"id": f.id, "severity": f.severity, "feature": f.feature, "path": f.path, "line": f.line,
             "message": f.message, "blocking": f.blocking, "waived": f.waived}
            for f in result.findings
        ],
        "waivers": list(result.waivers),
        "verdict": result.verdict,
    }


def _portable(source: dict[str, Any]) -> dict[str, Any]:
    # An org config given as an absolute path names the machine that built the bundle; its digest
    # identifies it, and the bundle must be the same from any clone or runner.
    if posixpath.isabs(source["path"]):
        source = {**source, "path": posixpath.basename(source["path"])}
    return source


def canonical_json(value: Any) -> str:
    """The one serialisation evidence files use: sorted keys, no spaces, UTF-8 (rebuildable byte for byte)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
