"""Score recorded summaries against the golden set; exit 1 when a metric misses its threshold.

Offline and deterministic: each case holds the ticket, its key facts and the summary the model
produced for it, so CI needs no model access. Usage: python evals/run.py --config evals/config.yaml
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

# Tokens that carry a checkable fact: anything with a digit (order numbers, amounts, dates).
FACT_TOKEN = re.compile(r"\b[\w.-]*\d[\w.-]*\b")


def key_fact_coverage(case: dict) -> float:
    summary = case["summary"].lower()
    return sum(fact.lower() in summary for fact in case["key_facts"]) / len(case["key_facts"])


def hallucination_rate(case: dict) -> float:
    """Share of fact tokens in the summary that the ticket does not contain."""
    tokens = FACT_TOKEN.findall(case["summary"])
    return sum(token not in case["ticket"] for token in tokens) / len(tokens) if tokens else 0.0


METRICS = {"key_fact_coverage": key_fact_coverage, "hallucination_rate": hallucination_rate}


def run_suite(suite: dict, base: Path) -> bool:
    lines = (base / suite["dataset"]).read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    passed = True
    for metric in suite["metrics"]:
        score = sum(METRICS[metric["name"]](case) for case in cases) / len(cases)
        goal = metric.get("goal", "min")
        ok = score >= metric["threshold"] if goal == "min" else score <= metric["threshold"]
        passed = passed and ok
        sign = ">=" if goal == "min" else "<="
        print(f"{suite['name']}: {metric['name']} = {score:.3f} (needs {sign} {metric['threshold']}) {'ok' if ok else 'FAIL'}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, type=Path)
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    # Paths in the config are relative to the feature folder, where CI runs this script.
    results = [run_suite(suite, Path.cwd()) for suite in config["suites"]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
