"""``aigov evidence merge``: per-repository evidence bundles joined into one org bundle.

Each input is verified first (every hash; the manifest's signature where --identity/--issuer ask
for one), must cover the same period and come from this aigov version, and no repository may come
twice. Each input's decisions are then copied line by line into a spool file per repository, and
the repositories go in name order, one at a time, through the same PeriodSummary a build uses:
merging the bundles of repositories a and b gives the bytes `aigov evidence build a b` gives,
whatever the order of the arguments, with one repository's decisions in memory at a time.

Memory stays flat in the number of inputs: what grows with the fleet (the inputs' artefact lists,
the summary's per-feature rows) is kept in SQLite files in the scratch folder, and the org
bundle's own files are written to disk piece by piece before the zip copies them in. Inputs are
verified in a pool of processes when there are enough of them to pay for it.

An org bundle given as an input is flattened: its repositories join the others as if their own
bundles had been given (merging merged bundles gives the same bytes as one merge of all).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import json
import os
import posixpath
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigov import __version__
from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.evidence.artefacts import FACTS_FILE
from aigov.evidence.bundle import ARTEFACTS, BUNDLE_FORMAT, MANIFEST, Entry, latest_templates, point_name, write_manifest, write_summary, write_zip
from aigov.evidence.jsonstream import Pairs, Rows
from aigov.evidence.replay import PERIOD_END, Period
from aigov.evidence.summary import PeriodSummary, feature_key
from aigov.evidence.verify import MAX_MANIFEST_BYTES, open_bundle, read_entry, verify_bundle_file
from aigov.policy.controls import load_control_map
from aigov.words import counted

DECISIONS = "decisions.jsonl"
MAX_DECISION_BYTES = 16 * 1024**2  # one decision record (one line); a larger line is not one aigov wrote
MAX_ENTRY_BYTES = 64 * 1024**2  # one artefact copied from an input
# Inputs are verified by a pool of processes from this many on: a signature costs ~5 ms of CPU,
# mostly in Python, so threads do not overlap it; below this a pool costs more than it saves.
PARALLEL_FROM = 8
MAX_WORKERS = 8  # past a few cores the merge's serial parts dominate


@dataclass(slots=True)
class InputBundle:
    """A verified input: what the merge needs of its manifest. The files it lists under artefacts/
    go to an index on disk as soon as it is verified, so an input costs a few hundred bytes."""

    path: Path
    number: int  # its place among the inputs, in argument order
    period: dict[str, str]
    repositories: list[dict[str, Any]]
    decisions_hash: str | None
    signature_unchecked: bool
    artefacts: list[tuple[str, str, str]]  # (name, repository, sha256) of each of its repositories' artefacts


@dataclass(slots=True)
class Repository:
    """One repository of the org bundle: the input that holds it, its manifest entry, its spool."""

    bundle: InputBundle
    header: dict[str, Any]
    spool: Path


@dataclass
class Counts:
    repositories: int
    features: int
    decisions: int


def merge_bundles(paths: list[Path], output: Path, identity: str | None = None, issuer: str | None = None,
                  trusted_root: Path | None = None) -> str:
    """Write the org bundle; returns the one-line summary the command prints."""
    if not paths:
        raise AigovError("give at least one evidence bundle to merge")
    with tempfile.TemporaryDirectory(prefix="aigov-merge-") as scratch, _Index(Path(scratch) / "artefacts.sqlite") as index:
        inputs = _inputs(paths, identity, issuer, trusted_root, index)
        with _Reader() as reader:
            files, counts = _org_files(inputs, index, reader, Path(scratch))
            write_zip(files, output, _period(inputs[0].period))
    unchecked = sum(b.signature_unchecked for b in inputs)
    note = f"; {counted(unchecked, 'input signature')} not checked (give --identity and --issuer)" if unchecked else ""
    return (f"wrote {output}: {inputs[0].period['label']}, {counted(len(inputs), 'bundle')}, {counted(counts.repositories, 'repository', 'repositories')}, "
            f"{counted(counts.features, 'feature')}, {counted(counts.decisions, 'decision')}{note}")


def _inputs(paths: list[Path], identity: str | None, issuer: str | None, trusted_root: Path | None,
            index: _Index) -> list[InputBundle]:
    """Every input verified, its artefacts indexed; all of one period."""
    inputs: list[InputBundle] = []
    for bundle in _verified_inputs(paths, identity, issuer, trusted_root):
        index.add(bundle)
        if inputs and bundle.period == inputs[0].period:
            bundle.period = inputs[0].period  # one copy, not a thousand equal ones
        inputs.append(bundle)
    _same_period(inputs)
    return inputs


def _org_files(inputs: list[InputBundle], index: _Index, reader: _Reader,
               scratch: Path) -> tuple[Iterator[tuple[str, Entry]], Counts]:
    """The org bundle's files in name order, and what the command reports. The summary is done
    with (and its store closed) before the zip is written."""
    period = inputs[0].period
    repos = _repositories(inputs, scratch)
    for bundle in inputs:
        _spool_decisions(bundle, repos)
    with PeriodSummary(load_control_map(), period["end"], latest_templates(), scratch / "summary.sqlite") as tally:
        files = _assemble(period, repos, inputs, index, reader, tally, scratch)
        return files, Counts(len(repos), tally.feature_count(), tally.decisions)


def _verified_inputs(paths: list[Path], identity: str | None, issuer: str | None,
                     trusted_root: Path | None) -> Iterator[InputBundle]:
    """Each input verified, in argument order, so the first that does not verify is the one named,
    however many are checked at once."""
    check = functools.partial(_verified, identity=identity, issuer=issuer, trusted_root=trusted_root)
    pool = _pool(len(paths))
    if pool is None:
        yield from map(check, paths, range(len(paths)))
        return
    try:
        # map() gives results in order and raises a worker's AigovError (file and all) at its place.
        yield from pool.map(check, paths, range(len(paths)), chunksize=4)
    finally:
        pool.shutdown(cancel_futures=True)  # after a refusal, the inputs still queued are not checked


def _pool(inputs: int) -> Any:
    """A process pool over the cores for this many inputs, or None where one process does better."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or inputs < PARALLEL_FROM:
        return None

    try:
        return ProcessPoolExecutor(workers)
    except (OSError, NotImplementedError):  # no process semaphores here (some containers)
        return None


def _verified(path: Path, number: int, identity: str | None, issuer: str | None, trusted_root: Path | None) -> InputBundle:
    verdict = verify_bundle_file(path, identity, issuer, trusted_root, unasked_signature_ok=True)
    if not verdict.ok:
        declared = _declared_format(path)
        if declared != BUNDLE_FORMAT:
            raise AigovError(f"is not an {BUNDLE_FORMAT} bundle (its manifest says format {declared!r}); "
                             f"this aigov merges {BUNDLE_FORMAT} bundles", str(path))
        more = f" (and {len(verdict.problems) - 1} more: `aigov evidence verify` lists them)" if len(verdict.problems) > 1 else ""
        raise AigovError(f"does not verify, refusing to merge it: {verdict.problems[0]}{more}", str(path))
    manifest = verdict.manifest
    if manifest["aigov_version"] != __version__:
        raise AigovError(f"was built by aigov {manifest['aigov_version']}, this is aigov {__version__}: build and merge "
                         "with one pinned aigov version, so every figure of the org bundle means the same", str(path))
    files: dict[str, str] = manifest["files"]
    names = {header["name"] for header in manifest["repositories"]}
    artefacts = [(name, name.split("/", 2)[1], digest) for name, digest in files.items()
                 if name.startswith(f"{ARTEFACTS}/") and name.count("/") >= 2 and name.split("/", 2)[1] in names]
    return InputBundle(path, number, manifest["period"], manifest["repositories"], files.get(DECISIONS),
                       verdict.signature_unchecked, artefacts)


def _declared_format(path: Path) -> Any:
    """The format a bundle's manifest claims, read without trusting anything else in it."""
    with open_bundle(path) as archive:
        try:
            return json.loads(read_entry(archive, MANIFEST, path, MAX_MANIFEST_BYTES)).get("format")
        except (KeyError, ValueError, AttributeError, RecursionError):
            return BUNDLE_FORMAT  # no readable manifest: verify's own problem says it best


def _same_period(inputs: list[InputBundle]) -> None:
    first = inputs[0]
    for bundle in inputs[1:]:
        if bundle.period != first.period:
            raise AigovError(f"covers {_describe(bundle.period)}, but {first.path} covers "
                             f"{_describe(first.period)}: merge the bundles of one period", str(bundle.path))


def _describe(period: dict[str, str]) -> str:
    return f"{period['label']} ({period['start'][:10]} to {period['end'][:10]})"


def _period(period: dict[str, str]) -> Any:
    def epoch(clock: str) -> int:
        return int(dt.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp())

    return Period(period["label"], epoch(period["start"]), epoch(period["end"]) + 1)


def _repositories(inputs: list[InputBundle], scratch: Path) -> dict[str, Repository]:
    """name -> where it comes from, refusing a repository given twice and names that are not one path segment."""
    owners: dict[str, InputBundle] = {}
    headers: dict[str, dict[str, Any]] = {}
    for bundle in inputs:
        for header in bundle.repositories:
            name = header["name"]
            if name in (".", "..") or "/" in name or "\\" in name:
                raise AigovError(f"names a repository {name!r}, which is not a name aigov gives one", str(bundle.path))
            if name in owners:
                also = "" if owners[name] is bundle else f" and in {owners[name].path}"
                raise AigovError(f"repository {name!r} is in this bundle{also}: give each repository's bundle once", str(bundle.path))
            owners[name], headers[name] = bundle, header
    return {name: Repository(owners[name], headers[name], scratch / f"{index}.jsonl")
            for index, name in enumerate(sorted(owners))}


def _spool_decisions(bundle: InputBundle, repos: dict[str, Repository]) -> None:
    """Copy each decision line of the bundle to its repository's spool file, re-hashing as it goes:
    the bundle must still be the one that was verified."""
    digest = hashlib.sha256()
    out = None
    current = None
    try:
        with open_bundle(bundle.path) as archive, archive.open(DECISIONS) as handle:
            for number, line in enumerate(iter(lambda: handle.readline(MAX_DECISION_BYTES + 1), b""), start=1):
                digest.update(line)
                name = _repository_of(line, number, bundle)
                if not isinstance(name, str) or name not in repos or repos[name].bundle is not bundle:
                    raise AigovError(f"{DECISIONS} line {number}: repository {name!r} is not in the bundle's manifest", str(bundle.path))
                if out is None or name != current:
                    if out:
                        out.close()
                    out, current = repos[name].spool.open("ab"), name
                out.write(line)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise AigovError(f"{DECISIONS} cannot be read (truncated, corrupt or replaced): {exc}", str(bundle.path)) from None
    finally:
        if out:
            out.close()
    if "sha256:" + digest.hexdigest() != bundle.decisions_hash:
        raise AigovError(f"{DECISIONS} changed while it was being merged", str(bundle.path))


def _repository_of(line: bytes, number: int, bundle: InputBundle) -> Any:
    if len(line) > MAX_DECISION_BYTES or not line.endswith(b"\n"):
        raise AigovError(f"{DECISIONS} line {number}: not a whole decision record (too long or cut off)", str(bundle.path))
    try:
        decision = json.loads(line)
    except (ValueError, RecursionError):
        raise AigovError(f"{DECISIONS} line {number}: not JSON", str(bundle.path)) from None
    return decision.get("repository") if isinstance(decision, dict) else None


def _assemble(period: dict[str, str], repos: dict[str, Repository], inputs: list[InputBundle], index: _Index,
              reader: _Reader, tally: PeriodSummary, scratch: Path) -> Iterator[tuple[str, Entry]]:
    """Every file of the org bundle in name order: the artefacts read from the inputs as the zip
    takes them, the rest written under ``scratch`` first."""
    header = {"aigov_version": __version__, "period": period, "repositories": [repos[n].header for n in sorted(repos)]}
    for name in sorted(repos):
        _check_artefact_names(repos[name], index)
    decisions = _tally_decisions(repos, index, reader, tally, scratch / DECISIONS)
    written = write_summary(scratch / "org", header, tally, index.names())
    hashes = sorted([(name, sha) for name, (_, sha) in written.items()] + [(DECISIONS, decisions)])
    listed = Pairs(lambda: heapq.merge(index.hashes(), hashes), lambda: len(index.names()) + len(hashes))
    own: list[tuple[str, Entry]] = [(name, path) for name, (path, _) in written.items()]
    own += [(DECISIONS, scratch / DECISIONS), (MANIFEST, write_manifest(scratch / "org" / MANIFEST, header, tally, listed))]
    copied = ((name, _copier(reader, inputs[number], name, sha)) for name, number, sha in index.rows())
    return heapq.merge(copied, sorted(own), key=lambda entry: entry[0])


def _tally_decisions(repos: dict[str, Repository], index: _Index, reader: _Reader, tally: PeriodSummary,
                     target: Path) -> str:
    """Each repository's decisions, in name order, into the tally and the org bundle's decisions.jsonl; its sha256."""
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for name in sorted(repos):
            data = repos[name].spool.read_bytes() if repos[name].spool.exists() else b""
            _add_repository(tally, repos[name], data, reader, index)
            out.write(data)
            digest.update(data)
    return "sha256:" + digest.hexdigest()


def _check_artefact_names(repo: Repository, index: _Index) -> None:
    for name, _ in index.of(repo.bundle, repo.header["name"]):
        if any(part in ("", ".", "..") for part in name.split("/")) or "\\" in name:
            raise AigovError(f"holds an artefact named {name!r}, which is not a path aigov writes", str(repo.bundle.path))


def _add_repository(tally: PeriodSummary, repo: Repository, data: bytes, reader: _Reader, index: _Index) -> None:
    """One repository's decisions and its features' facts at period end into the tally."""
    name = repo.header["name"]
    at_end = f"{ARTEFACTS}/{name}/{point_name(PERIOD_END)}/"
    try:
        facts = {}
        for path, sha in index.of(repo.bundle, name):
            if path.startswith(at_end) and posixpath.basename(path) == FACTS_FILE:
                doc = json.loads(reader.read(repo.bundle, path, sha))
                facts[feature_key(name, doc["feature"]["name"])] = doc
        tally.add([json.loads(line) for line in data.splitlines()], facts)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError, OverflowError, sqlite3.Error) as exc:
        # Only a bundle aigov did not write gets here: its hashes matched, its records are not aigov's.
        raise AigovError(f"the decisions or facts of repository {name!r} are not the records aigov writes "
                         f"({type(exc).__name__}: {exc})", str(repo.bundle.path)) from None


def _copier(reader: _Reader, bundle: InputBundle, name: str, sha: str) -> Callable[[], bytes]:
    return lambda: reader.read(bundle, name, sha)


class _Index:
    """What every input lists under artefacts/, on disk: ten thousand names and hashes at a thousand
    repositories are megabytes of Python objects. Read back by repository, or all in name order."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(str(path))
        self.db.executescript("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -256;
            CREATE TABLE artefact (name, input, repository, sha256);
            CREATE INDEX by_name ON artefact (name);
            CREATE INDEX by_repository ON artefact (input, repository, name);
        """)

    def add(self, bundle: InputBundle) -> None:
        self.db.executemany("INSERT INTO artefact VALUES (?, ?, ?, ?)",
                            [(name, bundle.number, repo, sha) for name, repo, sha in bundle.artefacts])
        bundle.artefacts = []

    def of(self, bundle: InputBundle, repository: str) -> Iterator[tuple[str, str]]:
        """(name, sha256) of a repository's artefacts in the input that holds it, by name."""
        return self.db.execute("SELECT name, sha256 FROM artefact WHERE input = ? AND repository = ? ORDER BY name",
                               (bundle.number, repository))

    def rows(self) -> Iterator[tuple[str, int, str]]:
        return self.db.execute("SELECT name, input, sha256 FROM artefact ORDER BY name")

    def hashes(self) -> Iterator[tuple[str, str]]:
        return self.db.execute("SELECT name, sha256 FROM artefact ORDER BY name")

    def names(self) -> Rows:
        return Rows(lambda: (name for (name,) in self.db.execute("SELECT name FROM artefact ORDER BY name")),
                    lambda: int(self.db.execute("SELECT COUNT(*) FROM artefact").fetchone()[0]))

    def __enter__(self) -> _Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()


class _Reader:
    """Entries of the input bundles, each checked against its input's manifest as it is read. The
    last input stays open: one repository's artefacts are neighbours in name order."""

    def __init__(self) -> None:
        self.bundle: InputBundle | None = None
        self.archive: zipfile.ZipFile | None = None

    def read(self, bundle: InputBundle, name: str, sha: str) -> bytes:
        if bundle is not self.bundle:
            self.close()
            self.archive, self.bundle = open_bundle(bundle.path), bundle
        assert self.archive is not None
        try:
            data = read_entry(self.archive, name, bundle.path, MAX_ENTRY_BYTES)
        except KeyError:
            raise AigovError(f"{name} is gone: the bundle was replaced while it was being merged", str(bundle.path)) from None
        if content_digest(data) != sha:
            raise AigovError(f"{name} changed while it was being merged", str(bundle.path))
        return data

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
        self.archive = self.bundle = None

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
