"""What the decisions of a period say: per-feature timelines, per-control status, the fleet.

Everything here is derived from decisions.jsonl and the facts at period end, so a reader can
recompute every figure in the report from the bundle itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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


def timelines(decisions: list[dict[str, Any]], first_seq: int = 1) -> dict[str, list[Change]]:
    """repository/feature -> the decisions where its verdict or findings changed, in order.
    ``first_seq``: the line in decisions.jsonl of the first decision given."""
    out: dict[str, list[Change]] = {}
    last: dict[str, tuple[str, frozenset[str]]] = {}
    for seq, decision in enumerate(decisions, start=first_seq):
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


def recorded(decisions: list[dict[str, Any]], first_seq: int = 1) -> list[dict[str, Any]]:
    """Each recorded decision, whether it agrees with the replay, and notes that are not records."""
    return [
        {"seq": seq, "repository": d["repository"], "commit": d["commit"], "verdict": d["verdict"],
         "replayed_verdict": d.get("replayed_verdict"), "agrees": d.get("agrees"), "error": d.get("error")}
        for seq, d in enumerate(decisions, start=first_seq) if d["kind"] == "recorded"
    ]


def _verdict(decision: dict[str, Any], feature: str) -> str:
    if decision["verdict"] in ("error", "removed"):
        return decision["verdict"]
    blocking = any(f["blocking"] and not f.get("waived") and f["feature"] == feature for f in decision["findings"])
    return "fail" if blocking else "pass"


# The fields of a decision an OSCAL observation names (kept for the decisions that change a timeline).
OBSERVED_FIELDS = ("repository", "features", "verdict", "kind", "clock", "cause")


@dataclass
class PeriodSummary:
    """Every figure of a bundle's summary, controls, OSCAL and manifest, gathered one repository at
    a time. A feature's timeline never spans two repositories, so a build (which holds each
    repository's decisions) and a merge (which streams them from many bundles) add repositories
    in turn and get the same figures, while only one repository's decisions are in memory."""

    control_map: ControlMap
    period_end: str
    latest_templates: dict[str, str]
    decisions: int = 0  # lines of decisions.jsonl so far
    lines: dict[str, list[Change]] = field(default_factory=dict)
    recorded: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (rule, feature key) -> when seen
    open_now: set[tuple[str, str]] = field(default_factory=set)  # (rule, feature key) blocking at period end
    judged: int = 0  # decisions that are not recorded ones
    evaluated: int = 0  # of those, the ones that judged something (not a removal)
    errors: int = 0
    features: list[dict[str, Any]] = field(default_factory=list)
    waivers: dict[str, dict[str, Any]] = field(default_factory=dict)
    packs: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)  # (version, policies, data) -> lines
    observed: dict[int, dict[str, Any]] = field(default_factory=dict)  # line -> a decision that changed a timeline

    def add(self, decisions: list[dict[str, Any]], facts: dict[str, dict[str, Any]]) -> None:
        """One repository's decisions in order, and its features' facts at period end (by feature key)."""
        first = self.decisions + 1
        lines = timelines(decisions, first)
        self.lines.update(lines)
        self.recorded += recorded(decisions, first)
        judged = [d for d in decisions if d["kind"] != "recorded"]
        final = _final_decisions(judged)
        self._tally_controls(decisions, first, judged, final)
        self._tally_fleet(final, facts, lines)
        for seq, decision in enumerate(decisions, start=first):
            policy, digests = decision.get("policy"), decision.get("digests")
            if policy and digests:
                self.packs.setdefault((policy["version"], digests["policies"], digests["data"]), []).append(seq)
        for seq in {c.seq for changes in lines.values() for c in changes}:
            self.observed[seq] = {k: decisions[seq - first][k] for k in OBSERVED_FIELDS}
        self.decisions += len(decisions)

    def _tally_controls(self, decisions: list[dict[str, Any]], first: int, judged: list[dict[str, Any]],
                        final: dict[str, dict[str, Any]]) -> None:
        self.judged += len(judged)
        self.evaluated += sum(1 for d in judged if d["verdict"] != "removed")
        self.errors += sum(1 for d in judged if d["verdict"] == "error")
        for seq, decision in enumerate(decisions, start=first):
            if decision["kind"] == "recorded":
                continue
            for f in decision["findings"]:
                if f["blocking"] and not f.get("waived"):
                    item = self.failures.setdefault((f["id"], feature_key(decision["repository"], f["feature"])),
                                                    {"first": decision["clock"], "decisions": []})
                    item["last"] = decision["clock"]
                    item["decisions"].append(seq)
        self.open_now |= {(f["id"], feature_key(d["repository"], f["feature"])) for d in final.values()
                          for f in d["findings"] if f["blocking"] and not f.get("waived")}

    def controls(self) -> list[dict[str, Any]]:
        """Each mapped control: the evidence items (rule x feature) and its status over the period.

        held: no blocking finding of its rules in any decision; remediated: some, none at period end;
        not held: a blocking finding at period end; incomplete: some decision could not be made (error).
        """
        control_map = self.control_map
        out = []
        for (framework, cid), rules in sorted(control_map.rules_of().items(), key=lambda kv: _control_order(control_map, kv[0])):
            fw = control_map.frameworks[framework]
            items = [
                {"rule": rule, "feature": feature, "first_failed": data["first"], "last_failed": data["last"],
                 "open_at_period_end": (rule, feature) in self.open_now, "decisions": data["decisions"]}
                for (rule, feature), data in sorted(self.failures.items()) if rule in rules
            ]
            if any(i["open_at_period_end"] for i in items):
                status = "not held"
            elif items:
                status = "remediated"
            elif not self.judged:
                status = "not assessed"
            elif self.errors:
                status = "incomplete"
            else:
                status = "held"
            out.append({"framework": framework, "framework_name": fw.name, "framework_version": fw.version,
                        "control": cid, "title": fw.controls[cid].title, "rules": rules, "status": status,
                        "decisions_evaluated": self.evaluated, "failures": items})
        return out

    def _tally_fleet(self, final: dict[str, dict[str, Any]], facts: dict[str, dict[str, Any]],
                     lines: dict[str, list[Change]]) -> None:
        for key in sorted(final):
            doc = facts.get(key, {})
            feature = doc.get("feature", {})
            template = feature.get("template") or {}
            latest = self.latest_templates.get(str(template.get("name")))
            self.features.append({
                "feature": key,
                "team": ((feature.get("manifest") or {}).get("metadata") or {}).get("owner", "unknown"),
                "tier": ((feature.get("manifest") or {}).get("spec") or {}).get("riskTier"),
                "verdict": _verdict(final[key], key.split("/", 1)[1]),
                "template": template.get("name"), "template_version": template.get("version"),
                "template_latest": latest, "template_behind": _behind(template.get("version"), latest),
                "remediation_days": _remediation_days(lines.get(key, [])),
            })
        self.waivers.update(_waivers(final.values()))

    def fleet(self) -> dict[str, Any]:
        """Features per team, paved-road adoption, waivers, failing now, time to remediate."""
        features = sorted(self.features, key=lambda f: f["feature"])
        teams: dict[str, int] = {}
        for f in features:
            teams[f["team"]] = teams.get(f["team"], 0) + 1
        days = [d for f in features for d in f["remediation_days"]]
        return {
            "features": features,
            "teams": dict(sorted(teams.items())),
            "failing_now": [f["feature"] for f in features if f["verdict"] in ("fail", "error")],
            "on_paved_road": sum(1 for f in features if f["template"]),
            "waivers": [self.waivers[k] for k in sorted(self.waivers)],
            "median_days_to_remediate": sorted(days)[len(days) // 2] if days else None,
        }


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


def _waivers(decisions: Any) -> dict[str, dict[str, Any]]:
    """repository:file:line:rule -> each waiver the decisions name (the last decision's copy)."""
    seen: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        for waiver in decision.get("waivers") or []:
            key = f"{decision['repository']}:{waiver.get('file')}:{waiver.get('line')}:{waiver.get('rule')}"
            seen[key] = {"repository": decision["repository"], **waiver}
    return seen


def _ts(clock: str) -> float:
    return dt.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp()
