"""The evidence bundle: a zip that is the same byte for byte for the same repositories, period,
aigov and pack - sorted entries, the period's end as every timestamp, fixed permissions,
canonical JSON, no absolute paths and no wall clock."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path
from typing import Any

from aigov import __version__
from aigov.evidence.controls import ControlMap
from aigov.evidence.decision import canonical_json
from aigov.evidence.replay import Period, RepositoryEvidence
from aigov.evidence.history import rfc3339

BUNDLE_FORMAT = "aigov-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sigstore.json"


def period_dict(period: Period) -> dict[str, str]:
    return {"label": period.label, "start": rfc3339(period.start), "end": rfc3339(period.last_second)}


def assemble(repos: list[RepositoryEvidence], period: Period, control_map: ControlMap) -> dict[str, bytes]:
    """Every file of the bundle, manifest.json last (it holds the others' hashes)."""
    from aigov.evidence import oscal, report, summary

    decisions = [d for repo in repos for d in repo.decisions]
    files: dict[str, bytes] = {"decisions.jsonl": "".join(canonical_json(d) + "\n" for d in decisions).encode("utf-8")}
    artefacts = _artefacts(repos)
    files.update(artefacts)
    header = {"aigov_version": __version__, "period": period_dict(period),
              "repositories": [{"name": r.name, "branch": r.branch, "head": r.head} for r in repos]}
    controls = summary.control_status(decisions, control_map)
    files["controls.json"] = _json({**header, "controls": controls})
    facts = {summary.feature_key(r.name, name): doc for r in repos for name, doc in r.features.items()}
    lines = summary.timelines(decisions)
    fleet = summary.fleet(decisions, facts, header["period"]["end"], _latest_templates())
    view = {**header, "decisions": len(decisions), "timelines": {k: [vars(c) for c in v] for k, v in sorted(lines.items())},
            "fleet": fleet, "controls": controls, "frameworks": _frameworks(control_map),
            "recorded": summary.recorded(decisions)}
    files["summary.json"] = _json(view)
    files["report.md"] = report.markdown(view).encode("utf-8")
    files["report.html"] = report.html(view).encode("utf-8")
    seqs = sorted({c.seq for changes in lines.values() for c in changes})
    files["oscal/assessment-results.json"] = _json(
        oscal.assessment_results(header["period"], __version__, decisions, controls, seqs, sorted(artefacts)))
    files[MANIFEST] = _json(manifest(header, decisions, files))
    return files


def manifest(header: dict[str, Any], decisions: list[dict[str, Any]], files: dict[str, bytes]) -> dict[str, Any]:
    packs: dict[tuple[str, str, str], list[int]] = {}
    for seq, decision in enumerate(decisions, start=1):
        policy, digests = decision.get("policy"), decision.get("digests")
        if policy and digests:
            packs.setdefault((policy["version"], digests["policies"], digests["data"]), []).append(seq)
    return {
        "format": BUNDLE_FORMAT, **header,
        "packs": [{"version": v, "policies": p, "data": d, "decisions": seqs} for (v, p, d), seqs in sorted(packs.items())],
        "decisions": len(decisions),
        "empty": not decisions,
        "files": {name: sha256(data) for name, data in sorted(files.items()) if name != MANIFEST},
    }


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(value: Any) -> bytes:
    return (canonical_json(value) + "\n").encode("utf-8")


def _artefacts(repos: list[RepositoryEvidence]) -> dict[str, bytes]:
    out = {}
    for repo in repos:
        for label, _commit, documents, _facts in repo.snapshots:
            point = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")
            for path, data in documents.items():
                out[f"artefacts/{repo.name}/{point}/{path}"] = data
    return out


def _latest_templates() -> dict[str, str]:
    from aigov.scaffold.catalog import bundled_templates

    return {t.name: t.version for t in bundled_templates()}


def _frameworks(control_map: ControlMap) -> list[dict[str, Any]]:
    return [{"key": k, "name": f.name, "version": f.version, "gaps": [c.id for c in control_map.gaps(k)]}
            for k, f in control_map.frameworks.items()]


def write_zip(files: dict[str, bytes], output: Path, period: Period) -> None:
    """Sorted entries, the period's last second as every timestamp (zip keeps 2-second steps), mode 0644."""
    import datetime as dt

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
                archive.writestr(info, files[name], compresslevel=9)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AigovError(f"cannot write the bundle: {exc.strerror or exc}", str(output)) from None
