"""The verdict: evaluate the pack on what was collected, join the findings to METADATA, apply the waivers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aigov.check.collect import CheckInputs
from aigov.check.diff import CHANGES_PACKAGE, FindingKey, mark_introduced, set_fingerprints
from aigov.check.findings import join_finding, unique_findings
from aigov.check.options import CheckOptions
from aigov.check.waivers import apply_waivers, waiver_input
from aigov.clock import utc_now
from aigov.digests import canonical_digest
from aigov.errors import AigovError
from aigov.model import CheckResult, Finding, Verdict
from aigov.policy.engine import Engine
from aigov.policy.metadata import RuleMeta


def judge(collected: CheckInputs, options: CheckOptions, debt: Counter[FindingKey] | None = None) -> CheckResult:
    """The result of a check of what ``collected`` holds, by the engine it started.

    ``debt``: for --new-only, the findings the base already had (reported, but not blocking).
    """
    pack, inputs, engine = collected.pack, collected.inputs, collected.engine
    assert engine is not None
    rules = pack.rules
    if not rules:
        raise AigovError("the policy pack has no rules; refusing to pass a check that judged nothing")
    findings = unique_findings(_deny_findings(collected, engine, rules))
    # The pack is not changed once built: a replay that judges thousands of commits with one pack digests it once.
    policies, data, _ = collected.tree.memoised(("pack digests", id(pack)), lambda: (pack.policy_digest(), pack.data_digest(), pack))
    digests = {"policies": policies, "data": data, "input": canonical_digest(inputs)}
    waivers: list[dict[str, Any]] = []
    waiver_doc = waiver_input(collected, findings, options.github_token) if inputs and options.apply_waivers else None
    if waiver_doc is not None:
        findings, waivers = apply_waivers(engine, waiver_doc, findings, rules, collected.block)
        digests["input"] = canonical_digest([*inputs, waiver_doc])  # everything the engine saw
    findings = sorted(findings, key=Finding.sort_key)
    set_fingerprints(findings, collected.tree)
    if debt is not None:
        mark_introduced(findings, debt)
    return CheckResult(
        verdict=Verdict.FAIL if any(f.blocking for f in findings) else Verdict.PASS,
        findings=findings,
        features=[i["feature"]["name"] for i in inputs] + [r["feature"]["name"] for r in collected.removed],
        now=inputs[0]["now"] if inputs else options.now or utc_now(),
        pack_version=pack.version,
        engine=engine.name,
        digests=digests,
        rules=len(rules),
        block=collected.block,
        sources=pack.sources,
        inputs=inputs,
        rule_catalog=sorted(rules.values(), key=lambda rule: rule.id),
        change=collected.change.summary() if collected.change is not None else None,
        waivers=waivers,
        root=collected.tree.root,
        reads=collected.reads,
    )


def _deny_findings(collected: CheckInputs, engine: Engine, rules: dict[str, RuleMeta]) -> list[Finding]:
    """Every deny object the pack gave for each judged feature, and the change rules' for each removed one."""
    findings = []
    if collected.inputs:  # a change that touches no feature has nothing to evaluate
        answers = checked_deny_results(engine.evaluate_all(collected.inputs), len(collected.inputs), engine.name)
        for input_doc, raws in zip(collected.inputs, answers, strict=True):
            findings += [join_finding(raw, rules, input_doc["feature"], collected.block) for raw in raws]
    for removed in collected.removed:  # only the change rules judge a feature that is gone
        for raw in engine.evaluate_rule(f"data.{CHANGES_PACKAGE}.deny", removed) or []:
            findings.append(join_finding({**raw, "_package": CHANGES_PACKAGE}, rules, removed["feature"], collected.block))
    return findings


def checked_deny_results(results: Any, inputs: int, engine: str) -> list[list[Any]]:
    """One list of deny objects per input, as many as there were inputs (zip would drop the rest): an
    engine is another program (a central OPA), its answer is checked before it is used."""
    if not isinstance(results, list) or len(results) != inputs or not all(isinstance(r, list) for r in results):
        raise AigovError(f"the {engine} engine did not answer one list of findings for each of the {inputs} features it was asked about")
    return results
