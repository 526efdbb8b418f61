"""Replay the decisions of a period: each commit that changes a feature's inputs is judged on its
own tree at its effective time (history is topology: see aigov.evidence.history), and the same
facts are judged again at the instants where only the clock can change the answer (a model's
sunset, a model card's review age, a deadline), so the timeline shows the day a feature fell out
of compliance with no commit. Every commit that carries a decision CI recorded (a git note) is
judged whole and set beside it.

``check_tree`` is the one way to decide: nothing here knows what a rule says. The checks of a
replay share what does not change between commits (aigov.tree.Tree.memoised: facts by what they
were read from; aigov.evidence.answers: the engine's answers by input and clock), so a commit
costs what it changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.check import check_tree
from aigov.check.authority import resolve_authority
from aigov.check.options import CheckOptions
from aigov.errors import AigovError
from aigov.evidence.answers import RememberingEngine
from aigov.evidence.artefacts import feature_documents
from aigov.evidence.decision import decision_from_result
from aigov.evidence.history import Commit, History, Span, rfc3339
from aigov.evidence.recorded import recorded_decision
from aigov.evidence.workspace import MANIFEST, feature_dirs, strings_in, under
from aigov.filetree import FileTree
from aigov.policy.controls import pull_request_rules
from aigov.tree import CommitTree, Reads

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
DAY = 86400
HOUR = 3600
# A calendar date begins in UTC+14 fourteen hours before it begins in UTC, and in UTC-12 twelve
# hours after: a rule may take either edge (a review "dated today somewhere" is not in the future).
ZONE_EDGES = (-14 * HOUR, 0, 12 * HOUR)
PREFETCH_EVERY = 64  # commits whose new feature files are read ahead together
PERIOD_END = "period end"  # the label of the snapshot of every feature's documents at the period's end
# Decisions kept in a replay's timeline; a recorded one (a git note) and the replay of a merged
# pull request's head stand beside it.
MERGED_HEAD = "merged head"


@dataclass
class Period:
    label: str
    start: int  # inclusive, seconds since the epoch (UTC)
    end: int  # exclusive
    scheduled_end: int | None = None  # an open period, covered up to the build's clock (``end``): when it ends

    @property
    def last_second(self) -> int:
        return self.end - 1

    def until(self, clock: int) -> Period:
        """The period as a bundle built at ``clock`` can cover it: up to that second, if it has not ended."""
        if clock < self.start:
            raise AigovError(f"the period {self.label} begins {rfc3339(self.start)}, after the build's clock {rfc3339(clock)}: "
                             "there is nothing to show yet")
        if clock + 1 >= self.end:
            return self
        return Period(self.label, self.start, clock + 1, self.end)


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
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


@dataclass
class ReplayOptions:
    config_path: Path | None = None
    registry_path: Path | None = None
    branch: str | None = None
    clock: int | None = None  # the build's clock (seconds since the epoch); a commit dated after it is future-dated


@dataclass
class RepositoryEvidence:
    name: str
    branch: str
    head: str | None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    # Documents per release point: (point label, commit, {path: bytes}, {feature name: input facts})
    snapshots: list[tuple[str, str | None, dict[str, bytes], dict[str, Any]]] = field(default_factory=list)
    features: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> its facts at period end
    date_anomalies: list[dict[str, Any]] = field(default_factory=list)
    date_anomalies_total: int = 0

    def header(self) -> dict[str, Any]:
        """What the bundle's manifest says of the repository."""
        out: dict[str, Any] = {"name": self.name, "branch": self.branch, "head": self.head, "date_anomalies": self.date_anomalies}
        if self.date_anomalies_total > len(self.date_anomalies):
            out["date_anomalies_total"] = self.date_anomalies_total
        return out


Window = tuple[int, "str | None", FileTree, list[int]]  # judged at, the commit judged, its files, instants ahead


class Replayer:
    """One repository over one period. Every decision is ``aigov check`` of a commit read from git
    objects by the one reader (:class:`aigov.tree.CommitTree`): the same files a checkout holds."""

    def __init__(self, history: History, name: str, period: Period, options: ReplayOptions) -> None:
        self.history = history
        self.period = period
        self.options = options
        self.clock = options.clock if options.clock is not None else period.last_second
        self.evidence = RepositoryEvidence(name, history.branch, None)
        self.outcomes: dict[str, tuple[str, tuple[str, ...]]] = {}  # feature dir -> (verdict, finding ids) last recorded
        self.names: dict[str, str] = {}  # feature dir -> metadata.name last seen
        self.facts: dict[str, dict[str, Any]] = {}  # feature dir -> input document last judged
        # feature dir -> what its last decision was read from; a commit that changes none of it
        # cannot change the decision (the clock aside), so the feature is not judged again.
        self.reads: dict[str, Reads] = {}
        self.windows: dict[str, Window] = {}  # feature dir -> where the clock may change its answer
        self.memo: dict[Hashable, Any] = {}  # shared by every tree of the replay (aigov.tree.Tree.memoised)
        # Who decides every check of the replay (aigov.check.authority), resolved before anything is replayed:
        # an org config that cannot be used is exit 2 naming it, never a bundle of undecided commits.
        self.authority = resolve_authority(CheckOptions(config_path=options.config_path, registry_path=options.registry_path),
                                           history.path.resolve())
        self.engine = RememberingEngine(self._make_engine, lambda doc: sorted(clock_points(doc, self.clock_data)), period.last_second)
        self.pull_request_rules = pull_request_rules()

    @functools.cached_property
    def clock_data(self) -> tuple[dict[str, Any], list[int]]:
        """What clock_points reads, from the data of the pack that judges the replay (one place: its authority)."""
        return clock_data(self.authority.pack.data["aigov"])

    def _make_engine(self) -> Any:
        return self.authority.engine.start()

    def run(self) -> RepositoryEvidence:
        try:
            return self._run()
        finally:
            self.engine.stop()

    def _run(self) -> RepositoryEvidence:
        span = self.history.span(self.period.start, self.period.end, self.clock)
        self.evidence.head = span.head.sha if span.head else None
        self.evidence.date_anomalies, self.evidence.date_anomalies_total = span.anomalies, span.anomalies_total
        notes = self.history.notes()
        base = span.base.sha if span.base else None
        files = self.history.files(base)
        tags = self.history.tags()
        dirs = feature_dirs(files)
        if dirs:
            self._replay(["."], base, files, self.period.start, "state at the start of the period")
        commits = list(self.history.commits(span))
        for index, commit in enumerate(commits):
            if index % PREFETCH_EVERY == 0:
                self._prefetch(commits[index:index + PREFETCH_EVERY], dirs)
            files, dirs = self._commit(commit, files, dirs, notes)
            if commit.sha in tags:
                self._snapshot("release " + ", ".join(sorted(tags[commit.sha])), commit.sha, files)
        for folder in sorted(self.windows):
            self._close_window(folder, self.period.end)
        self._snapshot(PERIOD_END, self.evidence.head, files)
        self._recorded_off_branch(notes, span)
        self.evidence.features = {self.names[d]: self.facts[d] for d in sorted(self.facts) if d in self.names}
        return self.evidence

    def _commit(self, commit: Commit, files: FileTree, dirs: list[str], notes: dict[str, str]) -> tuple[FileTree, list[str]]:
        """Apply one commit and judge what it changed (every feature, where CI recorded a decision
        on it or on the pull request it merged); returns its files and feature folders."""
        files = files.applied((c.path, c.mode, c.blob) for c in commit.changes)
        before = dirs
        if any(c.path.rsplit("/", 1)[-1] == MANIFEST for c in commit.changes):
            dirs = feature_dirs(files)  # only then: a walk of the tree per commit is what makes 10,000 commits slow
        changed = self._scopes(commit, before, dirs)
        merged = commit.parents[1] if len(commit.parents) > 1 and commit.parents[1] in notes else None
        scopes = ["."] if dirs and (commit.sha in notes or merged) else changed
        judged: list[dict[str, Any]] = []
        if scopes:
            # The unchanged facts first meet the clock up to this commit, on the old tree.
            for folder in [d for d in before if any(under(d, s) for s in scopes)]:
                self._close_window(folder, commit.effective)
            for folder in sorted(set(before) - set(dirs)):
                self._record_removed(folder, commit)
            judged = self._replay([s for s in scopes if s == "." or s in dirs], commit.sha, files, commit.effective,
                                  f"commit {commit.sha[:12]} {commit.subject}", feature_change=bool(changed))
        if commit.sha in notes:
            self._recorded(notes[commit.sha], commit.sha, commit, judged[0] if scopes == ["."] and judged else None)
        if merged:
            self._recorded(notes[merged], merged, commit, self._replay_merged_head(merged, commit))
        return files, dirs

    def _prefetch(self, commits: list[Commit], dirs: list[str]) -> None:
        """Read ahead the files the next commits bring to the features (git answers many at once
        as fast as one): the files a replay will read, guessed by where they are."""
        self.history.objects.prefetch([c.blob for commit in commits for c in commit.changes
                                       if not c.deleted and any(under(c.path, d) for d in dirs)])

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

    def _replay(self, scopes: list[str], commit: str | None, files: FileTree, when: int, cause: str,
                feature_change: bool | None = None) -> list[dict[str, Any]]:
        """``feature_change``: for a commit of the period, whether it changed what a feature is read
        from (a commit judged only to compare with its note did not): a change the pull-request rules judge."""
        records = []
        for scope in scopes:
            record, outcomes, docs, reads = self._evaluate(scope, commit, files, when, "replayed", cause)
            if feature_change is not None:
                record["feature_change"] = feature_change
            self.evidence.decisions.append(record)
            records.append(record)
            self._remember(outcomes, docs, reads, when, commit, files, record.get("waivers") or [])
        return records

    def _evaluate(self, scope: str, commit: str | None, files: FileTree, when: int, kind: str, cause: str,
                  tree: Any = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Reads]]:
        """(the decision record, feature dir -> outcome, feature dir -> facts, feature dir -> reads) of one check of ``scope``."""
        clock = rfc3339(max(when, self.period.start))
        options = CheckOptions(config_path=self.options.config_path, registry_path=self.options.registry_path,
                               now=clock, facts_in_background=False, engine=self.engine)
        head = {"repository": self.evidence.name, "kind": kind, "cause": cause, "scope": scope}
        try:
            if tree is None:
                tree = CommitTree(self.history.path, commit or "", self.history.objects, files=files, memo=self.memo)
            result = check_tree(tree, options, scope, self.authority)
        except AigovError as exc:
            dirs = [d for d in feature_dirs(files) if under(d, scope)]
            record = {**head, "commit": commit, "clock": clock, "features": sorted(self.names.get(d, d) for d in dirs),
                      "findings": [], "verdict": "error", "error": str(exc)}
            return record, {d: ("error", ()) for d in dirs}, {}, {}
        docs = {doc["feature"]["dir"]: doc for doc in result.inputs}
        outcomes = {folder: _outcome(result, doc["feature"]["name"]) for folder, doc in docs.items()}
        # What the summary reads of each feature besides its findings: its risk tier (where a tier rule
        # applies) and its paved-road template (adoption at the start of the period and at its end).
        tiers = {doc["feature"]["name"]: _tier(doc) for doc in result.inputs}
        templates = {doc["feature"]["name"]: [doc["feature"]["template"].get("name"), doc["feature"]["template"].get("version")]
                     for doc in result.inputs if isinstance(doc["feature"].get("template"), dict)}
        return {**decision_from_result(result, commit), **head, "tiers": tiers, "templates": templates}, outcomes, docs, result.reads

    def _remember(self, outcomes: dict[str, Any], docs: dict[str, Any], reads: dict[str, Reads], when: int,
                  commit: str | None, files: FileTree, waivers: list[dict[str, Any]]) -> None:
        for folder, outcome in outcomes.items():
            self.outcomes[folder] = outcome
            if folder in docs:
                self.names[folder], self.facts[folder] = docs[folder]["feature"]["name"], docs[folder]
                self.reads[folder] = reads[folder]
                name = docs[folder]["feature"]["name"]
                mine = [w for w in waivers if w.get("feature") in (None, name)]
                self.windows[folder] = (when, commit, files, self._clock_points(docs[folder], mine))
            else:
                self.reads.pop(folder, None)
                self.windows.pop(folder, None)  # an error: nothing to re-judge until the next commit

    def _clock_points(self, doc: dict[str, Any], waivers: list[dict[str, Any]]) -> list[int]:
        """clock_points of the facts (kept per document by the engine: most commits leave a
        feature's facts as they were) and of the feature's waivers."""
        points = self.engine.instants(doc)
        return sorted(set(points) | clock_points({}, self.clock_data, waivers)) if waivers else points

    def _close_window(self, folder: str, until: int) -> None:
        """Judge a feature's unchanged facts at the instants before ``until`` where only the clock
        can change the answer; record each change. Bisection over the instants: where the answer
        at both ends of a span agrees, the span holds no change (time rules are thresholds)."""
        since, commit, files, points = self.windows.pop(folder, (0, None, FileTree(), []))
        instants = [t for t in points if max(since, self.period.start) < t < until]
        if not instants or folder not in self.outcomes:
            return
        seen: dict[int, tuple[dict[str, Any], Any]] = {}

        def at(i: int) -> Any:
            if instants[i] not in seen:
                when = instants[i]
                facts_of = f" (the facts of commit {commit[:12]})" if commit else ""
                record, outcomes, _, _ = self._evaluate(folder, commit, files, when, "clock",
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

    def _snapshot(self, label: str, commit: str | None, files: FileTree) -> None:
        documents = feature_documents(CommitTree(self.history.path, commit or "", self.history.objects, files=files), self.facts)
        facts = {self.names.get(d, d): self.facts[d] for d in sorted(self.facts)}
        self.evidence.snapshots.append((label, commit, documents, facts))

    # --- Decisions CI recorded (git notes) ------------------------------------------------------

    def _recorded(self, blob: str, noted: str, commit: Commit, replayed: dict[str, Any] | None) -> None:
        """The note on ``noted`` beside the replayed decision it is compared with; ``commit``: the
        first-parent commit it stands for (itself, or the merge that brought a pull request's head)."""
        self.evidence.decisions.append(recorded_decision(self.history.note(blob), noted, self.evidence.name, replayed,
                                                         self.pull_request_rules, covers=commit.sha))

    def _replay_merged_head(self, head: str, merge: Commit) -> dict[str, Any]:
        """A pull request's head that ``merge`` brought to the branch, judged whole at the merge's
        time: what the decision CI recorded on that head is compared with."""
        try:
            tree = CommitTree(self.history.path, head, self.history.objects, memo=self.memo)
        except AigovError as exc:
            record: dict[str, Any] = {"repository": self.evidence.name, "kind": MERGED_HEAD, "scope": ".", "commit": head,
                                      "clock": merge.clock, "features": [], "findings": [], "verdict": "error", "error": str(exc),
                                      "cause": f"pull request head {head[:12]}, merged by {merge.sha[:12]}"}
        else:
            record = self._evaluate(".", head, tree.snapshot, merge.effective, MERGED_HEAD,
                                    f"pull request head {head[:12]}, merged by commit {merge.sha[:12]} {merge.subject}", tree)[0]
        self.evidence.decisions.append(record)
        return record

    def _recorded_off_branch(self, notes: dict[str, str], span: Span) -> None:
        """Notes on commits that are not on the first-parent chain (a pull request's run, a commit
        force-pushed away) whose decision falls in the period: listed, never dropped."""
        merged = {link.parents[1] for link in span.commits if len(link.parents) > 1}
        for commit, blob in sorted(notes.items()):
            if commit in span.chain or commit in merged:
                continue
            decision = recorded_decision(self.history.note(blob), commit, self.evidence.name, None, self.pull_request_rules,
                                         covers=None)
            when = _seconds(decision["clock"]) if decision["clock"] else self.history.commit_time(commit)
            if when is not None and self.period.start <= when < self.period.end:
                self.evidence.decisions.append(decision)


def _seconds(clock: str) -> int | None:
    try:
        parsed = dt.datetime.fromisoformat(clock.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(parsed.timestamp()) if parsed.tzinfo is not None else None


def _outcome(result: Any, name: str) -> tuple[str, tuple[str, ...]]:
    findings = [f for f in result.findings if f.feature == name]
    verdict = "fail" if any(f.blocking and not f.waived for f in findings) else "pass"
    return verdict, tuple(sorted({f.id for f in findings}))


def _tier(doc: dict[str, Any]) -> Any:
    spec = (doc["feature"].get("manifest") or {}).get("spec") or {}
    return spec.get("riskTier") if isinstance(spec, dict) else None


def clock_data(data: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The org's data (registry, templates) and every day count its settings hold (review ages, warnings)."""
    days = sorted({n for key, n in _numbers(data.get("settings", {}), "") if key.endswith("days") or "_days" in key})
    return data, days


def clock_points(doc: dict[str, Any], clock_data: tuple[dict[str, Any], list[int]],
                 waivers: list[dict[str, Any]] | None = None) -> set[int]:
    """Instants where the answer for these facts may change: each date in the facts, in the data
    entries the facts name (a declared model's sunset, a template's deadline) and in the feature's
    waivers (expiry), shifted by each day count in the settings: that instant, the second after (a
    count of days rounded down turns negative there) and the day after (a rule may compare dates
    with > or >=); and the date itself at the edges of the earth's time zones."""
    data, days = clock_data
    doc = {k: v for k, v in doc.items() if k != "now"}  # the clock itself is not a date in the facts
    named = set(strings_in(doc))
    dates = set(_dates(doc)) | set(_dates_named(data, named)) | set(_dates(waivers or []))
    out: set[int] = set()
    for day in dates:
        out.update(day + zone for zone in ZONE_EDGES)  # "the date has begun somewhere on earth"
        for shift in (0, *days, *(-d for d in days)):
            at = day + shift * DAY
            out.update((at, at + 1, at + DAY))  # now >= date; a count of days that turns negative; the day after
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
