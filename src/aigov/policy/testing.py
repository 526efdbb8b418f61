"""``aigov policy test``: run every ``test_*`` rule of a pack with the embedded engine, with coverage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.policy.engine import load_regorus
from aigov.policy.pack import PolicyPack
from aigov.policy.rego_ast import rego_error


@dataclass
class TestResult:
    package: str
    name: str
    path: str
    outcome: str  # pass | fail | error
    detail: str = ""


@dataclass
class TestRun:
    results: list[TestResult] = field(default_factory=list)
    coverage: float = 0.0  # percent of rule lines (outside tests) that tests reached
    uncovered: dict[str, list[int]] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(r.outcome == "pass" for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def run_policy_tests(pack: PolicyPack, tested_paths: set[str] | None = None) -> TestRun:
    """Run the tests in ``tested_paths`` (default: every module) against the whole pack."""
    engine = load_regorus(pack.embedded_modules(), pack.data)
    engine.set_enable_coverage(True)
    engine.set_input_json("{}")
    run = TestRun()
    for path, info in sorted(pack.infos.items()):
        if tested_paths is not None and path not in tested_paths:
            continue
        for name in info.tests:
            run.results.append(_run_one(engine, info.package, name, path))
    if not run.results:
        raise AigovError("no test_* rules found; a policy pack without tests cannot be trusted")
    run.coverage, run.uncovered = _coverage(engine, pack, tested_paths)
    return run


def _coverable_lines(pack: PolicyPack, path: str) -> list[int]:
    """Lines of a module no test touched: regorus leaves such files out of its report, so
    evaluate the whole package once in a scratch engine to learn which lines count."""
    engine = load_regorus(pack.embedded_modules(), pack.data)
    engine.set_enable_coverage(True)
    engine.set_input_json("{}")
    try:
        engine.eval_query(f"data.{pack.infos[path].package}")
    except Exception:
        pass  # rules that error on an empty input still had their lines registered
    for entry in json.loads(engine.get_coverage_report_as_json()).get("files", []):
        if entry["path"] == path:
            return sorted(entry.get("covered", []) + entry.get("not_covered", []))
    return []


def _run_one(engine: Any, package: str, name: str, path: str) -> TestResult:
    try:
        value = json.loads(engine.eval_rule_as_json(f"data.{package}.{name}"))
    except Exception as exc:
        return TestResult(package, name, path, "error", str(rego_error(exc, path)))
    if value is True:
        return TestResult(package, name, path, "pass")
    detail = "undefined (a condition did not hold)" if value == "<undefined>" else f"evaluated to {json.dumps(value)[:80]}"
    return TestResult(package, name, path, "fail", detail)


def _coverage(engine: Any, pack: PolicyPack, tested_paths: set[str] | None) -> tuple[float, dict[str, list[int]]]:
    report = json.loads(engine.get_coverage_report_as_json())
    entries = report.get("files", [])
    reported = {entry["path"] for entry in entries}
    for path in pack.modules:
        if path not in reported:
            entries.append({"path": path, "covered": [], "not_covered": _coverable_lines(pack, path)})
    covered_total = 0
    lines_total = 0
    uncovered: dict[str, list[int]] = {}
    for entry in entries:
        path = entry["path"]
        if path.endswith("_test.rego") or (tested_paths is not None and not _is_subject(path, tested_paths)):
            continue
        covered = len(entry.get("covered", []))
        missed = entry.get("not_covered", [])
        covered_total += covered
        lines_total += covered + len(missed)
        if missed:
            uncovered[path] = sorted(missed)
    percent = 100.0 * covered_total / lines_total if lines_total else 100.0
    return round(percent, 1), uncovered


def _is_subject(path: str, tested_paths: set[str]) -> bool:
    """Coverage counts the modules under test, not the shipped pack an org pack builds on."""
    folders = {str(Path(p).parent) for p in tested_paths}
    return str(Path(path).parent) in folders
