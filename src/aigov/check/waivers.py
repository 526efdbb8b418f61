"""Waivers: the waiver policy's one evaluation over every judged feature's findings, joined back to them.

Python decides nothing here: the input is assembled (the waiver requests, the findings, in a
diff-aware check the change and its reviews), ``data.aigov.waivers.decision`` decides, and its
answer is checked before it is used.
"""

from __future__ import annotations

import json
from typing import Any

from aigov.check.collect import CheckInputs
from aigov.check.findings import join_finding
from aigov.errors import AigovError
from aigov.facts.waivers import WAIVERS_FILE, collect_waivers, waiver_base
from aigov.model import Finding
from aigov.policy.engine import Engine
from aigov.policy.metadata import RuleMeta
from aigov.policy.pack import WAIVER_DECISION

# Findings of waiver requests that name no feature belong to the repository as a whole.
REPOSITORY_SCOPE = "(repository)"


def waiver_input(collected: CheckInputs, findings: list[Finding], token: str | None = None) -> dict[str, Any] | None:
    """The input of the waiver evaluation: the judged features, their findings and the waiver requests; None without waivers.

    In a diff-aware check it also carries the change's commits and, when the change adds or edits a
    waiver, the pull request's reviews (the same review facts as input.change.review).
    """
    change = collected.change
    settings = collected.pack.data["aigov"]["settings"]
    manifests = {doc["feature"]["name"]: doc["feature"]["manifest_path"] for doc in collected.inputs}
    waivers = collect_waivers(collected.tree, collected.pack.rules,
                              lambda: waiver_base(collected.tree, change.base if change is not None else None, settings), manifests)
    if waivers is None:
        return None
    doc: dict[str, Any] = {
        "now": collected.inputs[0]["now"],
        "aigov": collected.inputs[0]["aigov"],
        "waivers": waivers,
        "scope": collected.scope,
        "features": [{"name": doc["feature"]["name"], "dir": doc["feature"]["dir"]} for doc in collected.inputs],
        "findings": [{"index": i, "id": f.id, "severity": f.severity, "feature": f.feature, "path": f.path, "line": f.line}
                     for i, f in enumerate(findings)],
    }
    if change is not None:
        doc["change"] = {"base": change.base, "head": change.head, "pr": change.request.pr, "review": None}
        requested = [w for w in waivers if w["base"]["state"] != "unchanged"]
        if requested:  # only then are the reviews asked for
            from aigov.facts.review import collect_review  # lazy: ~2.5 ms with github and codeowners; only a diff-aware check reads reviews

            doc["change"]["review"] = collect_review(change, [WAIVERS_FILE], token, [w["approver"] for w in requested])
    return doc


def apply_waivers(engine: Engine, doc: dict[str, Any], findings: list[Finding], rules: dict[str, RuleMeta],
                  block: tuple[str, ...]) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Join the Rego decision (data.aigov.waivers.decision) to the findings: Python decides nothing here.

    Returns the findings (waived ones marked and no longer blocking, plus the waiver rules' own
    findings) and every waiver with its state.
    """
    waivers = doc["waivers"]
    decision = checked_decision(engine.evaluate_rule(WAIVER_DECISION, doc), len(findings), len(waivers), engine.name)
    for applied in decision["applied"]:
        finding, waiver = findings[applied["finding"]], waivers[applied["waiver"]]
        finding.waived, finding.blocking, finding.waiver = True, False, waiver_summary(waiver)
    for raw in decision["deny"]:
        scope = {"name": raw.get("feature") or REPOSITORY_SCOPE, "manifest_path": raw.get("path")}
        findings.append(join_finding({**raw, "_package": "aigov.waivers"}, rules, scope, block))
    states = {s["waiver"]: s["state"] for s in decision["states"]}
    covered = [sum(1 for a in decision["applied"] if a["waiver"] == w["index"]) for w in waivers]
    listed = [{**waiver_summary(w), "state": states[w["index"]], "covers": n} for w, n in zip(waivers, covered, strict=True)]
    return findings, listed


# A central OPA (or a bundle's own waiver policy) is another program: an index it invents, such as
# {"finding": -1}, would waive the last finding in Python. Both engines' answers pass here.


def checked_decision(decision: Any, findings: int, waivers: int, engine: str) -> dict[str, list[Any]]:
    """data.aigov.waivers.decision, refused unless it is one a waiver policy can give: every applied
    pair names one of the ``findings`` and one of the ``waivers`` by index, every waiver has a state."""
    where = f"{WAIVER_DECISION} (from the {engine} engine)"
    if not isinstance(decision, dict):
        raise AigovError(f"{where} is undefined; the waiver policy did not decide")
    for key in ("applied", "states", "deny"):
        if not isinstance(decision.get(key), list):
            raise AigovError(f"{where}: {key} is not a list")
    for n, pair in enumerate(decision["applied"]):
        if not (isinstance(pair, dict) and _is_index(pair.get("finding"), findings) and _is_index(pair.get("waiver"), waivers)):
            raise AigovError(f"{where}: applied[{n}] is {json.dumps(pair)[:120]}; expected the index of one of the "
                             f"{findings} findings and of one of the {waivers} waivers")
    stated: list[Any] = [s.get("waiver") for s in decision["states"] if isinstance(s, dict) and isinstance(s.get("state"), str)]
    if len(stated) != len(decision["states"]) or not all(_is_index(i, waivers) for i in stated) or sorted(stated) != list(range(waivers)):
        raise AigovError(f"{where}: states must give each of the {waivers} waivers one state")
    return decision


def _is_index(value: Any, size: int) -> bool:
    return type(value) is int and 0 <= value < size  # not True, 1.0 or "1", which Python would also take


def waiver_summary(waiver: dict[str, Any]) -> dict[str, Any]:
    """A waiver as reports show it (Finding.waiver, CheckResult.waivers)."""
    keys = ("rule", "feature", "path", "reason", "ticket", "approver", "created", "expires", "file", "line")
    return {key: waiver.get(key) for key in keys}
