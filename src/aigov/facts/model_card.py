"""The model card: Markdown with YAML front matter (Hugging Face style); and the documents that need
human judgement, model card and risk assessment, with whether each is still a draft.

Facts: whether the card exists, its front matter, schema violations of the front matter (with
lines), and its headings with whether each has real content. Which headings count as which
required section is decided in Rego, from data an organisation can extend.

The paved road generates the model card and the risk assessment as drafts (``status: draft`` and
``drafted: <date>`` in their front matter): template text nobody has reviewed.
``input.feature.documents`` says, for each, where it is, whether it is a draft and since when;
policies/aigov/drafts.rego decides when a draft blocks, and the change rules who must approve the
pull request that makes one final.
"""

from __future__ import annotations

import re
from typing import Any

from aigov.errors import AigovError
from aigov.tree import FILE, MISSING, Tree
from aigov.validation import schema_errors
from aigov.yamlfile import parse_yaml

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Text that stands in for content that was never written (the Hugging Face template uses the first).
_PLACEHOLDER = re.compile(r"^\W*(\[?more information needed\]?|todo|tbd|n/?a|lorem ipsum.*)\W*$", re.IGNORECASE)


def collect_model_card(tree: Tree, path: str) -> dict[str, Any]:
    if tree.kind(path) == MISSING:
        return {"path": path, "exists": False}
    text = tree.read_text(path, max_bytes=1024 * 1024)
    front, body_start = _split_front_matter(text, path)
    facts: dict[str, Any] = {"path": path, "exists": True, "front_matter": None, "errors": []}
    if front is not None:
        try:
            doc = parse_yaml(front, path)
        except AigovError as exc:
            # parse_yaml counts lines from the one after the opening '---'; the user edits the file.
            exc.line = exc.line + 1 if exc.line else exc.line
            raise
        # Lines in the front matter are offset by the opening '---'.
        def line_of(field: str) -> int:
            return (doc.line_of(field) or 0) + 1
        if not isinstance(doc.data, dict):
            facts["errors"].append({"field": "", "message": "front matter must be a YAML mapping", "line": 2})
        else:
            facts["front_matter"] = doc.data
            facts["lines"] = {field: line + 1 for field, line in doc.lines.items() if field}
            facts["errors"] = [
                {"field": field, "message": message, "line": line_of(field)}
                for field, message in schema_errors(doc.data, "model-card")
            ]
    facts["headings"] = _headings(text.splitlines(), body_start)
    return facts


def _split_front_matter(text: str, path: str) -> tuple[str | None, int]:
    """The front matter text (None if there is none) and the 0-based line where the body starts."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), index + 1
    raise AigovError("front matter opened with '---' on line 1 is never closed", path, 1)


def _headings(lines: list[str], start: int) -> list[dict[str, Any]]:
    headings: list[dict[str, Any]] = []
    in_fence = False
    for index in range(start, len(lines)):
        line = lines[index]
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence:
            if headings:
                headings[-1]["_content"] = True
            continue
        match = _HEADING.match(line)
        if match:
            headings.append({"text": match.group(2).strip(), "level": len(match.group(1)), "line": index + 1, "_content": False})
        elif headings and line.strip() and not _PLACEHOLDER.match(line.strip()):
            headings[-1]["_content"] = True
    # A section has content if it or any of its sub-sections has some.
    for i, heading in enumerate(headings):
        sub = [h for h in _subsections(headings, i)]
        heading["has_content"] = heading["_content"] or any(h["_content"] for h in sub)
    for heading in headings:
        del heading["_content"]
    return headings


def _subsections(headings: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    level = headings[index]["level"]
    out = []
    for heading in headings[index + 1 :]:
        if heading["level"] <= level:
            break
        out.append(heading)
    return out


# The documents a feature's manifest names that need human judgement: (key, what it is called).
DOCUMENTS = (("model_card", "model card"), ("risk_assessment", "risk assessment"))
MAX_DOCUMENT_BYTES = 1024 * 1024


def document_paths(spec: dict[str, Any], feature_path: Any) -> dict[str, str]:
    """Repository paths of the governed documents ``spec`` names (a risk assessment given as a URL is
    not a file aigov reads); ``feature_path`` makes a manifest path repository-relative."""
    paths = {}
    if isinstance(spec.get("modelCard"), str):
        paths["model_card"] = feature_path(spec["modelCard"])
    assessment = (spec.get("oversight") or {}).get("riskAssessment") if isinstance(spec.get("oversight"), dict) else None
    if isinstance(assessment, str) and "://" not in assessment:
        paths["risk_assessment"] = feature_path(assessment)
    return paths


def collect_documents(tree: Tree, paths: dict[str, str]) -> list[dict[str, Any]]:
    """``input.feature.documents``: each governed document's status (draft or not) and draft date."""
    return [document_facts(tree, key, title, paths[key]) for key, title in DOCUMENTS if key in paths]


def document_facts(tree: Tree, key: str, title: str, path: str) -> dict[str, Any]:
    """What a document's front matter says of its review: ``status``, ``drafted``, ``last_reviewed``.
    A document without front matter, or whose front matter cannot be read, is not a draft (the model
    card's own rules report a broken one)."""
    facts: dict[str, Any] = {"key": key, "kind": title, "path": path, "exists": tree.kind(path) == FILE, "status": None,
                             "drafted": None, "last_reviewed": None, "line": 1}
    if not facts["exists"]:
        return facts
    try:
        text = tree.read_text(path, MAX_DOCUMENT_BYTES)
        front, _ = _split_front_matter(text, path)
        doc = parse_yaml(front, path) if front is not None else None
    except AigovError:
        return facts
    if doc is None or not isinstance(doc.data, dict):
        return facts
    for field in ("status", "drafted", "last_reviewed"):
        value = doc.data.get(field)
        facts[field] = value if isinstance(value, str) else None
    facts["line"] = (doc.line_of("status") or 0) + 1
    return facts
