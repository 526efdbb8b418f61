"""schema_subset answers "valid?" without importing jsonschema; jsonschema itself is the oracle.

Every answer it gives (True or False) must be jsonschema's on the same document and schema, with
the same format assertion aigov validates with. Documents are generated from each schema aigov
ships: mostly-valid ones (so the fast path is exercised where it matters) with random mutations
(wrong types, unknown keys, near-miss strings, impossible dates, numbers that are bools).
"""

from __future__ import annotations

import functools
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aigov.schema_subset import conforms, ecma_regex
from aigov.validation import whole_string_pattern
from conftest import REPO_ROOT

SCHEMAS = sorted(path.name.removesuffix(".schema.json") for path in (REPO_ROOT / "schemas").glob("*.schema.json"))
# Where a check spends its validation: these must be decided (not left to jsonschema) when valid.
CHECKED_ON_EVERY_RUN = ("manifest", "model-card", "eval-config")
STRINGS = ["", "a", "demo", "Demo", "demo\n", "svc-a", "2026-01-01", "2026-02-30", "2026-1-1", "gpt-4o", "@acme/risk",
           "acme", "x" * 300, "high", "low", "draft", "final", " ", "evals/config.yaml", "https://example.com",
           "evals/cases.jsonl", "data/cases.csv", "../cases.yaml", "/etc/cases.json", "python evals/run.py", "dist/*.whl"]
SCALARS: list[Any] = [None, True, False, 0, 1, 1.0, 1.5, -1, 100, 10**30, float("inf"), [], {}, ["a"], {"a": 1}]


def schema(name: str) -> dict[str, Any]:
    return json.loads((REPO_ROOT / "schemas" / f"{name}.schema.json").read_text())


def jsonschema_says_valid(document: Any, root: dict[str, Any]) -> bool:
    """jsonschema's verdict, configured as aigov.validation configures it (the shipped schemas
    registered by their $id: input.schema.json refers to the manifest's)."""
    return not any(True for _ in oracle(json.dumps(root)).iter_errors(document))


@functools.cache
def oracle(root_text: str) -> Any:
    from referencing import Registry, Resource

    root = json.loads(root_text)
    shipped = Registry().with_resources((schema(name)["$id"], Resource.from_contents(schema(name))) for name in SCHEMAS)
    draft = jsonschema.validators.validator_for(root)
    validator_class = jsonschema.validators.extend(draft, {"pattern": whole_string_pattern})
    return validator_class(root, format_checker=draft.FORMAT_CHECKER, registry=shipped)


class Generator:
    """Documents shaped by a schema: its required and some optional keys, its enum and const values,
    strings from a pool of near-misses, and now and then a value of the wrong kind or an unknown key."""

    def __init__(self, root: dict[str, Any], rng: random.Random, mutation_rate: float) -> None:
        self.root, self.rng, self.rate = root, rng, mutation_rate

    def any_value(self) -> Any:
        return self.rng.choice([*SCALARS, *STRINGS])

    def value(self, node: Any, depth: int = 0) -> Any:
        if self.rng.random() < self.rate or not isinstance(node, dict) or depth > 8:
            return self.any_value()
        if "$ref" in node and node["$ref"].startswith("#/"):
            target: Any = self.root
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return self.value(target, depth + 1)
        for choice in ("oneOf", "anyOf"):
            if choice in node:
                rest = {key: value for key, value in node.items() if key != choice}
                branch = self.rng.choice(node[choice])
                required = [*rest.get("required", []), *branch.get("required", [])]
                return self.value({**rest, **branch, "required": required}, depth + 1)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return self.rng.choice(node["enum"])
        kind = node.get("type", "object" if "properties" in node else None)
        if isinstance(kind, list):
            kind = self.rng.choice(kind)
        return self.typed(kind, node, depth)

    def typed(self, kind: Any, node: dict[str, Any], depth: int) -> Any:
        if kind == "object":
            return self.object(node, depth)
        if kind == "array":
            prefix = [self.value(item, depth + 1) for item in node.get("prefixItems", [])]
            low, high = max(node.get("minItems", 0), len(prefix)), node.get("maxItems", 3)
            rest = [self.value(node.get("items", {}), depth + 1) for _ in range(self.rng.randint(0, max(0, high - len(prefix))))]
            return (prefix + rest)[:high] if len(prefix + rest) >= low else prefix + rest + [self.value(node.get("items", {}), depth + 1)] * (low - len(prefix + rest))
        if kind == "string":
            return self.string(node)
        if kind in ("integer", "number"):
            low, high = node.get("minimum", -1), node.get("maximum", 101)
            return self.rng.choice([low, high, (low + high) / 2] if self.clean() else [0.5, 1.0, True, 0, 100, -1, 10**30])
        if kind == "boolean":
            return self.rng.choice([True, False] if self.clean() else [0, 1, "true"])
        return self.any_value()

    def string(self, node: dict[str, Any]) -> str:
        """One of the pool, preferring those the node's pattern, format and length accept."""
        def accepted(text: str) -> bool:
            return (("pattern" not in node or ecma_regex(node["pattern"]).search(text) is not None)
                    and (node.get("format") != "date" or text == "2026-01-01") and len(text) >= node.get("minLength", 0))
        fitting = [text for text in STRINGS if accepted(text)]
        return self.rng.choice(fitting if fitting and self.clean() else STRINGS)

    def clean(self) -> bool:
        """Pick what the schema asks for, this time? Always in a clean document, mostly in a mutated one."""
        return self.rng.random() >= self.rate * 3

    def object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = node.get("properties", {})
        names = set(node.get("required", [])) | {name for name in properties if self.rng.random() < 0.5}
        for branch in ("then", "else"):
            names |= set(node.get(branch, {}).get("required", []))
        if self.rng.random() < self.rate:
            names.discard(self.rng.choice(sorted(names)) if names else None)
        document = {name: self.value(properties.get(name, {}), depth + 1) for name in sorted(names) if name}
        if self.rng.random() < self.rate:
            document["unknown_key"] = self.any_value()
        return document


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_answer_is_jsonschemas(name: str) -> None:
    root = schema(name)
    rng = random.Random(name)
    decided = {True: 0, False: 0}
    valid_documents = valid_decided = 0
    for index in range(600):
        document = Generator(root, rng, mutation_rate=0.0 if index % 3 == 0 else 0.08).value(root)
        truth = jsonschema_says_valid(document, root)
        answer = conforms(document, root)
        assert answer is None or answer == truth, f"{name}: subset says {answer}, jsonschema {truth}, on {document!r}"
        if answer is not None:
            decided[answer] += 1
        valid_documents += truth
        valid_decided += truth and answer is True
    assert decided[False] > 0, "no document was refused: the generator does not reach this schema's rules"
    if name in CHECKED_ON_EVERY_RUN:
        assert valid_documents >= 50 and valid_decided == valid_documents, "a valid document was left to jsonschema"


def test_nested_rules_decide_as_jsonschema_does() -> None:
    """Cases a generator reaches rarely: if/then/else, oneOf with two matches, integers written as
    floats, bools that are not numbers, an impossible date, a trailing newline against ``$``."""
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "if": {"required": ["status"], "properties": {"status": {"const": "draft"}}},
        "then": {"required": ["drafted"]}, "else": {"required": ["reviewed"]},
        "properties": {
            "status": {"enum": ["draft", "final"]}, "drafted": {"type": "string", "format": "date"},
            "reviewed": {"type": "string", "format": "date"}, "name": {"type": "string", "pattern": "^[a-z]+$"},
            "count": {"type": "integer", "minimum": 1}, "either": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "maxItems": 2},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
            "ref": {"$ref": "#/$defs/short"}, "not_empty": {"not": {"const": ""}}, "flag": {"type": ["boolean", "null"]},
        },
        "$defs": {"short": {"type": "string", "maxLength": 3}},
        "additionalProperties": False,
    }
    documents = [
        {"status": "draft", "drafted": "2026-01-01"}, {"status": "draft", "reviewed": "2026-01-01"}, {"reviewed": "2026-01-01"},
        {"drafted": "2026-01-01"}, {"reviewed": "2026-02-30"}, {"reviewed": 20260101}, {"reviewed": "2026-1-01"},
        {"reviewed": "2026-01-01", "name": "demo"}, {"reviewed": "2026-01-01", "name": "demo\n"},
        {"reviewed": "2026-01-01", "count": 1.0}, {"reviewed": "2026-01-01", "count": True}, {"reviewed": "2026-01-01", "count": 0},
        {"reviewed": "2026-01-01", "either": 1}, {"reviewed": "2026-01-01", "either": 1.5}, {"reviewed": "2026-01-01", "either": 2.0},
        {"reviewed": "2026-01-01", "tags": ["a", "a"]}, {"reviewed": "2026-01-01", "tags": ["a", "b", "c"]},
        {"reviewed": "2026-01-01", "tags": ["a", 1]}, {"reviewed": "2026-01-01", "pair": ["a"]}, {"reviewed": "2026-01-01", "pair": ["a", "b"]},
        {"reviewed": "2026-01-01", "ref": "abcd"}, {"reviewed": "2026-01-01", "ref": "abc"}, {"reviewed": "2026-01-01", "not_empty": ""},
        {"reviewed": "2026-01-01", "extra": 1}, {"reviewed": "2026-01-01", "flag": 1}, {"reviewed": "2026-01-01", "flag": None},
        {"reviewed": "2026-01-01", "flag": False}, {"reviewed": "2026-01-01", "flag": 0}, {"reviewed": "2026-01-01", "flag": ""}, {"status": "final", "reviewed": "2026-01-01"}, [], "text", None,
    ]
    answers = []
    for document in documents:
        truth, answer = jsonschema_says_valid(document, root), conforms(document, root)
        assert answer is None or answer == truth, f"subset says {answer}, jsonschema {truth}, on {document!r}"
        answers.append(answer)
    assert answers.count(None) <= 2 and True in answers and False in answers


def test_a_check_of_a_valid_repository_does_not_load_jsonschema(tmp_path: Path) -> None:
    """What the fast path is for: jsonschema's import is about a third of a check's start-up. The
    bundled example validates its manifest, model card and eval config without it; a broken manifest
    still gets jsonschema's own error, naming the field."""
    import shutil

    example = tmp_path / "example"
    shutil.copytree(REPO_ROOT / "examples" / "support-summarize", example)
    probe = ("import sys\nfrom aigov.cli import main\nsys.argv = ['aigov', 'check', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit as e:\n    print('exit', e.code, 'jsonschema' in sys.modules, file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", probe, str(example)], capture_output=True, text=True, timeout=120)
    assert run.stderr.strip().splitlines()[-1] == "exit 0 False"
    manifest = example / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("riskTier: medium", "riskTier: extreme", 1))
    run = subprocess.run([sys.executable, "-c", probe, str(example)], capture_output=True, text=True, timeout=120)
    assert run.stderr.strip().splitlines()[-1] == "exit 2 True"
    assert "aigov.yaml:8" in run.stderr and "extreme" in run.stderr
