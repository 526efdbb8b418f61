"""The documents a feature stood on at a release point: manifest, model card, eval config and
its recorded results (``baseline.json`` beside the eval config, when the feature commits one),
SBOM, risk assessment, template answers, waivers, and the facts aigov collected (signature
verification results among them), read from git objects."""

from __future__ import annotations

import posixpath
from typing import Any, Callable

from aigov.evidence.decision import canonical_json
from aigov.facts.change import eval_baseline_path
from aigov.files import MAX_FILE_BYTES

TEMPLATE_ANSWERS = ".copier-answers.yml"
FACTS_FILE = "aigov-facts.json"  # beside each feature's documents: the facts aigov collected


def feature_documents(
    tree: dict[str, tuple[str, str]], facts: dict[str, dict[str, Any]],
    read_blob: Callable[[str], bytes], blob_size: Callable[[str], int],
) -> dict[str, bytes]:
    """Repository path -> content of each document the features name, plus ``<dir>/aigov-facts.json`` per feature."""
    out: dict[str, bytes] = {}
    for folder, doc in sorted(facts.items()):
        feature = doc["feature"]
        for path in _named_paths(folder, feature, tree):
            mode, blob = tree[path]
            if mode in ("100644", "100755") and blob_size(blob) <= MAX_FILE_BYTES:
                out[path] = read_blob(blob)
        facts_path = posixpath.join(folder, FACTS_FILE) if folder != "." else FACTS_FILE
        out[facts_path] = (canonical_json(doc) + "\n").encode("utf-8")
    for path in sorted(tree):
        if path.startswith(".aigov/") and "waiver" in posixpath.basename(path):
            mode, blob = tree[path]
            if mode in ("100644", "100755") and blob_size(blob) <= MAX_FILE_BYTES:
                out[path] = read_blob(blob)
    return out


def _named_paths(folder: str, feature: dict[str, Any], tree: dict[str, Any]) -> list[str]:
    candidates = [feature.get("manifest_path", ""), TEMPLATE_ANSWERS]
    candidates += [p for p, present in (feature.get("paths") or {}).items() if present is True]
    evals = ((feature.get("manifest") or {}).get("spec") or {}).get("evals") or {}
    baseline = eval_baseline_path(feature.get("dir", folder), evals.get("config"))
    if baseline is not None:
        candidates.append(baseline)
    out = []
    for value in candidates:
        for path in (value, posixpath.normpath(posixpath.join(folder, value))):
            if path in tree and path not in out:
                out.append(path)
                break
    return out
