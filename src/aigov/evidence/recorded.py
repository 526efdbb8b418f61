"""Recorded decisions: what actually gated a commit, as `aigov record` kept it in a git note
(refs/notes/aigov), set beside what the replay decides for the same commit."""

from __future__ import annotations

import json
from typing import Any


def recorded_decision(note: bytes | str, commit: str, repository: str, replayed: dict[str, Any] | None) -> dict[str, Any]:
    head = {"repository": repository, "kind": "recorded", "commit": commit, "scope": ".",
            "cause": f"recorded by aigov record on commit {commit[:12]}"}
    record, problem = _parse(note)
    if record is None:
        return {**head, "clock": replayed["clock"] if replayed else None, "features": [], "findings": [],
                "verdict": "unreadable", "error": f"the note is not a decision record: {problem}"}
    findings = [f for f in record["findings"] if isinstance(f, dict)]
    out = {**head, "clock": str(record.get("clock") or record.get("now") or ""), "features": [str(f) for f in record.get("features") or []],
           "findings": [_finding(f) for f in findings], "verdict": record["verdict"], "recorded": record}
    if replayed is not None:
        out["replayed_verdict"] = replayed["verdict"]
        out["agrees"] = _blocking(out) == _blocking(replayed) and record["verdict"] == replayed["verdict"]
    return out


def _parse(note: bytes | str) -> tuple[dict[str, Any] | None, str]:
    if isinstance(note, str):
        return None, note
    try:
        record = json.loads(note.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"not JSON ({type(exc).__name__})"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    if record.get("verdict") not in ("pass", "fail") or not isinstance(record.get("findings"), list):
        return None, "no verdict (pass or fail) and findings list"
    return record, ""


def _finding(raw: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(raw.get("id", "")), "feature": str(raw.get("feature", "")), "severity": str(raw.get("severity", "")),
            "blocking": bool(raw.get("blocking")), "waived": bool(raw.get("waived")), "path": str(raw.get("path", "")),
            "line": raw.get("line") if isinstance(raw.get("line"), int) else None, "message": str(raw.get("message", ""))}


def _blocking(decision: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["feature"], f["id"]) for f in decision["findings"] if f.get("blocking") and not f.get("waived")}
