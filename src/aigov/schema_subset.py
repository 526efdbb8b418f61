"""Does a document conform to a JSON Schema aigov validates with? Answered without jsonschema when it can be.

``import jsonschema`` (attrs, referencing, rpds, the metaschemas of six drafts, its format checkers'
standard-library modules) is about 40% of the instructions of a plain ``aigov check``, which runs
on every pull request. The documents a check validates (manifests, model cards, eval configs, and
the feature's CycloneDX SBOM) are valid nearly always, and their schemas use a small part of JSON
Schema (2020-12 for aigov's own, draft 7 for CycloneDX's). This module decides that part exactly
as jsonschema does, and says so only when it is sure:

- ``True``: jsonschema would find no error;
- ``False``: jsonschema would find at least one;
- ``None``: a keyword, reference, type, format or value outside that part: jsonschema decides.

jsonschema stays the authority: aigov.validation asks it for the errors of every document this
module does not call valid, so messages and their order never come from here. What must hold is
that ``True`` and ``False`` are jsonschema's own answers (tests/test_schema_subset.py compares
them on thousands of generated documents against every schema aigov ships, and on the CycloneDX
specification's own test documents).
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sized
from datetime import date
from typing import Any

Verdict = bool | None
FormatChecks = Mapping[str, Callable[[str], bool]]
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_DRAFT_07 = "http://json-schema.org/draft-07/schema#"
# The keywords jsonschema's Draft7Validator acts on (its VALIDATORS, and then/else, which "if" applies; a
# test keeps them equal). Draft 7 ignores every other key, so this module may too: CycloneDX's
# "meta:enum" and "deprecated" constrain nothing.
_DRAFT_07_KEYWORDS = frozenset({
    "$ref", "additionalItems", "additionalProperties", "allOf", "anyOf", "const", "contains", "dependencies", "enum",
    "exclusiveMaximum", "exclusiveMinimum", "format", "if", "then", "else", "items", "maxItems", "maxLength",
    "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf",
    "pattern", "patternProperties", "properties", "propertyNames", "required", "type", "uniqueItems"})
# Keywords that say something about a document without constraining it.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's own test before date.fromisoformat


def conforms(instance: Any, schema: dict[str, Any], referenced: Mapping[str, Any] | None = None,
             formats: FormatChecks | None = None) -> Verdict:
    """jsonschema's answer for a 2020-12 or draft-7 ``schema`` (with format assertion), or None if unsure.

    ``referenced``: the other schemas its ``$ref``s name, by the name they use ("spdx.schema.json");
    ``formats``: the checks of the format checker it is validated with, which passes a format it does
    not know. Without them only ``date`` is decided, as jsonschema's own checker does it."""
    draft = schema.get("$schema")
    if draft not in (_DRAFT_2020_12, _DRAFT_07):
        return None
    return _Subset(schema, draft == _DRAFT_07, referenced or {}, formats).conforms(instance, schema)


class _Subset:
    def __init__(self, root: dict[str, Any], draft_07: bool, referenced: Mapping[str, Any], formats: FormatChecks | None) -> None:
        self.root, self.draft_07, self.referenced, self.formats = root, draft_07, referenced, formats
        self.keywords = _KEYWORDS_07 if draft_07 else _KEYWORDS_2020_12
        self.others: dict[str, _Subset] = {}  # the referenced schemas, each resolving its own references

    def conforms(self, instance: Any, schema: Any) -> Verdict:
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict) or (schema is not self.root and "$id" in schema):
            return None  # a nested $id moves the base its references resolve against
        if self.draft_07 and "$ref" in schema:
            return _ref(self, instance, schema["$ref"], schema)  # in draft 7, $ref overrides its siblings
        verdict: Verdict = True
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in _APPLIED_BY_OTHERS or (self.draft_07 and keyword not in _DRAFT_07_KEYWORDS):
                continue
            check = self.keywords.get(keyword)
            result = None if check is None else check(self, instance, value, schema)
            if result is False:
                return False  # every keyword must hold: one that surely fails decides
            if result is None:
                verdict = None
        return verdict

    def all_conform(self, instances: Iterable[Any], schema: Any) -> Verdict:
        return self.all_conform_pairs((instance, schema) for instance in instances)

    def all_conform_pairs(self, pairs: Iterable[tuple[Any, Any]]) -> Verdict:
        """Does each instance conform to the schema beside it? False as soon as one surely does not."""
        verdict: Verdict = True
        for instance, schema in pairs:
            result = self.conforms(instance, schema)
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict

    def ref_conforms(self, instance: Any, reference: str) -> Verdict:
        """Does ``instance`` conform to what ``reference`` names: a place in this schema ("#/$defs/name") or in
        a referenced one ("spdx.schema.json", "jsf.schema.json#/definitions/signature")? None for any other."""
        name, _, fragment = reference.partition("#")
        if not name:
            target = _pointer(self.root, fragment)
            return None if target is None else self.conforms(instance, target)
        other = self.referenced.get(name)
        if not isinstance(other, dict) or "/" in name or ":" in name:
            return None  # only names beside this schema, as the registry aigov builds holds them
        if name not in self.others:
            self.others[name] = _Subset(other, self.draft_07, self.referenced, self.formats)
        target = _pointer(other, fragment)
        return None if target is None else self.others[name].conforms(instance, target)


def _pointer(root: Any, fragment: str) -> Any:
    """The node a JSON pointer fragment ("" or "/$defs/name") names in ``root``, or None."""
    if fragment == "":
        return root
    if not fragment.startswith("/") or "%" in fragment:
        return None  # percent-encoded pointers are left to jsonschema
    node: Any = root
    for part in fragment[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _is_type(instance: Any, name: str) -> Verdict:
    if not _number_type(instance):
        return None
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if name == "number":
        return _is_number(instance)
    if name == "integer":
        return _is_number(instance) and (isinstance(instance, int) or float(instance).is_integer())
    return None


def _is_number(instance: Any) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool)


def _number_type(instance: Any) -> bool:
    """Not a number, or an int or a float: JSON's and YAML's numbers. Other Python numbers (Decimal,
    complex) are left to jsonschema."""
    return isinstance(instance, bool | int | float) or not isinstance(instance, numbers.Number)


def _type(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    names = value if isinstance(value, list) else [value]
    results = [_is_type(instance, name) for name in names]
    if True in results:
        return True
    return None if None in results else False


def _same_string(instance: Any, value: Any) -> Verdict:
    """jsonschema's equality against a string: equal strings only (a string never equals a number)."""
    if not isinstance(value, str):
        return None
    return isinstance(instance, str) and instance == value


def _enum(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if isinstance(instance, str) and isinstance(value, list):
        return instance in value  # a string equals only an equal string (and SPDX's enum has 700 of them)
    results = [_same_string(instance, option) for option in value] if isinstance(value, list) else [None]
    if True in results:
        return True
    return None if None in results else False


def _const(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    return _same_string(instance, value)


def _required(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    return not isinstance(instance, dict) or all(name in instance for name in value)


def _properties(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if not isinstance(instance, dict):
        return True
    return subset.all_conform_pairs((instance[name], sub) for name, sub in value.items() if name in instance)


def _additional_properties(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if "patternProperties" in schema:
        return None
    if not isinstance(instance, dict):
        return True
    known = schema.get("properties", {})
    return subset.all_conform([item for name, item in instance.items() if name not in known], value)


def _items(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if not isinstance(instance, list):
        return True
    return subset.all_conform(instance[len(schema.get("prefixItems", [])):], value)


def _items_07(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    """Draft 7's ``items``: one schema for every item, or (a list) a schema per position."""
    if not isinstance(instance, list):
        return True
    if isinstance(value, list):
        return subset.all_conform_pairs(zip(instance, value, strict=False))
    return subset.all_conform(instance, value)


def _additional_items(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    """Draft 7: the items after those a list of ``items`` describes (ignored beside a single ``items`` schema)."""
    items = schema.get("items", {})
    if not isinstance(instance, list) or isinstance(items, dict):
        return True
    if not isinstance(items, list):
        return None
    return subset.all_conform(instance[len(items):], value)


def _prefix_items(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if not isinstance(instance, list):
        return True
    return subset.all_conform_pairs(zip(instance, value, strict=False))


def _unique_items(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if not value or not isinstance(instance, list):
        return True
    if not all(_number_type(item) for item in instance):
        return None
    return len({json_key(item) for item in instance}) == len(instance)


def json_key(value: Any) -> Any:
    """A hashable stand-in that is equal exactly when JSON Schema calls two values equal (1 == 1.0,
    True != 1, objects whatever their key order): comparing keys in a set is C-level work where
    jsonschema compares each pair of items in Python."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("object", frozenset((k, json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(json_key(v) for v in value))
    return value  # str, None, and numbers (Python already has 1 == 1.0 with equal hashes)


def _size(kind: type[Sized], compare: Callable[[int, int], bool]) -> Callable[[_Subset, Any, Any, dict[str, Any]], Verdict]:
    def check(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
        return not isinstance(instance, kind) or compare(len(instance), value)
    return check


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[[_Subset, Any, Any, dict[str, Any]], Verdict]:
    def check(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
        if not _number_type(instance):
            return None
        return not _is_number(instance) or compare(instance, value)
    return check


def _pattern(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    return not isinstance(instance, str) or ecma_regex(value).search(instance) is not None


@functools.cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """JSON Schema's ``pattern`` as the standard defines it, an ECMA-262 expression whose ``$`` ends the
    string: each ``$`` anchor (not escaped, not in a character class) made Python's ``\\Z``. Python's
    ``$`` also matches before a final newline, so ``"demo\\n"`` would pass ``^[a-z0-9-]+$`` and a name
    would carry a line break into every report."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _format(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if subset.formats is not None:
        check = subset.formats.get(value)
        return check is None or not isinstance(instance, str) or check(instance)
    if value != "date":
        return None
    if not isinstance(instance, str) or not _DATE.fullmatch(instance):
        return not isinstance(instance, str)
    try:
        date.fromisoformat(instance)
    except ValueError:
        return False
    return True


def _ref(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    return subset.ref_conforms(instance, value) if isinstance(value, str) else None


def _one_of(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    results = [subset.conforms(instance, option) for option in value]
    return None if None in results else results.count(True) == 1


def _any_of(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    results = [subset.conforms(instance, option) for option in value]
    if True in results:
        return True
    return None if None in results else False


def _all_of(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    return subset.all_conform_pairs((instance, option) for option in value)


def _not(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    result = subset.conforms(instance, value)
    return None if result is None else not result


def _if(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    condition = subset.conforms(instance, value)
    if condition is None:
        return None
    branch = "then" if condition else "else"
    return subset.conforms(instance, schema[branch]) if branch in schema else True


# Keywords another keyword applies: then/else by if.
_APPLIED_BY_OTHERS = frozenset({"then", "else"})
_KEYWORDS_2020_12: dict[str, Callable[[_Subset, Any, Any, dict[str, Any]], Verdict]] = {
    "type": _type, "enum": _enum, "const": _const, "required": _required, "properties": _properties,
    "additionalProperties": _additional_properties, "items": _items, "prefixItems": _prefix_items,
    "uniqueItems": _unique_items, "minItems": _size(list, lambda n, v: n >= v), "maxItems": _size(list, lambda n, v: n <= v),
    "minLength": _size(str, lambda n, v: n >= v), "maxLength": _size(str, lambda n, v: n <= v),
    "minimum": _bound(lambda n, v: n >= v), "maximum": _bound(lambda n, v: n <= v),
    "exclusiveMinimum": _bound(lambda n, v: n > v), "exclusiveMaximum": _bound(lambda n, v: n < v),
    "pattern": _pattern, "format": _format, "$ref": _ref, "oneOf": _one_of, "anyOf": _any_of, "allOf": _all_of,
    "not": _not, "if": _if,
}
# Draft 7's items may be a list, and additionalItems follows such a list (its lack of prefixItems is
# _DRAFT_07_KEYWORDS's business).
_KEYWORDS_07 = {**_KEYWORDS_2020_12, "items": _items_07, "additionalItems": _additional_items}
