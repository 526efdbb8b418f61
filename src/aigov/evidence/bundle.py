"""The evidence bundle: a zip that is the same byte for byte for the same repositories, period,
aigov and pack - sorted entries, the period's end as every timestamp, fixed permissions,
canonical JSON, no absolute paths and no wall clock."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aigov import __version__
from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.evidence import oscal, report
from aigov.evidence.decision import canonical_json
from aigov.evidence.history import rfc3339
from aigov.evidence.jsonstream import HashingWriter, Pairs, Rows, write_json
from aigov.evidence.replay import Period, RepositoryEvidence
from aigov.evidence.summary import PeriodSummary, feature_key
from aigov.policy.controls import ControlMap
from aigov.scaffold.catalog import bundled_templates

BUNDLE_FORMAT = "aigov-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sigstore.json"
ARTEFACTS = "artefacts"


def period_dict(period: Period) -> dict[str, Any]:
    """What the bundle says of its period: an open one (built before it ended) covers up to the
    build's clock, and says when the period itself ends."""
    out: dict[str, Any] = {"label": period.label, "start": rfc3339(period.start), "end": rfc3339(period.last_second)}
    if period.scheduled_end is not None:
        out.update({"open": True, "ends": rfc3339(period.scheduled_end - 1)})
    return out


def assemble(repos: list[RepositoryEvidence], period: Period, control_map: ControlMap, folder: Path) -> dict[str, Entry]:
    """Every file of the bundle, manifest.json last (it holds the others' hashes); the files derived
    from the decisions are written under ``folder``."""
    header: dict[str, Any] = {"aigov_version": __version__, "period": period_dict(period),
              "repositories": [r.header() for r in repos]}
    with PeriodSummary(control_map, header["period"]["end"], latest_templates()) as tally:
        for repo in repos:
            tally.add(repo.decisions, {feature_key(repo.name, name): doc for name, doc in repo.features.items()})
        decisions = [d for repo in repos for d in repo.decisions]
        files: dict[str, Entry] = {"decisions.jsonl": "".join(canonical_json(d) + "\n" for d in decisions).encode("utf-8")}
        artefacts = _artefacts(repos)
        files.update(artefacts)
        hashes = {name: content_digest(data) for name, data in files.items() if isinstance(data, bytes)}
        for name, (path, digest) in write_summary(folder, header, tally, sorted(artefacts)).items():
            files[name], hashes[name] = path, digest
        files[MANIFEST] = write_manifest(folder / MANIFEST, header, tally, hashes)
    return files


def write_summary(folder: Path, header: dict[str, Any], tally: PeriodSummary,
                  artefact_names: Sequence[str] | Rows) -> dict[str, tuple[Path, str]]:
    """controls.json, summary.json, reviews.json, the reports and OSCAL: everything a bundle
    derives from its decisions, each streamed to a file under ``folder`` (tens of megabytes for a large fleet).
    Returns name -> (the file, its sha256)."""
    controls = tally.controls()
    reviews = tally.reviews()
    view = {**header, "reviews": reviews, "decisions": tally.decisions, "timelines": tally.timelines(), "fleet": tally.fleet(),
            "controls": controls, "frameworks": _frameworks(tally.control_map), "recorded": tally.recorded(),
            "rule_titles": tally.rule_titles()}
    results = oscal.assessment_results(header["period"], header["aigov_version"], tally.observed, controls, artefact_names,
                                       {"replayed": tally.judged, "pull_requests": tally.covered})
    renderers: dict[str, Callable[[HashingWriter], None]] = {
        "controls.json": lambda out: write_json_line(out, {**header, "controls": controls}),
        "summary.json": lambda out: write_json_line(out, view),
        "reviews.json": lambda out: write_json_line(out, {**header, **reviews}),
        "report.md": lambda out: _write_all(out, report.markdown(view)),
        "report.html": lambda out: _write_all(out, report.html(view)),
        "oscal/assessment-results.json": lambda out: write_json_line(out, results),
    }
    return {name: _write_file(folder / name, render) for name, render in renderers.items()}


def write_manifest(path: Path, header: dict[str, Any], tally: PeriodSummary, hashes: Mapping[str, str] | Pairs) -> Path:
    """``hashes``: the sha256 of every other file of the bundle, by name."""
    document = {
        "format": BUNDLE_FORMAT, **header,
        "packs": [{"version": v, "policies": p, "data": d, "decisions": seqs} for (v, p, d), seqs in sorted(tally.packs.items())],
        "decisions": tally.decisions,
        "empty": not tally.decisions,
        "files": hashes,
    }
    return _write_file(path, lambda out: write_json_line(out, document))[0]


def write_json_line(out: HashingWriter, value: Any) -> None:
    """A JSON file of the bundle: canonical JSON and a newline."""
    write_json(out, value)
    out.write("\n")


def _write_all(out: HashingWriter, chunks: Iterable[str]) -> None:
    for chunk in chunks:
        out.write(chunk)


def _write_file(path: Path, render: Callable[[HashingWriter], None]) -> tuple[Path, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        out = HashingWriter(handle)
        render(out)
        digest = out.sha256()  # writes what is pending
    return path, digest


def _artefacts(repos: list[RepositoryEvidence]) -> dict[str, bytes]:
    out = {}
    for repo in repos:
        for label, _commit, documents, _facts in repo.snapshots:
            for path, data in documents.items():
                out[f"{ARTEFACTS}/{repo.name}/{point_name(label)}/{path}"] = data
    return out


def point_name(label: str) -> str:
    """The folder under artefacts/<repository>/ of a snapshot: ``release v1.0`` -> ``release-v1.0``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")


def latest_templates() -> dict[str, str]:
    return {t.name: t.version for t in bundled_templates()}


def _frameworks(control_map: ControlMap) -> list[dict[str, Any]]:
    return [{"key": k, "name": f.name, "version": f.version, "gaps": [c.id for c in control_map.gaps(k)]}
            for k, f in control_map.frameworks.items()]


# A file of the bundle: its bytes, how to read them when written (a merge copies artefacts from
# its inputs one at a time), or a file on disk streamed in (the summary files, a merge's decisions.jsonl).
Entry = bytes | Callable[[], bytes] | Path


def write_zip(files: Iterable[tuple[str, Entry]], output: Path, period: Period) -> None:
    """``files`` in name order (a merge lists ten thousand artefacts: they are not gathered first);
    the period's last second as every timestamp (zip keeps 2-second steps), mode 0644."""
    end = dt.datetime.fromtimestamp(period.last_second, dt.UTC)
    stamp = (max(end.year, 1980), end.month, end.day, end.hour, end.minute, end.second - end.second % 2)
    tmp = output.with_name(output.name + ".partial")
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            previous = ""
            for name, entry in files:
                if name <= previous:
                    raise ValueError(f"bundle entries out of order: {name!r} after {previous!r}")  # aigov's own bug
                previous = name
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the permission bits below mean the same everywhere
                info.external_attr = 0o100644 << 16
                if isinstance(entry, Path):
                    info.file_size = entry.stat().st_size  # so a large file gets its zip64 header up front
                    # What writestr(compresslevel=9) sets; open("w") takes no level. typeshed leaves out this
                    # private attribute, which CPython 3.11-3.12 reads (3.13 adds compress_level and keeps it).
                    info._compresslevel = 9  # type: ignore[attr-defined]
                    with entry.open("rb") as source, archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target, 1 << 20)
                else:
                    archive.writestr(info, entry if isinstance(entry, bytes) else entry(), compresslevel=9)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AigovError(f"cannot write the bundle: {exc.strerror or exc}", str(output)) from None
    except BaseException:  # an input that changed while it was copied, say: no half-written bundle stays
        tmp.unlink(missing_ok=True)
        raise
