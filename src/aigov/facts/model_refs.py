"""Where the feature's own files name a model, and which files could not be checked for that.

The manifest has to tell the truth about what the code calls; Rego compares these references
with the declared models. A reference is found when it is spelled as providers spell it: a
registry id, one of its aliases (dated snapshots, Bedrock, Vertex AI, Azure and router ids), or
any word that starts like a provider's model ids (``providerPatterns`` in the registry), which
is then an unregistered model. aigov only reads the files as text - it never runs them.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterable

from aigov.errors import AigovError
from aigov.tree import FILE, FOLDER, LOOP, MAX_FILE_BYTES, MISSING, OUTSIDE, Node, Tree

# Why a link cannot be followed to look: it may stand for files with any name, so it counts
# whatever it is called.
_UNREADABLE_LINK = {OUTSIDE: "is a symlink that points outside the repository; aigov does not follow it",
                    LOOP: "is a symlink loop; aigov does not follow it"}

SCANNED_SUFFIXES = frozenset(
    {".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".java", ".kt", ".scala",
     ".rb", ".rs", ".cs", ".php", ".swift", ".sh", ".bash",
     ".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties", ".tf", ".hcl",
     ".prompt", ".prompty", ".jinja", ".jinja2", ".j2", ".mustache", ".hbs", ".tmpl", ".txt", ".md"}
)
# Documentation may name models it does not call; prose counts only under the prompts folder.
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
# A file named after a model ("gpt-4o.json") is a file, not a call of the model.
FILE_NAME = re.compile(r"\.(?:json|jsonl|ya?ml|txt|md|csv|py|js|ts|html|log|png|jpg)$")

# The characters of a model id, and the ones that may not come right before its first character
# ("/" and ":" may: "openai/gpt-4o", "bedrock/us.anthropic...", "openai:gpt-4o", an ARN's ".../model").
# The check before is done in Python: a lookbehind in the pattern makes the scan ~2x slower.
_ID_CHARS = r"[\w.:@-]"
_ID_CHAR_BEFORE = re.compile(r"[\w.@-]")
_SEPARATOR = re.compile(r"[:/]")
_PATH_WORD = re.compile(r"[\w.:@/-]*")  # a spelling with a "/" in it: "meta-llama/Meta-Llama-3-70B-Instruct"
# The pattern finds words that begin with the first HEAD characters of a spelling or prefix; the
# word is then looked up. Compiling is paid on every check and grows with the pattern: ~40 heads
# compile in a fraction of the time of ~120 whole spellings, and scan as fast.
HEAD = 3
MAX_UNREGISTERED_PER_FILE = 20
MAX_SHOWN_ID = 120  # a "model id" longer than this is shown cut short


class ModelScanner:
    """Finds model ids in text; built once per check from the registry."""

    __slots__ = ("pattern", "models", "prefixes", "slashed")

    def __init__(self, pattern: re.Pattern[str], models: dict[str, str], prefixes: tuple[tuple[str, str], ...]) -> None:
        self.pattern = pattern
        self.models = models  # every spelling (id or alias) -> registry id
        self.prefixes = prefixes  # (prefix, provider family), longest prefix first
        # First segments of spellings with a "/": only after one of these can a word go on past "/".
        self.slashed = frozenset(name.split("/", 1)[0] for name in models if "/" in name)

    def references(self, text: str) -> Iterable[tuple[int, str, dict[str, Any]]]:
        """(line, spelling, facts) for each model id in ``text``, each spelling once, at its first line.

        Bounded whatever the text: registered spellings are bounded by the registry, and after
        MAX_UNREGISTERED_PER_FILE unregistered ones the file blocks anyway, so the scan stops.
        """
        line, last, pos = 1, 0, 0
        seen: set[str] = set()
        unregistered = 0
        while unregistered < MAX_UNREGISTERED_PER_FILE and (match := self.pattern.search(text, pos)) is not None:
            start, pos = match.start(), match.end()
            if start and _ID_CHAR_BEFORE.match(text, start - 1):
                # Inside a longer word ("xgpt-4o"). A real start can only follow a separator in
                # it ("xx:gpt-4o", "xopenai/gpt-4o"); jumping there keeps the scan linear.
                separator = _SEPARATOR.search(text, start, pos)
                pos = separator.end() if separator else pos
                continue
            spelled = match.group().rstrip(".:@-")
            if match.group() in self.slashed and text.startswith("/", pos):
                longer = _PATH_WORD.match(text, start).group().rstrip(".:@-/")
                if longer in self.models:
                    spelled, pos = longer, start + len(longer)
            if spelled in seen:
                continue
            seen.add(spelled)
            fact = self._classify(spelled)
            if fact is None:
                continue
            unregistered += not fact["registered"]
            line += text.count("\n", last, start)
            last = start
            yield line, _shorten(spelled), fact

    def _classify(self, spelled: str) -> dict[str, Any] | None:
        model = self.models.get(spelled)
        if model is not None:
            return {"model": model, "registered": True}
        if FILE_NAME.search(spelled):
            return None
        for prefix, provider in self.prefixes:
            if spelled.startswith(prefix):
                return {"model": _shorten(spelled), "registered": False, "provider": provider}
        # Only began like a spelling ("claude-sonnet-4-5" is not "claude-sonnet-4").
        return None


def _shorten(spelled: str) -> str:
    return spelled if len(spelled) <= MAX_SHOWN_ID else spelled[:MAX_SHOWN_ID] + "..."


def model_scanner(registry: dict[str, Any]) -> ModelScanner | None:
    """The scanner for a registry (its ids, aliases and provider patterns); None if there is nothing to find."""
    models = _spellings(registry.get("models", []))
    prefixes = sorted(
        ((prefix, family["provider"]) for family in _provider_patterns(registry) for prefix in family["prefixes"]),
        key=lambda item: len(item[0]), reverse=True,
    )
    heads = {start[:HEAD] for start in [*models, *(prefix for prefix, _ in prefixes)]}
    if not heads:
        return None
    # Python's re backtracks, so the pattern keeps a shape that cannot backtrack catastrophically
    # whatever the registry says: a trie of the literal heads (escaped; at every point at most one
    # branch can go on) and ONE greedy character class at the end, which never fails. A trie
    # scans ~3x faster than a flat alternation, and the scan runs over every feature's files.
    return ModelScanner(re.compile(f"{_trie(heads)}{_ID_CHARS}*"), models, tuple(prefixes))


def _trie(words: Iterable[str]) -> str:
    """A regex matching the longest of ``words`` at a position: ["ab", "ac", "a"] gives a(?:b|c)?."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return f"(?:{emit(tree)})"


def _spellings(models: list[dict[str, Any]]) -> dict[str, str]:
    spellings: dict[str, str] = {}
    for model in models:
        for name in [model["id"], *model.get("aliases", [])]:
            other = spellings.setdefault(name, model["id"])
            if other != model["id"]:
                raise AigovError(f"registry: {name} names both model {other} and model {model['id']}; a spelling must name one model")
    return spellings


def _provider_patterns(registry: dict[str, Any]) -> list[dict[str, Any]]:
    if "providerPatterns" in registry:
        return registry["providerPatterns"]
    # A registry that replaces the shipped one keeps the shipped patterns unless it says otherwise:
    # dropping them would silently stop reporting unregistered models.
    from aigov.policy.loading import REGISTRY_FILE
    from aigov.resources import policies_dir
    from aigov.yamlfile import parse_yaml

    shipped = policies_dir() / REGISTRY_FILE
    return parse_yaml(shipped.read_text(encoding="utf-8"), REGISTRY_FILE).data.get("providerPatterns", [])


def collect_model_references(
    tree: Tree, files: list[str], scanner: ModelScanner | None, skip: set[str], prompts_dir: str
) -> dict[str, list[dict[str, Any]]]:
    """Facts: ``model_references`` found, and ``unscanned_files`` that could not be read to look.

    A link is read where it points (inside the repository only); the files behind a link to a
    folder are the feature's too, as a checkout shows them, and are reported where they live.
    """
    refs: list[dict[str, Any]] = []
    unscanned: list[dict[str, Any]] = []
    if scanner is None:
        return {"model_references": refs, "unscanned_files": unscanned}
    prompts_prefix = prompts_dir.rstrip("/") + "/"
    queue = list(files)
    seen: set[str] = set()  # real paths scanned (or folders listed): each once, at the first path that reached it
    for rel in queue:  # grows as links to folders are followed
        if rel in skip:
            continue
        node = tree.resolve(rel)
        if node.kind in (FILE, FOLDER):
            if node.path in seen:
                continue
            seen.add(node.path)
        if node.kind == FOLDER:  # a link to a folder: the files behind it are the feature's too
            queue.extend(tree.files_under(node.path))
            continue
        if node.kind in (OUTSIDE, LOOP) and rel in tree.links and not os.path.splitext(rel)[1].lower() in BINARY_SUFFIXES:
            unscanned.append({"path": rel, "reason": _UNREADABLE_LINK[node.kind], "line": 1})
            continue
        if not _scanned(rel, prompts_prefix):
            continue
        try:
            text = _read_for_scan(tree, rel, node)
        except AigovError as exc:
            unscanned.append({"path": rel, "reason": exc.message, "line": exc.line or 1})
            continue
        if text is None:
            continue
        for line, spelled, fact in scanner.references(text):
            refs.append({**fact, "spelled": spelled, "path": rel, "line": line})
    return {"model_references": refs, "unscanned_files": unscanned}


def _scanned(rel: str, prompts_prefix: str) -> bool:
    if rel.startswith(".aigov/") or "/.aigov/" in rel or rel.rpartition("/")[2] in LOCK_FILES:
        return False
    suffix = os.path.splitext(rel)[1].lower()
    if suffix in PROSE_SUFFIXES:
        return rel.startswith(prompts_prefix)
    if suffix in SCANNED_SUFFIXES:
        return True
    return rel.startswith(prompts_prefix) and suffix not in BINARY_SUFFIXES


def _read_for_scan(tree: Tree, rel: str, node: Node) -> str | None:
    """The file's text; None for what holds no text to check; AigovError for what cannot be checked."""
    if node.kind == MISSING and node.path != rel:
        raise AigovError("is a symlink to a file that does not exist", rel)
    if os.path.splitext(rel)[1].lower() not in SCANNED_SUFFIXES:  # a prompts-folder file without a text suffix
        if b"\0" in tree.read_bytes(rel, MAX_FILE_BYTES)[:8000]:
            return None  # binary, by git's test: a NUL byte in the first 8000
    # A NUL byte does not make a source file binary: JavaScript or a shell script runs around it.
    # The reader refuses a pipe or device on the open descriptor, so it cannot block.
    return tree.read_text(rel, MAX_FILE_BYTES)
