"""The decision record as an output format (`check --record FILE`, `--format record`)."""

from __future__ import annotations

import json

from aigov.model import CheckResult
from aigov.record import RECORD_VERSION, canonical_bytes, decision_record
from aigov.report import Reporter


class RecordReporter(Reporter):
    def render(self, result: CheckResult) -> str:
        return canonical_bytes(decision_record(result)).decode("utf-8")

    def render_error(self, message: str) -> str:
        # Not a record (the schema has no "error" verdict), so `aigov record --from` refuses it,
        # and last run's record is not left behind to be mistaken for this run's decision.
        return json.dumps({"record": RECORD_VERSION, "verdict": "error", "error": message}, sort_keys=True) + "\n"
