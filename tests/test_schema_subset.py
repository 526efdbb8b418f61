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
from collections.abc import Iterator
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
# The generated-document properties are not traced for coverage (pytest-cov's no_cover): thousands of
# documents through the few functions the edge-case tests cover; tracing them tripled this file's time
# (7 s -> 21 s of CPU). They still run and assert in full; the lines only they reach (some twenty
# "cannot tell" branches of aigov.schema_subset, where jsonschema then decides) are just not counted.
UNTRACED = pytest.mark.no_cover
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


@UNTRACED
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
    bundled example validates its manifest, model card, eval config and CycloneDX SBOM without it (in
    this process and in the child that reads the SBOM: ``-X importtime`` logs the child's imports too);
    a broken manifest or SBOM still gets jsonschema's own error, naming the field and its line."""
    import shutil

    example = tmp_path / "example"
    shutil.copytree(REPO_ROOT / "examples" / "support-summarize", example)
    probe = ("import sys\nfrom aigov.cli import main\nsys.argv = ['aigov', 'check', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit as e:\n    print('exit', e.code, file=sys.stderr)\n")

    def check() -> tuple[str, bool, str]:
        run = subprocess.run([sys.executable, "-X", "importtime", "-c", probe, str(example)], capture_output=True, text=True, timeout=120)
        imported = any(line.rstrip().endswith("| jsonschema") for line in run.stderr.splitlines())
        return run.stderr.strip().splitlines()[-1], imported, run.stdout + run.stderr

    assert check()[:2] == ("exit 0", False)
    bom = example / "sbom.cdx.json"
    bom.write_text(bom.read_text().replace('"specVersion": "1.6"', '"specVersion": "1.6", "version": "one"', 1).replace('"version": 1,', "", 1))
    verdict, imported, output = check()
    assert (verdict, imported) == ("exit 1", True) and "sbom.cdx.json:" in output and "'one' is not of type 'integer'" in output
    manifest = example / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("riskTier: medium", "riskTier: extreme", 1))
    verdict, imported, output = check()
    assert (verdict, imported) == ("exit 2", True) and "aigov.yaml:8" in output and "extreme" in output


# --- CycloneDX (draft 7, with references to the SPDX and JSF schemas and aigov's format checks) ---

SPEC_DOCUMENTS = sorted((REPO_ROOT / "tests" / "data" / "cyclonedx").glob("*/*.json"))
BOM_STRINGS = ["2020-04-13", "2020-04-13T20:20:39+00:00", "2020-04-13T20:20:39", "2021-02-30T00:00:00Z", "MIT",
               "Apache-2.0", "NOT-A-LICENSE", "SHA-256", "MD5", "a" * 64, "A1" * 16, "https://example.com/x",
               "not a url with spaces", "mailto:someone@example.com", "someone@example.com", "someone@", "library",
               "application", "machine-learning-model", "required", "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"]


def bom_oracle(version: str) -> Any:
    from aigov.sbom.validate import _validator

    return _validator(version)


def bom_subset_answer(document: Any, version: str) -> bool | None:
    from aigov.sbom.formats import CHECKS
    from aigov.sbom.validate import _referenced_schemas, _schema

    return conforms(document, _schema(version), _referenced_schemas(), CHECKS)


def mutated(document: Any, rng: random.Random) -> Any:
    """The document with one or two changes a careless generator or editor makes: a value of another kind
    or a near-miss string, a key dropped or unknown, an array item repeated."""
    document = json.loads(json.dumps(document))
    for _ in range(rng.randint(1, 2)):
        places = list(places_in(document))
        if not places:
            return document
        parent, key = rng.choice(places)
        change = rng.randrange(4)
        if change == 0:
            parent[key] = rng.choice([*SCALARS, *STRINGS, *BOM_STRINGS])
        elif change == 1 and isinstance(parent, dict):
            del parent[key]
        elif change == 2 and isinstance(parent, dict):
            parent["unknownKey"] = parent[key]
        elif isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[key])))
        else:
            parent[key] = rng.choice(BOM_STRINGS)
    return document


def places_in(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) in a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from places_in(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from places_in(value)


@UNTRACED
@pytest.mark.parametrize("path", SPEC_DOCUMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cyclonedx_answers_are_jsonschemas_and_every_valid_specification_document_is_decided(path: Path) -> None:
    """On each of the specification's test documents, judged under its own version and under 1.7, and on
    30 mutations of it, the subset gives jsonschema's answer (as aigov configures it for CycloneDX) or
    none; a valid document of the document's own version is always decided, so a check of a feature's
    SBOM does not need jsonschema."""
    original = json.loads(path.read_text(encoding="utf-8"))
    rng = random.Random(path.name)
    decided = 0
    for version in (original["specVersion"], "1.7"):
        for index in range(31):
            document = {**original, "specVersion": version} if index == 0 else mutated({**original, "specVersion": version}, rng)
            truth = not any(True for _ in bom_oracle(version).iter_errors(document))
            answer = bom_subset_answer(document, version)
            assert answer is None or answer == truth, f"subset says {answer}, jsonschema {truth}, on {document!r}"
            decided += answer is not None
            if index == 0 and version == original["specVersion"] and truth:
                assert answer is True, "a valid specification document was left to jsonschema"
    assert decided >= 40


def test_draft_7_keywords_are_the_ones_jsonschema_acts_on() -> None:
    """The subset skips a key draft 7 does not define (CycloneDX's meta:enum) only if jsonschema skips it too."""
    from jsonschema.validators import Draft7Validator

    from aigov.schema_subset import _DRAFT_07_KEYWORDS

    assert {*Draft7Validator.VALIDATORS, "then", "else"} == _DRAFT_07_KEYWORDS


def test_draft_7_rules_the_cyclonedx_schemas_rely_on() -> None:
    """$ref ignoring its siblings, tuple items with additionalItems, references into another schema file,
    format checks given by the caller (unknown formats pass), unique items compared as JSON."""
    referenced = {"other.json": {"$schema": "http://json-schema.org/draft-07/schema#", "$id": "http://x/other.json",
                                 "definitions": {"short": {"type": "string", "maxLength": 2}}, "enum": ["a", "bb", "ccc"]}}
    root = {
        "$schema": "http://json-schema.org/draft-07/schema#", "$id": "http://x/root.json", "type": "object",
        "properties": {
            "ref_with_siblings": {"$ref": "#/definitions/text", "maxLength": 1},
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": False},
            "first_typed": {"items": [{"type": "string"}]},
            "short": {"$ref": "other.json#/definitions/short"}, "listed": {"$ref": "other.json"},
            "when": {"format": "date-time"}, "odd": {"format": "no-such-format"},
            "unique": {"uniqueItems": True}, "prefix_ignored": {"prefixItems": [{"type": "string"}]},
            "note": {"meta:enum": {"a": "b"}, "type": "string"},
        },
        "definitions": {"text": {"type": "string"}},
    }
    documents = [
        {"ref_with_siblings": "long text"}, {"ref_with_siblings": 1}, {"pair": ["a", 1]}, {"pair": ["a", 1, 2]},
        {"pair": [1, "a"]}, {"pair": ["a"]}, {"first_typed": ["a", 1, None]}, {"first_typed": [1]}, {"short": "ab"},
        {"short": "abc"}, {"listed": "bb"}, {"listed": "dd"}, {"listed": 1}, {"when": "2020-04-13T20:20:39Z"},
        {"when": "2020-04-13"}, {"when": 5}, {"odd": "anything"}, {"unique": [1, 1.0]}, {"unique": [1, True]},
        {"unique": [{"a": [1]}, {"a": [1.0]}]}, {"unique": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]}, {"unique": [[1], [True]]},
        {"prefix_ignored": [1]}, {"note": "x"}, {"note": 1},
    ]
    from aigov.sbom.formats import CHECKS

    shipped = json.dumps(referenced)
    answers = []
    for document in documents:
        truth = not any(True for _ in draft_7_oracle(json.dumps(root), shipped).iter_errors(document))
        answer = conforms(document, root, referenced, CHECKS)
        assert answer is None or answer == truth, f"subset says {answer}, jsonschema {truth}, on {document!r}"
        answers.append(answer)
    assert None not in answers and True in answers and False in answers


@functools.cache
def draft_7_oracle(root_text: str, referenced_text: str) -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    from aigov.sbom.formats import format_checker

    registry = Registry().with_resources(("http://x/" + name, DRAFT7.create_resource(schema))
                                         for name, schema in json.loads(referenced_text).items()).crawl()
    validator_class = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": whole_string_pattern})
    return validator_class(json.loads(root_text), registry=registry, format_checker=format_checker())
