"""aigov check end to end on real feature folders: verdicts, exit codes, output formats."""

from __future__ import annotations

from pathlib import Path

from conftest import CLOCK, EXAMPLE, check, check_json


def test_bundled_example_passes(tmp_path: Path) -> None:
    result = check(EXAMPLE, "--root", str(EXAMPLE))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("PASS")


def test_compliant_feature_passes_with_json_verdict(feature: Path) -> None:
    doc = check_json(feature)
    assert doc["verdict"] == "pass"
    assert doc["findings"] == []
    assert doc["summary"]["features"] == 1
    assert doc["checked_at"] == CLOCK
    assert all(doc["digests"][k].startswith("sha256:") for k in ("policies", "data", "input"))
