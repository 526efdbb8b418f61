"""OSCAL 1.1.3 assessment-results: one result for the period, an observation per decision that
changed a feature's verdict (linked to its line in decisions.jsonl and to the artefacts), and a
finding per mapped control. UUIDs are derived from content (uuid5), so a rebuild is identical."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aigov.evidence.jsonstream import Rows
from aigov.words import counted

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


def assessment_results(period: dict[str, Any], aigov_version: str,
                       observed: Callable[[], Iterable[tuple[int, dict[str, Any]]]],
                       controls: list[dict[str, Any]], artefact_paths: Sequence[str] | Rows, backing: dict[str, Any]) -> dict[str, Any]:
    """``observed()``: (line of decisions.jsonl, the decision there) for each decision that changed a
    timeline, by line. ``backing``: how many decisions the replay made (``replayed``) and the lines
    of the pull-request decisions that assessed the pull-request rules (``pull_requests``): a
    finding says satisfied only linked to them. Observations and findings are produced as they are
    written, so a fleet's worth of them is never held at once."""
    end = period["end"]
    ids = {seq: _uuid("observation", period["label"], str(seq)) for seq, _ in observed()}  # to link findings to them
    basis = _basis(period, backing)
    evidence = Rows(lambda: ({"href": f"../{path}", "description": "feature document"} for path in artefact_paths),
                    lambda: len(artefact_paths)) if artefact_paths else [{"href": "../manifest.json", "description": "bundle manifest"}]
    artefacts = {
        "uuid": _uuid("observation", period["label"], "artefacts"),
        "title": "Feature documents at release points and period end",
        "description": "Manifests, model cards, eval configs, SBOMs, waivers and the facts aigov collected.",
        "methods": ["EXAMINE"],
        "collected": end,
        "relevant-evidence": evidence,
    }
    observations = Rows(lambda: itertools.chain((_observation(period, seq, d) for seq, d in observed()), [artefacts], basis.values()),
                        lambda: len(ids) + 1 + len(basis), nested=True)
    findings = Rows(lambda: (_finding(period, control, ids, basis) for control in controls), lambda: len(controls))
    start = period["start"]
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


def _observation(period: dict[str, Any], seq: int, decision: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": _uuid("observation", period["label"], str(seq)),  # as in ids
        "title": f"{decision['repository']}: {', '.join(decision['features'])} {decision['verdict']}",
        "description": f"{decision['kind']} decision at {decision['clock']}: {decision['cause']}",
        "methods": ["TEST"],
        "collected": decision["clock"],
        "relevant-evidence": [{"href": f"../decisions.jsonl#L{seq}", "description": "decision record"}],
    }


def _basis(period: dict[str, Any], backing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The observations a satisfied finding rests on: the replayed decisions, and the pull-request
    decisions recorded in CI that assessed the pull-request rules."""
    out = {}
    if backing["replayed"]:
        out["replayed"] = {
            "uuid": _uuid("observation", period["label"], "replayed"),
            "title": "Decisions replayed over the period's history",
            "description": f"{counted(backing['replayed'], 'decision')} of the policy pack on the default branch's commits and at the instants "
                           "where the clock alone changes an answer, each a line of decisions.jsonl.",
            "methods": ["TEST"], "collected": period["end"],
            "relevant-evidence": [{"href": "../decisions.jsonl", "description": "decision records"}],
        }
    if backing["pull_requests"]:
        out["pull-requests"] = {
            "uuid": _uuid("observation", period["label"], "pull-requests"),
            "title": "Pull-request decisions recorded in CI",
            "description": "Decisions CI recorded on pull requests (git notes written by aigov record) that agree with the replay: "
                          "the only assessment of the rules that judge a pull request.",
            "methods": ["TEST"], "collected": period["end"],
            "relevant-evidence": [{"href": f"../decisions.jsonl#L{seq}", "description": "recorded pull-request decision"}
                                  for seq in backing["pull_requests"]],
        }
    return out


def _finding(period: dict[str, Any], control: dict[str, Any], ids: dict[int, str], basis: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``ids``: the observation uuid of each decision that changed a timeline, by its line."""
    token = control_token(control["framework"], control["control"])
    related = {ids[s] for item in control["failures"] for s in item["decisions"] if s in ids}
    satisfied = control["status"] in ("held", "remediated")
    if satisfied:
        pull_request = set((control.get("pull_requests") or {}).get("rules", []))
        assessed = set(control["assessed_by"])
        if assessed - pull_request and "replayed" in basis:
            related.add(basis["replayed"]["uuid"])
        if assessed & pull_request and "pull-requests" in basis:
            related.add(basis["pull-requests"]["uuid"])
    finding: dict[str, Any] = {
        "uuid": _uuid("finding", period["label"], token),
        "title": f"{control['framework_name']} {control['framework_version']} {control['control']}: {control['status']}",
        "description": f"Evidenced by {', '.join(control['rules'])}; {len(control['failures'])} rule/feature pairs failed in the period.",
        "props": [{"name": "label", "ns": PROP_NS, "value": control["control"]},
                  {"name": "framework", "ns": PROP_NS, "value": control["framework"]},
                  {"name": "aigov-status", "ns": PROP_NS, "value": control["status"]}],
        "target": {
            "type": "objective-id", "target-id": token,
            # Satisfied only with a decision behind it (never for not assessed, not applicable, incomplete).
            "status": {"state": "satisfied" if satisfied and related else "not-satisfied"},
        },
    }
    if related:
        finding["related-observations"] = [{"observation-uuid": u} for u in sorted(related)]
    return finding
