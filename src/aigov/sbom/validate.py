"""Validate a CycloneDX JSON document against the official schema for its ``specVersion``.

The schema files are the ones cyclonedx-python-lib ships (1.4 to 1.7, with the SPDX, JSF and
cryptography definitions they reference), resolved from disk: validation never touches the
network. Formats are checked by aigov.sbom.formats. On top of the schema, two rules the
specification states but JSON Schema cannot express are checked: a hash's length fits its
algorithm (an error), and every ``bom-ref`` is unique (a warning: the specification's own test
suite has a valid document that repeats one, valid-formulation-1.5.json).

Every error carries its JSON path ($.components[3].hashes[0].content) and, when the document
text is at hand, its line.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.jsonfile import parse_json, read_json_file
from aigov.sbom.formats import CHECKS, format_checker
from aigov.sbom.jsonpaths import PathPart, format_path, line_of, value_lines
from aigov.schema_subset import conforms, json_key
from aigov.validation import whole_string_pattern

SUPPORTED_VERSIONS = ("1.4", "1.5", "1.6", "1.7")
SCHEMA_PREFIX = "http://cyclonedx.org/schema/"
# Files the BOM schemas reference, by the name they use in $ref (the library renames them).
REFERENCED_SCHEMAS = ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json", "cryptography-defs.SNAPSHOT.schema.json")
MAX_BOM_BYTES = 50 * 1024 * 1024

# Hex digits per hash algorithm (BLAKE3 has a variable output length, so it is not checked).
HASH_LENGTHS = {
    "MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128,
    "SHA3-256": 64, "SHA3-384": 96, "SHA3-512": 128,
    "BLAKE2b-256": 64, "BLAKE2b-384": 96, "BLAKE2b-512": 128,
    "Streebog-256": 64, "Streebog-512": 128,
}

FORMAT_HINTS = {
    "date-time": "an RFC 3339 date-time with a time zone, such as 2024-05-01T12:00:00Z",
    "date": "a date such as 2024-05-01",
    "iri-reference": "a URL or other IRI reference",
    "uri": "an absolute URI",
    "idn-email": "an e-mail address",
    "email": "an e-mail address",
}

# Explanations for places where the schema's own message says little.
PLACE_HINTS = {
    "licenses": "a license list holds either license entries ({'license': {'id' or 'name'}}) or exactly one {'expression'}",
}


@dataclass(frozen=True)
class BomError:
    path: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line}


@dataclass
class BomValidation:
    spec_version: str | None
    errors: list[BomError]
    warnings: list[BomError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_bom(text: str, name: str) -> Any:
    """The JSON value of a BOM file; not (strict) JSON is an AigovError naming the file and line (exit 2)."""
    return parse_json(text, name)


def read_bom_file(path: Path, name: str) -> tuple[str, Any]:
    return read_json_file(path, name, max_bytes=MAX_BOM_BYTES)


def validate_bom(document: Any, text: str | None = None) -> BomValidation:
    """Every problem with ``document`` as CycloneDX JSON, in document order."""
    if not isinstance(document, dict):
        return BomValidation(None, [BomError("$", "a CycloneDX document must be a JSON object", 1 if text else None)])
    version = document.get("specVersion")
    if version not in SUPPORTED_VERSIONS:
        message = (
            "'specVersion' is a required property" if version is None
            else f"{_short(version)} is not a CycloneDX version aigov validates ({', '.join(SUPPORTED_VERSIONS)})"
        )
        errors = [BomError("$.specVersion" if version is not None else "$", message)]
        warnings: list[BomError] = []
    else:
        spec_errors, warnings = _spec_rules(document)
        errors = [*_schema_errors(document, version), *spec_errors]
    if text is not None and (errors or warnings):
        lines = value_lines(text)
        errors = [BomError(e.path, e.message, line_of(lines, _parts(e))) for e in errors]
        warnings = [BomError(w.path, w.message, line_of(lines, _parts(w))) for w in warnings]
    return BomValidation(version if version in SUPPORTED_VERSIONS else None, _in_document_order(errors), _in_document_order(warnings))


# --- the schema ------------------------------------------------------------------------------

def schema_dir() -> Path:
    """Where cyclonedx-python-lib keeps its schema files (found without importing the library)."""
    spec = importlib.util.find_spec("cyclonedx")
    if spec is None or not spec.submodule_search_locations:
        raise AigovError("cyclonedx-python-lib is not installed; it provides the CycloneDX schemas")
    return Path(next(iter(spec.submodule_search_locations))) / "schema" / "_res"


def _load_schema(name: str) -> Any:
    path = schema_dir() / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AigovError(f"cannot load the CycloneDX schema {name}: {exc}", str(path)) from None


@functools.cache
def _schema(version: str) -> dict[str, Any]:
    return _load_schema(f"bom-{version}.SNAPSHOT.schema.json")  # type: ignore[no-any-return]


@functools.cache
def _referenced_schemas() -> dict[str, Any]:
    """The schemas the BOM schemas reference, by the names their $refs use."""
    return {name: _load_schema(name) for name in REFERENCED_SCHEMAS}


@functools.cache
def _validator(version: str) -> Any:
    """One validator per version, built once per process."""
    from jsonschema import validators  # lazy: ~70 ms; only a BOM that schema_subset does not call valid needs it
    from referencing import Registry  # lazy: with jsonschema (~30 ms more)
    from referencing.jsonschema import DRAFT7  # lazy: with jsonschema

    # Every referenced schema is registered and crawled up front: resolving them lazily makes
    # referencing re-crawl the registry on each lookup, which is slow for a BOM with many licenses.
    registry = Registry().with_resources(
        (SCHEMA_PREFIX + name, DRAFT7.create_resource(schema)) for name, schema in _referenced_schemas().items()
    ).crawl()

    fast = validators.extend(validators.Draft7Validator, {"enum": _enum, "uniqueItems": _unique_items,
                                                          "pattern": whole_string_pattern})
    return fast(_schema(version), registry=registry, format_checker=format_checker())


# jsonschema compares with a Python-level equal() per enum value and per pair of array items,
# which costs seconds for a BOM of a thousand components (700 SPDX ids per license, n^2 pairs
# of components). These keep its semantics (1 == 1.0, True != 1) with C-level comparisons.

def _enum(validator: Any, enums: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError  # lazy: runs only inside jsonschema's own validation, which loaded it
    from jsonschema.validators import Draft7Validator  # lazy: as above

    if isinstance(instance, str):
        if instance not in enums:
            yield ValidationError(f"{instance!r} is not one of {enums!r}")
        return
    yield from Draft7Validator.VALIDATORS["enum"](validator, enums, instance, schema)


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError  # lazy: runs only inside jsonschema's own validation, which loaded it

    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = json_key(item)
        if key in seen:
            yield ValidationError(f"{_short(instance)} has non-unique elements")
            return
        seen.add(key)


def _schema_errors(document: dict[str, Any], version: str) -> Iterator[BomError]:
    """The schema's errors; none, without importing jsonschema, for a BOM schema_subset calls valid (the
    usual case on every check: a feature's SBOM is generated, and regenerated when it goes stale)."""
    if conforms(document, _schema(version), _referenced_schemas(), CHECKS) is True:
        return
    for error in _validator(version).iter_errors(document):
        yield from _explain(error)


def _explain(error: Any) -> Iterator[BomError]:
    """One schema error as BomErrors, descending into oneOf/anyOf to the branch that fits best."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        # The branch that got deepest into the document is the one the author meant.
        ranked = sorted(branches.values(), key=lambda errs: (-max(len(e.absolute_path) for e in errs), len(errs)))
        best, runner_up = ranked[0], ranked[1] if len(ranked) > 1 else None
        hint = PLACE_HINTS.get(_last_key(error.absolute_path))
        here = format_path(error.absolute_path)
        if runner_up is None or _depth(best) > _depth(runner_up) or len(best) < len(runner_up):
            if hint and _depth(best) <= len(error.absolute_path) + 1:
                yield BomError(here, hint)  # the entry has the wrong shape, not a wrong value
            else:
                yield from _flatten(best)
            return
        if not isinstance(error.instance, (dict, list)):
            # A scalar that fits no form: explain the first one, which schemas list as the usual form.
            yield from _flatten(branches[min(branches)])
            return
        alternatives = sorted({e.message for errs in branches.values() for e in _flatten(errs)})
        yield BomError(here, hint or f"{_short(error.instance)} matches none of the allowed forms: " + "; or ".join(alternatives))
        return
    yield BomError(format_path(error.absolute_path), _describe(error))


def _depth(errors: list[Any]) -> int:
    return max(len(e.absolute_path) for e in errors)


def _flatten(errors: list[Any]) -> Iterator[BomError]:
    for error in errors:
        yield from _explain(error)


def _last_key(path: Any) -> str:
    keys = [p for p in path if isinstance(p, str)]
    return keys[-1] if keys else ""


def _describe(error: Any) -> str:
    value, schema, kind = error.instance, error.schema, error.validator
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(schema.get("properties", {})))
        return f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(repr(k) for k in extra)}"
    if kind == "enum":
        allowed = error.validator_value
        if "spdx" in str(schema.get("$id", "")) or len(allowed) > 200:
            return f"{_short(value)} is not an SPDX license id (use 'name' for a license without one)"
        if len(allowed) > 12:
            return f"{_short(value)} is not one of the {len(allowed)} allowed values"
        return f"{_short(value)} is not one of {', '.join(map(str, allowed))}"
    if kind == "format":
        return f"{_short(value)} is not {FORMAT_HINTS.get(error.validator_value, 'a valid ' + error.validator_value)}"
    if kind == "pattern":
        what = schema.get("title", "value").lower()
        return f"{_short(value)} is not a valid {what} (must match {_short(error.validator_value, 90)})"
    if kind == "type":
        return f"{_short(value)} is not of type {error.validator_value!r}"
    if kind == "uniqueItems":
        return "holds the same entry more than once"
    if kind == "required":
        return error.message
    if kind == "oneOf":  # valid under more than one branch: the forms are exclusive
        hint = PLACE_HINTS.get(_last_key(error.absolute_path))
        return f"{_short(value)} matches more than one of the exclusive forms" + (f" ({hint})" if hint else "")
    return _short(error.message, 200)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) and limit > 60 else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- rules of the specification that JSON Schema cannot express -------------------------------

def _spec_rules(document: dict[str, Any]) -> tuple[list[BomError], list[BomError]]:
    """Errors (a hash's length does not fit its algorithm) and warnings (a bom-ref repeats an
    earlier one), in one walk. The specification asks for unique bom-refs, but its own test
    suite calls a document valid that repeats one, so a repeat only warns."""
    errors: list[BomError] = []
    warnings: list[BomError] = []
    seen: dict[str, str] = {}
    for parts, key, value in _walk(document, ()):
        if key == "bom-ref" and isinstance(value, str) and value:
            where = format_path((*parts, key))
            if value in seen:
                warnings.append(BomError(where, f"bom-ref {_short(value)} is already used at {seen[value]}; bom-refs should be unique"))
            else:
                seen[value] = where
        elif key == "hashes" and isinstance(value, list):
            errors.extend(_hash_lengths((*parts, key), value))
    return errors, warnings


def _hash_lengths(parts: tuple[PathPart, ...], hashes: list[Any]) -> Iterator[BomError]:
    for index, entry in enumerate(hashes):
        if not isinstance(entry, dict):
            continue
        alg, content = entry.get("alg"), entry.get("content")
        expected = HASH_LENGTHS.get(alg) if isinstance(alg, str) else None
        # Only digests the schema accepts (32 to 128 hex digits) are compared with their algorithm.
        if not isinstance(content, str):
            continue
        plausible = len(content) in (32, 40, 64, 96, 128) and all(c in "0123456789abcdefABCDEF" for c in content)
        if expected and plausible and len(content) != expected:
            yield BomError(
                format_path((*parts, index, "content")),
                f"a {alg} hash has {expected} hex digits, this one has {len(content)}",
            )


def _walk(value: Any, parts: tuple[PathPart, ...]) -> Iterator[tuple[tuple[PathPart, ...], str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield parts, key, item
            yield from _walk(item, (*parts, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*parts, index))


# --- ordering ----------------------------------------------------------------------------------

def _parts(error: BomError) -> list[PathPart]:
    """The path parts back from a formatted path (only used to find lines and to sort)."""
    parts: list[PathPart] = []
    for name, index, quoted in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]", error.path):
        if name:
            parts.append(name)
        elif index:
            parts.append(int(index))
        else:
            parts.append(quoted.replace("\\'", "'").replace("\\\\", "\\"))
    return parts


def _in_document_order(errors: list[BomError]) -> list[BomError]:
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=lambda e: (e.line or 0, [(isinstance(p, str), p) for p in _parts(e)], e.message))
