"""Where the feature's own files mention a model from the registry.

The manifest has to tell the truth about what the code calls; Rego compares these references
with the declared models. aigov only reads the files as text - it never runs them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

from aigov.files import Repo

MAX_SCANNED_BYTES = 1024 * 1024
SCANNED_SUFFIXES = frozenset(
    {".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".java", ".kt", ".scala",
     ".rb", ".rs", ".cs", ".php", ".swift", ".sh", ".bash",
     ".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties", ".tf", ".hcl",
     ".prompt", ".prompty", ".jinja", ".jinja2", ".j2", ".mustache", ".hbs", ".tmpl", ".txt", ".md"}
)
# Documentation may name models it does not call; prose counts only under the prompts folder.
PROSE_SUFFIXES = frozenset({".md", ".txt"})


def model_pattern(model_ids: Iterable[str]) -> re.Pattern[str] | None:
    ids = sorted(set(model_ids), key=len, reverse=True)
    if not ids:
        return None
    alternatives = "|".join(re.escape(i) for i in ids)
    # Not part of a longer identifier: "claude-sonnet-4" must not match "claude-sonnet-4-5".
    return re.compile(rf"(?<![\w./:-])({alternatives})(?![\w-])(?!\.\w)")


def collect_model_references(
    repo: Repo, files: list[str], pattern: re.Pattern[str] | None, skip: set[str], prompts_dir: str
) -> list[dict[str, Any]]:
    if pattern is None:
        return []
    refs: list[dict[str, Any]] = []
    prompts_prefix = prompts_dir.rstrip("/") + "/"
    for rel in files:
        if rel in skip or not _scanned(rel, prompts_prefix):
            continue
        text = _read_quietly(repo.root / rel)
        if text is None or not pattern.search(text):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for match in pattern.finditer(line):
                refs.append({"model": match.group(1), "path": rel, "line": number})
    return refs


def _scanned(rel: str, prompts_prefix: str) -> bool:
    if rel.startswith(".aigov/") or "/.aigov/" in rel:
        return False
    suffix = os.path.splitext(rel)[1].lower()
    if suffix in PROSE_SUFFIXES:
        return rel.startswith(prompts_prefix)
    return suffix in SCANNED_SUFFIXES or rel.startswith(prompts_prefix)


def _read_quietly(path: Path) -> str | None:
    """Source text, or None for what cannot be source: links, huge or binary files."""
    try:
        # not is_file(): reading a named pipe would block the check forever
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_SCANNED_BYTES:
            return None
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
