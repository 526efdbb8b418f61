"""The distinct cases of an eval dataset file: .jsonl lines, a .json array, .csv rows after the header,
a .yaml list, or the tests of a promptfoo config given as a dataset."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from aigov.errors import AigovError
from aigov.yamlfile import parse_yaml

MAX_DATASET_BYTES = 64 * 1024 * 1024  # datasets are data, larger than configuration may be
DATASET_SUFFIXES = ("jsonl", "json", "csv", "yaml", "yml")
PROMPTFOO_KEYS = ("providers", "targets", "prompts", "tests", "defaultTest", "scenarios", "redteam")


def is_promptfoo_config(data: Any) -> bool:
    """A promptfoo config (facts/promptfoo.py reads it): a mapping with promptfoo's keys and none of an
    aigov eval config's."""
    return isinstance(data, dict) and "suites" not in data and "command" not in data and any(k in data for k in PROMPTFOO_KEYS)


def case_set(text: str, path: str) -> set[str]:
    """DISTINCT cases (30 copies of one line are one case), each as canonical JSON: cases compare as data,
    so key order and spacing do not count."""
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix == "jsonl":
        return _jsonl_cases(text, path)
    if suffix == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AigovError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
        return _distinct(data, path, "a JSON array of cases")
    if suffix == "csv":
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
        return {canonical_case([cell.strip() for cell in row]) for row in rows[1:]}
    return _distinct(parse_yaml(text, path).data, path, "a YAML list of cases")


def csv_records(text: str) -> list[dict[str, str]]:
    """A CSV dataset's rows as header -> value (blank rows skipped)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip() for cell in rows[0]]
    return [dict(zip(header, (cell.strip() for cell in row), strict=False)) for row in rows[1:]]


def _jsonl_cases(text: str, path: str) -> set[str]:
    cases: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                cases.add(canonical_case(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise AigovError(f"line is not a JSON value: {exc.msg}", path, number) from None
    return cases


def _distinct(data: Any, path: str, expected: str) -> set[str]:
    if not isinstance(data, list):
        raise AigovError(f"must hold {expected}, found {type(data).__name__}", path, 1)
    return {canonical_case(case) for case in data}


def canonical_case(case: Any) -> str:
    return json.dumps(case, sort_keys=True, separators=(",", ":"), default=str)
