"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One ``rules[]`` entry per rule the pack evaluated (its METADATA), one result per finding with a
location relative to the repository root, fingerprints that let code scanning follow a finding
across commits, and waived findings as accepted external suppressions.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from aigov import __version__
from aigov.digests import sha256_hex
from aigov.model import CheckResult, Finding
from aigov.policy.metadata import RuleMeta
from aigov.report import Reporter, waiver_justification
from aigov.untrusted import json_text, markdown_text

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "aigovFindingHash/v1"
# Code scanning's category for these results (everything before the last slash).
AUTOMATION_ID = "aigov/"

# GitHub code scanning maps security-severity to its labels: over 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low. Each aigov severity lands in the middle of its band.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


class SarifReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        return _document(sarif_run(result))

    def render_error(self, message: str) -> str:
        """A run that says it failed: code scanning shows the failure instead of an empty, clean run."""
        run = {
            "tool": {"driver": _driver([], ())},
            "automationDetails": {"id": AUTOMATION_ID},
            "invocations": [{
                "executionSuccessful": False,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": f"aigov could not decide: {message}"}}],
            }],
            "results": [],
        }
        return _document(run)


def _document(run: dict[str, Any]) -> str:
    # No indent: json's C encoder only runs without one, and an indented SARIF of the whole rule
    # catalogue cost ~8 ms of every check that writes it (GitHub reads it; nobody reads it by eye).
    return json_text(json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, ensure_ascii=False)) + "\n"


def sarif_run(result: CheckResult) -> dict[str, Any]:
    rules = _catalog(result)
    index = {rule.id: i for i, rule in enumerate(rules)}
    return {
        "tool": {"driver": _driver(rules, result.block)},
        "automationDetails": {"id": AUTOMATION_ID},
        "invocations": [{"executionSuccessful": True}],
        "originalUriBaseIds": {SOURCE_ROOT: {"description": {"text": "The root of the checked repository."}}},
        "results": [_result(f, index[f.id], result.block) for f in result.findings],
        "properties": {"verdict": result.verdict, "policyPack": result.pack_version, "clock": result.now,
                       "sources": [source.as_dict() for source in result.sources]},
    }


def _driver(rules: list[RuleMeta], block: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": "aigov",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_rule(rule, block) for rule in rules],
    }


def level(severity: str, block: tuple[str, ...]) -> str:
    """error for a severity that blocks, note for info, warning for the rest."""
    if severity in block:
        return "error"
    return "note" if severity == "info" else "warning"


def fingerprint(finding: Finding) -> str:
    """The finding's own fingerprint; without one, a hash of what identifies it apart from its line,
    so that unrelated edits that shift it do not make code scanning see a new alert."""
    if finding.fingerprint:
        return finding.fingerprint.removeprefix("sha256:")
    identity = "\0".join((finding.id, finding.feature, finding.path, finding.message))
    return sha256_hex(identity)


def _catalog(result: CheckResult) -> list[RuleMeta]:
    """Every evaluated rule; a finding whose rule the catalog lacks (a result built by hand) adds one."""
    rules = list(result.rule_catalog)
    known = {rule.id for rule in rules}
    for finding in result.findings:
        if finding.id not in known:
            known.add(finding.id)
            rules.append(RuleMeta(finding.id, finding.title, finding.severity, "", finding.remediation,
                                  tuple(finding.controls), "", "", "", 0))
    return rules


def _rule(rule: RuleMeta, block: tuple[str, ...]) -> dict[str, Any]:
    remediation = rule.remediation or "See the rule's description."
    return {
        "id": rule.id,
        "name": _pascal_case(rule.title) or rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        # Code scanning renders help.markdown: a rule the repository adds must not bring links or images.
        "help": {"text": remediation, "markdown": f"**{markdown_text(rule.title)}**\n\n{markdown_text(remediation)}"},
        "defaultConfiguration": {"level": level(rule.severity, block)},
        "properties": {
            "tags": ["aigov", "security", *rule.controls],
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
        },
    }


def _result(finding: Finding, rule_index: int, block: tuple[str, ...]) -> dict[str, Any]:
    region = {"region": {"startLine": finding.line}} if finding.line else {}
    sarif_result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity, block),
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            # A URI reference relative to the repository root: spaces and the like percent-encoded.
            "artifactLocation": {"uri": quote(finding.path, safe="/"), "uriBaseId": SOURCE_ROOT},
            **region,
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {"feature": finding.feature, "severity": finding.severity},
    }
    if finding.waived:
        sarif_result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": waiver_justification(finding.waiver or {}),
        }]
    return sarif_result


def _pascal_case(title: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))
