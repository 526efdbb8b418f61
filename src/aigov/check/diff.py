"""What a diff-aware check adds (--base/--head/--pr): the change under review, fingerprints that
survive unrelated edits, and --new-only's split between what the change introduced and debt."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.facts.change import resolve_change
from aigov.model import Finding
from aigov.tree import Tree

# The diff code (aigov.facts.change, and aigov.facts.review in aigov.check.waivers) loads only in a
# diff-aware check: ~8 ms of a plain check's start-up otherwise (measured, of ~330 ms CPU in all).
if TYPE_CHECKING:
    from aigov.facts.change import Change, ChangeRequest

CHANGES_PACKAGE = "aigov.changes"  # the rules that judge what a change did, a removed feature included
FINGERPRINT_LINE_CHARS = 4096
FindingKey = tuple[str, str, str]  # rule id, feature, fingerprint


def change_under_review(tree: Tree, request: ChangeRequest | None) -> Change | None:
    """The change a diff-aware check judges, with its changed files; None for a plain check."""
    if request is None:
        return None

    return resolve_change(tree.root, request)


def set_fingerprints(findings: list[Finding], tree: Tree) -> None:
    """A fingerprint per finding that survives line shifts: rule, feature, path and the normalised text
    of the flagged line (the message when there is no line). Each flagged file is read once, each
    flagged line normalised once and counted up to FINGERPRINT_LINE_CHARS (a minified file's one line
    may carry thousands of findings)."""
    texts: dict[str, list[str] | None] = {}
    normalised: dict[tuple[str, int], str] = {}
    for finding in findings:
        if finding.line and finding.path not in texts:
            texts[finding.path] = _file_lines(tree, finding.path)
        lines = texts.get(finding.path) if finding.line else None
        flagged = finding.message
        if lines is not None and finding.line is not None and finding.line <= len(lines):
            where = (finding.path, finding.line)
            if where not in normalised:
                normalised[where] = " ".join(lines[finding.line - 1].split())[:FINGERPRINT_LINE_CHARS]
            flagged = normalised[where]
        key = "\0".join([finding.id, finding.feature, finding.path, flagged])
        finding.fingerprint = content_digest(key)


def _file_lines(tree: Tree, rel: str) -> list[str] | None:
    try:
        return tree.read_text(rel).splitlines()
    except AigovError:
        return None


def finding_keys(findings: list[Finding]) -> Counter[FindingKey]:
    """The findings as --new-only compares them with the base's: by rule, feature and fingerprint."""
    return Counter((f.id, f.feature, f.fingerprint) for f in findings)


def mark_introduced(findings: list[Finding], base: Counter[FindingKey]) -> None:
    """--new-only: a finding also present at the base is debt, reported but not blocking."""
    remaining = Counter(base)
    for finding in findings:
        key = (finding.id, finding.feature, finding.fingerprint)
        finding.introduced = remaining[key] == 0
        if not finding.introduced:
            remaining[key] -= 1
            finding.blocking = False
