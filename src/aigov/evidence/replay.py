"""Replay the decisions of a period: each commit that changes a feature's inputs is judged on its
own tree with its own time as the clock, and the same facts are judged again at the instants
where only the clock can change the answer (a model's sunset, a model card's review age, a
deadline), so the timeline shows the day a feature fell out of compliance with no commit.

``run_check`` is the one way to decide: nothing here knows what a rule says.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.evidence.decision import decision_from_result
from aigov.evidence.history import Commit, History, apply, rfc3339
from aigov.evidence.workspace import MANIFEST, feature_dirs, strings_in, under
from aigov.tree import Entries, Reads

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
DAY = 86400
PERIOD_END = "period end"  # the label of the snapshot of every feature's documents at the period's end


@dataclass
class Period:
    label: str
    start: int  # inclusive, seconds since the epoch (UTC)
    end: int  # exclusive

    @property
    def last_second(self) -> int:
        return self.end - 1


def parse_period(period: str | None, start: str | None, end: str | None) -> Period:
    """``2026Q3``, or --from/--to dates (both inclusive)."""
    if period is not None:
        if start or end:
            raise AigovError("give --period or --from/--to, not both")
        match = re.fullmatch(r"(\d{4})-?Q([1-4])", period.strip(), re.IGNORECASE)
        if not match:
            raise AigovError(f"--period {period!r} is not a quarter such as 2026Q3")
        year, quarter = int(match.group(1)), int(match.group(2))
        first = dt.date(year, 3 * quarter - 2, 1)
        after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return Period(f"{year}Q{quarter}", _epoch(first), _epoch(after))
    if not (start and end):
        raise AigovError("give --period 2026Q3, or both --from DATE and --to DATE")
    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        raise AigovError(f"--to {end} is before --from {start}")
    return Period(f"{first.isoformat()}..{last.isoformat()}", _epoch(first), _epoch(last + dt.timedelta(days=1)))


def _date(value: str, option: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise AigovError(f"{option} {value!r} is not a date such as 2026-07-01") from None
    if not 1980 <= parsed.year <= 2261:
        raise AigovError(f"{option} {value!r} is outside the years 1980-2261")
    return parsed


def _epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


@dataclass
class ReplayOptions:
    config_path: Path | None = None
    registry_path: Path | None = None
    branch: str | None = None


@dataclass
class RepositoryEvidence:
    name: str
    branch: str
    head: str | None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    # Documents per release point: (point label, commit, {path: bytes}, {feature name: input facts})
    snapshots: list[tuple[str, str | None, dict[str, bytes], dict[str, Any]]] = field(default_factory=list)
    features: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> its facts at period end


class Replayer:
    """One repository over one period. Every decision is ``aigov check`` of a commit read from git
    objects by the one reader (:class:`aigov.tree.CommitTree`): the same files a checkout holds."""

    def __init__(self, history: History, name: str, period: Period, options: ReplayOptions) -> None:
        self.history = history
        self.period = period
        self.options = options
        self.evidence = RepositoryEvidence(name, history.branch, history.head(period.end))
        self.outcomes: dict[str, tuple[str, tuple[str, ...]]] = {}  # feature dir -> (verdict, finding ids) last recorded
        self.names: dict[str, str] = {}  # feature dir -> metadata.name last seen
        self.facts: dict[str, dict[str, Any]] = {}  # feature dir -> input document last judged
        # feature dir -> what its last decision was read from; a commit that changes none of it
        # cannot change the decision (the clock aside), so the feature is not judged again.
        self.reads: dict[str, Reads] = {}
        # feature dir -> (judged at, the commit whose tree was judged, that tree, instants where the
        # clock may change the answer)
        self.windows: dict[str, tuple[int, str | None, Entries, list[int]]] = {}
        self.clock_data = _clock_data(options)
        self.sizes: dict[str, int] = {}  # blob id -> size, shared by every tree of the replay

    def run(self) -> RepositoryEvidence:
        base, commits = self.history.commits(self.period.start, self.period.end)
        tree = self.history.tree(base)
        tags = self.history.tags()
        dirs = feature_dirs(tree)
        if dirs:
            self._replay(["."], base, dict(tree), self.period.start, "state at the start of the period")
        walked: set[str] = set()
        for commit in commits:
            walked.add(commit.sha)
            apply(tree, commit)
            before = dirs
            if any(c.path.rsplit("/", 1)[-1] == MANIFEST for c in commit.changes):
                dirs = feature_dirs(tree)  # only then: a walk of the tree per commit is what makes 10,000 commits slow
            scopes = self._scopes(commit, before, dirs)
            if scopes:
                # The unchanged facts first meet the clock up to this commit, on the old tree.
                for folder in [d for d in before if any(under(d, s) for s in scopes)]:
                    self._close_window(folder, commit.time)
                for folder in sorted(set(before) - set(dirs)):
                    self._record_removed(folder, commit)
                self._replay([s for s in scopes if s == "." or s in dirs], commit.sha, dict(tree), commit.time,
                             f"commit {commit.sha[:12]} {commit.subject}")
            if commit.sha in tags:
                self._snapshot("release " + ", ".join(sorted(tags[commit.sha])), commit.sha, dict(tree))
        for folder in sorted(self.windows):
            self._close_window(folder, self.period.end)
        self._snapshot(PERIOD_END, self.evidence.head, tree)
        self.evidence.decisions = with_recorded(self.evidence.decisions, self.history.notes(walked), self.evidence.name)
        self.evidence.features = {self.names[d]: self.facts[d] for d in sorted(self.facts) if d in self.names}
        return self.evidence

    def _scopes(self, commit: Commit, before: list[str], after: list[str]) -> list[str]:
        """The feature folders whose recorded reads the commit changed; ["."] when features came or went."""
        if not commit.changes:
            return []
        if before != after:
            return ["."]  # a feature came or went: names must stay unique across the repository
        changed = [c.path for c in commit.changes]
        # A feature with no recorded reads (its last check failed) is judged on every commit until it decides.
        scopes = {d for d in after if d not in self.reads or self.reads[d].meets(changed)}
        if scopes and scopes == set(after):
            return ["."]  # every feature read what changed: one decision for the repository
        # A nested feature is judged with the folder around it.
        return sorted(s for s in scopes if not any(o != s and under(s, o) for o in scopes))

    def _replay(self, scopes: list[str], commit: str | None, tree: Entries, when: int, cause: str) -> None:
        for scope in scopes:
            record, outcomes, docs, reads = self._evaluate(scope, commit, tree, when, "replayed", cause)
            self.evidence.decisions.append(record)
            self._remember(outcomes, docs, reads, when, commit, tree, record.get("waivers") or [])

    def _evaluate(self, scope: str, commit: str | None, tree: Entries, when: int, kind: str,
                  cause: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Reads]]:
        """(the decision record, feature dir -> outcome, feature dir -> facts, feature dir -> reads) of one check of ``scope``."""
        from aigov.check import CheckOptions, check_tree
        from aigov.tree import CommitTree

        clock = rfc3339(max(when, self.period.start))
        options = CheckOptions(config_path=self.options.config_path, registry_path=self.options.registry_path,
                               now=clock, facts_in_background=False)
        head = {"repository": self.evidence.name, "kind": kind, "cause": cause, "scope": scope}
        try:
            commit_tree = CommitTree(self.history.path, commit or "", self.history.objects, entries=tree, sizes=self.sizes)
            result = check_tree(commit_tree, options, scope)
        except AigovError as exc:
            dirs = [d for d in feature_dirs(tree) if under(d, scope)]
            record = {**head, "commit": commit, "clock": clock, "features": sorted(self.names.get(d, d) for d in dirs),
                      "findings": [], "verdict": "error", "error": str(exc)}
            return record, {d: ("error", ()) for d in dirs}, {}, {}
        docs = {doc["feature"]["dir"]: doc for doc in result.inputs}
        outcomes = {folder: _outcome(result, doc["feature"]["name"]) for folder, doc in docs.items()}
        return {**decision_from_result(result, commit), **head}, outcomes, docs, result.reads

    def _remember(self, outcomes: dict[str, Any], docs: dict[str, Any], reads: dict[str, Reads], when: int,
                  commit: str | None, tree: Entries, waivers: list[dict[str, Any]]) -> None:
        for folder, outcome in outcomes.items():
            self.outcomes[folder] = outcome
            if folder in docs:
                self.names[folder], self.facts[folder] = docs[folder]["feature"]["name"], docs[folder]
                self.reads[folder] = reads[folder]
                name = docs[folder]["feature"]["name"]
                mine = [w for w in waivers if w.get("feature") in (None, name)]
                self.windows[folder] = (when, commit, tree, sorted(clock_points(docs[folder], self.clock_data, mine)))
            else:
                self.reads.pop(folder, None)
                self.windows.pop(folder, None)  # an error: nothing to re-judge until the next commit

    def _close_window(self, folder: str, until: int) -> None:
        """Judge a feature's unchanged facts at the instants before ``until`` where only the clock
        can change the answer; record each change. Bisection over the instants: where the answer
        at both ends of a span agrees, the span holds no change (time rules are thresholds)."""
        since, commit, tree, points = self.windows.pop(folder, (0, None, {}, []))
        instants = [t for t in points if max(since, self.period.start) < t < until]
        if not instants or folder not in self.outcomes:
            return
        seen: dict[int, tuple[dict[str, Any], Any]] = {}

        def at(i: int) -> Any:
            if instants[i] not in seen:
                when = instants[i]
                facts_of = f" (the facts of commit {commit[:12]})" if commit else ""
                record, outcomes, _, _ = self._evaluate(folder, commit, tree, when, "clock",
                                                        f"no commit: the clock reached {rfc3339(when)[:10]}{facts_of}")
                seen[when] = (record, outcomes.get(folder, ("error", ())))
            return seen[instants[i]][1]

        def search(lo: int, lo_outcome: Any, hi: int) -> None:  # instants[lo:hi], outcome before lo known
            if lo >= hi or at(hi - 1) == lo_outcome:
                return
            if hi - lo == 1:
                return
            mid = (lo + hi) // 2
            search(lo, lo_outcome, mid)
            search(mid, at(mid - 1), hi)

        search(0, self.outcomes[folder], len(instants))
        previous = self.outcomes[folder]
        for when in sorted(seen):
            record, outcome = seen[when]
            if outcome != previous:
                self.evidence.decisions.append(record)
                previous = outcome
        self.outcomes[folder] = previous

    def _record_removed(self, folder: str, commit: Commit) -> None:
        name = self.names.pop(folder, folder)
        self.outcomes.pop(folder, None)
        self.facts.pop(folder, None)
        self.reads.pop(folder, None)
        self.evidence.decisions.append({
            "repository": self.evidence.name, "kind": "removed", "cause": f"commit {commit.sha[:12]} {commit.subject}",
            "scope": folder, "commit": commit.sha, "clock": commit.clock, "features": [name], "findings": [], "verdict": "removed",
        })

    def _snapshot(self, label: str, commit: str | None, tree: Entries) -> None:
        from aigov.evidence.artefacts import feature_documents
        from aigov.tree import CommitTree

        documents = feature_documents(CommitTree(self.history.path, commit or "", self.history.objects, entries=tree, sizes=self.sizes),
                                      self.facts)
        facts = {self.names.get(d, d): self.facts[d] for d in sorted(self.facts)}
        self.evidence.snapshots.append((label, commit, documents, facts))


def with_recorded(decisions: list[dict[str, Any]], notes: dict[str, Any], repository: str) -> list[dict[str, Any]]:
    """The decisions with each recorded one (a git note written by `aigov record` in CI) placed after
    the replayed decision of its commit, marked with whether the two agree. A note that is not a
    decision record is listed as such: never a crash, never silently dropped."""
    from aigov.evidence.recorded import recorded_decision

    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    for decision in decisions:
        out.append(decision)
        commit = decision.get("commit")
        if decision["kind"] == "replayed" and commit in notes and commit not in placed:
            placed.add(commit)
            out.append(recorded_decision(notes[commit], commit, repository, decision))
    for commit in sorted(set(notes) - placed):
        out.append(recorded_decision(notes[commit], commit, repository, None))
    return out


def _outcome(result: Any, name: str) -> tuple[str, tuple[str, ...]]:
    findings = [f for f in result.findings if f.feature == name]
    verdict = "fail" if any(f.blocking and not f.waived for f in findings) else "pass"
    return verdict, tuple(sorted({f.id for f in findings}))


def _clock_data(options: ReplayOptions) -> tuple[dict[str, Any], list[int]]:
    """The org's data (registry, templates) and every day count its settings hold (review ages, warnings)."""
    from aigov.config import load_org_config
    from aigov.policy.loading import build_pack

    data = build_pack(load_org_config(options.config_path), options.registry_path).data["aigov"]
    days = sorted({n for key, n in _numbers(data.get("settings", {}), "") if key.endswith("days") or "_days" in key})
    return data, days


def clock_points(doc: dict[str, Any], clock_data: tuple[dict[str, Any], list[int]],
                 waivers: list[dict[str, Any]] | None = None) -> set[int]:
    """Instants where the answer for these facts may change: each date in the facts, in the data
    entries the facts name (a declared model's sunset, a template's deadline) and in the feature's
    waivers (expiry), shifted by each day count in the settings, and the day after (a rule may
    compare with > or >=)."""
    data, days = clock_data
    doc = {k: v for k, v in doc.items() if k != "now"}  # the clock itself is not a date in the facts
    named = set(strings_in(doc))
    dates = set(_dates(doc)) | set(_dates_named(data, named)) | set(_dates(waivers or []))
    out = set()
    for day in dates:
        for shift in (0, *days, *(-d for d in days)):
            for extra in (0, 1):
                out.add(day + (shift + extra) * DAY)
    return out


def _dates(value: Any, depth: int = 0) -> list[int]:
    out = []
    for text in strings_in(value, depth):
        match = _DATE.match(text)
        if match:
            try:
                out.append(_epoch(dt.date.fromisoformat(match.group(1))))
            except ValueError:
                pass
    return out


def _dates_named(value: Any, named: set[str], depth: int = 0) -> list[int]:
    """Dates in the mappings of ``value`` that the facts name, by a value (a model id) or by key (a template)."""
    out: list[int] = []
    if depth > 20:
        return out
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, dict) and (key in named or named & {v for v in child.values() if isinstance(v, str)}):
                out.extend(_dates(child))
            out.extend(_dates_named(child, named, depth + 1))
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict) and named & {v for v in child.values() if isinstance(v, str)}:
                out.extend(_dates(child))
            else:
                out.extend(_dates_named(child, named, depth + 1))
    return out


def _numbers(value: Any, key: str) -> list[tuple[str, int]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [(key, value)]
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _numbers(v, f"{key}.{k}" if key else str(k))]
    return []


def replay_repository(path: Path, period: Period, options: ReplayOptions) -> RepositoryEvidence:
    history = History(path, options.branch)
    try:
        return Replayer(history, repository_name(history), period, options).run()
    finally:
        history.close()


def repository_name(history: History) -> str:
    """The name a bundle knows a repository by: its origin's name, else its folder's (never a path)."""
    url = history.origin_url() or str(history.path.resolve())
    name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return name.removesuffix(".git") or "repository"
