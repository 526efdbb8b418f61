"""OSCAL 1.1.3 assessment-results: one result for the period, an observation per decision that
changed a feature's verdict (linked to its line in decisions.jsonl and to the artefacts), and a
finding per mapped control. UUIDs are derived from content (uuid5), so a rebuild is identical."""

from __future__ import annotations

import re
import uuid
from typing import Any

OSCAL_VERSION = "1.1.3"
NAMESPACE = uuid.UUID("6f0c7a52-2b7e-5d0b-9a8e-61a1c0f0a1b1")  # aigov evidence: fixed forever
PROP_NS = "https://aigov.dev/ns/oscal"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def control_token(framework: str, control: str) -> str:
    """An OSCAL token for a control (no spaces, starts with a letter): ``NIST-AI-RMF`` + ``GOVERN 1.6`` -> ``nist-ai-rmf_govern-1.6``.
    The exact catalog spelling travels beside it in a ``label`` property."""
    slug = re.sub(r"[^a-z0-9.]+", "-", control.lower()).strip("-")
    return f"{framework.lower()}_{slug}"


def assessment_results(period: dict[str, Any], aigov_version: str, observed: dict[int, dict[str, Any]],
                       controls: list[dict[str, Any]], artefact_paths: list[str]) -> dict[str, Any]:
    """``observed``: line of decisions.jsonl -> the decision there, for each decision that changed a timeline."""
    start, end = period["start"], period["end"]
    timeline_seqs = sorted(observed)
    observations = []
    for seq in timeline_seqs:
        decision = observed[seq]
        observations.append({
            "uuid": _uuid("observation", period["label"], str(seq)),
            "title": f"{decision['repository']}: {', '.join(decision['features'])} {decision['verdict']}",
            "description": f"{decision['kind']} decision at {decision['clock']}: {decision['cause']}",
            "methods": ["TEST"],
            "collected": decision["clock"],
            "relevant-evidence": [{"href": f"../decisions.jsonl#L{seq}", "description": "decision record"}],
        })
    observations.append({
        "uuid": _uuid("observation", period["label"], "artefacts"),
        "title": "Feature documents at release points and period end",
        "description": "Manifests, model cards, eval configs, SBOMs, waivers and the facts aigov collected.",
        "methods": ["EXAMINE"],
        "collected": end,
        "relevant-evidence": [{"href": f"../{path}", "description": "feature document"} for path in artefact_paths]
        or [{"href": "../manifest.json", "description": "bundle manifest"}],
    })
    by_seq = {seq: obs["uuid"] for seq, obs in zip(timeline_seqs, observations)}
    findings = []
    for control in controls:
        token = control_token(control["framework"], control["control"])
        related = sorted({by_seq[s] for item in control["failures"] for s in item["decisions"] if s in by_seq})
        finding: dict[str, Any] = {
            "uuid": _uuid("finding", period["label"], token),
            "title": f"{control['framework_name']} {control['framework_version']} {control['control']}: {control['status']}",
            "description": f"Evidenced by {', '.join(control['rules'])}; {len(control['failures'])} rule/feature pairs failed in the period.",
            "props": [{"name": "label", "ns": PROP_NS, "value": control["control"]},
                      {"name": "framework", "ns": PROP_NS, "value": control["framework"]},
                      {"name": "aigov-status", "ns": PROP_NS, "value": control["status"]}],
            "target": {
                "type": "objective-id", "target-id": token,
                "status": {"state": "not-satisfied" if control["status"] in ("not held", "incomplete", "not assessed") else "satisfied"},
            },
        }
        if related:
            finding["related-observations"] = [{"observation-uuid": u} for u in related]
        findings.append(finding)
    return {"assessment-results": {
        "uuid": _uuid("assessment-results", period["label"], aigov_version),
        "metadata": {"title": f"aigov evidence {period['label']}", "last-modified": end, "version": aigov_version,
                     "oscal-version": OSCAL_VERSION},
        "import-ap": {"href": "../manifest.json"},
        "results": [{
            "uuid": _uuid("result", period["label"]),
            "title": f"AI feature governance, {period['label']}",
            "description": "Decisions of the aigov policy pack replayed over the period's history, with the controls each rule evidences.",
            "start": start, "end": end,
            "reviewed-controls": {"control-selections": [{"include-controls": [
                {"control-id": control_token(c["framework"], c["control"])} for c in controls
            ] or [{"control-id": "none"}]}]},
            "observations": observations,
            "findings": findings,
        }],
    }}
