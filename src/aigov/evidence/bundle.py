"""The evidence bundle: a zip that is the same byte for byte for the same repositories, period,
aigov and pack - sorted entries, the period's end as every timestamp, fixed permissions,
canonical JSON, no absolute paths and no wall clock."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping, Union

from aigov import __version__
from aigov.evidence.controls import ControlMap
from aigov.evidence.decision import canonical_json
from aigov.evidence.replay import Period, RepositoryEvidence
from aigov.evidence.history import rfc3339
from aigov.evidence.summary import PeriodSummary

BUNDLE_FORMAT = "aigov-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sigstore.json"
ARTEFACTS = "artefacts"


def period_dict(period: Period) -> dict[str, str]:
    return {"label": period.label, "start": rfc3339(period.start), "end": rfc3339(period.last_second)}


def assemble(repos: list[RepositoryEvidence], period: Period, control_map: ControlMap) -> dict[str, bytes]:
    """Every file of the bundle, manifest.json last (it holds the others' hashes)."""
    from aigov.evidence.summary import PeriodSummary, feature_key

    header = {"aigov_version": __version__, "period": period_dict(period),
              "repositories": [{"name": r.name, "branch": r.branch, "head": r.head} for r in repos]}
    tally = PeriodSummary(control_map, header["period"]["end"], latest_templates())
    for repo in repos:
        tally.add(repo.decisions, {feature_key(repo.name, name): doc for name, doc in repo.features.items()})
    decisions = [d for repo in repos for d in repo.decisions]
    files: dict[str, bytes] = {"decisions.jsonl": "".join(canonical_json(d) + "\n" for d in decisions).encode("utf-8")}
    artefacts = _artefacts(repos)
    files.update(artefacts)
    files.update(summary_files(header, tally, sorted(artefacts)))
    files[MANIFEST] = json_bytes(manifest(header, tally, {name: sha256(data) for name, data in files.items()}))
    return files


def summary_files(header: dict[str, Any], tally: PeriodSummary, artefact_names: list[str]) -> dict[str, bytes]:
    """controls.json, summary.json, the reports and OSCAL: everything a bundle derives from its decisions."""
    from aigov.evidence import oscal, report

    controls = tally.controls()
    view = {**header, "decisions": tally.decisions,
            "timelines": {k: [vars(c) for c in v] for k, v in sorted(tally.lines.items())},
            "fleet": tally.fleet(), "controls": controls, "frameworks": _frameworks(tally.control_map),
            "recorded": tally.recorded}
    return {
        "controls.json": json_bytes({**header, "controls": controls}),
        "summary.json": json_bytes(view),
        "report.md": report.markdown(view).encode("utf-8"),
        "report.html": report.html(view).encode("utf-8"),
        "oscal/assessment-results.json": json_bytes(
            oscal.assessment_results(header["period"], header["aigov_version"], tally.observed, controls, artefact_names)),
    }


def manifest(header: dict[str, Any], tally: PeriodSummary, hashes: dict[str, str]) -> dict[str, Any]:
    """``hashes``: the sha256 of every other file of the bundle."""
    return {
        "format": BUNDLE_FORMAT, **header,
        "packs": [{"version": v, "policies": p, "data": d, "decisions": seqs} for (v, p, d), seqs in sorted(tally.packs.items())],
        "decisions": tally.decisions,
        "empty": not tally.decisions,
        "files": {name: hashes[name] for name in sorted(hashes) if name != MANIFEST},
    }


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def json_bytes(value: Any) -> bytes:
    return (canonical_json(value) + "\n").encode("utf-8")


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
    from aigov.scaffold.catalog import bundled_templates

    return {t.name: t.version for t in bundled_templates()}


def _frameworks(control_map: ControlMap) -> list[dict[str, Any]]:
    return [{"key": k, "name": f.name, "version": f.version, "gaps": [c.id for c in control_map.gaps(k)]}
            for k, f in control_map.frameworks.items()]


# A file of the bundle: its bytes, how to read them when written (a merge copies artefacts from
# its inputs one at a time), or a file on disk streamed in (a merge's decisions.jsonl).
Entry = Union[bytes, Callable[[], bytes], Path]


def write_zip(files: Mapping[str, Entry], output: Path, period: Period) -> None:
    """Sorted entries, the period's last second as every timestamp (zip keeps 2-second steps), mode 0644."""
    import datetime as dt
    import shutil

    from aigov.errors import AigovError

    end = dt.datetime.fromtimestamp(period.last_second, dt.timezone.utc)
    stamp = (max(end.year, 1980), end.month, end.day, end.hour, end.minute, end.second - end.second % 2)
    tmp = output.with_name(output.name + ".partial")
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the permission bits below mean the same everywhere
                info.external_attr = 0o100644 << 16
                entry = files[name]
                if isinstance(entry, Path):
                    info.file_size = entry.stat().st_size  # so a large file gets its zip64 header up front
                    info._compresslevel = 9  # what writestr(compresslevel=9) sets; open("w") takes no level
                    with entry.open("rb") as source, archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target, 1 << 20)
                else:
                    archive.writestr(info, entry if isinstance(entry, bytes) else entry(), compresslevel=9)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AigovError(f"cannot write the bundle: {exc.strerror or exc}", str(output)) from None
