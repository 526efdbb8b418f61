"""Recorded decisions: what actually gated a commit, as `aigov record` kept it in a git note
(refs/notes/aigov), set beside what the replay decides for the same commit, strictly.

A note is anyone's to write who can push refs/notes/aigov, so it is believed only where aigov can
check it: the record must name the commit it is noted on, judge the features the replay judges
there (a pull request's record: some of them) and block on the same findings, the rules only a
pull request can run aside (the replay has no base to run them on). A record that disagrees is
named as such; only a record that agrees assesses the pull-request rules for the commit it covers.
"""

from __future__ import annotations

import json
from typing import Any


def recorded_decision(note: bytes | str, noted: str, repository: str, replayed: dict[str, Any] | None,
                      pull_request_rules: frozenset[str], covers: str | None) -> dict[str, Any]:
    """The decision record of a note on commit ``noted``; ``replayed``: the replayed decision it is
    compared with (None: not compared); ``covers``: the first-parent commit it stands for (the
    noted commit, or the merge that brought a pull request's head), None off the branch."""
    head = {"repository": repository, "kind": "recorded", "commit": noted, "scope": ".", "covers": covers,
            "cause": f"recorded by aigov record on commit {noted[:12]}"}
    record, problem = _parse(note)
    if record is None:
        return {**head, "clock": replayed["clock"] if replayed else "", "features": [], "findings": [], "pull_request": False,
                "verdict": "unreadable", "error": f"the note is not a decision record: {problem}"}
    findings = [f for f in record["findings"] if isinstance(f, dict)]
    out = {**head, "clock": str(record.get("clock") or record.get("now") or ""), "features": [str(f) for f in record.get("features") or []],
           "findings": [_finding(f) for f in findings], "verdict": record["verdict"], "recorded": record,
           "pull_request": bool(record.get("base") or record.get("pr"))}
    own = record.get("commit")
    if own != noted:
        return {**out, "agrees": False, "disagreement": f"recorded for another commit ({str(own)[:40] if own else 'it names none'})"}
    if replayed is None:
        return out
    disagreement = _disagreement(out, replayed, pull_request_rules)
    out.update({"replayed_verdict": replayed["verdict"], "agrees": disagreement is None})
    if disagreement:
        out["disagreement"] = disagreement
    return out


def _disagreement(recorded: dict[str, Any], replayed: dict[str, Any], pull_request_rules: frozenset[str]) -> str | None:
    """Why the record and the replay of its commit disagree, or None."""
    if replayed["verdict"] == "error":
        return f"the replay of this commit could not decide: {replayed.get('error', '')}"
    mine, theirs = set(recorded["features"]), set(replayed["features"])
    if recorded["pull_request"] and not mine <= theirs or not recorded["pull_request"] and mine != theirs:
        return f"judged features {', '.join(sorted(mine)) or 'none'}; the replay judges {', '.join(sorted(theirs)) or 'none'}"
    recorded_blocking = _blocking(recorded, mine, pull_request_rules)
    replayed_blocking = _blocking(replayed, mine, pull_request_rules)
    if recorded_blocking != replayed_blocking:
        only_recorded = ", ".join(f"{f}:{r}" for f, r in sorted(recorded_blocking - replayed_blocking))
        only_replayed = ", ".join(f"{f}:{r}" for f, r in sorted(replayed_blocking - recorded_blocking))
        return f"blocking findings differ (only recorded: {only_recorded or 'none'}; only replayed: {only_replayed or 'none'})"
    if not recorded["pull_request"] and recorded["verdict"] != replayed["verdict"]:
        return f"recorded {recorded['verdict']}, replayed {replayed['verdict']}"
    return None


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


def _blocking(decision: dict[str, Any], features: set[str], pull_request_rules: frozenset[str]) -> set[tuple[str, str]]:
    """(feature, rule) of each blocking finding on ``features``, but of the rules only a pull request runs."""
    return {(f["feature"], f["id"]) for f in decision["findings"]
            if f.get("blocking") and not f.get("waived") and f["feature"] in features and f["id"] not in pull_request_rules}
