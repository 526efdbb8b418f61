"""``aigov evidence merge``: per-repository evidence bundles joined into one org bundle.

Each input is verified first (every hash; the manifest's signature where --identity/--issuer ask
for one), must cover the same period and come from this aigov version, and no repository may come
twice. Each input's decisions are then copied line by line into a spool file per repository, and
the repositories go in name order, one at a time, through the same PeriodSummary a build uses:
merging the bundles of repositories a and b gives the bytes `aigov evidence build a b` gives,
whatever the order of the arguments, with one repository's decisions in memory at a time.

An org bundle given as an input is flattened: its repositories join the others as if their own
bundles had been given (merging merged bundles gives the same bytes as one merge of all).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from aigov import __version__
from aigov.errors import AigovError
from aigov.evidence.bundle import ARTEFACTS, BUNDLE_FORMAT, MANIFEST, Entry

DECISIONS = "decisions.jsonl"
MAX_DECISION_BYTES = 16 * 1024**2  # one decision record (one line); a larger line is not one aigov wrote
MAX_ENTRY_BYTES = 64 * 1024**2  # one artefact copied from an input


@dataclass
class InputBundle:
    path: Path
    manifest: dict[str, Any]
    signature_unchecked: bool


@dataclass
class Repository:
    """One repository of the org bundle: the input that holds it, its manifest entry, its spool."""

    bundle: InputBundle
    header: dict[str, Any]
    spool: Path


def merge_bundles(paths: list[Path], output: Path, identity: str | None = None, issuer: str | None = None,
                  trusted_root: Path | None = None) -> str:
    """Write the org bundle; returns the one-line summary the command prints."""
    from aigov.evidence.bundle import write_zip

    if not paths:
        raise AigovError("give at least one evidence bundle to merge")
    inputs = [_verified(path, identity, issuer, trusted_root) for path in paths]
    _same_period(inputs)
    with tempfile.TemporaryDirectory(prefix="aigov-merge-") as scratch:
        repos = _repositories(inputs, Path(scratch))
        for bundle in inputs:
            _spool_decisions(bundle, repos)
        with _Reader() as reader:
            files, tally = _assemble(inputs[0].manifest["period"], repos, reader, Path(scratch) / DECISIONS)
            write_zip(files, output, _period(inputs[0].manifest["period"]))
    unchecked = sum(b.signature_unchecked for b in inputs)
    note = f"; {unchecked} input signature(s) not checked (give --identity and --issuer)" if unchecked else ""
    return (f"wrote {output}: {inputs[0].manifest['period']['label']}, {len(inputs)} bundles, {len(repos)} repositories, "
            f"{len(tally.features)} features, {tally.decisions} decisions{note}")


def _verified(path: Path, identity: str | None, issuer: str | None, trusted_root: Path | None) -> InputBundle:
    from aigov.evidence.verify import verify_bundle_file

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
    return InputBundle(path, manifest, verdict.signature_unchecked)


def _declared_format(path: Path) -> Any:
    """The format a bundle's manifest claims, read without trusting anything else in it."""
    from aigov.evidence.verify import MAX_MANIFEST_BYTES, open_bundle, read_entry

    with open_bundle(path) as archive:
        try:
            return json.loads(read_entry(archive, MANIFEST, path, MAX_MANIFEST_BYTES)).get("format")
        except (KeyError, ValueError, AttributeError, RecursionError):
            return BUNDLE_FORMAT  # no readable manifest: verify's own problem says it best


def _same_period(inputs: list[InputBundle]) -> None:
    first = inputs[0]
    for bundle in inputs[1:]:
        if bundle.manifest["period"] != first.manifest["period"]:
            raise AigovError(f"covers {_describe(bundle.manifest['period'])}, but {first.path} covers "
                             f"{_describe(first.manifest['period'])}: merge the bundles of one period", str(bundle.path))


def _describe(period: dict[str, str]) -> str:
    return f"{period['label']} ({period['start'][:10]} to {period['end'][:10]})"


def _period(period: dict[str, str]) -> Any:
    import datetime as dt

    from aigov.evidence.replay import Period

    def epoch(clock: str) -> int:
        return int(dt.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp())

    return Period(period["label"], epoch(period["start"]), epoch(period["end"]) + 1)


def _repositories(inputs: list[InputBundle], scratch: Path) -> dict[str, Repository]:
    """name -> where it comes from, refusing a repository given twice and names that are not one path segment."""
    owners: dict[str, InputBundle] = {}
    headers: dict[str, dict[str, Any]] = {}
    for bundle in inputs:
        for header in bundle.manifest["repositories"]:
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
    from aigov.evidence.verify import open_bundle

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
                if name != current:
                    if out:
                        out.close()
                    out, current = repos[name].spool.open("ab"), name
                out.write(line)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise AigovError(f"{DECISIONS} cannot be read (truncated, corrupt or replaced): {exc}", str(bundle.path)) from None
    finally:
        if out:
            out.close()
    if "sha256:" + digest.hexdigest() != bundle.manifest["files"].get(DECISIONS):
        raise AigovError(f"{DECISIONS} changed while it was being merged", str(bundle.path))


def _repository_of(line: bytes, number: int, bundle: InputBundle) -> Any:
    if len(line) > MAX_DECISION_BYTES or not line.endswith(b"\n"):
        raise AigovError(f"{DECISIONS} line {number}: not a whole decision record (too long or cut off)", str(bundle.path))
    try:
        decision = json.loads(line)
    except (ValueError, RecursionError):
        raise AigovError(f"{DECISIONS} line {number}: not JSON", str(bundle.path)) from None
    return decision.get("repository") if isinstance(decision, dict) else None


def _assemble(period: dict[str, str], repos: dict[str, Repository], reader: _Reader,
              decisions_file: Path) -> tuple[dict[str, Entry], Any]:
    """Every file of the org bundle (artefacts read when written), and the summary's tally."""
    from aigov.evidence.bundle import json_bytes, latest_templates, manifest, sha256, summary_files
    from aigov.evidence.controls import load_control_map
    from aigov.evidence.summary import PeriodSummary

    header = {"aigov_version": __version__, "period": period, "repositories": [repos[n].header for n in sorted(repos)]}
    tally = PeriodSummary(load_control_map(), period["end"], latest_templates())
    artefacts = {name: repo.bundle for repo in repos.values() for name in _artefact_names(repo)}
    digest = hashlib.sha256()
    with decisions_file.open("wb") as out:
        for name in sorted(repos):
            data = repos[name].spool.read_bytes() if repos[name].spool.exists() else b""
            _add_repository(tally, repos[name], data, reader)
            out.write(data)
            digest.update(data)
    files: dict[str, Entry] = dict(summary_files(header, tally, sorted(artefacts)))
    hashes = {name: sha256(data) for name, data in files.items() if isinstance(data, bytes)}
    hashes[DECISIONS] = "sha256:" + digest.hexdigest()
    for name, bundle in artefacts.items():
        hashes[name] = bundle.manifest["files"][name]
        files[name] = _copier(reader, bundle, name)
    files[DECISIONS] = decisions_file
    files[MANIFEST] = json_bytes(manifest(header, tally, hashes))
    return files, tally


def _artefact_names(repo: Repository) -> list[str]:
    prefix = f"{ARTEFACTS}/{repo.header['name']}/"
    names = [n for n in repo.bundle.manifest["files"] if n.startswith(prefix)]
    for name in names:
        if any(part in ("", ".", "..") for part in name.split("/")) or "\\" in name:
            raise AigovError(f"holds an artefact named {name!r}, which is not a path aigov writes", str(repo.bundle.path))
    return names


def _add_repository(tally: Any, repo: Repository, data: bytes, reader: _Reader) -> None:
    """One repository's decisions and its features' facts at period end into the tally."""
    from aigov.evidence.artefacts import FACTS_FILE
    from aigov.evidence.bundle import point_name
    from aigov.evidence.replay import PERIOD_END
    from aigov.evidence.summary import feature_key

    name = repo.header["name"]
    at_end = f"{ARTEFACTS}/{name}/{point_name(PERIOD_END)}/"
    try:
        facts = {}
        for path in sorted(p for p in repo.bundle.manifest["files"] if p.startswith(at_end) and posixpath.basename(p) == FACTS_FILE):
            doc = json.loads(reader.read(repo.bundle, path))
            facts[feature_key(name, doc["feature"]["name"])] = doc
        tally.add([json.loads(line) for line in data.splitlines()], facts)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError) as exc:
        # Only a bundle aigov did not write gets here: its hashes matched, its records are not aigov's.
        raise AigovError(f"the decisions or facts of repository {name!r} are not the records aigov writes "
                         f"({type(exc).__name__}: {exc})", str(repo.bundle.path)) from None


def _copier(reader: _Reader, bundle: InputBundle, name: str) -> Callable[[], bytes]:
    return lambda: reader.read(bundle, name)


class _Reader:
    """Entries of the input bundles, each checked against its input's manifest as it is read. The
    last input stays open: one repository's artefacts are neighbours in name order."""

    def __init__(self) -> None:
        self.bundle: InputBundle | None = None
        self.archive: zipfile.ZipFile | None = None

    def read(self, bundle: InputBundle, name: str) -> bytes:
        from aigov.evidence.verify import open_bundle, read_entry

        if bundle is not self.bundle:
            self.close()
            self.archive, self.bundle = open_bundle(bundle.path), bundle
        assert self.archive is not None
        try:
            data = read_entry(self.archive, name, bundle.path, MAX_ENTRY_BYTES)
        except KeyError:
            raise AigovError(f"{name} is gone: the bundle was replaced while it was being merged", str(bundle.path)) from None
        if "sha256:" + hashlib.sha256(data).hexdigest() != bundle.manifest["files"][name]:
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
