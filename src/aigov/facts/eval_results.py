"""Facts about a feature's recorded eval results: the evidence that a re-baseline ran on the change.

The paved road's eval runner writes a results record (``baseline.json`` beside the eval config,
schemas/eval-results.schema.json) naming what it ran on: the digest of each prompt file, the models
(id and provider), the digests of the eval config and of each dataset, the number of cases and each metric's
score against its threshold. This module reads the record and, beside it, the digests of the same
files as aigov reads them through the one reader at the commit judged. Whether the record is
evidence of the change (the same prompts, models, config and datasets; enough cases; every
threshold met) is for AIGOV-CHANGE-001 to decide (policies/aigov/changes.rego), never for Python.
"""

from __future__ import annotations

from typing import Any

from aigov.errors import AigovError
from aigov.jsonfile import parse_json
from aigov.tree import FILE, Tree, join
from aigov.validation import schema_errors

RESULTS_FORMAT = "aigov-eval-results/1"
MAX_RESULTS_BYTES = 4 * 1024 * 1024


def eval_results_facts(tree: Tree, feature: dict[str, Any], path: str | None) -> dict[str, Any]:
    """``input.change.eval_baseline``: the record at ``path`` (repository-relative) and what it claims,
    and the digests of the feature's prompts, eval config and datasets as they are in ``tree``."""
    facts: dict[str, Any] = {"path": path, "exists": False, "error": None, "line": 1, "recorded": None, "actual": None}
    if path is None or tree.kind(path) != FILE:
        return facts
    facts["exists"] = True
    try:
        record = parse_json(tree.read_text(path, MAX_RESULTS_BYTES), path)
    except AigovError as exc:
        facts["error"], facts["line"] = exc.message, exc.line or 1
        return facts
    problems = schema_errors(record, "eval-results")
    if problems:
        field, message = problems[0]
        facts["error"] = f"{field}: {message}" if field else message
        return facts
    facts["recorded"] = _recorded(record)
    facts["actual"] = _actual(tree, feature)
    return facts


def _recorded(record: dict[str, Any]) -> dict[str, Any]:
    """What the record claims, with paths as the runner wrote them (relative to the feature's folder),
    each model as ``{id, provider}`` (a bare id, from a runner that did not record providers, is listed
    in ``unrecorded_providers``: the record says nothing of its provider) and each score and threshold
    also as text (so that messages never format a float in Rego)."""
    models = record["models"]
    return {
        "prompts": record["prompts"],
        "models": [m if isinstance(m, dict) else {"id": m, "provider": None} for m in models],
        "unrecorded_providers": [m for m in models if isinstance(m, str)],
        "config": record["config"],
        "datasets": record["datasets"],
        "cases": record["cases"],
        "metrics": [{**metric, "score_text": _number(metric["score"]), "threshold_text": _number(metric["threshold"])}
                    for metric in record["metrics"]],
    }


def _number(value: float) -> str:
    return f"{value:.4g}"


def _actual(tree: Tree, feature: dict[str, Any]) -> dict[str, Any]:
    """The digest of each file the record must name, relative to the feature's folder as the runner
    names them: every file under the prompts folder, the eval config, each suite's dataset."""
    folder = feature["dir"]
    spec = feature["manifest"]["spec"]
    evals = feature.get("evals") or {}
    prompts_dir = join(folder, spec.get("prompts", "prompts"))
    return {
        "prompts": {_relative(folder, p): _digest(tree, p) for p in tree.files_under(prompts_dir)},
        "config": {"path": evals.get("config"), "digest": _digest(tree, evals["path"]) if evals.get("path") else None},
        "datasets": {suite["dataset"]["declared"]: _digest(tree, suite["dataset"]["path"]) for suite in evals.get("suites", [])},
    }


def _digest(tree: Tree, path: str) -> str | None:
    """``sha256:<hex>`` of a file's bytes; None for one that is not a regular file inside the repository
    (it then matches no recorded digest)."""
    try:
        return "sha256:" + tree.sha256(path).hex()
    except AigovError:
        return None


def _relative(folder: str, path: str) -> str:
    return path if folder == "." else path.removeprefix(folder + "/")
