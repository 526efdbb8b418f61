"""Where the feature's own files name a model, and which files could not be checked for that.

The manifest has to tell the truth about what the code calls; Rego compares these references
with the declared models. A reference is an id spelled as providers spell it - a registry id, one
of its aliases (dated snapshots, Bedrock, Vertex AI, Azure and router ids), a word that starts like
a provider's model ids (``providerPatterns`` in the registry: an unregistered model), or any string
that reaches a model parameter - found by facts/model_calls.py, which says how: a ``call`` site, a
``config`` value or a ``mention``. Only the feature's shipped files are read for them (not its
tests, docs, data or dev scripts: whatever they name could only be a mention; the prompts folder is
shipped); the code it keeps beside them (dev scripts, examples, migrations) is read for the
registered models it calls, which no feature may call if they are banned or retired. Which files
ship is decided by model_calls.placement. aigov only reads the files - it never runs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aigov.errors import AigovError
from aigov.facts.model_calls import (
    ASIDE,
    CALL,
    MENTION,
    NOT_SHIPPED,
    SHIPPED,
    FileReferences,
    ModelIndex,
    find_model_references,
    placement,
    project_tops,
)
from aigov.files import MAX_FILE_BYTES
from aigov.tree import FOLDER, LOOP, MISSING, OUTSIDE, Tree

# Why a link cannot be followed to look: it may stand for files with any name, so it counts
# whatever it is called.
_UNREADABLE_LINK = {OUTSIDE: "is a symlink that points outside the repository; aigov does not follow it",
                    LOOP: "is a symlink loop; aigov does not follow it"}

SCANNED_SUFFIXES = frozenset(
    {".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx", ".go", ".java", ".kt",
     ".scala", ".rb", ".rs", ".cs", ".php", ".swift", ".sh", ".bash", ".zsh", ".sql",
     ".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties", ".tf", ".hcl",
     ".prompt", ".prompty", ".jinja", ".jinja2", ".j2", ".mustache", ".hbs", ".tmpl", ".txt", ".md"}
)
# Documentation may name models it does not call; prose is read only under the prompts folder.
PROSE_SUFFIXES = frozenset({".md", ".txt"})
# Under the prompts folder every file is scanned, except what is binary by its suffix (images and
# audio for multimodal prompts, archives).
BINARY_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".tif", ".tiff", ".pdf", ".wav", ".mp3", ".ogg",
     ".flac", ".m4a", ".mp4", ".webm", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".tar", ".parquet", ".npy",
     ".pkl", ".pt", ".safetensors", ".onnx", ".bin"}
)
# Generated dependency pins: they list packages, not model calls (and often outgrow the size cap).
LOCK_FILES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml"})
# Config that has no suffix of its own: .env files (.env, .env.example), compose and Docker files,
# and config templates ("settings.yaml.example" is YAML).
_CONFIG_NAME = re.compile(r"(?:^|/)(?:\.env[^/]*|[^/]*\.env(?:\.\w+)?|Dockerfile[^/]*|[^/]*\.(?:ya?ml|json|toml|ini|cfg|conf|env)"
                          r"\.(?:example|sample|template|dist|default|tmpl|tpl))$")

MAX_SHOWN_ID = 120  # a "model id" longer than this is shown cut short
# Mentions decide nothing; past this many in one file (a catalogue, a dump) the rest are not listed,
# so the input stays small whatever a file holds.
MAX_MENTIONS_PER_FILE = 50
# Calls and config values are all listed, except in a file that chooses among more unregistered ids
# than this: each would be a finding of its own (a 1 MB list holds 60,000), so the file is reported
# as one that cannot be checked (AIGOV-MODEL-011, blocking) instead. Its registered models are still
# listed and judged one by one: a banned model cannot hide among them.
MAX_UNREGISTERED_PER_FILE = 1000


def _shorten(spelled: str) -> str:
    return spelled if len(spelled) <= MAX_SHOWN_ID else spelled[:MAX_SHOWN_ID] + "..."


def collect_model_references(
    tree: Tree, files: list[str], index: ModelIndex, skip: set[str], prompts_dir: str, feature_dir: str = ".",
    eval_files: frozenset[str] = frozenset(),
) -> dict[str, list[dict[str, Any]]]:
    """Facts: ``model_references`` in the feature's shipped files, each with how it was found;
    ``unscanned_files``: shipped files that could not be read to their end (unreadable, over a size
    or time bound), where a call could hide; and ``unshipped_calls``: the registered models that code
    the feature does not ship calls or configures (see :func:`_unshipped_calls`).

    A link is read where it points (inside the repository only); the files behind a link to a
    folder are the feature's too, as a checkout shows them, and are reported where they live.
    Whether a file is shipped is decided by its path inside the feature (a feature may live under
    any folder, ``examples/`` or ``tests/`` included) and the projects in it (see
    model_calls.placement): code aside from the application (a top-level ``scripts/`` folder) is read
    only for the registered models it calls. ``eval_files`` are eval configs, wherever they
    are: the models they name are the ones the evals send the feature's eval data to (``how: eval``).
    """
    refs: list[dict[str, Any]] = []
    unscanned: list[dict[str, Any]] = []
    unshipped: list[dict[str, Any]] = []
    prompts_prefix = prompts_dir.rstrip("/") + "/"
    feature_prefix = "" if feature_dir == "." else feature_dir.rstrip("/") + "/"
    links = tree.links
    queue = list(files)
    seen: set[str] = set()  # real paths read (or folders listed): each once, at the first path that reached it
    tops = project_tops(rel[len(feature_prefix):] for rel in files if rel.startswith(feature_prefix))
    for rel in queue:  # grows as links to folders are followed
        if rel in skip:
            continue
        in_prompts = rel.startswith(prompts_prefix)
        where = SHIPPED if in_prompts or rel in eval_files else placement(rel[len(feature_prefix):] if rel.startswith(feature_prefix) else rel, tops)
        if where == NOT_SHIPPED:
            continue  # tests, docs, data: whatever they name is a mention, which decides nothing
        real = rel
        if rel in links:
            node = tree.resolve(rel)
            if node.kind == FOLDER:  # a link to a folder: the files behind it are the feature's too
                if node.path not in seen:
                    seen.add(node.path)
                    queue.extend(tree.files_under(node.path))
                continue
            if where == ASIDE and node.kind in (OUTSIDE, LOOP, MISSING):
                continue  # code the feature does not ship: what cannot be read there is not judged
            if node.kind in (OUTSIDE, LOOP):
                if os.path.splitext(rel)[1].lower() not in BINARY_SUFFIXES:
                    unscanned.append({"path": rel, "reason": _UNREADABLE_LINK[node.kind], "line": 1})
                continue
            if node.kind == MISSING and _scanned(rel, in_prompts):
                unscanned.append({"path": rel, "reason": "is a symlink to a file that does not exist", "line": 1})
                continue
            real = node.path
        if real in seen or not _scanned(rel, in_prompts):
            continue
        seen.add(real)
        if where == ASIDE:
            unshipped.extend(_unshipped_calls(tree, rel, index))
            continue
        try:
            text = _read_for_scan(tree, rel)
        except AigovError as exc:
            unscanned.append({"path": rel, "reason": exc.message, "line": exc.line or 1})
            continue
        if text is None:
            continue
        found = find_model_references(rel, text, index, shipped_code=True)
        if not found.complete:
            unscanned.append({"path": rel, "reason": found.reason or "could not be read to its end", "line": 1})
        facts = _reference_facts(rel, found, rel in eval_files)
        unregistered = {fact["model"] for fact in facts if not fact["registered"] and fact["how"] != "mention"}
        if len(unregistered) > MAX_UNREGISTERED_PER_FILE:
            facts = [fact for fact in facts if fact["registered"] or fact["how"] == "mention"]
        if len(unregistered) > MAX_UNREGISTERED_PER_FILE and found.complete:  # one reason a file is unverified
            unscanned.append({"path": rel, "line": 1, "reason": f"chooses among {len(unregistered)} model ids the registry "
                              f"does not know, more than the {MAX_UNREGISTERED_PER_FILE} aigov reports one by one"})
        refs.extend(facts)
    return {"model_references": refs, "unscanned_files": unscanned, "unshipped_calls": unshipped}


def _unshipped_calls(tree: Tree, rel: str, index: ModelIndex) -> list[dict[str, Any]]:
    """The registered models that code the feature does not ship (a dev script, an example, a
    migration) calls or configures: one no feature may use blocks wherever it is called. Its other
    references decide nothing and are not listed; a file that cannot be read is not judged."""
    try:
        text = _read_for_scan(tree, rel)
    except AigovError:
        return []
    if text is None or not index.may_name_registered(text):
        return []
    found = find_model_references(rel, text, index, shipped_code=True)
    if not found.complete:
        # Not read to its end (too large or too slow to parse), it cannot tell its calls from its
        # mentions: each registered model it names counts as called, every one (no cap on mentions),
        # so that padding a dev script cannot hide a banned model in it.
        found = FileReferences([replace(ref, how=CALL) for ref in found.references if ref.registered])
    return [fact for fact in _reference_facts(rel, found) if fact["registered"] and fact["how"] != MENTION]


def _scanned(rel: str, in_prompts: bool) -> bool:
    name = rel.rpartition("/")[2]
    if rel.startswith(".aigov/") or "/.aigov/" in rel or name in LOCK_FILES:
        return False
    suffix = os.path.splitext(name)[1].lower()
    if suffix in PROSE_SUFFIXES:
        return in_prompts
    if suffix in SCANNED_SUFFIXES or _CONFIG_NAME.search(rel):
        return True
    return in_prompts and suffix not in BINARY_SUFFIXES


def _read_for_scan(tree: Tree, rel: str) -> str | None:
    """The file's text; None for what holds no text to check; AigovError for what cannot be checked."""
    name = rel.rpartition("/")[2]
    # A prompts-folder file without a text suffix: binary by git's test, a NUL byte in the first 8000.
    unscanned_suffix = os.path.splitext(name)[1].lower() not in SCANNED_SUFFIXES and not _CONFIG_NAME.search(rel)
    if unscanned_suffix and b"\0" in tree.read_prefix(rel, 8000):
        return None
    # A NUL byte does not make a source file binary: JavaScript or a shell script runs around it.
    # The reader refuses a pipe or device on the open descriptor, so it cannot block.
    return tree.read_text(rel, MAX_FILE_BYTES)


def _reference_facts(path: str, found: FileReferences, in_evals: bool = False) -> list[dict[str, Any]]:
    """One fact per call site and config value (``eval`` in an eval config); one per mentioned
    spelling (its first line), at most MAX_MENTIONS_PER_FILE of them."""
    facts: list[dict[str, Any]] = []
    mentioned: set[str] = set()
    for ref in found.references:
        if ref.how == "mention":
            if ref.spelled in mentioned or len(mentioned) >= MAX_MENTIONS_PER_FILE:
                continue
            mentioned.add(ref.spelled)
        fact = {"model": _shorten(ref.model), "spelled": _shorten(ref.spelled), "bare": _shorten(ref.bare),
                "registered": ref.registered, "how": "eval" if in_evals and ref.how != "mention" else ref.how,
                "path": path, "line": ref.line}
        if ref.provider:
            fact["provider"] = ref.provider
        if ref.router:
            fact["router"] = ref.router
        facts.append(fact)
    return facts


def declared_model_facts(models: Iterable[Any], index: ModelIndex) -> list[dict[str, Any]]:
    """Each model the manifest declares, resolved as the code's spellings are: a router or provider
    prefix ("openrouter/anthropic/claude-sonnet-4", "anthropic:claude-...") names the model behind it."""
    facts = []
    for model in models:
        declared = model.get("id") if isinstance(model, dict) else None
        if isinstance(declared, str):
            resolved, registered, _provider, _router, bare = index.lookup(declared)
            facts.append({"id": declared, "model": resolved, "registered": registered, "bare": bare})
    return facts
