"""What the decisions of a period say: per-feature timelines, per-control status, the fleet.

Everything here is derived from decisions.jsonl and the facts at period end, so a reader can
recompute every figure in the report from the bundle itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aigov.evidence.controls import ControlMap


@dataclass
class Change:
    """One point of a feature's timeline: its verdict from this decision on, and why it changed."""

    seq: int  # the decision's line in decisions.jsonl (1-based)
    clock: str
    verdict: str  # pass | fail | error | removed
    added: list[str]
    removed: list[str]
    cause: str
    kind: str


def feature_key(repository: str, feature: str) -> str:
    return f"{repository}/{feature}"


def timelines(decisions: list[dict[str, Any]]) -> dict[str, list[Change]]:
    """repository/feature -> the decisions where its verdict or findings changed, in order."""
    out: dict[str, list[Change]] = {}
    last: dict[str, tuple[str, frozenset[str]]] = {}
    for seq, decision in enumerate(decisions, start=1):
        if decision["kind"] == "recorded":
            continue  # what gated in CI is compared with the replay, not a point of the timeline
        for feature in decision["features"]:
            key = feature_key(decision["repository"], feature)
            ids = frozenset(f["id"] for f in decision["findings"] if f["feature"] == feature)
            verdict = _verdict(decision, feature)
            previous = last.get(key)
            if previous == (verdict, ids) and verdict != "error":
                continue
            if verdict == "error":
                # Nothing was decided: no finding came or went. The next decision is compared
                # with the last one that was made.
                cause = f"{decision['cause']}: aigov could not decide: {decision.get('error', '')}"
                out.setdefault(key, []).append(Change(seq, decision["clock"], verdict, [], [], cause, decision["kind"]))
                continue
            before = previous[1] if previous else frozenset()
            out.setdefault(key, []).append(Change(seq, decision["clock"], verdict, sorted(ids - before), sorted(before - ids),
                                                  decision["cause"], decision["kind"]))
            last[key] = (verdict, ids)
    return out


def recorded(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each recorded decision, whether it agrees with the replay, and notes that are not records."""
    return [
        {"seq": seq, "repository": d["repository"], "commit": d["commit"], "verdict": d["verdict"],
         "replayed_verdict": d.get("replayed_verdict"), "agrees": d.get("agrees"), "error": d.get("error")}
        for seq, d in enumerate(decisions, start=1) if d["kind"] == "recorded"
    ]


def _verdict(decision: dict[str, Any], feature: str) -> str:
    if decision["verdict"] in ("error", "removed"):
        return decision["verdict"]
    blocking = any(f["blocking"] and not f.get("waived") and f["feature"] == feature for f in decision["findings"])
    return "fail" if blocking else "pass"


def control_status(decisions: list[dict[str, Any]], control_map: ControlMap) -> list[dict[str, Any]]:
    """Each mapped control: the evidence items (rule x feature) and its status over the period.

    held: no blocking finding of its rules in any decision; remediated: some, none at period end;
    not held: a blocking finding at period end; incomplete: some decision could not be made (error).
    """
    decisions_all = decisions
    decisions = [d for d in decisions if d["kind"] != "recorded"]
    final = _final_decisions(decisions)
    failures: dict[tuple[str, str], dict[str, Any]] = {}  # (rule, feature key) -> first/last seen
    errors = sum(1 for d in decisions if d["verdict"] == "error")
    for seq, decision in enumerate(decisions_all, start=1):
        if decision["kind"] == "recorded":
            continue
        for f in decision["findings"]:
            if f["blocking"] and not f.get("waived"):
                item = failures.setdefault((f["id"], feature_key(decision["repository"], f["feature"])),
                                           {"first": decision["clock"], "decisions": []})
                item["last"] = decision["clock"]
                item["decisions"].append(seq)
    open_now = {(f["id"], feature_key(d["repository"], f["feature"])) for d in final.values()
                for f in d["findings"] if f["blocking"] and not f.get("waived")}
    out = []
    for (framework, cid), rules in sorted(control_map.rules_of().items(), key=lambda kv: _control_order(control_map, kv[0])):
        fw = control_map.frameworks[framework]
        items = [
            {"rule": rule, "feature": feature, "first_failed": data["first"], "last_failed": data["last"],
             "open_at_period_end": (rule, feature) in open_now, "decisions": data["decisions"]}
            for (rule, feature), data in sorted(failures.items()) if rule in rules
        ]
        if any(i["open_at_period_end"] for i in items):
            status = "not held"
        elif items:
            status = "remediated"
        elif not decisions:
            status = "not assessed"
        elif errors:
            status = "incomplete"
        else:
            status = "held"
        out.append({"framework": framework, "framework_name": fw.name, "framework_version": fw.version,
                    "control": cid, "title": fw.controls[cid].title, "rules": rules, "status": status,
                    "decisions_evaluated": len([d for d in decisions if d["verdict"] not in ("removed",)]),
                    "failures": items})
    return out


def _control_order(control_map: ControlMap, key: tuple[str, str]) -> tuple[int, int]:
    frameworks = list(control_map.frameworks)
    ids = list(control_map.frameworks[key[0]].controls)
    return frameworks.index(key[0]), ids.index(key[1])


def _final_decisions(decisions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """repository/feature -> its last decision of the period (replayed or re-judged by the clock)."""
    out: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        if decision["kind"] == "recorded":
            continue
        for feature in decision["features"]:
            out[feature_key(decision["repository"], feature)] = decision
    return {k: v for k, v in out.items() if v["verdict"] != "removed"}


def fleet(decisions: list[dict[str, Any]], facts: dict[str, dict[str, Any]], period_end: str,
          latest_templates: dict[str, str]) -> dict[str, Any]:
    """Features per team, paved-road adoption, waivers, failing now, time to remediate."""
    final = _final_decisions(decisions)
    lines = timelines(decisions)
    features = []
    for key in sorted(final):
        doc = facts.get(key, {})
        feature = doc.get("feature", {})
        template = feature.get("template") or {}
        latest = latest_templates.get(str(template.get("name")))
        features.append({
            "feature": key,
            "team": ((feature.get("manifest") or {}).get("metadata") or {}).get("owner", "unknown"),
            "tier": ((feature.get("manifest") or {}).get("spec") or {}).get("riskTier"),
            "verdict": _verdict(final[key], key.split("/", 1)[1]),
            "template": template.get("name"), "template_version": template.get("version"),
            "template_latest": latest, "template_behind": _behind(template.get("version"), latest),
            "remediation_days": _remediation_days(lines.get(key, [])),
        })
    waivers = _waivers(final.values())
    teams: dict[str, int] = {}
    for f in features:
        teams[f["team"]] = teams.get(f["team"], 0) + 1
    days = [d for f in features for d in f["remediation_days"]]
    return {
        "features": features,
        "teams": dict(sorted(teams.items())),
        "failing_now": [f["feature"] for f in features if f["verdict"] in ("fail", "error")],
        "on_paved_road": sum(1 for f in features if f["template"]),
        "waivers": waivers,
        "median_days_to_remediate": sorted(days)[len(days) // 2] if days else None,
    }


def _behind(version: Any, latest: str | None) -> int | None:
    """How many minor/patch releases a template version is behind, as major*100+minor*10+patch steps; None if unknown."""
    if not version or not latest:
        return None
    try:
        have = [int(x) for x in str(version).split(".")[:3]]
        want = [int(x) for x in latest.split(".")[:3]]
    except ValueError:
        return None
    return max(0, (want[0] - have[0]) * 100 + (want[1] - have[1]) * 10 + (want[2] - have[2]))


def _remediation_days(changes: list[Change]) -> list[float]:
    """Days from each turn to fail until the next pass; a failure still open at period end is not counted here."""
    out = []
    failed_at: str | None = None
    for change in changes:
        if change.verdict == "fail" and failed_at is None:
            failed_at = change.clock
        elif change.verdict == "pass" and failed_at is not None:
            out.append(round((_ts(change.clock) - _ts(failed_at)) / 86400, 1))
            failed_at = None
    return out


def _waivers(decisions: Any) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        for waiver in decision.get("waivers") or []:
            key = f"{decision['repository']}:{waiver.get('file')}:{waiver.get('line')}:{waiver.get('rule')}"
            seen[key] = {"repository": decision["repository"], **waiver}
    return [seen[k] for k in sorted(seen)]


def _ts(clock: str) -> float:
    return dt.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp()
