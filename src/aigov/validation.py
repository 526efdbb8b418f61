"""JSON Schema validation with errors that name the file, the line and the field."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from aigov.errors import AigovError
from aigov.resources import load_schema
from aigov.schema_subset import conforms, ecma_regex
from aigov.yamlfile import YamlDocument, field_path


def schema_errors(instance: Any, schema_name: str) -> list[tuple[str, str]]:
    """Every violation as (field path, message), in document order.

    A document schema_subset can call valid is valid: jsonschema, a third of a check's start-up, is
    imported only for the others, and it alone words the errors."""
    schema = load_schema(schema_name)
    if conforms(instance, schema) is True:
        return []
    errors = sorted(_validator(schema_name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [(_error_path(e), _describe(e)) for e in errors]


@functools.cache
def _validator(schema_name: str) -> Any:
    """One validator per schema and process: a monorepo validates 200 manifests against the same one."""
    import jsonschema  # lazy: jsonschema ~70 ms, only to word an error (schema_subset passes valid ones)

    schema = load_schema(schema_name)
    draft = jsonschema.validators.validator_for(schema)
    validator_cls = jsonschema.validators.extend(draft, {"pattern": whole_string_pattern})
    return validator_cls(schema, format_checker=draft.FORMAT_CHECKER)


def whole_string_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """JSON Schema's ``pattern`` as the standard defines it (schema_subset.ecma_regex)."""
    from jsonschema import ValidationError  # lazy: jsonschema ~70 ms, only to word an error (schema_subset passes valid ones)

    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _unknown_keys(error: Any) -> list[str]:
    return sorted(set(error.instance) - set(error.schema.get("properties", {})))


def _error_path(error: Any) -> str:
    """The field at fault; for an unknown key, the key itself, so the error points at its line."""
    parts = list(error.absolute_path)
    if error.validator == "additionalProperties" and _unknown_keys(error):
        parts.append(_unknown_keys(error)[0])
    return field_path(parts)


def _describe(error: Any) -> str:
    if error.validator == "additionalProperties":
        extra = _unknown_keys(error)
        return f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(repr(k) for k in extra)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern" and "description" in error.schema:
        return f"{error.instance!r} {error.schema['description']}"
    if error.validator == "type" and error.instance is None:
        # A YAML key with nothing after it is null: say so in the file's terms, not Python's None.
        expected = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return f"has no value; expected {'an' if expected[0] in 'aeiou' else 'a'} {expected}"
    return error.message


def validate_document(doc: YamlDocument, schema_name: str, name: str) -> None:
    """Raise an AigovError for the first violation, pointing at its line."""
    errors = schema_errors(doc.data, schema_name)
    if errors:
        path, message = errors[0]
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        where = f"{path}: " if path and not message.startswith("unknown key") else ""
        raise AigovError(f"{where}{message}{more}", name, doc.line_of(path))
