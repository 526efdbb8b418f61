"""``--format json``: a stable, documented document for machines (schemas/check-result.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from aigov import __version__
from aigov.model import CheckResult
from aigov.record import RECORD_VERSION, decision_record, record_digest
from aigov.report import Reporter
from aigov.untrusted import json_text

RESULT_VERSION = "1"


def result_document(result: CheckResult) -> dict[str, Any]:
    return {
        "version": RESULT_VERSION,
        "aigov": __version__,
        "verdict": result.verdict,
        "checked_at": result.now,
        "policy": {"version": result.pack_version, "engine": result.engine, "rules": result.rules},
        "digests": result.digests,
        "sources": [source.as_dict() for source in result.sources],
        "block": list(result.block),
        "features": result.features,
        "summary": result.summary(),
        "findings": [
            {
                "id": f.id,
                "severity": f.severity,
                "blocking": f.blocking,
                "title": f.title,
                "message": f.message,
                "path": f.path,
                "line": f.line,
                "feature": f.feature,
                "remediation": f.remediation,
                "controls": f.controls,
                "waived": f.waived,
                "waiver": f.waiver,
                "fingerprint": f.fingerprint,
                "introduced": f.introduced,
            }
            for f in result.findings
        ],
        "waivers": result.waivers,
        "record": record_reference(result),
    }


def record_reference(result: CheckResult) -> dict[str, str]:
    """The decision record's format and digest: `aigov check --record FILE` writes the bytes with that digest."""
    return {"format": RECORD_VERSION, "digest": record_digest(decision_record(result))}


def error_document(message: str) -> dict[str, Any]:
    return {"version": RESULT_VERSION, "aigov": __version__, "verdict": "error", "error": message, "findings": []}


class JsonReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        return json_text(json.dumps(result_document(result), indent=2, ensure_ascii=False)) + "\n"

    def render_error(self, message: str) -> str:
        return json_text(json.dumps(error_document(message), indent=2, ensure_ascii=False)) + "\n"
