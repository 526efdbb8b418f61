"""What the decisions of a period say: per-feature timelines, per-control status, the fleet.

Everything here is derived from decisions.jsonl and the facts at period end, so a reader can
recompute every figure in the report from the bundle itself.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigov.config import OrgConfig
from aigov.evidence.decision import canonical_json
from aigov.evidence.jsonstream import Pairs, Rows
from aigov.evidence.reviews import bundle_reviews
from aigov.policy.controls import ControlMap
from aigov.policy.loading import build_pack


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


# The decisions that make a feature's timeline on the branch: a commit replayed, the clock
# alone, a feature removed. A recorded one (a git note) and the replay of a merged pull request's
# head stand beside them.
BRANCH_KINDS = ("replayed", "clock", "removed")


def feature_key(repository: str, feature: str) -> str:
    return f"{repository}/{feature}"


def feature_label(key: str) -> str:
    """How a report names a feature: ``repository/feature``, or just the name where both are one."""
    repository, _, feature = key.partition("/")
    return feature if feature == repository else key


def timelines(decisions: list[dict[str, Any]], first_seq: int = 1) -> dict[str, list[Change]]:
    """repository/feature -> the decisions where its verdict or findings changed, in order.
    ``first_seq``: the line in decisions.jsonl of the first decision given."""
    out: dict[str, list[Change]] = {}
    last: dict[str, tuple[str, frozenset[str]]] = {}
    for seq, decision in enumerate(decisions, start=first_seq):
        if decision["kind"] not in BRANCH_KINDS:
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
        {"seq": seq, "repository": d["repository"], "commit": d["commit"], "covers": d.get("covers"), "verdict": d["verdict"],
         "replayed_verdict": d.get("replayed_verdict"), "agrees": d.get("agrees"), "error": d.get("error"),
         "disagreement": d.get("disagreement"), "pull_request": d.get("pull_request", False), "clock": d.get("clock")}
        for seq, d in enumerate(decisions, start=first_seq) if d["kind"] == "recorded"
    ]


def _verdict(decision: dict[str, Any], feature: str) -> str:
    if decision["verdict"] in ("error", "removed"):
        return decision["verdict"]
    blocking = any(f["blocking"] and not f.get("waived") and f["feature"] == feature for f in decision["findings"])
    return "fail" if blocking else "pass"


# The fields of a decision an OSCAL observation names (kept for the decisions that change a timeline).
OBSERVED_FIELDS = ("repository", "features", "verdict", "kind", "clock", "cause")

# What grows with the fleet is kept in SQLite, a row per feature, failure, waiver and observed or
# recorded decision, and read back in the order each output lists it. SQLite compares TEXT with
# memcmp over UTF-8, which orders strings as Python's sorted() does (by code point). Columns have
# no type (but seq), so each value comes back as the type it went in as.
_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -256;
CREATE TABLE timeline (feature PRIMARY KEY, changes);
CREATE TABLE fleet (feature PRIMARY KEY, failing, doc);
CREATE TABLE failure (rule, feature, doc, PRIMARY KEY (rule, feature));
CREATE TABLE title (rule PRIMARY KEY, title);
CREATE TABLE waiver (key PRIMARY KEY, doc);
CREATE TABLE recorded (seq INTEGER PRIMARY KEY, doc);
CREATE TABLE observed (seq INTEGER PRIMARY KEY, doc);
CREATE TABLE promotion (repository, feature, quarter, doc, PRIMARY KEY (repository, feature, quarter));
CREATE TABLE draft (repository, feature, quarter, path, document, doc, PRIMARY KEY (repository, feature, quarter, path, document));
"""


class PeriodSummary:
    """Every figure of a bundle's summary, controls, OSCAL and manifest, gathered one repository at
    a time. A feature's timeline never spans two repositories, so a build (which holds each
    repository's decisions) and a merge (which streams them from many bundles) add repositories
    in turn and get the same figures. Per-feature details go to a store (a file for a merge, so
    memory stays flat in the number of repositories); only counts stay in memory."""

    def __init__(self, control_map: ControlMap, period_end: str, latest_templates: dict[str, str],
                 store: Path | None = None) -> None:
        self.control_map = control_map
        self.period_end = period_end
        self.latest_templates = latest_templates
        self.db = sqlite3.connect(str(store) if store else ":memory:")
        self.db.executescript(_SCHEMA)
        self.decisions = 0  # lines of decisions.jsonl so far
        self.judged = 0  # decisions that are not recorded ones
        self.evaluated = 0  # of those, the ones that judged something (not a removal)
        self.errors = 0
        self.failed: dict[str, int] = {}  # rule -> (rule, feature) pairs with a blocking finding
        self.still_open: dict[str, int] = {}  # rule -> of those, the ones blocking at period end
        self.packs: dict[tuple[str, str, str], list[int]] = {}  # (version, policies, data) -> lines
        self.tiers: set[str] = set()  # the risk tiers of the features judged
        # Pull-request rules: the commits that changed a feature, and those a recorded pull-request
        # decision that agrees with the replay covers (its line), which alone assess those rules.
        self.changes = 0
        self.covered: list[int] = []
        # Paved-road adoption when the period began: (template, version, status) -> features, and those with none.
        self.roads_at_start: dict[tuple[str, str, str], int] = {}
        self.no_template_at_start = 0

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> PeriodSummary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, decisions: list[dict[str, Any]], facts: dict[str, dict[str, Any]]) -> None:
        """One repository's decisions in order, and its features' facts at period end (by feature key)."""
        first = self.decisions + 1
        lines = timelines(decisions, first)
        self._insert("timeline", [(key, canonical_json([vars(c) for c in changes])) for key, changes in lines.items()])
        self._insert("recorded", [(r["seq"], canonical_json(r)) for r in recorded(decisions, first)])
        judged = [d for d in decisions if d["kind"] in BRANCH_KINDS]
        final = _final_decisions(judged)
        self._tally_controls(decisions, first, judged, final)
        self._tally_pull_requests(decisions, first)
        self._tally_fleet(final, facts, lines)
        self._tally_roads_at_start(judged)
        self._tally_reviews(judged, [d for d in decisions if d["kind"] == "recorded"])
        self._insert("title", [(f["id"], f["title"]) for d in judged for f in d["findings"] if f.get("title")], verb="OR IGNORE")
        for seq, decision in enumerate(decisions, start=first):
            policy, digests = decision.get("policy"), decision.get("digests")
            if policy and digests:
                self.packs.setdefault((policy["version"], digests["policies"], digests["data"]), []).append(seq)
        seqs = sorted({c.seq for changes in lines.values() for c in changes})
        self._insert("observed", [(seq, canonical_json({k: decisions[seq - first][k] for k in OBSERVED_FIELDS})) for seq in seqs])
        self.decisions += len(decisions)

    def _insert(self, table: str, rows: list[tuple[Any, ...]], verb: str = "OR REPLACE") -> None:
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT {verb} INTO {table} VALUES ({marks})", rows)

    def _tally_controls(self, decisions: list[dict[str, Any]], first: int, judged: list[dict[str, Any]],
                        final: dict[str, dict[str, Any]]) -> None:
        self.judged += len(judged)
        self.evaluated += sum(1 for d in judged if d["verdict"] != "removed")
        self.errors += sum(1 for d in judged if d["verdict"] == "error")
        self.tiers |= {str(tier) for d in judged for tier in (d.get("tiers") or {}).values()}
        # A replay has no base: a pull-request rule's finding there assesses nothing.
        failures = _blocking_items(((seq, d) for seq, d in enumerate(decisions, start=first) if d["kind"] in BRANCH_KINDS),
                                   lambda rule: not self.control_map.applies_to(rule).pull_request)
        open_now = {(f["id"], feature_key(d["repository"], f["feature"])) for d in final.values()
                    for f in d["findings"] if f["blocking"] and not f.get("waived")}
        for rule, feature in failures:
            self.failed[rule] = self.failed.get(rule, 0) + 1
            self.still_open[rule] = self.still_open.get(rule, 0) + ((rule, feature) in open_now)
        # A feature's failures all come from its own repository's decisions: each row is final here.
        self._insert("failure", [(rule, feature, canonical_json({
            "rule": rule, "feature": feature, "first_failed": data["first"], "last_failed": data["last"],
            "open_at_period_end": (rule, feature) in open_now, "decisions": data["decisions"]}))
            for (rule, feature), data in failures.items()])

    def _tally_pull_requests(self, decisions: list[dict[str, Any]], first: int) -> None:
        """The commits that changed a feature, and the recorded pull-request decisions that cover
        them: only those assess the pull-request rules (a failure there is the change's own)."""
        changes = {d["commit"] for d in decisions if d["kind"] == "replayed" and d.get("feature_change")}
        self.changes += len(changes)
        covering: dict[str, tuple[int, dict[str, Any]]] = {}  # the change -> the first record that covers it
        for seq, decision in enumerate(decisions, start=first):
            if (decision["kind"] == "recorded" and decision.get("pull_request") and decision.get("agrees")
                    and decision.get("covers") in changes):
                covering.setdefault(decision["covers"], (seq, decision))
        self.covered += sorted(seq for seq, _ in covering.values())
        failures = _blocking_items(sorted(covering.values(), key=lambda item: item[0]),
                                   lambda rule: self.control_map.applies_to(rule).pull_request)
        for rule, _ in failures:
            self.failed[rule] = self.failed.get(rule, 0) + 1
            self.still_open[rule] = self.still_open.get(rule, 0) + 1  # a change merged past the rule stays merged
        self._insert("failure", [(rule, feature, canonical_json({
            "rule": rule, "feature": feature, "first_failed": data["first"], "last_failed": data["last"],
            "open_at_period_end": True, "pull_request": True, "decisions": data["decisions"]}))
            for (rule, feature), data in failures.items()])

    def _tally_roads_at_start(self, judged: list[dict[str, Any]]) -> None:
        """Each feature's template where the period began (its first decision that decided)."""
        seen: set[str] = set()
        for decision in judged:
            if decision["verdict"] in ("error", "removed"):
                continue
            for feature in decision["features"]:
                if feature in seen:
                    continue
                seen.add(feature)
                template = (decision.get("templates") or {}).get(feature)
                if not template:
                    self.no_template_at_start += 1
                    continue
                road = _road(template[0], template[1], _template_status({"version": template[1]}, decision, feature))
                self.roads_at_start[road] = self.roads_at_start.get(road, 0) + 1

    def _tally_reviews(self, judged: list[dict[str, Any]], recorded: list[dict[str, Any]]) -> None:
        """The review committee's quarter (aigov.evidence.reviews): a repository's rows are final here."""
        reviews = bundle_reviews(judged, recorded)
        self._insert("promotion", [(r["repository"], r["feature"], r["quarter"], canonical_json(r)) for r in reviews["promotions"]])
        self._insert("draft", [(r["repository"], r["feature"], r["quarter"], r["path"], r["document"], canonical_json(r))
                               for r in reviews["drafts"]])

    def reviews(self) -> dict[str, Rows]:
        """Prompt promotions and drafts per repository, feature and quarter (reviews.json)."""
        return {"promotions": self._rows("SELECT doc FROM promotion ORDER BY repository, feature, quarter"),
                "drafts": self._rows("SELECT doc FROM draft ORDER BY repository, feature, quarter, path, document")}

    def controls(self) -> list[dict[str, Any]]:
        """Each mapped control: the evidence items (rule x feature) and its status over the period.

        A control is judged by the rules that could judge in the period: a pull-request rule only
        where a recorded pull-request decision covers a change, a tier rule only if a feature of
        its tiers was judged. held: no blocking finding of those rules in any decision, and where
        it has pull-request rules every change covered; remediated: some, none at period end;
        not held: a blocking finding at period end, or a change recorded failing a pull-request
        rule; incomplete: some decision could not be made (an error), or only some changes were
        covered (with rules of both kinds: the replayed ones held, the pull-request ones did not judge every change); not assessed: nothing assessed it; not applicable: none of its rules applies to
        the features judged.
        """
        control_map = self.control_map
        out = []
        for (framework, cid), rules in sorted(control_map.rules_of().items(), key=lambda kv: _control_order(control_map, kv[0])):
            fw = control_map.frameworks[framework]
            own = sorted(set(rules))
            applies = {rule: control_map.applies_to(rule) for rule in own}
            pull_request = [r for r in own if applies[r].pull_request]
            replayed = [r for r in own if not applies[r].pull_request and any(applies[r].to_tier(t) for t in self.tiers)]
            not_applicable = [r for r in own if r not in pull_request and r not in replayed]
            failed = sum(self.failed.get(rule, 0) for rule in own)
            status = self._status(own, failed, replayed, pull_request)
            control = {"framework": framework, "framework_name": fw.name, "framework_version": fw.version,
                       "control": cid, "title": fw.controls[cid].title, "rules": rules, "status": status,
                       "assessed_by": replayed + (pull_request if self.covered else []), "not_applicable": not_applicable,
                       "decisions_evaluated": (self.evaluated if replayed else 0) + (len(self.covered) if pull_request else 0),
                       "failures": self._failures(own, failed)}
            if pull_request:
                control["pull_requests"] = {"rules": pull_request, "changes": self.changes, "covered": len(self.covered)}
            out.append(control)
        return out

    def _status(self, rules: list[str], failed: int, replayed: list[str], pull_request: list[str]) -> str:
        covered, changes = len(self.covered), self.changes
        if any(self.still_open.get(rule) for rule in rules):
            return "not held"
        if failed:
            return "remediated"
        if not self.judged:
            return "not assessed"
        if not replayed and not pull_request:
            return "not applicable"
        if not replayed:  # pull-request rules alone: held only where every change was covered
            if not covered or not changes:
                return "not assessed"
            return "held" if covered == changes and not self.errors else "incomplete"
        # Rules of both kinds: the replayed ones held, but a change no pull-request decision covers
        # was not judged by the others (a change pushed straight to main): not held in full.
        if self.errors or (pull_request and covered < changes):
            return "incomplete"
        return "held"

    def rule_titles(self) -> dict[str, str]:
        """Rule id -> title: as the findings of the period name it, else as the shipped pack does."""
        titles = dict(_shipped_titles())
        titles.update(dict(self.db.execute("SELECT rule, title FROM title")))
        mapped = {rule for rules in self.control_map.rules_of().values() for rule in rules}
        seen = {rule for (rule,) in self.db.execute("SELECT rule FROM title")}
        return {rule: titles[rule] for rule in sorted(mapped | seen) if rule in titles}

    def _failures(self, rules: list[str], count: int) -> Rows:
        """The rule x feature items of these rules, by rule then feature."""
        query = f"SELECT doc FROM failure WHERE rule IN ({', '.join('?' * len(rules))}) ORDER BY rule, feature"
        return Rows(lambda: (json.loads(doc) for (doc,) in self.db.execute(query, rules)), lambda: count,
                    encoded=lambda: (doc for (doc,) in self.db.execute(query, rules)))

    def _tally_fleet(self, final: dict[str, dict[str, Any]], facts: dict[str, dict[str, Any]],
                     lines: dict[str, list[Change]]) -> None:
        rows = []
        for key in sorted(final):
            doc = facts.get(key, {})
            feature = doc.get("feature", {})
            template = feature.get("template") or {}
            latest = self.latest_templates.get(str(template.get("name")))
            name = key.split("/", 1)[1]
            verdict = _verdict(final[key], name)
            spec = (feature.get("manifest") or {}).get("spec") or {}
            rows.append((key, verdict in ("fail", "error"), canonical_json({
                "feature": key,
                "team": ((feature.get("manifest") or {}).get("metadata") or {}).get("owner", "unknown"),
                "tier": spec.get("riskTier"),
                "verdict": verdict,
                "template": template.get("name"), "template_version": template.get("version"),
                "template_latest": latest, "template_behind": _behind(template.get("version"), latest),
                "template_status": _template_status(template, final[key], name),
                "models": sorted({str(m["id"]) for m in spec.get("models") or [] if isinstance(m, dict) and m.get("id")}),
                "remediation_days": _remediation_days(lines.get(key, [])),
            })))
        self._insert("fleet", rows)
        self._insert("waiver", [(key, canonical_json(waiver)) for key, waiver in _waivers(final.values()).items()])

    def fleet(self) -> dict[str, Any]:
        """Features per team, paved-road adoption, waivers, failing now, time to remediate."""
        teams: dict[str, int] = {}
        on_paved_road = 0
        days: list[float] = []  # a number per remediation: small beside the rows it comes from
        for f in self._rows("SELECT doc FROM fleet ORDER BY feature"):
            teams[f["team"]] = teams.get(f["team"], 0) + 1
            on_paved_road += 1 if f["template"] else 0
            days += f["remediation_days"]
        return {
            "features": self._rows("SELECT doc FROM fleet ORDER BY feature"),
            "teams": dict(sorted(teams.items())),
            "failing_now": self._rows("SELECT feature FROM fleet WHERE failing ORDER BY feature", decode=str),
            "on_paved_road": on_paved_road,
            "waivers": self._rows("SELECT doc FROM waiver ORDER BY key"),
            "median_days_to_remediate": sorted(days)[len(days) // 2] if days else None,
            "adoption": self._adoption(),
        }

    def _adoption(self) -> dict[str, Any]:
        """Paved-road adoption: features by template, version and status when the period began and
        at its end, features with no template, and the models in use by the features' risk tier."""
        roads: dict[tuple[str, str, str], int] = {}  # (template, version, status) -> features at period end
        latest: dict[str, Any] = {}
        models: dict[str, dict[str, int]] = {}  # model -> tier -> features
        no_template = 0
        for f in self._rows("SELECT doc FROM fleet ORDER BY feature"):
            if f["template"]:
                road = _road(f["template"], f["template_version"], f.get("template_status"))
                roads[road] = roads.get(road, 0) + 1
                latest[road[0]] = f["template_latest"]
            else:
                no_template += 1
            for model in f.get("models") or []:
                tiers = models.setdefault(model, {})
                tiers[str(f["tier"])] = tiers.get(str(f["tier"]), 0) + 1
        every_road = sorted(set(roads) | set(self.roads_at_start), key=lambda r: (r[0], _version_key(r[1]), r[2]))
        return {
            "templates": [{"template": t, "version": v, "status": st, "latest": latest.get(t, self.latest_templates.get(t)),
                           "features": roads.get((t, v, st), 0), "at_start": self.roads_at_start.get((t, v, st), 0)}
                          for t, v, st in every_road],
            "no_template": no_template,
            "no_template_at_start": self.no_template_at_start,
            "models": [{"model": m, "tiers": dict(sorted(tiers.items())), "features": sum(tiers.values())}
                       for m, tiers in sorted(models.items())],
        }

    def feature_count(self) -> int:
        return self._count("SELECT feature FROM fleet")

    def timelines(self) -> Pairs:
        """feature key -> its timeline (as dicts), by feature key."""
        query = "SELECT feature, changes FROM timeline ORDER BY feature"
        return Pairs(lambda: ((key, json.loads(changes)) for key, changes in self.db.execute(query)), lambda: self._count(query),
                     encoded=lambda: self.db.execute(query))

    def recorded(self) -> Rows:
        return self._rows("SELECT doc FROM recorded ORDER BY seq")

    def observed(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each decision that changed a timeline, by its line in decisions.jsonl."""
        return ((seq, json.loads(doc)) for seq, doc in self.db.execute("SELECT seq, doc FROM observed ORDER BY seq"))

    def _rows(self, query: str, decode: Callable[[Any], Any] = json.loads) -> Rows:
        """The first column of each row the query gives; the rows hold canonical JSON unless ``decode`` says otherwise."""
        return Rows(lambda: (decode(value) for (value,) in self.db.execute(query)), lambda: self._count(query),
                    encoded=(lambda: (value for (value,) in self.db.execute(query))) if decode is json.loads else None)

    def _count(self, query: str) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM ({query})").fetchone()[0])


def _control_order(control_map: ControlMap, key: tuple[str, str]) -> tuple[int, int]:
    frameworks = list(control_map.frameworks)
    ids = list(control_map.frameworks[key[0]].controls)
    return frameworks.index(key[0]), ids.index(key[1])


def _blocking_items(decisions: Iterable[tuple[int, dict[str, Any]]], counts: Callable[[str], bool]) -> dict[tuple[str, str], dict[str, Any]]:
    """(rule, feature key) -> when its blocking findings were seen ("first", "last" clock) and in
    which decisions (their lines), for the rules ``counts`` accepts."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for seq, decision in decisions:
        for f in decision["findings"]:
            if f["blocking"] and not f.get("waived") and counts(f["id"]):
                item = out.setdefault((f["id"], feature_key(decision["repository"], f["feature"])), {"first": decision["clock"], "decisions": []})
                item["last"] = decision["clock"]
                item["decisions"].append(seq)
    return out


# What the template rules decided about a feature's paved-road version at period end.
TEMPLATE_BEHIND, TEMPLATE_PAST_DEADLINE = "AIGOV-TEMPLATE-001", "AIGOV-TEMPLATE-002"


def _template_status(template: dict[str, Any], final: dict[str, Any], feature: str) -> str | None:
    """current, behind (older than the supported minimum, before its deadline), past the deadline,
    or unknown (a version aigov cannot order); None off the paved road."""
    if not template:
        return None
    ids = {f["id"] for f in final["findings"] if f["feature"] == feature}
    if TEMPLATE_PAST_DEADLINE in ids:
        return "past the deadline"
    if TEMPLATE_BEHIND in ids:
        return "behind"
    return "current" if template.get("version") else "unknown"


def _road(template: Any, version: Any, status: str | None) -> tuple[str, str, str]:
    return str(template), str(version or "unknown"), status or "unknown"


def _version_key(version: str) -> tuple[Any, ...]:
    parts = version.split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def _shipped_titles() -> dict[str, str]:
    """The shipped pack's rules by id, with their titles (the same for a build and a merge)."""
    return {rule_id: meta.title for rule_id, meta in build_pack(OrgConfig()).rules.items()}


def _final_decisions(decisions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """repository/feature -> its last decision of the period (replayed or re-judged by the clock)."""
    out: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        if decision["kind"] not in BRANCH_KINDS:
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
