"""Where a file's code calls a model, where its config names one, and where a model is only mentioned.

One pure function, :func:`find_model_references`, reads one file's text (it never opens a file,
runs code or imports the repository) and returns every model reference in it, each classified:

- ``call``: a string that reaches a model parameter - ``model=``, ``model_name=``, ``model_id``,
  ``modelId``, ``deployment``, a field default of one, a model factory or client constructor
  (``init_chat_model("openai:gpt-4o")``, ``openai("gpt-4o")``, ``gateway.languageModel(...)``,
  ``SentenceTransformer(...)``), directly or through a module-level constant or an env-var default;
- ``config``: a config value named like a model - a module constant ``DEFAULT_MODEL = ...``, a key
  of a YAML/JSON/TOML file or a dict, a model catalogue entry, ``os.getenv("X_MODEL", "gpt-4o")``,
  ``${X_MODEL:-gpt-4o}`` in compose files, ``X_MODEL=gpt-4o`` in ``.env.example`` - or a module
  constant or config value that is wholly a known id (``FALLBACK = "gpt-4o"``);
- ``mention``: every other place a registered spelling or a provider-pattern id appears - comments,
  docstrings, prose, data files, price and capability tables, display names, API responses, the
  entries of a table the code reads only at other keys, tests, fixtures, examples, notebook
  markdown. A model cannot hide by being spelled outside a call: it is still listed.

Source is parsed with tree-sitter (Python, JavaScript, TypeScript, JSON, YAML, TOML; notebooks:
their code cells as one Python module, read with json; outputs are not read), and only when RE2
finds in its text a string a model parameter could take or a known id (parsing is most of the
cost). The work per file is bounded by bytes and CPU time, never by how many ids it holds; a file
that could not be read to its end says so (``complete`` is False).
"""

from __future__ import annotations

import importlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from aigov.errors import AigovError
from aigov.policy.loading import REGISTRY_FILE
from aigov.resources import policies_dir
from aigov.yamlfile import parse_yaml

CALL = "call"
CONFIG = "config"
MENTION = "mention"

# Past these a file is not parsed and is reported incomplete: calls in it cannot be told from
# mentions. Source files this large are generated or vendored. The time is this thread's CPU time,
# so a busy machine does not change the verdict; a real file takes a few milliseconds.
MAX_PARSED_BYTES = 1024 * 1024
MAX_SECONDS_PER_FILE = 2.0

# --- How an id is spelled -------------------------------------------------------------------------

# Provider and router names that prefix a model id ("openai/gpt-4o", "anthropic:claude-...",
# "openrouter/anthropic/claude-3.5-sonnet", "bedrock/anthropic.claude-...", promptfoo's
# "anthropic:messages:claude-..."); what follows is the provider's own id.
ROUTERS = frozenset({"openrouter", "litellm", "bedrock", "bedrock_converse", "vertex_ai", "vertex", "azure", "azure_ai",
                     "azure_openai", "together_ai", "togetherai", "together", "fireworks_ai", "fireworks", "groq",
                     "ollama", "ollama_chat", "replicate", "deepinfra", "anyscale", "cerebras", "sambanova", "nvidia_nim",
                     "watsonx", "huggingface", "hf", "gateway", "cloudflare", "perplexity", "friendli", "novita"})
PROVIDERS = frozenset({"openai", "anthropic", "google", "google_genai", "google-genai", "googleai", "gemini", "mistral",
                       "mistralai", "cohere", "deepseek", "xai", "voyage", "voyageai", "deepgram", "meta", "amazon",
                       "ai21", "nomic", "jina", "models"})
# promptfoo's provider types between provider and model ("openai:chat:gpt-4o").
PROVIDER_KINDS = frozenset({"messages", "chat", "completion", "completions", "embedding", "embeddings", "responses",
                            "assistant", "realtime", "image", "transcription"})
_FIREWORKS_PATH = "accounts/fireworks/models/"
# A Bedrock ARN names the model after its resource type: arn:aws:bedrock:<region>:<account>:foundation-model/<id>
# (also inference-profile/, application-inference-profile/ and provisioned-model/ with their own ids).
_BEDROCK_ARN = re.compile(r"arn:aws[\w-]*:bedrock:[\w-]*:\d*:(?:foundation-model|inference-profile)/")

# A value that can be a model id: one word of id characters, at most 200 of them.
_ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}")
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"\d")
_PLACEHOLDER = re.compile(r"^(?:your|my|<|xxx|example|placeholder|dummy|test|fake|mock)[-_]|[-_](?:here|placeholder)$|"
                          r"^(?:(?:default|custom|some|any|the|new|chat|llm|name)[-_])*models?(?:[-_](?:name|id|here))*$",
                          re.IGNORECASE)
_FILE_SUFFIX = re.compile(r"\.(?:py|js|ts|tsx|json|jsonl|ya?ml|toml|txt|md|csv|html?|log|png|jpe?g|svg|gguf|bin|pt|onnx|"
                          r"safetensors|llamafile|zip|gz|pdf|wav|mp3)$", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    """One place a model id is written, and how it was found there."""

    spelled: str  # as written
    model: str  # the registry id when registered; otherwise the id without router/provider prefix
    line: int
    how: str  # CALL, CONFIG or MENTION
    registered: bool
    provider: str | None = None  # from the prefix, the registry or the provider pattern
    router: str | None = None  # the router prefix it was reached through, if any
    bare: str = ""  # the id without router/provider prefix, as written


@dataclass
class FileReferences:
    """The references in one file, and whether the whole file was read for them."""

    references: list[Reference] = field(default_factory=list)
    complete: bool = True
    reason: str | None = None  # why the file was not read to its end


_PREFIX_HEAD = 3
MENTION_HEAD = 6
# Files up to this many characters are remembered by their text, the most recently read up to this
# many in all (an evidence replay reads thousands of versions of a file; the unchanged ones are read again).
MAX_REMEMBERED_CHARS = 64 * 1024
MAX_REMEMBERED_TOTAL = 32 * 1024 * 1024


class ModelIndex:
    """What the registry knows, ready for lookups: built once per check by :func:`model_index`."""

    __slots__ = ("models", "names", "_providers", "_prefixes", "_mention_pattern", "_registered_pattern", "_names_gate", "_known",
                 "_looked_up", "_files", "_remembered_chars", "parses")

    def __init__(self, models: dict[str, str], prefixes: dict[str, str], parses: LastParses | None = None,
                 names: dict[str, str] | None = None) -> None:
        self.models = models  # every spelling (id or alias) -> registry id
        self.parses = parses  # an evidence replay's: each file's next version is parsed from its last tree
        self._providers = prefixes  # provider-pattern prefix -> provider family
        # A provider's bare ids that are plain words ("sonar", "command") -> provider family: a model
        # only where a model parameter takes one (elsewhere they are words).
        self.names = names or {}
        self._names_gate: Any = None
        # The prefixes by their first letters, longest first: a word is compared with the few that
        # start like it (a loop over ~200 prefixes per word was half the time; a regex costs its compile).
        self._prefixes: dict[str, list[str]] = {}
        for prefix in sorted(prefixes, key=len, reverse=True):
            self._prefixes.setdefault(prefix[:_PREFIX_HEAD], []).append(prefix)
        self._mention_pattern: Any = None
        self._registered_pattern: Any = None
        # Answers by spelling: a repository writes the same few ids many times. Each is bounded:
        # cleared when full, whatever the repository holds.
        self._known: dict[str, bool] = {}
        self._looked_up: dict[str, tuple[str, bool, str | None, str | None, str]] = {}
        self._files: OrderedDict[tuple[Any, ...], FileReferences] = OrderedDict()
        self._remembered_chars = 0

    def remembered(self, key: tuple[Any, ...] | None) -> FileReferences | None:
        """What a file with the same text (and language, and shipped or not) was found to hold."""
        found = self._files.get(key) if key is not None else None
        if found is not None:
            self._files.move_to_end(key)  # type: ignore[arg-type]
        return found

    def remember(self, key: tuple[Any, ...] | None, found: FileReferences) -> None:
        if key is None:
            return
        self._files[key] = found
        self._remembered_chars += len(key[0])
        while self._remembered_chars > MAX_REMEMBERED_TOTAL:  # bounded whatever the repository holds
            oldest, _ = self._files.popitem(last=False)
            self._remembered_chars -= len(oldest[0])

    @property
    def mention_pattern(self) -> Any:
        """RE2: a word that starts like a registry spelling or a provider prefix (their first
        MENTION_HEAD characters), not inside a longer word (it may follow "/" or ":", as in
        "openai/gpt-4o"); group 1 is the word, which is then looked up. None if there is nothing to
        find. RE2 scans all the heads at once, in time linear in the text; heads of six characters
        compile ten times faster than the ~200 whole spellings and find few more words in code."""
        if self._mention_pattern is None and (self.models or self._providers):
            literals = sorted({literal[:MENTION_HEAD] for literal in (*self.models, *self._providers)}, key=len, reverse=True)
            body = "|".join(_re2_escape(literal) for literal in literals)
            self._mention_pattern = _re2(f"(?:^|[^A-Za-z0-9_.@-])((?:{body})[A-Za-z0-9_.:@-]*)", cache=False)
        return self._mention_pattern

    def may_name_registered(self, text: str) -> bool:
        """Whether ``text`` holds the first MENTION_HEAD characters of a registered spelling: a quick
        test before a file is read for the registered models alone (in linear time, like mention_pattern)."""
        if self._registered_pattern is None:
            heads = sorted({name[:MENTION_HEAD] for name in self.models}, key=len, reverse=True)
            self._registered_pattern = _re2("|".join(_re2_escape(head) for head in heads), cache=False) if heads else False
        return bool(self._registered_pattern) and self._registered_pattern.search(text.encode("utf-8", "surrogatepass")) is not None

    @property
    def names_gate(self) -> Any:
        """RE2: a quoted provider name (see ``names``) right after a name that may carry a model
        (model="sonar", model_name: str = "command"); None if there are no names."""
        if self._names_gate is None and self.names:
            body = "|".join(_re2_escape(name) for name in sorted(self.names))
            self._names_gate = _re2(r"(?i)" + _sink_name("\"'`") + _SINK_OPERATOR + f"[\"'`](?:{body})[\"'`]", cache=False)
        return self._names_gate

    def lookup(self, spelled: str) -> tuple[str, bool, str | None, str | None, str]:
        """(model, registered, provider, router, bare) for an id as written."""
        answer = self._looked_up.get(spelled)
        if answer is None:
            answer = self._lookup(spelled)
            if len(self._looked_up) > 100_000:
                self._looked_up.clear()
            self._looked_up[spelled] = answer
        return answer

    def _lookup(self, spelled: str) -> tuple[str, bool, str | None, str | None, str]:
        router, provider, bare = split_prefixes(spelled)
        models = self.models
        for name in (spelled, bare):
            if name in models:
                return models[name], True, provider, router, bare
        pattern_provider = self._pattern_provider(bare) or self.names.get(bare)
        return bare, False, provider or pattern_provider, router, bare

    def known(self, spelled: str) -> bool:
        """Registered, or spelled like a provider's ids."""
        answer = self._known.get(spelled)
        if answer is None:
            _, registered, _, _, bare = self.lookup(spelled)
            answer = registered or self._pattern_provider(bare) is not None
            if len(self._known) > 100_000:
                self._known.clear()
            self._known[spelled] = answer
        return answer

    def known_path(self, spelled: str) -> bool:
        """Is an id with a "/" in it one id ("meta-llama/Meta-Llama-3-70B-Instruct", "BAAI/bge-m3",
        "openai/gpt-4o"), rather than a model id followed by a path ("gpt-4o/chat/completions")?"""
        _, registered, provider, router, bare = self.lookup(spelled)
        if registered:
            return True
        prefix = self._pattern_prefix(bare)
        return prefix is not None and ("/" in prefix or ((router or provider) is not None and "/" not in bare))

    def _pattern_prefix(self, bare: str) -> str | None:
        candidates = [prefix for length in range(min(len(bare), _PREFIX_HEAD), 0, -1)
                      for prefix in self._prefixes.get(bare[:length], ()) if bare.startswith(prefix)]
        if not candidates or _FILE_SUFFIX.search(bare):
            return None
        return max(candidates, key=len)

    def _pattern_provider(self, bare: str) -> str | None:
        prefix = self._pattern_prefix(bare)
        return self._providers.get(prefix) if prefix is not None else None


def model_index(registry: dict[str, Any], incremental: bool = False) -> ModelIndex:
    """The index of a registry's ids, aliases and provider patterns; ``incremental``: for an
    evidence replay, which reads many versions of each file (see :class:`LastParses`)."""
    prefixes: dict[str, str] = {}
    names: dict[str, str] = {}
    for family in _provider_patterns(registry):
        for prefix in family["prefixes"]:
            prefixes.setdefault(prefix, family["provider"])
        for name in family.get("names", []):
            names.setdefault(name, family["provider"])
    return ModelIndex(_spellings(registry.get("models", [])), prefixes, LastParses() if incremental else None, names)


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

    shipped_registry = policies_dir() / REGISTRY_FILE
    return parse_yaml(shipped_registry.read_text(encoding="utf-8"), REGISTRY_FILE).data.get("providerPatterns", [])


def _re2_escape(literal: str) -> str:
    return "".join(char if char.isalnum() and char.isascii() else "\\" + char if char.isascii() else char for char in literal)


def split_prefixes(spelled: str) -> tuple[str | None, str | None, str]:
    """(router, provider, bare id): "openrouter/anthropic/claude-3.5-sonnet" -> ("openrouter", "anthropic", "claude-3.5-sonnet")."""
    router = provider = None
    rest = spelled
    if "/" not in rest and ":" not in rest:
        return None, None, rest
    if rest.startswith(_FIREWORKS_PATH):
        return "fireworks", None, rest[len(_FIREWORKS_PATH):]
    arn = _BEDROCK_ARN.match(rest) if rest.startswith("arn:") else None
    if arn and arn.end() < len(rest):
        return "bedrock", None, rest[arn.end():]
    while True:
        head, sep, tail = _first_segment(rest)
        if not sep or not tail:
            return router, provider, rest
        word = head.lower()
        if word in ROUTERS and router is None and provider is None:
            router = word
        elif word in PROVIDERS and provider is None:
            provider = "google" if word in {"models", "google_genai", "google-genai", "googleai", "gemini"} else word
        elif word in PROVIDER_KINDS and provider is not None and sep == ":":
            pass  # promptfoo's "anthropic:messages:<model>"
        else:
            return router, provider, rest
        rest = tail


_SEGMENT_END = re.compile(r"[/:]")


def _first_segment(text: str) -> tuple[str, str, str]:
    end = _SEGMENT_END.search(text)
    if end is None:
        return text, "", ""
    return text[:end.start()], end.group(), text[end.end():]


# --- Names that carry a model ---------------------------------------------------------------------

_STRICT_NAMES = frozenset({"model", "modelname", "modelid", "models", "deployment", "deploymentname", "deploymentid",
                           "azuredeployment", "llm", "llmname", "llmmodel", "chatmodel", "embeddingmodel", "embeddingsmodel",
                           "modelkey", "modelslug"})
# promptfoo and LiteLLM configs name the model in "provider:model" under these keys.
_PROVIDER_NAMES = frozenset({"provider", "providers"})
_NAME_WORDS = ("model", "llm", "embedding", "encoder", "reranker", "deployment")
# Names that hold something about a model, not a model to call.
_NOT_A_MODEL = re.compile(r"type|kind|encoding|tokenizer|provider_?name|path|dir|file|url|endpoint|kwargs|args|key|class|cls|format|version|"
                          r"count|size|mode$|base|api|timeout|temperature|token|limit|max|min|enabled|threshold|dimension|"
                          r"batch|cache|prefix|suffix|label|display|description|title|price|cost|options?$|params?$|config$",
                          re.IGNORECASE)
# Containers (lists, dicts, sets) of model ids that describe models rather than choose them.
_CAPABILITY = re.compile(r"support|exclud|without|^no_|_no_|^non_|_non_|^not_|only|reasoning|thinking|vision|stream|"
                         r"temperature|tool|price|pricing|cost|context|window|limit|token|deprecat|legacy|alias|"
                         r"capabilit|prompt_?size|max_", re.IGNORECASE)
# Callees whose model argument picks a tokenizer, a price or a size, not a model to call.
_NOT_A_CALL = re.compile(r"encoding|token|count|cost|price|limit|context|supports|^is_|^has_|splitter", re.IGNORECASE)
# Model factories and constructors that take the id as their first argument.
_FACTORY_WORDS = ("model", "llm", "embedding", "encoder", "transformer", "reranker", "crossencoder")
_FACTORIES = frozenset({"openai", "anthropic", "google", "xai", "mistral", "groq", "bedrock", "azure", "vertex", "cohere",
                        "deepseek", "perplexity", "togetherai", "fireworks", "ollama", "deepinfra", "cerebras",
                        "chatopenai", "chatanthropic", "chatgooglegenerativeai", "chatollama", "chatgroq", "chatmistralai"})
_TOKENIZER = re.compile(r"tokeni[sz]er|encoding", re.IGNORECASE)
_ENV_READERS = frozenset({"getenv", "get", "config", "env", "setdefault"})


def _squash(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def name_carries_model(name: str) -> str | None:
    """"strict" for a name that holds a model id (model, model_id, DEFAULT_MODEL, customModelName),
    "loose" for one that may (EMBEDDINGS_NAME, llm_choice), "provider" for promptfoo's providers,
    None otherwise."""
    squashed = _squash(name)
    if squashed in _PROVIDER_NAMES:
        return "provider"
    if squashed in _STRICT_NAMES or squashed.endswith(("model", "modelname", "modelid", "deployment", "deploymentname")):
        return None if _NOT_A_MODEL.search(name) and squashed not in _STRICT_NAMES else "strict"
    if any(word in squashed for word in _NAME_WORDS) and not _NOT_A_MODEL.search(name):
        return "loose"
    return None


_CHOOSING = re.compile(r"^(?:models?|llms)$|default|fallback|available|allowed|enabled|selectable|chat_?models|^all_?models",
                       re.IGNORECASE)


def _is_container_of_models(name: str) -> bool:
    """A list that offers models to use (`models`, `default_chat_models`, `FALLBACK_MODELS`), not
    one that describes them (`IMAGE_MODELS` used to pick an API, `REASONING_MODELS`)."""
    squashed = _squash(name)
    return (squashed.endswith(("models", "modelnames", "modelids", "llms")) and bool(_CHOOSING.search(name))
            and not _CAPABILITY.search(name))


def _plausible(value: str, strictness: str, index: ModelIndex) -> bool:
    """Is ``value``, found where a model goes, a model id? Known ids always; otherwise by its shape."""
    if (not _ID_SHAPE.fullmatch(value) or "://" in value or _FILE_SUFFIX.search(value) or not _LETTER.search(value)
            or _PLACEHOLDER.search(value)):
        return False
    if strictness == "provider":  # promptfoo's "openai:gpt-4o-mini", "anthropic:messages:claude-..."
        return ":" in value and _plausible(value.rsplit(":", 1)[1] if not index.known(value) else value, "strict", index)
    if index.known(value):
        return True
    _, _, bare = split_prefixes(value)
    if bare in index.names:  # a provider's bare id ("sonar"), where a model goes by name or factory
        return strictness in {"strict", "factory"}
    if strictness == "strict":
        return bool(_DIGIT.search(bare) or re.search(r"[-/:]", value))
    if strictness == "factory":
        return bool(_DIGIT.search(bare) or re.search(r"[/:]", value))
    return bool(_DIGIT.search(bare) and re.search(r"[-/:.]", bare))


# --- Files ----------------------------------------------------------------------------------------

_PROSE = (".md", ".mdx", ".rst", ".txt", ".html", ".htm", ".csv", ".tsv", ".jsonl", ".ndjson", ".log", ".svg", ".xml")
# Tests do not ship, wherever they are: what they name is a mention.
_TEST_FOLDER = re.compile(r"(?:^|/)(?:tests?|__tests__|testing|spec|specs|fixtures?|__fixtures__|mocks?|__mocks__|"
                          r"cassettes|snapshots|__snapshots__)/", re.IGNORECASE)
_TEST_FILE = re.compile(r"(?:^|/)(?:test_[^/]*|[^/]*_test\.\w+|[^/]*\.(?:test|spec|stories)\.\w+|conftest\.py|"
                        r"[^/]*\.mock\.\w+)$")
# Folders a project keeps beside its code, which its build leaves out: docs, examples, dev scripts,
# data, outputs. Only at the top of a project: inside a package a folder of that name is one of its
# modules (myapp/data/, interpreter/core/computer/docs/), imported like any other, so a name cannot hide a call.
_ASIDE_FOLDER = re.compile(r"(?:docs?|documentation|site|website|benchmarks?|benchmark_results|results|outputs?|logs?|"
                           r"scripts|samples?|examples?|data|datasets?|locales?|i18n|translations)", re.IGNORECASE)
# Database migrations live inside their package (Django's app/migrations/): a record of past schema
# and data changes, which is not edited, so the defaults it once set are not the code's calls.
_HISTORY_FOLDER = re.compile(r"migrations", re.IGNORECASE)
# JSON that records what happened rather than configures: eval outputs, API responses, histories.
_DATA_FILE = re.compile(r"(?:output|result|response|dump|history|record|transcript|trace)s?[^/]*\.json$")
_ENV_FILE = re.compile(r"(?:^|/)(?:\.env[^/]*|[^/]*\.env|[^/]*\.env\.\w+)$")
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".sql")
_LANGUAGE_BY_SUFFIX = {".py": "python", ".pyi": "python", ".ipynb": "notebook", ".js": "javascript", ".mjs": "javascript",
                       ".cjs": "javascript", ".jsx": "javascript", ".ts": "typescript", ".mts": "typescript",
                       ".cts": "typescript", ".tsx": "tsx", ".json": "json", ".yaml": "yaml", ".yml": "yaml",
                       ".toml": "toml"}
_CODE_LANGUAGES = frozenset({"python", "notebook", "javascript", "typescript", "tsx"})

# Where a file is, for the model finder (see :func:`placement`).
SHIPPED = "shipped"  # the application: every reference counts
ASIDE = "aside"  # code a project keeps beside the application (dev scripts, examples, docs): read for calls
NOT_SHIPPED = "not shipped"  # tests, prose, data, tool state, templates of other projects: not read

# Files that make their folder the top of a project (a monorepo's packages and apps).
PROJECT_FILES = frozenset({"package.json", "pyproject.toml", "setup.py", "setup.cfg"})
PACKAGE_FILE = "__init__.py"


def project_tops(paths: Iterable[str]) -> frozenset[str]:
    """The folders among ``paths`` (a feature's files, relative to its folder) that are the top of a
    project: the feature's own folder ("") and each folder with a project file, unless it is a Python
    package or inside one (there its folders are modules). A folder aside from the code is left out
    only right under one of these."""
    packages, projects = set(), {""}
    for path in paths:
        folder, _, name = path.rpartition("/")
        if name == PACKAGE_FILE:
            packages.add(folder)
        elif name in PROJECT_FILES:
            projects.add(folder)
    return frozenset(top for top in projects if not any(_within(top, package) for package in packages))


def _within(folder: str, outer: str) -> bool:
    return outer == "" or folder == outer or folder.startswith(outer + "/")


def placement(path: str, tops: Collection[str] = ("",)) -> str:
    """Where a file is, by its path inside the feature:

    - NOT_SHIPPED: tests (wherever they are), prose, recorded data, hidden tool state (.github's
      workflows excepted), the templates of other projects (a cookiecutter's "{{cookiecutter.name}}/"
      folders); and what is not code in a folder named like docs, examples, dev scripts, data or
      outputs, wherever it is (locale strings, example catalogues, result dumps);
    - ASIDE: code in such a folder right under one of the ``tops`` of a project (see
      :func:`project_tops`), or in a migrations folder;
    - SHIPPED: everything else - code in such a folder inside a package is one of its modules."""
    lowered = path.lower()
    if (lowered.endswith(_PROSE) or _TEST_FILE.search(path) or _TEST_FOLDER.search(path) or _DATA_FILE.search(lowered)
            or "{{" in path or any(part.startswith(".") and part != ".github" for part in path.split("/")[:-1])):
        return NOT_SHIPPED
    code = _language(path) in _CODE_LANGUAGES
    folders = path.split("/")[:-1]
    for depth, folder in enumerate(folders):
        aside = _ASIDE_FOLDER.fullmatch(folder) is not None
        if _HISTORY_FOLDER.fullmatch(folder) or (aside and "/".join(folders[:depth]) in tops):
            return ASIDE if code else NOT_SHIPPED
        if aside and not code:
            return NOT_SHIPPED
    return SHIPPED


def shipped(path: str) -> bool:
    """Is the file part of the application (see :func:`placement`; the feature's folder is its only project)?"""
    return placement(path) == SHIPPED


def find_model_references(path: str, text: str, known: ModelIndex, shipped_code: bool | None = None) -> FileReferences:
    """Every model reference in one file, classified as call, config or mention (see the module doc).

    ``shipped_code``: whether the file is part of the application (default: :func:`shipped` of its
    path); in a file that is not, every reference is a mention."""
    is_shipped = shipped(path) if shipped_code is None else shipped_code
    language = _language(path)
    # What decides the answer besides the text: a monorepo's copies of one file are read once.
    key = (text, language, is_shipped, _assigns_config(path)) if len(text) <= MAX_REMEMBERED_CHARS else None
    remembered = known.remembered(key)
    if remembered is not None:
        return remembered
    found = _Found(known)
    deadline = time.thread_time() + MAX_SECONDS_PER_FILE
    try:
        if language == "notebook":
            _notebook(text, known, is_shipped, deadline, found)
        else:
            _source(path, text, language if is_shipped else None, is_shipped, known, deadline, found)
    except _Incomplete as stop:
        found.result.complete, found.result.reason = False, stop.reason
    found.result.references = sorted(found.references.values(), key=lambda ref: (ref.line, ref.spelled))
    known.remember(key, found.result)
    return found.result


class _Found:
    """The references found so far in one file: a place keeps its strongest reading (call > config > mention)."""

    def __init__(self, known: ModelIndex) -> None:
        self.known = known
        self.references: dict[tuple[str, int], Reference] = {}
        self.result = FileReferences()

    def add(self, spelled: str, line: int, how: str) -> None:
        key = (spelled, line)
        if key in self.references and _RANK[self.references[key].how] >= _RANK[how]:
            return
        model, registered, provider, router, bare = self.known.lookup(spelled)
        self.references[key] = Reference(spelled, model, line, how, registered, provider, router, bare)


class _Incomplete(Exception):
    """The file could not be read to its end: calls in the rest of it cannot be told from mentions."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _OutOfTime(_Incomplete):
    def __init__(self) -> None:
        super().__init__(f"took more than {MAX_SECONDS_PER_FILE:g} s of CPU time to read for model calls")


def _source(path: str, text: str, language: str | None, is_shipped: bool, known: ModelIndex, deadline: float,
            found: _Found, line_of: Callable[[int], int] | None = None) -> None:
    """The references in one text: its mentions, and where ``language`` is given (shipped code or
    config) the calls and config values its parse finds; each line through ``line_of`` (a notebook
    cell's lines are lines of the .ipynb file)."""
    line_of = line_of or (lambda line: line)
    # One encoding per file: RE2 and tree-sitter read UTF-8 (RE2 would encode a str on every search).
    data = text.encode("utf-8", "surrogatepass")
    if language is not None and len(data) > MAX_PARSED_BYTES:
        if language == "json":
            language = None  # a JSON file this large is a data dump: its ids are mentions
        else:
            mentions = list(_mentions(data, known, deadline))
            for spelled, line in mentions:
                found.add(spelled, line_of(line), MENTION)
            if mentions or _may_choose_a_model(language, data, known):
                raise _Incomplete(f"is larger than {MAX_PARSED_BYTES // 1024} KB, too large to parse for model calls")
            return  # nothing in it is spelled like a model or could reach a model parameter
    mentions = list(_mentions(data, known, deadline))
    if language is not None and not mentions and not _may_choose_a_model(language, data, known):
        language = None  # nothing in it is spelled like a model or could reach a model parameter: no parse needed
    try:
        if language is not None:
            for spelled, line, how in _structured(path, language, text, data, known, deadline):
                found.add(spelled, line_of(line), how)
        elif is_shipped:
            for spelled, line, how in _text_config(path, text, known):
                found.add(spelled, line_of(line), how)
    finally:
        for spelled, line in mentions:
            found.add(spelled, line_of(line), MENTION)


_RANK = {MENTION: 0, CONFIG: 1, CALL: 2}


# --- Which files need a parse ---------------------------------------------------------------------
#
# Parsing is most of the cost, so a file is parsed only when its text could hold a string that
# reaches a model parameter or config key; ids spelled like a provider's are found by the mention
# scan, which runs first and also makes a file worth parsing. The tests are RE2 (linear, ~10x
# Python's re on these patterns); every value a sink accepts by its shape has a digit, "-", "/" or
# ":" (see _plausible), so the literal below is a superset of them.

_SINK_WORD = r"(?:model|llm|deploy|embed|encoder|rerank|provider|transformer)"


def _candidate(quotes: str) -> str:
    """A quoted value a sink could take by its shape (see _plausible): one with a digit, "-", "/" or ":"."""
    return (f"[{quotes}](?:[0-9][A-Za-z0-9._:@/+-]*|[A-Za-z][A-Za-z0-9._@+]*[0-9:/-][A-Za-z0-9._:@/+-]*)[{quotes}]")


# What passes a value to a name that may carry a model (see _sink_name): model="x", "model": "x",
# model: str = "x", languageModel("x"), getenv("X_MODEL", "x"), env.X_MODEL ?? "x".
_SINK_OPERATOR = r"(?::[^=\n]{0,60}=|[=:,(]|\?\?|\|\||\bor\b)[ \t]*"


def _sink_name(quotes: str) -> str:
    """A name that may carry a model, quoted or not (case-insensitive: the pattern's flags say so)."""
    return _SINK_WORD + r"[A-Za-z0-9_]*[" + quotes + r"]?[ \t]*"


def _code_gates(quotes: str) -> tuple[str, str, str]:
    """(a sink with a candidate on its line, a container of models opened at the end of a line, an
    element of such a container holding a candidate) for a language whose strings take ``quotes``."""
    candidate = _candidate(quotes)
    name = _sink_name(quotes)
    sink = (r"(?i)" + name + _SINK_OPERATOR
            # MODELS = ["x", ...]
            + r"(?:[\[{(][ \t]*)?" + candidate
            # a provider's factory: openai("gpt-4o")
            + r"|\b(?:openai|anthropic|google|xai|mistral|groq|bedrock|azure|vertex|cohere|deepseek|perplexity|together\w*|"
            r"fireworks|ollama|deepinfra|cerebras)[ \t]*\([ \t]*" + candidate
            # a Hugging Face pipeline's model, after its task: pipeline("summarization", "acme/bart-7b")
            + r"|\bpipeline[ \t]*\([ \t]*[" + quotes + r"][\w-]{1,60}[" + quotes + r"][ \t]*,[ \t]*" + candidate)
    # MODELS = [, chatModels: ChatModel[] = [, "models": {
    container = r"(?im)" + name + r"(?::[^=\n]{0,60})?[=:][ \t]*[\[{][ \t]*\r?$"
    # "gpt-4o", / {"id": "x-7b", / name: "x-7b"
    element = (r"(?im)^[ \t]*" + candidate + r"[ \t]*[,\]})]|\b(?:id|name|slug|value)[" + quotes + r"]?[ \t]*[:=][ \t]*"
               + candidate)
    return sink, container, element


_GATES = {language: _code_gates(quotes) for language, quotes in
          (("python", "\"'"), ("javascript", "\"'`"), ("typescript", "\"'`"), ("tsx", "\"'`"))}
# A module-level constant holding a candidate, which may flow into a model parameter (model=FAST).
_CONSTANT = (r"(?m)^(?:export[ \t]+)?(?:(?:const|let|var)[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]*)?=[ \t]*"
             + _candidate("\"'`"))
# In config (YAML, JSON, TOML): a key named like a model (model:, "llm": {, embedding_model =, providers:).
_CONFIG_GATE = r"(?i)" + _SINK_WORD + r"[A-Za-z0-9_]*[\"']?[ \t]*[:=]"


def _may_choose_a_model(language: str, data: bytes, known: ModelIndex) -> bool:
    if language not in _GATES:
        return _re2(_CONFIG_GATE).search(data) is not None
    sink, container, element = _GATES[language]
    if _re2(sink).search(data) is not None or (known.names_gate is not None and known.names_gate.search(data) is not None):
        return True
    if _re2(container).search(data) is not None and _re2(element).search(data) is not None:
        return True
    names = {match.group(1).decode() for match in _re2(_CONSTANT).finditer(data)}
    if not names:
        return False
    flows = r"(?i)" + _SINK_WORD + r"[^\n]{0,80}?\b(?:" + "|".join(sorted(names)) + r")\b"
    return _re2(flows, cache=False).search(data) is not None


@cache
def _re2_cached(pattern: str) -> Any:
    return _re2(pattern, cache=False)


def _re2(pattern: str, cache: bool = True) -> Any:
    """``pattern`` compiled by RE2 for UTF-8 bytes: linear in the text, whatever it holds."""
    if cache:
        return _re2_cached(pattern)
    import re2  # lazy: google-re2 ~2 ms, only once a file is searched for model names

    options = re2.Options()
    options.max_mem = 64 << 20  # room for the registry's few hundred spellings as one automaton
    return re2.compile(pattern.encode(), options)


_TEMPLATE_SUFFIX = re.compile(r"\.(?:example|sample|template|dist|default|tmpl|tpl)$")


def _language(path: str) -> str | None:
    """The grammar for a file, by its suffix ("settings.yaml.example" is YAML)."""
    name = _TEMPLATE_SUFFIX.sub("", path.rsplit("/", 1)[-1].lower())
    suffix = name[name.rfind("."):] if "." in name else ""
    return _LANGUAGE_BY_SUFFIX.get(suffix)


# --- Plain-text config: .env files, compose defaults, shell assignments ---------------------------

_DEFAULT_EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}\s]+)\}")
_ASSIGNMENT = re.compile(r"^[ \t]*(?:export[ \t]+|ENV[ \t]+|local[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*"
                         r"[\"']?([A-Za-z0-9][A-Za-z0-9._:@/+-]*)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def _text_config(path: str, text: str, known: ModelIndex) -> Iterator[tuple[str, int, str]]:
    """``${X_MODEL:-gpt-4o}`` anywhere; ``X_MODEL=gpt-4o`` in .env files and shell scripts."""
    yield from _expansion_defaults(text, known)
    if _assigns_config(path):
        for match in _ASSIGNMENT.finditer(text):
            strictness = name_carries_model(match.group(1))
            if strictness and _plausible(match.group(2), strictness, known):
                yield match.group(2), text.count("\n", 0, match.start(2)) + 1, CONFIG


def _assigns_config(path: str) -> bool:
    """Whether NAME=value lines are config: .env files, shell scripts, Dockerfiles."""
    return bool(_ENV_FILE.search(path) or path.lower().endswith(_SHELL_SUFFIXES) or path.rsplit("/", 1)[-1].startswith("Dockerfile"))


def _expansion_defaults(text: str, known: ModelIndex) -> Iterator[tuple[str, int, str]]:
    for match in _DEFAULT_EXPANSION.finditer(text):
        value = match.group(2).strip("\"'")
        strictness = name_carries_model(match.group(1))
        if (strictness and _plausible(value, strictness, known)) or (strictness is None and known.known(value)):
            yield value, text.count("\n", 0, match.start(2)) + 1, CONFIG


# --- Mentions: every known spelling anywhere ------------------------------------------------------

_PATH_WORD = re.compile(rb"[\w.:@/-]*")


def _mentions(data: bytes, known: ModelIndex, deadline: float) -> Iterator[tuple[str, int]]:
    """(spelled, line) of every registered spelling or provider-pattern id in ``data``, each place."""
    pattern = known.mention_pattern
    if pattern is None:
        return
    line, last, taken = 1, 0, 0
    for count, match in enumerate(pattern.finditer(data), 1):
        if count % 256 == 0 and time.thread_time() > deadline:
            raise _OutOfTime
        start, end = match.span(1)
        if start < taken:
            continue  # inside the longer id just read
        spelled = match.group(1).decode("utf-8", "replace").rstrip(".:@-")
        if data.startswith(b"/", end):  # "meta-llama/Meta-Llama-3-70B-Instruct", "sentence-transformers/all-MiniLM-L6-v2"
            path_word = _PATH_WORD.match(data, start)
            assert path_word is not None  # the id just read starts there
            longer = path_word.group().decode("utf-8", "replace").rstrip(".:@-/")
            if known.known_path(longer):
                spelled, taken = longer, start + len(longer)
        if not known.known(spelled):
            continue
        line += data.count(b"\n", last, start)
        last = start
        yield _prefixed(data, start, spelled), line


_PREFIX_BEFORE = re.compile(rb"([A-Za-z_]+[:/])+$")


def _prefixed(data: bytes, start: int, spelled: str) -> str:
    """The id with the router or provider prefix written before it ("openrouter/" + "gpt-4o")."""
    before = _PREFIX_BEFORE.search(data, max(0, start - 60), start)
    if before is None:
        return spelled
    candidate = before.group().decode() + spelled
    router, provider, bare = split_prefixes(candidate)
    return candidate if (router or provider) and bare == spelled else spelled


# --- Parsed source --------------------------------------------------------------------------------


def _structured(path: str, language: str, text: str, source: bytes, known: ModelIndex, deadline: float) -> Iterator[tuple[str, int, str]]:
    tree = _parse(language, source, deadline, path, known.parses)
    yield from _READERS[language](tree.root_node, source, known, deadline)
    if language in {"yaml", "toml", "json"}:
        yield from _expansion_defaults(text, known)


# A language's tree-sitter grammar: the module that ships it and the function that returns it.
_GRAMMARS = {"python": ("tree_sitter_python", "language"), "javascript": ("tree_sitter_javascript", "language"),
             "typescript": ("tree_sitter_typescript", "language_typescript"), "tsx": ("tree_sitter_typescript", "language_tsx"),
             "json": ("tree_sitter_json", "language"), "yaml": ("tree_sitter_yaml", "language"), "toml": ("tree_sitter_toml", "language")}


@cache
def _language_object(language: str) -> Any:
    # Grammars are imported here, on first use: `aigov check` of a repository without code pays nothing.

    from tree_sitter import Language  # lazy: with the grammars: a repository without code loads no tree-sitter

    module, function = _GRAMMARS[language]
    return Language(getattr(importlib.import_module(module), function)())


@cache
def _parser(language: str) -> Any:
    from tree_sitter import Parser  # lazy: with the grammars: a repository without code loads no tree-sitter

    return Parser(_language_object(language))


@cache
def _query(language: str, pattern: str) -> Any:
    from tree_sitter import Query  # lazy: with the grammars: a repository without code loads no tree-sitter

    return Query(_language_object(language), pattern)


PARSE_CHUNK = 65536


def _parse(language: str, source: bytes, deadline: float, path: str = "", parses: LastParses | None = None) -> Any:
    """The tree, read through a callback that stops at the deadline (tree-sitter has no time limit of its own).

    A text of one chunk is parsed whole (from the path's last tree, where ``parses`` keeps one): the
    callback would only look at the clock before and after it, and py-tree-sitter 0.26 never frees
    the bytes a callback returns (an evidence replay parsing 10,000 versions of a file kept every one)."""
    if len(source) <= PARSE_CHUNK:
        tree = parses.parse(path, language, source) if parses is not None else _parser(language).parse(source)
        if time.thread_time() > deadline:
            raise _OutOfTime
        return tree
    out_of_time = False

    def read(offset: int, _point: Any) -> bytes:
        nonlocal out_of_time
        if time.thread_time() > deadline:
            out_of_time = True
            return b""
        return source[offset:offset + PARSE_CHUNK]

    tree = _parser(language).parse(read)
    if out_of_time:
        raise _OutOfTime
    return tree


class LastParses:
    """The last tree of each path parsed lately, for tree-sitter to parse the path's next version
    from. Tree-sitter's incremental parse gives the tree a full parse gives, reusing the parts the
    edit left alone: an evidence replay reads thousands of versions of a file, most a line apart,
    and a full parse was an eighth of its time. Bounded by the bytes of source kept (a tree takes
    about thirty times its source)."""

    MAX_SOURCE_BYTES = 512 * 1024

    def __init__(self) -> None:
        self._trees: OrderedDict[tuple[str, str], tuple[bytes, Any]] = OrderedDict()
        self._bytes = 0

    def parse(self, path: str, language: str, source: bytes) -> Any:
        last = self._trees.pop((path, language), None)
        if last is None:
            tree = _parser(language).parse(source)
        else:
            old, old_tree = last
            self._bytes -= len(old)
            old_tree.edit(*_edit(old, source))  # the old tree is not used again: edited in place
            tree = _parser(language).parse(source, old_tree)
        self._trees[(path, language)] = (source, tree)
        self._bytes += len(source)
        while self._bytes > self.MAX_SOURCE_BYTES:
            _, (dropped, _) = self._trees.popitem(last=False)
            self._bytes -= len(dropped)
        return tree


def _edit(old: bytes, new: bytes) -> tuple[int, int, int, Any, Any, Any]:
    """The edit that turns ``old`` into ``new`` as tree-sitter's Tree.edit takes it: the bytes
    between their common prefix and their common suffix replaced (start, old end, new end, and
    each as a (row, column) point)."""
    from tree_sitter import Point  # lazy: with the grammars: a repository without code loads no tree-sitter

    shorter = min(len(old), len(new))
    start = _matching_bytes(old[:shorter], new[:shorter], from_end=False)
    tail = _matching_bytes(old[len(old) - (shorter - start):], new[len(new) - (shorter - start):], from_end=True)
    old_end, new_end = len(old) - tail, len(new) - tail
    return start, old_end, new_end, _point(old, start, Point), _point(old, old_end, Point), _point(new, new_end, Point)


def _matching_bytes(a: bytes, b: bytes, from_end: bool) -> int:
    """How many bytes two texts of one length share at their start (or end): their XOR as one
    number is zero there (a C-speed comparison, where a loop over bytes took longer than the parse)."""
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    if x == 0:
        return len(a)
    if from_end:
        return ((x & -x).bit_length() - 1) // 8  # trailing zero bytes
    return len(a) - 1 - (x.bit_length() - 1) // 8  # leading zero bytes


def _point(text: bytes, offset: int, point: Any) -> Any:
    """The (row, column in bytes) of ``offset``, as tree-sitter counts them."""
    return point(text.count(b"\n", 0, offset), offset - (text.rfind(b"\n", 0, offset) + 1))


def _captures(language: str, pattern: str, node: Any) -> list[Any]:
    from tree_sitter import QueryCursor  # lazy: with the grammars: a repository without code loads no tree-sitter

    captures = QueryCursor(_query(language, pattern)).captures(node)
    nodes = [item for items in captures.values() for item in items]
    nodes.sort(key=lambda item: item.start_byte)
    return nodes


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte:node.end_byte].decode("utf-8", "replace")


_SHAPED = re.compile(r"[0-9:/-]")


def _may_be_id(value: str, known: ModelIndex) -> bool:
    """Could any sink take ``value``? Only an id-shaped one, known or with what _plausible asks of
    the others (a digit, "-", "/" or ":", or a provider's bare name): "user" or "json" need no look at
    where they are."""
    return bool(_ID_SHAPE.fullmatch(value)) and (_SHAPED.search(value) is not None or known.known(value) or value in known.names)


def _id_sized(node: Any, source: bytes) -> bool:
    """Could this string literal hold a model id? Not if it is longer than one or has a blank in it
    (most strings in code are messages): decided on its bytes, before its parts are walked."""
    start, end = node.start_byte, node.end_byte
    if end - start > 216:
        return False
    raw = source[start:end]
    return b" " not in raw and b"\n" not in raw and b"\t" not in raw


def _check_time(count: int, deadline: float) -> None:
    if count % 256 == 0 and time.thread_time() > deadline:
        raise _OutOfTime


# A sink: where a string ends up. kind is CALL or CONFIG, name the parameter / key / variable that
# receives it (strictness decided from it), or None when the position alone makes it a model.
@dataclass(frozen=True)
class _Sink:
    how: str
    strictness: str  # "strict", "factory" or "loose" (by shape, see _plausible) or "known" (registry / pattern ids only)


def _judge(value: str, sink: _Sink | None, known: ModelIndex) -> str | None:
    if sink is None:
        return None
    if sink.strictness == "known":
        return sink.how if known.known(value) else None
    return sink.how if _plausible(value, sink.strictness, known) else None


# --- Python ---------------------------------------------------------------------------------------

# No tree-sitter query for strings: compiling one costs 4-7 ms (Python) to 13-16 ms (TypeScript) of
# every check that reads a file of the language. The string literals worth a look are found by
# their bytes and mapped to the tree (a C call); module-level constants are read from the module's
# own statements, and the names that may carry one into a model parameter (model=FAST) are found by
# their text.
#
# A literal can hold an id only if its content (between its quotes: the text the value is read
# from) has no blank (_id_sized) and at most 216 bytes, so it has a run of such bytes that starts
# after a quote and ends before one. Each run is a candidate, and the tree says whether it lies in
# a string (a run between two strings' quotes lies in no string and is dropped).
_QUOTED_RUN = {"'\"": re.compile(rb"(?<=[\"'])[^\"' \t\n]{1,216}(?=[\"'])"),
               "'\"`": re.compile(rb"(?<=[\"'`])[^\"'` \t\n]{1,216}(?=[\"'`])")}
_STRING_PARTS = frozenset({"string_content", "string_fragment", "escape_sequence"})


def _string_literals(root: Any, source: bytes, quotes: str, kinds: frozenset[str]) -> list[Any]:
    """The string nodes of ``kinds`` that could hold an id, in source order."""
    strings = {}
    for match in _QUOTED_RUN[quotes].finditer(source):
        node = root.descendant_for_byte_range(match.start(), match.end())
        while node is not None and node.type in _STRING_PARTS:
            node = node.parent
        if node is not None and node.type in kinds:
            strings[node.start_byte] = node
    return [strings[start] for start in sorted(strings)]


_PY_STRINGS = frozenset({"string"})
_JS_STRINGS = frozenset({"string", "template_string"})


def _python(root: Any, source: bytes, known: ModelIndex, deadline: float) -> Iterator[tuple[str, int, str]]:
    names, values = _python_assignments(root)
    constants = _python_constants(names, values, source)
    unread = _unread_entries(root, names, values, source)
    for count, node in enumerate(_string_literals(root, source, "'\"", _PY_STRINGS), 1):
        _check_time(count, deadline)
        if not _id_sized(node, source):
            continue
        value = _python_string(node, source)
        if value is None or not _may_be_id(value, known) or node.start_byte in unread:
            continue
        how = _judge(value, _python_sink(node, source), known)
        if how and not _in_example(node, source):
            yield value, node.start_point[0] + 1, how
    # A constant or env-var default that flows into a model parameter is called from there.
    for node in _uses(root, source, constants, known):
        if _python_flow(node):
            sink = _python_sink(node, source)
            if sink is not None and sink.how == CALL:
                value, value_node = constants[_text(node, source)]
                yield value, value_node.start_point[0] + 1, CALL


def _python_assignments(root: Any) -> tuple[list[Any], list[Any]]:
    """The name and value nodes of the module's top-level NAME = value statements."""
    names, values = [], []
    for statement in root.named_children:
        assignment = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
        if assignment is not None and assignment.type == "assignment":
            left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
            if left is not None and right is not None and left.type == "identifier":
                names.append(left)
                values.append(right)
    return names, values


def _uses(root: Any, source: bytes, constants: dict[str, tuple[str, Any]], known: ModelIndex) -> Iterator[Any]:
    """The identifier nodes that name one of ``constants`` whose value could be a model id."""
    names = sorted(name for name, (value, _) in constants.items() if _plausible(value, "strict", known))
    if not names:
        return
    yield from _identifiers(root, source, tuple(names))


def _identifiers(root: Any, source: bytes, names: tuple[str, ...]) -> Iterator[Any]:
    """The identifier nodes spelled as one of ``names`` (found by their text, no query to compile)."""
    for match in _names_pattern(names).finditer(source):
        node = root.descendant_for_byte_range(match.start(), match.end())
        if node is not None and node.type == "identifier" and (node.start_byte, node.end_byte) == match.span():
            yield node


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\w.])(?:" + b"|".join(re.escape(name.encode()) for name in names) + rb")(?!\w)")


def _python_flow(node: Any) -> bool:
    """Is the name passed on: a keyword or first argument, a dict value, a parameter default, an attribute set?"""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in {"keyword_argument", "pair", "default_parameter", "typed_default_parameter"}:
        return parent.child_by_field_name("value") == node
    if parent.type == "assignment":
        left = parent.child_by_field_name("left")
        return parent.child_by_field_name("right") == node and left is not None and left.type == "attribute"
    return parent.type == "argument_list" and bool(parent.named_children) and parent.named_children[0] == node


def _unread_entries(root: Any, names: list[Any], values: list[Any], source: bytes) -> set[int]:
    """Where the values are of module-level tables the file reads only at constant keys, at the keys it
    never reads: PROVIDER_TO_DEFAULT_MODEL_NAME = {A: "x", B: "y"} read only as ...[A] never chooses "y".
    A table used any other way (a variable key, passed on, named in a string) keeps every entry."""
    tables = {_text(name, source): value for name, value in zip(names, values, strict=True) if value.type == "dictionary"}
    if not tables:
        return set()
    keys_read: dict[str, set[str]] = {name: set() for name in tables}  # the constant keys each table is read at
    reads = dict.fromkeys(tables, 0)  # how often each is read at a constant key
    for name_node in _identifiers(root, source, tuple(sorted(tables))):
        subscript = name_node.parent
        if subscript is None or subscript.type != "subscript" or subscript.child_by_field_name("value") != name_node:
            continue
        name, keys = _text(name_node, source), subscript.children_by_field_name("subscript")
        if len(keys) == 1 and keys[0].type in {"attribute", "string", "integer"}:
            reads[name] += 1
            keys_read[name].add(_text(keys[0], source))
    unread: set[int] = set()
    for name, constant_keys in keys_read.items():
        # Any other use of the name than its definition and reads at constant keys keeps the whole table.
        uses = len(re.findall(rb"(?<![\w.])" + re.escape(name.encode()) + rb"(?!\w)", source))
        if not constant_keys or uses != 1 + reads[name]:
            continue
        for pair in tables[name].named_children:
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type == "pair" and key is not None and value is not None and _text(key, source) not in constant_keys:
                unread.add(value.start_byte)
    return unread


def _python_string(node: Any, source: bytes) -> str | None:
    """The literal's value; None for f-strings with substitutions and for docstrings."""
    parts = []
    for child in node.children:
        if child.type == "interpolation":
            return None
        if child.type == "string_content":
            parts.append(_text(child, source))
    parent = node.parent
    if parent is not None and parent.type == "expression_statement" and parent.named_child_count == 1:
        return None  # a docstring or a bare string statement: prose
    return "".join(parts).strip()


def _python_constants(names: list[Any], values: list[Any], source: bytes) -> dict[str, tuple[str, Any]]:
    """Module-level NAME = "literal" and NAME = os.getenv("X", "literal"): name -> (value, node)."""
    constants: dict[str, tuple[str, Any]] = {}
    for name_node, value_node in zip(names, values, strict=True):
        literal = _python_literal_of(value_node, source)
        if literal is not None:
            constants[_text(name_node, source)] = literal
    return constants


def _python_literal_of(node: Any, source: bytes) -> tuple[str, Any] | None:
    if node.type == "string":
        value = _python_string_value(node, source)
        return None if value is None else (value, node)
    if node.type == "call":
        default = _env_default_argument(node, source)
        if default is not None:
            value = _python_string_value(default, source)
            return None if value is None else (value, default)
    if node.type == "boolean_operator":
        right = node.child_by_field_name("right")
        return _python_literal_of(right, source) if right is not None else None
    return None


def _python_string_value(node: Any, source: bytes) -> str | None:
    if node.type != "string" or any(child.type == "interpolation" for child in node.children):
        return None
    return "".join(_text(child, source) for child in node.children if child.type == "string_content").strip()


def _env_default_argument(call: Any, source: bytes) -> Any | None:
    """The default of os.getenv("X", d) / os.environ.get("X", d) / config("X", default=d), if a string."""
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None or arguments is None or _last_name(function, source) not in _ENV_READERS:
        return None
    positional = [child for child in arguments.named_children if child.type != "keyword_argument"]
    for child in arguments.named_children:
        if child.type == "keyword_argument" and _text(child.child_by_field_name("name") or child, source) == "default":
            value = child.child_by_field_name("value")
            return value if value is not None and value.type == "string" else None
    if len(positional) >= 2 and positional[0].type == "string" and positional[1].type == "string":
        return positional[1]
    return None


def _last_name(node: Any, source: bytes) -> str:
    """"get" for os.environ.get, "languageModel" for gateway.languageModel, the name itself otherwise."""
    while node is not None and node.type in {"attribute", "member_expression", "call", "call_expression"}:
        if node.type in {"call", "call_expression"}:
            node = node.child_by_field_name("function")
            continue
        node = node.child_by_field_name("attribute") or node.child_by_field_name("property")
    return _text(node, source) if node is not None else ""


def _python_sink(node: Any, source: bytes) -> _Sink | None:
    """Where a Python string or name ends up, from its enclosing nodes."""
    child, parent = node, node.parent
    # Pass through `x or "default"`, `a if c else "b"`, parentheses.
    while parent is not None and parent.type in {"boolean_operator", "conditional_expression", "parenthesized_expression"}:
        child, parent = parent, parent.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "keyword_argument":
        name = _text(parent.child_by_field_name("name"), source)
        call = parent.parent.parent if parent.parent is not None else None
        if call is not None and call.type == "call":
            callee = _last_name(call.child_by_field_name("function"), source)
            if _NOT_A_CALL.search(callee):
                return None
            if name == "default" and callee in _ENV_READERS:
                return _env_sink(call, source)
            if _squash(callee).endswith("response") and _answers_as_a_model(_siblings(parent, source)):
                # IngestResponse(object="list", model="private-gpt"): the server's own answer. Only a response
                # class's constructor: object="list" beside a client call's model= must not hide the call.
                return None
        return _named_sink(name, CALL)
    if kind in {"default_parameter", "typed_default_parameter"}:
        if _inside_tokenizer(parent, source):
            return None  # Tokenizer(model_name="gpt-3.5-turbo"): counts tokens, calls nothing
        return _named_sink(_text(parent.child_by_field_name("name"), source), CALL)
    if kind == "assignment":
        if parent.child_by_field_name("right") != child:
            return None
        left = parent.child_by_field_name("left")
        if left is None:
            return None
        name = _last_name(left, source) if left.type == "attribute" else _text(left, source)
        at_module = parent.parent is not None and parent.parent.parent is not None and parent.parent.parent.type == "module"
        if _response_field(parent, source):
            return None
        sink = _named_sink(name, CALL if left.type == "attribute" else (CONFIG if at_module else CALL))
        return sink if sink is not None or not at_module or _CAPABILITY.search(name) else _Sink(CONFIG, "known")
    if kind == "pair":
        if parent.child_by_field_name("value") != child:
            return None  # a dict key: a price or capability table
        key = parent.child_by_field_name("key")
        key_text = _python_string_value(key, source) if key is not None and key.type == "string" else None
        if key_text is None:  # {Provider.ANTHROPIC: "claude-..."}: a map named like models chooses one
            return _Sink(CONFIG, "strict") if _holder_carries_models(parent, source) else None
        return _named_sink(key_text, CONFIG, parent, source)
    if kind == "argument_list":
        call = parent.parent
        if call is None or call.type != "call":
            return None
        callee = _last_name(call.child_by_field_name("function"), source)
        if callee in _ENV_READERS:
            return _env_sink(call, source)
        return _argument_sink(callee, parent.named_children, child)
    if kind in {"list", "tuple", "set"}:
        return _container_sink(parent, source)
    if kind in {"type", "subscript"}:
        return _literal_sink(child, source)
    return None


_TYPE_NODES = frozenset({"type", "type_parameter", "generic_type", "subscript", "binary_operator", "union_type"})


def _literal_sink(node: Any, source: bytes) -> _Sink | None:
    """A member of ``Literal[...]`` typing a name that carries a model (``model: Literal["gpt-4o", ...]``,
    ``def f(model: Optional[Literal[...]])``) or naming such a type (``LLM_Model = Literal[...]``): pydantic
    and type checkers accept exactly these values for the model, so each is one the code may call."""
    parent = node.parent
    if parent.type == "subscript":  # Literal["a", "b"] as an expression, typing.Literal[...] anywhere
        literal, head = parent, parent.child_by_field_name("value")
    elif parent.parent is not None and parent.parent.type == "type_parameter":  # Literal["a"] as an annotation
        literal = parent.parent.parent
        head = literal.named_children[0] if literal is not None and literal.named_children else None
    else:
        return None
    if head is None or head == node or _last_name(head, source) != "Literal":
        return None
    holder = literal.parent
    while holder is not None and holder.type in _TYPE_NODES:
        holder = holder.parent
    if holder is None:
        return None
    if holder.type == "assignment":
        left = holder.child_by_field_name("left")
        name = "" if left is None else _last_name(left, source) if left.type == "attribute" else _text(left, source)
        if _response_field(holder, source):
            return None
    elif holder.type in {"typed_parameter", "typed_default_parameter"}:
        name = _text(holder.named_children[0], source) if holder.named_children else ""
    else:
        return None
    strictness = name_carries_model(name)
    return _Sink(CONFIG, strictness) if strictness in {"strict", "loose"} else None


def _inside_tokenizer(node: Any, source: bytes) -> bool:
    """Is ``node`` inside a class or function named like a tokenizer or a token counter?"""
    current = node.parent
    while current is not None:
        if current.type in {"class_definition", "function_definition"}:
            name = current.child_by_field_name("name")
            if name is not None and (_TOKENIZER.search(_text(name, source)) or _NOT_A_CALL.search(_text(name, source))):
                return True
        current = current.parent
    return False


def _env_sink(call: Any, source: bytes) -> _Sink | None:
    """The default of an env-var read: config when the variable is named like a model."""
    arguments = call.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
    if first is None or first.type != "string":
        return None
    variable = _python_string_value(first, source) or ""
    strictness = name_carries_model(variable)
    return _Sink(CONFIG, strictness) if strictness else _Sink(CONFIG, "known")


def _container_sink(container: Any, source: bytes) -> _Sink | None:
    """A list element: config when the list is named like a list of models to use."""
    holder = container.parent
    if holder is None:
        return None
    if holder.type == "assignment":
        left = holder.child_by_field_name("left")
        name = _text(left, source) if left is not None else ""
    elif holder.type == "keyword_argument":
        name = _text(holder.child_by_field_name("name"), source)
    elif holder.type == "pair":
        key = holder.child_by_field_name("key")
        name = (_python_string_value(key, source) or "") if key is not None else ""
    else:
        return None
    return _Sink(CONFIG, "strict") if _is_container_of_models(name) else None


def _named_sink(name: str | None, how: str, pair: Any = None, source: bytes = b"") -> _Sink | None:
    if not name:
        return None
    entries = _siblings(pair, source) if pair is not None else {}
    if _answers_as_a_model(entries):
        return None
    siblings = frozenset(entries)
    squashed = _squash(name)
    if squashed.endswith("name") and squashed[:-4] + "id" in siblings:
        return None  # {modelId: "llama3-8b-8192", modelName: "LLaMA3-8b-chat"}: the id is sent, the name shown
    strictness = name_carries_model(name)
    if strictness:
        return _Sink(how, strictness)
    if squashed in {"id", "name", "slug"}:
        if squashed != "id" and any(_identifies_better(key) for key in siblings):
            return None  # {"name": "Gemma-2-9b", "file_name": "gemma-2-9b-it.Q4_K_M.llamafile"}: a display name
        # A catalogue entry {"id": "gpt-4o", ...}: any id in a catalogue named like models, else known ids.
        inside = pair is not None and _holder_carries_models(pair, source)
        return _Sink(CONFIG, "strict" if inside else "known")
    return None


def _siblings(entry: Any, source: bytes) -> dict[str, Any]:
    """The entries beside ``entry`` (a pair of a dict or object literal, or a keyword argument of a
    call): squashed key ("file_name" -> "filename") -> value node."""
    holder = entry.parent
    if holder is None or holder.type not in {"dictionary", "object", "argument_list"}:
        return {}
    entries = {}
    for child in holder.named_children:
        key = child.child_by_field_name("key" if child.type == "pair" else "name")
        if child.type in {"pair", "keyword_argument"} and key is not None:
            entries[_squash(_text(key, source).strip("\"'`"))] = child.child_by_field_name("value")
    return entries


def _answers_as_a_model(siblings: dict[str, Any]) -> bool:
    """Is this an API response the app sends ({"object": "list", "model": ..., "data": [...]},
    IngestResponse(object="list", model=...), {"choices": [...]})? It names the model it answers as,
    and calls nothing. OpenAI-style responses say what they are in "object"; no request does."""
    kind = siblings.get("object")
    return "choices" in siblings or (kind is not None and (kind.type == "string" or "created" in siblings))


def _response_field(assignment: Any, source: bytes) -> bool:
    """Is this a field of a class that describes an API response the app sends (a field named
    "object" or "choices" beside it: ``class EmbeddingsResponse: object: Literal["list"]; model: ...``)?"""
    statement = assignment.parent
    block = statement.parent if statement is not None else None
    if block is None or block.type != "block" or block.parent is None or block.parent.type != "class_definition":
        return False
    for sibling in block.named_children:
        field = sibling.named_children[0] if sibling.type == "expression_statement" and sibling.named_children else None
        left = field.child_by_field_name("left") if field is not None and field.type == "assignment" else None
        if left is not None and _text(left, source) in {"object", "choices"}:
            return True
    return False


_EXAMPLE_KEY = re.compile(r"examples?$|^json_?schema_?extra$", re.IGNORECASE)
_EXAMPLE_DEPTH = 24


def _in_example(node: Any, source: bytes) -> bool:
    """Is the value inside an API schema's examples (pydantic's json_schema_extra, Field(examples=...),
    FastAPI's responses={...: {"example": ...}})? They document requests and answers; they call nothing."""
    current = node.parent
    for _ in range(_EXAMPLE_DEPTH):
        if current is None or current.type in {"module", "program", "block", "statement_block", "class_body"}:
            return False
        if current.type in {"call", "call_expression", "new_expression"}:
            return False  # {"example": client.create(model=...)}: a call made there is a call, examples are data
        key = current.child_by_field_name("key" if current.type == "pair" else "name") \
            if current.type in {"pair", "keyword_argument"} else None
        if key is not None and _EXAMPLE_KEY.search(_text(key, source).strip("\"'`")):
            return True
        current = current.parent
    return False


def _identifies_better(key: str) -> bool:
    """A key that names what an entry runs more precisely than its name: its id, model, file or URL."""
    return key == "id" or name_carries_model(key) == "strict" or key.endswith(("file", "filename", "path", "url", "uri"))


_HOLDER_NAMES = {"variable_declarator": "name", "assignment": "left", "pair": "key", "keyword_argument": "name",
                 "call": "function", "call_expression": "function", "new_expression": "constructor"}


def _holder_carries_models(node: Any, source: bytes) -> bool:
    """Is the dict/object/list around ``node`` held by a name that carries models (OPENAI_MODELS = [{...}],
    MODELS = {"x": ModelConfig(id=...)}, PROVIDER_TO_DEFAULT_MODEL_NAME = {...})?"""
    current = node.parent
    for _ in range(6):
        if current is None:
            return False
        field_name = _HOLDER_NAMES.get(current.type)
        if field_name is not None:
            named = current.child_by_field_name(field_name)
            if named is None:
                return False
            name = _last_name(named, source) if current.type.endswith(("call", "expression")) else _text(named, source)
            name = name.strip("\"'")
            return bool(name_carries_model(name) or _squash(name).endswith(("models", "modelconfig", "modelname")))\
                and not _CAPABILITY.search(name)
        current = current.parent
    return False


def _argument_sink(callee: str, arguments: list[Any], argument: Any) -> _Sink | None:
    """A positional argument that names the model: a factory's first (``ChatOpenAI("gpt-4o")``), or the
    second of a Hugging Face pipeline (Python and transformers.js), whose first is the task:
    ``pipeline("feature-extraction", "Xenova/all-MiniLM-L6-v2")``."""
    if arguments and arguments[0] == argument and _is_factory(callee):
        return _Sink(CALL, "factory")
    if callee == "pipeline" and len(arguments) > 1 and arguments[1] == argument and arguments[0].type == "string":
        return _Sink(CALL, "factory")
    return None


def _is_factory(callee: str) -> bool:
    squashed = _squash(callee)
    if squashed in _FACTORIES:
        return True
    return any(word in squashed for word in _FACTORY_WORDS) and not _NOT_A_CALL.search(callee)


# --- JavaScript / TypeScript ----------------------------------------------------------------------

def _javascript(language: str) -> Callable[[Any, bytes, ModelIndex, float], Iterator[tuple[str, int, str]]]:
    def read(root: Any, source: bytes, known: ModelIndex, deadline: float) -> Iterator[tuple[str, int, str]]:
        constants: dict[str, tuple[str, Any]] = {}
        for name_node, value_node in _js_declarations(root):
            literal = _js_string_value(value_node, source)
            if literal is not None:
                constants[_text(name_node, source)] = (literal, value_node)
        for count, node in enumerate(_string_literals(root, source, "'\"`", _JS_STRINGS), 1):
            _check_time(count, deadline)
            if not _id_sized(node, source):
                continue
            value = _js_string_value(node, source)
            if value is None or not _may_be_id(value, known):
                continue
            how = _judge(value, _js_sink(node, source), known)
            if how and not _in_example(node, source):
                yield value, node.start_point[0] + 1, how
        for node in _uses(root, source, constants, known):
            if _js_flow(node) and _js_sink(node, source) is not None:
                value, value_node = constants[_text(node, source)]
                yield value, value_node.start_point[0] + 1, CALL

    return read


def _js_declarations(root: Any) -> Iterator[tuple[Any, Any]]:
    """(name, value) of the program's top-level const/let/var declarations, exported or not."""
    for statement in root.named_children:
        if statement.type == "export_statement":
            statement = statement.child_by_field_name("declaration") or statement
        if statement.type in {"lexical_declaration", "variable_declaration"}:
            for declarator in statement.named_children:
                name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                if declarator.type == "variable_declarator" and name is not None and value is not None and name.type == "identifier":
                    yield name, value


def _js_flow(node: Any) -> bool:
    """Is the name passed on: an object property's value, a first argument, the right of an assignment?"""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "pair":
        return parent.child_by_field_name("value") == node
    if parent.type == "assignment_expression":
        return parent.child_by_field_name("right") == node
    return parent.type == "arguments" and bool(parent.named_children) and parent.named_children[0] == node


def _js_string_value(node: Any, source: bytes) -> str | None:
    if node.type == "string":
        return "".join(_text(child, source) for child in node.named_children if child.type == "string_fragment").strip()
    if node.type == "template_string" and not any(child.type == "template_substitution" for child in node.named_children):
        return _text(node, source)[1:-1].strip()
    return None


def _js_property_name(node: Any, source: bytes) -> str | None:
    if node is None:
        return None
    if node.type in {"string"}:
        return _js_string_value(node, source)
    return _text(node, source)


def _js_sink(node: Any, source: bytes) -> _Sink | None:
    child, parent = node, node.parent
    while parent is not None and (parent.type in {"parenthesized_expression", "ternary_expression", "as_expression",
                                                   "satisfies_expression", "non_null_expression"}
                                  or (parent.type == "binary_expression" and _text(parent.child_by_field_name("operator"), source) in {"||", "??"})):
        if parent.type == "binary_expression":
            env = _js_env_name(parent.child_by_field_name("left"), source)
            if env is not None:
                strictness = name_carries_model(env)
                return _Sink(CONFIG, strictness or "known")
        child, parent = parent, parent.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "pair":
        if parent.child_by_field_name("value") != child:
            return None
        name = _js_property_name(parent.child_by_field_name("key"), source)
        call = _enclosing_call(parent)
        if call is not None and _NOT_A_CALL.search(_last_name(call.child_by_field_name("function"), source)):
            return None
        return _named_sink(name, CALL if call is not None else CONFIG, parent, source)
    if kind == "variable_declarator":
        name = _text(parent.child_by_field_name("name"), source)
        return _named_sink(name, CONFIG)
    if kind in {"assignment_expression", "assignment_pattern"}:
        left = parent.child_by_field_name("left")
        name = _last_name(left, source) if left is not None and left.type == "member_expression" else _text(left, source) if left else ""
        return _named_sink(name, CALL)
    if kind in {"required_parameter", "optional_parameter"}:
        pattern = parent.child_by_field_name("pattern")
        return _named_sink(_text(pattern, source) if pattern is not None else None, CALL)
    if kind in {"public_field_definition", "property_signature"}:
        return _named_sink(_text(parent.child_by_field_name("name"), source), CONFIG)
    if kind == "jsx_attribute":
        names = [c for c in parent.named_children if c.type == "property_identifier"]
        return _named_sink(_text(names[0], source) if names else None, CALL)
    if kind == "arguments":
        call = parent.parent
        if call is None or call.type not in {"call_expression", "new_expression"}:
            return None
        callee = _last_name(call.child_by_field_name("function") or call.child_by_field_name("constructor"), source)
        return _argument_sink(callee, parent.named_children, child)
    if kind == "array":
        holder = parent.parent
        name = None
        if holder is not None and holder.type == "variable_declarator":
            name = _text(holder.child_by_field_name("name"), source)
        elif holder is not None and holder.type == "pair":
            name = _js_property_name(holder.child_by_field_name("key"), source)
        return _Sink(CONFIG, "strict") if name and _is_container_of_models(name) else None
    return None


def _js_env_name(node: Any, source: bytes) -> str | None:
    """"OPENAI_MODEL" for process.env.OPENAI_MODEL (and import.meta.env.X)."""
    if node is None or node.type != "member_expression":
        return None
    obj = node.child_by_field_name("object")
    if obj is not None and _text(obj, source).endswith((".env", "env")):
        return _text(node.child_by_field_name("property"), source)
    return None


def _enclosing_call(pair: Any) -> Any | None:
    """The call whose argument object holds this pair (new ChatOpenAI({model: ...}), streamText({model: ...}))."""
    node = pair.parent
    while node is not None and node.type in {"object", "pair", "array"}:
        node = node.parent
    if node is not None and node.type == "arguments":
        call = node.parent
        return call if call is not None and call.type in {"call_expression", "new_expression"} else None
    return None


# --- JSON, YAML, TOML -----------------------------------------------------------------------------


def _data_values(language: str, root: Any, source: bytes) -> Iterator[tuple[Any, str, list[str]]]:
    """(scalar node, value, keys from the root to it) for every scalar value of a config file."""
    if language == "json":
        scalars = _captures(language, "(string) @s", root)
    elif language == "yaml":
        scalars = _captures(language, "[(plain_scalar) (double_quote_scalar) (single_quote_scalar)] @s", root)
    else:
        scalars = _captures(language, "(string) @s", root)
    for node in scalars:
        value = _scalar_value(language, node, source)
        if value is None:
            continue
        keys = _key_path(language, node, source)
        if keys is None:
            continue  # a key, not a value
        yield node, value, keys


def _scalar_value(language: str, node: Any, source: bytes) -> str | None:
    raw = _text(node, source)
    if language == "json" or node.type in {"double_quote_scalar", "single_quote_scalar"} or raw[:1] in {'"', "'"}:
        raw = raw[1:-1]
    return raw.strip()


def _key_path(language: str, node: Any, source: bytes) -> list[str] | None:
    """The keys above a value (innermost last); None when the scalar is itself a key."""
    keys: list[str] = []
    child, parent = node, node.parent
    depth = 0
    while parent is not None and depth < 64:
        depth += 1
        if parent.type in {"pair", "block_mapping_pair", "flow_pair"}:
            key = parent.child_by_field_name("key")
            if key is not None and key.start_byte <= child.start_byte and child.end_byte <= key.end_byte:
                return None
            if key is not None:
                keys.append(_scalar_value(language, key, source) or "")
        elif parent.type == "table" and language == "toml":
            header = next((c for c in parent.named_children if c.type in {"bare_key", "dotted_key", "quoted_key"}), None)
            if header is not None:
                keys.append(_text(header, source).rsplit(".", 1)[-1])
        child, parent = parent, parent.parent
    keys.reverse()
    return keys


def _data(language: str) -> Callable[[Any, bytes, ModelIndex, float], Iterator[tuple[str, int, str]]]:
    def read(root: Any, source: bytes, known: ModelIndex, deadline: float) -> Iterator[tuple[str, int, str]]:
        for count, (node, value, keys) in enumerate(_data_values(language, root, source), 1):
            _check_time(count, deadline)
            if not keys or not _may_be_id(value, known) or any(_EXAMPLE_KEY.search(key) for key in keys):
                continue  # an API document's examples call nothing
            sink = _config_sink(keys, node)
            if _judge(value, sink, known):
                yield value, node.start_point[0] + 1, CONFIG

    return read


def _config_sink(keys: list[str], node: Any) -> _Sink | None:
    """A value of a key named like a model; an `id`/`name` in a list of models; a list of models."""
    key = keys[-1]
    if any(_TOKENIZER.search(outer) for outer in keys):
        return None  # a tokenizer's model_name: it counts tokens, calls nothing
    strictness = name_carries_model(key)
    in_sequence = _in_sequence(node)
    if strictness and not (in_sequence and _CAPABILITY.search(key)):
        return _Sink(CONFIG, strictness)
    if _squash(key) in {"id", "name", "slug", "value"}:
        inside_models = any(name_carries_model(outer) for outer in keys[:-1])
        return _Sink(CONFIG, "strict" if inside_models else "known")
    return None if any(_CAPABILITY.search(outer) for outer in keys) else _Sink(CONFIG, "known")


def _in_sequence(node: Any) -> bool:
    parent = node.parent
    for _ in range(3):
        if parent is None:
            return False
        if parent.type in {"array", "block_sequence_item", "flow_sequence"}:
            return True
        parent = parent.parent
    return False


# --- Notebooks ------------------------------------------------------------------------------------


def _notebook(text: str, known: ModelIndex, is_shipped: bool, deadline: float, found: _Found) -> None:
    """The code cells read as one Python module (they run in one namespace, in order: a constant set
    in one cell reaches a call in a later one); markdown and raw cells as prose (mentions); outputs
    are not read: what a run printed calls nothing. Lines are counted in the .ipynb file. The JSON is
    read by Python's C parser: a notebook's bulk is its outputs (images as base64)."""
    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError):
        raise _Incomplete("is not a notebook aigov can read (not valid JSON)") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise _Incomplete("is not a notebook aigov can read (no list of cells)")
    places = _CellPlaces(text)
    code, prose = _CellText(places), _CellText(places)
    for cell in cells:
        source = cell.get("source") if isinstance(cell, dict) else None
        parts = [source] if isinstance(source, str) else source
        if isinstance(parts, list) and all(isinstance(part, str) for part in parts):
            (code if cell.get("cell_type") == "code" else prose).add(places.cell(parts))
    if len(code.text().encode("utf-8", "surrogatepass")) > MAX_PARSED_BYTES:
        raise _Incomplete(f"has more than {MAX_PARSED_BYTES // 1024} KB of code cells, too much to parse for model calls")
    _source("cells.py", code.text(), "python" if is_shipped else None, is_shipped, known, deadline, found, code.line_of)
    _source("cells.md", prose.text(), None, False, known, deadline, found, prose.line_of)


class _CellPlaces:
    """Where the lines of a notebook's cells are in the .ipynb text, found when first asked for.
    nbformat writes a cell's source as a list of JSON strings, one line each, after its outputs; each
    is found by its encoding, searching forward from the previous one, so the file is read once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cells: list[list[str]] = []
        self.rows: list[list[int]] | None = None

    def cell(self, parts: list[str]) -> int:
        self.cells.append(parts)
        return len(self.cells) - 1

    def row(self, cell: int, line: int) -> int:
        """The file line of a cell's ``line`` (1-based)."""
        if self.rows is None:
            self.rows = self._locate()
        rows = self.rows[cell]
        return rows[min(line, len(rows)) - 1]

    def _locate(self) -> list[list[int]]:
        located, pos, line = [], 0, 1
        for parts in self.cells:
            first, pos, line = self._find(parts[0], pos, line) if parts else (None, pos, line)
            # nbformat writes one element of the list per line; a notebook written on one line has them all on it.
            per_element = 1 if first is not None and self.text.startswith((",\n", ",\r\n"), pos) else 0
            rows: list[int] = []
            for index, part in enumerate(parts):
                rows.extend([line + index * per_element] * max(1, part.count("\n") + (0 if part.endswith("\n") else 1)))
            if len(parts) > 1:
                _, pos, line = self._find(parts[-1], pos, line)  # past the cell, for the next one
            located.append(rows or [line])
        return located

    def _find(self, part: str, pos: int, line: int) -> tuple[int | None, int, int]:
        """Where ``part`` is written from ``pos`` on: (its offset, the offset after it, its line)."""
        for encoded in (json.dumps(part, ensure_ascii=False), json.dumps(part)):
            at = self.text.find(encoded, pos)
            if at >= 0:
                return at, at + len(encoded), line + self.text.count("\n", pos, at)
        return None, pos, line


class _CellText:
    """Cells joined into one text, each on lines of its own, and where each of its lines came from."""

    def __init__(self, places: _CellPlaces) -> None:
        self.places = places
        self.parts: list[str] = []
        self.origins: list[tuple[int, int]] = []  # for each line of the text: (cell, line in the cell)

    def add(self, cell: int) -> None:
        source = "".join(self.places.cells[cell])
        if not source.strip():
            return
        source = source if source.endswith("\n") else source + "\n"
        self.parts.append(source)
        self.origins.extend((cell, line) for line in range(1, source.count("\n") + 1))

    def text(self) -> str:
        return "".join(self.parts)

    def line_of(self, line: int) -> int:
        cell, cell_line = self.origins[min(line, len(self.origins)) - 1] if self.origins else (0, 1)
        return self.places.row(cell, cell_line)


_READERS: dict[str, Callable[[Any, bytes, ModelIndex, float], Iterator[tuple[str, int, str]]]] = {
    "python": _python,
    "javascript": _javascript("javascript"),
    "typescript": _javascript("typescript"),
    "tsx": _javascript("tsx"),
    "json": _data("json"),
    "yaml": _data("yaml"),
    "toml": _data("toml"),
}
