"""Does a document conform to one of aigov's own JSON Schemas? Answered without jsonschema when it can be.

``import jsonschema`` (attrs, referencing, rpds, the metaschemas of six drafts, its format checkers'
standard-library modules) is about 40% of the instructions of a plain ``aigov check``, which runs
on every pull request. The documents a check validates (manifests, model cards, eval configs) are
valid nearly always, and their schemas use a small part of JSON Schema 2020-12. This module
decides that part exactly as jsonschema does, and says so only when it is sure:

- ``True``: jsonschema would find no error;
- ``False``: jsonschema would find at least one;
- ``None``: a keyword, reference, type, format or value outside that part: jsonschema decides.

jsonschema stays the authority: aigov.validation asks it for the errors of every document this
module does not call valid, so messages and their order never come from here. What must hold is
that ``True`` and ``False`` are jsonschema's own answers (tests/test_schema_subset.py compares
them on thousands of generated documents against every schema aigov ships).
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable, Iterable, Sized
from datetime import date
from typing import Any

Verdict = bool | None
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# Keywords that say something about a document without constraining it.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's own test before date.fromisoformat


def conforms(instance: Any, schema: dict[str, Any]) -> Verdict:
    """jsonschema's answer for a 2020-12 ``schema`` (with format assertion), or None if unsure."""
    if schema.get("$schema") != _DRAFT_2020_12:
        return None  # earlier drafts differ ($ref overrides its siblings, items may be a list)
    return _Subset(schema).conforms(instance, schema)


class _Subset:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def conforms(self, instance: Any, schema: Any) -> Verdict:
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict) or (schema is not self.root and "$id" in schema):
            return None  # a nested $id moves the base its references resolve against
        verdict: Verdict = True
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword in _APPLIED_BY_OTHERS:
                continue
            check = _KEYWORDS.get(keyword)
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

    def resolve(self, reference: str) -> Any:
        """A reference inside the same schema ("#/$defs/name"), or None for any other."""
        if not reference.startswith("#/"):
            return None
        node: Any = self.root
        for part in reference[2:].split("/"):
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
    """An int or a float: JSON's and YAML's numbers. Other Python numbers (Decimal, complex) are left to jsonschema."""
    return _is_number(instance) or not isinstance(instance, numbers.Number)


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


def _prefix_items(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if not isinstance(instance, list):
        return True
    return subset.all_conform_pairs(zip(instance, value, strict=False))


def _unique_items(subset: _Subset, instance: Any, value: Any, schema: dict[str, Any]) -> Verdict:
    if value is not True or not isinstance(instance, list):
        return True
    if not all(isinstance(item, str) for item in instance):
        return None  # jsonschema's equality across types (1 == 1.0, True != 1) is left to it
    return len(set(instance)) == len(instance)


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
    target = subset.resolve(value) if isinstance(value, str) else None
    return None if target is None else subset.conforms(instance, target)


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
_KEYWORDS: dict[str, Callable[[_Subset, Any, Any, dict[str, Any]], Verdict]] = {
    "type": _type, "enum": _enum, "const": _const, "required": _required, "properties": _properties,
    "additionalProperties": _additional_properties, "items": _items, "prefixItems": _prefix_items,
    "uniqueItems": _unique_items, "minItems": _size(list, lambda n, v: n >= v), "maxItems": _size(list, lambda n, v: n <= v),
    "minLength": _size(str, lambda n, v: n >= v), "maxLength": _size(str, lambda n, v: n <= v),
    "minimum": _bound(lambda n, v: n >= v), "maximum": _bound(lambda n, v: n <= v),
    "exclusiveMinimum": _bound(lambda n, v: n > v), "exclusiveMaximum": _bound(lambda n, v: n < v),
    "pattern": _pattern, "format": _format, "$ref": _ref, "oneOf": _one_of, "anyOf": _any_of, "allOf": _all_of,
    "not": _not, "if": _if,
}
