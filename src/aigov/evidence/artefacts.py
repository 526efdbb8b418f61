"""The documents a feature stood on at a release point: manifest, model card, eval config and
its recorded results (``baseline.json`` beside the eval config, when the feature commits one),
SBOM, risk assessment, template answers, waivers, and the facts aigov collected (signature
verification results among them), read from git objects."""

from __future__ import annotations

import posixpath
from typing import Any

from aigov.errors import AigovError
from aigov.evidence.decision import canonical_json
from aigov.facts.change import eval_baseline_path
from aigov.files import MAX_FILE_BYTES
from aigov.tree import Tree

TEMPLATE_ANSWERS = ".copier-answers.yml"
FACTS_FILE = "aigov-facts.json"  # beside each feature's documents: the facts aigov collected


def feature_documents(tree: Tree, facts: dict[str, dict[str, Any]]) -> dict[str, bytes]:
    """Repository path -> content of each document the features name, plus ``<dir>/aigov-facts.json``
    per feature; read by the one reader (a linked document is kept where the feature names it)."""
    out: dict[str, bytes] = {}
    for folder, doc in sorted(facts.items()):
        feature = doc["feature"]
        for path in _named_paths(folder, feature, tree):
            _keep(tree, path, out)
        facts_path = posixpath.join(folder, FACTS_FILE) if folder != "." else FACTS_FILE
        out[facts_path] = (canonical_json(doc) + "\n").encode("utf-8")
    for path in tree.files:
        if path.startswith(".aigov/") and "waiver" in posixpath.basename(path):
            _keep(tree, path, out)
    return out


def _keep(tree: Tree, path: str, out: dict[str, bytes]) -> None:
    try:
        out[path] = tree.read_bytes(path, MAX_FILE_BYTES)
    except AigovError:
        pass  # not a readable regular file: the facts say so


def _named_paths(folder: str, feature: dict[str, Any], tree: Tree) -> list[str]:
    candidates = [feature.get("manifest_path", ""), TEMPLATE_ANSWERS]
    candidates += [p for p, present in (feature.get("paths") or {}).items() if present is True]
    evals = ((feature.get("manifest") or {}).get("spec") or {}).get("evals") or {}
    baseline = eval_baseline_path(feature.get("dir", folder), evals.get("config"))
    if baseline is not None:
        candidates.append(baseline)
    out = []
    for value in candidates:
        for path in (value, posixpath.normpath(posixpath.join(folder, value))):
            if path in tree.listed and path not in out:
                out.append(path)
                break
    return out
