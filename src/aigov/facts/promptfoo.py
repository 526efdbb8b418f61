"""A promptfoo config (promptfooconfig.yaml) read as a feature's eval config, or given as a suite's dataset.

promptfoo's format (promptfoo.dev/docs/configuration/reference): ``providers`` (or ``targets``: a
string, a list of ids or ``{id: ...}`` objects, a map of id to options, or a ``file://`` list) are the
models evaluated; ``prompts``; ``tests`` (inline cases, or ``file://`` paths and globs of .yaml,
.json, .jsonl and .csv files, or a folder of them); ``defaultTest`` (inline or ``file://``) whose
assertions apply to every test. What aigov makes of it:

- the models: every provider id, and every grading provider (``defaultTest.options.provider``, an
  assertion's ``provider``), as ``{id, provider, model, role, path, line}``;
- one suite whose dataset is the tests, counted as distinct cases like any dataset;
- its metrics: each assertion with a ``threshold`` whose score runs from 0 to 1 (``similar``,
  ``llm-rubric``, ``g-eval``, ...; a ``not-`` assertion must stay below its threshold) and a test's own
  ``threshold``; ``cost``, ``latency``, ``levenshtein`` and ``perplexity`` have no upper bound and
  are counted as assertions only. promptfoo fails the run when any test fails (exit code 100), so a
  config whose tests assert nothing can never fail on what the model says;
- tests that come from code (``file://tests.py``) or from elsewhere (``huggingface://``, URLs) cannot
  be counted: that is an error fact, never a pass.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import AigovError
from aigov.facts.datasets import DATASET_SUFFIXES, MAX_DATASET_BYTES, canonical_case, case_set, csv_records
from aigov.facts.filters import included
from aigov.tree import FILE, FOLDER, Tree, join
from aigov.yamlfile import YamlDocument, parse_yaml

MAX_TEST_FILES = 1000
# Assertion scores without an upper bound: their threshold is a maximum, not a score from 0 to 1.
_UNBOUNDED = frozenset({"cost", "latency", "levenshtein", "perplexity"})
# Provider ids that are no model: code, commands, HTTP endpoints, fixed outputs.
_NOT_MODELS = frozenset({"file", "exec", "python", "http", "https", "webhook", "echo", "sequence", "golang", "ruby", "script",
                         "mcp", "browser", "websocket", "simulated-user", "manual-input", "promptfoo", "js", "javascript"})
# `provider:TYPE:model`: promptfoo's API kinds that sit between the provider and the model.
_API_KINDS = frozenset({"chat", "completion", "completions", "messages", "embedding", "embeddings", "assistant", "responses",
                        "realtime", "image", "converse", "text-generation", "text-classification", "feature-extraction",
                        "sentence-similarity", "token-classification", "classification", "moderation"})
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


@dataclass
class _File:
    """A parsed file with its path: the config, a tests file, a providers file."""

    path: str
    doc: YamlDocument

    @property
    def data(self) -> Any:
        return self.doc.data

    def line(self, where: str) -> int:
        return self.doc.line_of(where) or 1


@dataclass
class _Reader:
    tree: Tree
    path: str  # the promptfoo config
    folder: str = field(init=False)
    errors: list[tuple[str, int, str]] = field(default_factory=list)  # (path, line, message)
    missing: list[tuple[str, int]] = field(default_factory=list)  # test files that do not exist

    def __post_init__(self) -> None:
        self.folder = self.path.rpartition("/")[0] or "."

    def load(self, ref: str, line: int) -> _File | None:
        path = self.resolve(ref)
        if path is None or self.tree.kind(path) != FILE:
            self.missing.append((path or ref, line))
            return None
        try:
            return _File(path, parse_yaml(self.tree.read_text(path, MAX_DATASET_BYTES), path))
        except AigovError as exc:
            self.errors.append((path, exc.line or 1, exc.message))
            return None

    def resolve(self, ref: str) -> str | None:
        """A `file://` (or plain) path, relative to the config's folder, as a repository path."""
        rel = ref[len("file://"):] if ref.startswith("file://") else ref
        normal = posixpath.normpath(join(self.folder, rel))
        return None if normal.startswith("../") or normal == ".." or rel.startswith("/") else normal


@dataclass
class _Tests:
    cases: set[str] = field(default_factory=set)
    assertions: int = 0
    metrics: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


def config_facts(tree: Tree, doc: YamlDocument, path: str, feature_dir: str) -> dict[str, Any]:
    """The eval facts of a promptfoo config: the command that runs it, its one suite, its models."""
    reader = _Reader(tree, path)
    config = _File(path, doc)
    rel = posixpath.relpath(path, feature_dir) if feature_dir != "." else path
    tests = _tests(reader, config)
    dataset: dict[str, Any] = {"path": tests.sources[0] if len(tests.sources) == 1 else path, "declared": _shown(doc.data.get("tests")),
                               "line": config.line("tests"), "exists": True, "cases": len(tests.cases), "error": None, "error_line": None}
    if reader.missing:
        missing, line = reader.missing[0]
        dataset.update({"path": missing, "exists": False, "cases": None, "line": line})
    elif reader.errors:
        error_path, error_line, message = reader.errors[0]
        dataset.update({"path": error_path, "cases": None, "error": message, "error_line": error_line})
    suite = {"name": "promptfoo", "line": 1, "dataset": dataset, "metrics": list(tests.metrics.values()),
             "assertions": tests.assertions, "format": "promptfoo"}
    return {
        "format": "promptfoo",
        "command": f"promptfoo eval -c {rel}",
        "runner": "promptfoo",
        "runner_detected": "promptfoo",
        "suites": [suite],
        "models": _models(reader, config),
        "prompt_files": _prompt_files(reader, doc.data.get("prompts")),
    }


def dataset_cases(tree: Tree, doc: YamlDocument, path: str) -> set[str]:
    """The distinct tests of a promptfoo config given as an aigov suite's dataset; errors raise AigovError."""
    reader = _Reader(tree, path)
    tests = _tests(reader, _File(path, doc))
    if reader.missing:
        missing, line = reader.missing[0]
        raise AigovError(f"the tests file {missing} does not exist", path, line)
    if reader.errors:
        error_path, line, message = reader.errors[0]
        raise AigovError(message if error_path == path else f"{error_path}:{line}: {message}", path,
                         line if error_path == path else _File(path, doc).line("tests"))
    return tests.cases


# --- tests and assertions -------------------------------------------------------------------------


def _tests(reader: _Reader, config: _File) -> _Tests:
    found = _Tests()
    default = config.data.get("defaultTest")
    if isinstance(default, dict):
        _test(config, "defaultTest", found, case=False)
    elif isinstance(default, str):
        loaded = reader.load(default, config.line("defaultTest"))
        if loaded is not None:
            _test(loaded, "", found, case=False)
    tests = config.data.get("tests")
    entries = tests if isinstance(tests, list) else ([] if tests is None else [tests])
    for index, entry in enumerate(entries):
        where = f"tests[{index}]" if isinstance(tests, list) else "tests"
        if isinstance(entry, dict):
            _test(config, where, found)
        elif isinstance(entry, str):
            for test_file in _test_files(reader, entry, config.line(where)):
                found.sources.append(test_file.path)
                for i, _ in enumerate(test_file.data):
                    _test(test_file, f"[{i}]", found)
        else:
            reader.errors.append((reader.path, config.line(where), f"{where} must be a test case or a file:// path to tests"))
    return found


def _test(source: _File, where: str, found: _Tests, case: bool = True) -> None:
    """One test (or defaultTest): a case, its assertions, and the metrics of those with a threshold on a 0-1 score."""
    test = _at(source.data, where)
    if case:
        found.cases.add(canonical_case(test))
    if not isinstance(test, dict):
        return
    if isinstance(test.get("threshold"), (int, float)) and not isinstance(test.get("threshold"), bool):
        _metric(found, source, _join(where, "threshold"), "test score", test["threshold"], "min")
    for index, assertion in enumerate(_as_list(test.get("assert"))):
        found.assertions += _assertion(source, _join(where, f"assert[{index}]"), assertion, found)
    found.assertions += sum(1 for key, value in test.items() if key.startswith("__expected") and value)  # CSV columns


def _assertion(source: _File, where: str, assertion: Any, found: _Tests) -> int:
    if not isinstance(assertion, dict):
        return 0
    kind = str(assertion.get("type", ""))
    if kind == "assert-set":
        return sum(_assertion(source, _join(where, f"assert[{i}]"), a, found) for i, a in enumerate(_as_list(assertion.get("assert"))))
    threshold = assertion.get("threshold")
    base = kind[4:] if kind.startswith("not-") else kind
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) and base not in _UNBOUNDED:
        name = str(assertion.get("metric") or kind)
        _metric(found, source, _join(where, "threshold"), name, threshold, "max" if kind.startswith("not-") else "min")
    return 1


def _metric(found: _Tests, source: _File, where: str, name: str, threshold: float, goal: str) -> None:
    key = (name, threshold, goal)
    if key not in found.metrics:
        line = source.line(where)
        found.metrics[key] = {"name": name, "threshold": threshold, "goal": goal, "range": [0, 1], "line": line,
                              "threshold_line": line, "path": source.path}


def _test_files(reader: _Reader, ref: str, line: int) -> list[_File]:
    """Each test file a `tests` entry names (a path, a glob, a folder), its cases as a list."""
    if _REMOTE.match(ref) and not ref.startswith("file://"):
        reader.errors.append((reader.path, line, f"tests come from {ref}, which aigov does not fetch, so it cannot count them"))
        return []
    out = []
    for path in _matching(reader, ref, line)[:MAX_TEST_FILES]:
        suffix = path.rsplit(".", 1)[-1].lower()
        if suffix not in DATASET_SUFFIXES:
            reader.errors.append((reader.path, line, f"tests come from {path}, which is code aigov does not run, so it cannot count them"))
            continue
        try:
            out.append(_cases_file(reader.tree.read_text(path, MAX_DATASET_BYTES), path, suffix))
        except RecursionError:
            reader.errors.append((path, 1, "a case nests too deeply to read"))
        except AigovError as exc:
            reader.errors.append((exc.path or path, exc.line or 1, exc.message))
    return out


def _cases_file(text: str, path: str, suffix: str) -> _File:
    """A tests file as a list of cases with the line of each: YAML/JSON lists, JSON lines, CSV rows."""
    case_set(text, path)  # the same checks (and errors) as any dataset
    if suffix == "jsonl":
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        return _File(path, YamlDocument([json.loads(line) for _, line in numbered], {f"[{i}]": n for i, (n, _) in enumerate(numbered)}))
    if suffix == "csv":
        return _File(path, YamlDocument(csv_records(text), {}))
    return _File(path, parse_yaml(text, path))


def _matching(reader: _Reader, ref: str, line: int) -> list[str]:
    path = reader.resolve(ref)
    if path is None:
        reader.errors.append((reader.path, line, f"{ref} leaves the repository"))
        return []
    if not any(c in path for c in "*?["):
        kind = reader.tree.kind(path)
        if kind == FOLDER:
            return sorted(f for f in reader.tree.files_under(path) if "/" not in f[len(path) + 1:] and f.rsplit(".", 1)[-1].lower() in DATASET_SUFFIXES)
        if kind != FILE:
            reader.missing.append((path, line))
            return []
        return [path]
    fixed = re.split(r"[*?\[]", path, maxsplit=1)[0].rpartition("/")[0] or "."
    found = sorted(f for f in reader.tree.files_under(fixed) if included([path], f))
    if not found:
        reader.missing.append((path, line))
    return found


def _at(data: Any, where: str) -> Any:
    """The value at a field path like ``tests[3]`` or ``[2]`` ('' is the whole document)."""
    value = data
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", where):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _join(where: str, key: str) -> str:
    if not where:
        return key
    return f"{where}{key}" if key.startswith("[") else f"{where}.{key}"


# --- models and prompts ---------------------------------------------------------------------------


def _models(reader: _Reader, config: _File) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in ("providers", "targets"):
        if key in config.data:
            out.extend(_provider_ids(reader, config, key, config.data[key], "provider"))
    for where, value in _grader_fields(config.data):
        out.extend(_provider_ids(reader, config, where, value, "grader"))
    unique: dict[tuple[str, str, int], dict[str, Any]] = {}
    for model in out:
        unique.setdefault((model["id"], model["path"], model["line"]), model)
    return list(unique.values())


def _provider_ids(reader: _Reader, source: _File, where: str, value: Any, role: str) -> list[dict[str, Any]]:
    """Every provider id under ``value`` (a string, list, {id: ...}, or a map of id to options)."""
    if isinstance(value, str):
        if value.startswith("file://") and role == "provider":
            inner = reader.load(value, source.line(where))
            return _provider_ids(reader, inner, "", inner.data, role) if inner is not None else []
        return [_model(value, source.path, source.line(where), role)]
    if isinstance(value, list):
        return [m for i, item in enumerate(value) for m in _provider_ids(reader, source, _join(where, f"[{i}]"), item, role)]
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            return [_model(value["id"], source.path, source.line(_join(where, "id")), role)]
        if role == "grader" and any(k in value for k in ("text", "embedding", "classification")):
            return [m for k in ("text", "embedding", "classification") if k in value
                    for m in _provider_ids(reader, source, _join(where, k), value[k], role)]
        return [_model(str(k), source.path, source.line(_join(where, str(k))), role) for k in value if ":" in str(k)]
    return []


def _grader_fields(data: Any) -> list[tuple[str, Any]]:
    """The `provider` options that choose a grading model: defaultTest's, each test's, each assertion's."""
    found: list[tuple[str, Any]] = []
    tests = data.get("tests")
    places = [("defaultTest", data.get("defaultTest"))] + [(f"tests[{i}]", t) for i, t in enumerate(tests if isinstance(tests, list) else [])]
    for where, test in places:
        if not isinstance(test, dict):
            continue
        options = test.get("options")
        if isinstance(options, dict) and "provider" in options:
            found.append((f"{where}.options.provider", options["provider"]))
        found.extend((f"{where}.assert[{i}].provider", a["provider"]) for i, a in enumerate(_as_list(test.get("assert")))
                     if isinstance(a, dict) and "provider" in a)
    return found


def _model(provider_id: str, path: str, line: int, role: str) -> dict[str, Any]:
    """A promptfoo provider id as a model reference: `openai:chat:gpt-4o` is model gpt-4o of openai;
    `bedrock:anthropic.claude-3-sonnet-20240229-v1:0` keeps the colon that is part of the model id."""
    provider, _, rest = provider_id.partition(":")
    model: str | None = rest or None
    parts = rest.split(":")
    if len(parts) >= 2 and parts[0] in _API_KINDS:
        model = ":".join(parts[1:])
    if provider.lower() in _NOT_MODELS or _REMOTE.match(provider_id) or not rest:
        model = None
    return {"id": provider_id, "provider": provider if rest else None, "model": model, "role": role, "path": path, "line": line}


def _prompt_files(reader: _Reader, prompts: Any) -> list[str]:
    """The repository files a config's prompts come from: a change to one must re-run the evals. A plain
    string is a file only when one is there (otherwise it is the prompt's text)."""
    out: list[str] = []
    for ref in prompts if isinstance(prompts, list) else [prompts]:
        ref = ref.get("file") or ref.get("id") if isinstance(ref, dict) else ref
        if not isinstance(ref, str) or "\n" in ref or "{{" in ref:
            continue
        ref = re.sub(r"(\.(?:py|js|cjs|mjs|ts)):[A-Za-z_][\w]*$", r"\1", ref)  # file://prompts.py:make_prompt
        path = reader.resolve(ref)
        if path is None:
            continue
        if any(c in path for c in "*?["):
            fixed = re.split(r"[*?\[]", path, maxsplit=1)[0].rpartition("/")[0] or "."
            out.extend(f for f in reader.tree.files_under(fixed) if included([path], f))
        elif reader.tree.kind(path) == FILE:
            out.append(path)
    return list(dict.fromkeys(out))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return f"{len(value)} entries"
    return "none" if value is None else type(value).__name__
