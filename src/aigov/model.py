"""The result of a check, as every part of aigov speaks of it: severities, verdicts, findings.

This module is the bottom layer: it imports nothing of aigov at run time, so reporters, evidence
and the check itself share one definition of what a finding is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov.errors import EXIT_BLOCKING, EXIT_PASS

if TYPE_CHECKING:
    from aigov.policy.metadata import RuleMeta
    from aigov.tree import Reads


class Severity(StrEnum):
    """A rule's severity (METADATA custom.severity), most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITIES = tuple(s.value for s in Severity)
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}
ALWAYS_BLOCK = (Severity.CRITICAL.value, Severity.HIGH.value)  # no config can make these non-blocking


@dataclass
class Source:
    """One input to the judgement, named in every report with the digest of what was read."""

    role: str  # policy-pack | org-config | org-policies | org-data | registry | repository-config | ...
    path: str
    digest: str
    version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"role": self.role, "path": self.path, "digest": self.digest}
        if self.version is not None:
            out["version"] = self.version
        return out


class Verdict(StrEnum):
    PASS = "pass"  # no blocking finding
    FAIL = "fail"  # at least one blocking finding
    ERROR = "error"  # aigov could not decide (exit 2): never a pass


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    message: str
    path: str
    line: int | None
    feature: str
    remediation: str
    controls: list[str]
    blocking: bool
    # Filled in by the PR gate: the waiver that covers this finding (then it does not block), a
    # fingerprint stable across unrelated edits (SARIF partialFingerprints, --new-only), and whether
    # the change under review introduced it (None: not a diff-aware check).
    waived: bool = False
    waiver: dict[str, Any] | None = None
    fingerprint: str = ""
    introduced: bool | None = None

    def sort_key(self) -> tuple[Any, ...]:
        # Within a severity, the manifest's findings come first: they are usually the cause
        # (an unapproved model) of the others (a model card or SBOM that does not match it).
        in_manifest = self.path.rsplit("/", 1)[-1] == "aigov.yaml"
        return (SEVERITY_ORDER[self.severity], self.feature, not in_manifest, self.path, self.line or 0, self.id, self.message)


@dataclass
class CheckResult:
    verdict: str  # Verdict.PASS or Verdict.FAIL (an error is an AigovError, never a result)
    findings: list[Finding]
    features: list[str]
    now: str
    pack_version: str
    engine: str
    digests: dict[str, str]
    rules: int
    block: tuple[str, ...] = ()
    sources: list[Source] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # The PR gate: the change under review (base, head, PR number, changed files) and every waiver
    # with its state: active, expiring, expired, stale, unapproved or refused (a rule that cannot
    # be waived, or longer than allowed), and how many findings it covers.
    change: dict[str, Any] | None = None
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # Every rule the pack evaluated for each feature, by id: SARIF lists them as rules[], JUnit
    # reports one test case per rule and feature (a rule without findings passed).
    rule_catalog: list[RuleMeta] = field(default_factory=list, repr=False)
    # The repository's root folder: the decision record reads its commit and remote from it.
    root: Path | None = field(default=None, repr=False)
    # What each judged feature's verdict was read from, by feature folder.
    reads: dict[str, Reads] = field(default_factory=dict, repr=False)

    @property
    def exit_code(self) -> int:
        return EXIT_BLOCKING if self.verdict == Verdict.FAIL else EXIT_PASS

    def summary(self) -> dict[str, Any]:
        counts = {severity: 0 for severity in SEVERITIES}
        for finding in self.findings:
            counts[finding.severity] += 1
        return {
            "features": len(self.features),
            "findings": len(self.findings),
            "blocking": sum(f.blocking for f in self.findings),
            "by_severity": counts,
        }
