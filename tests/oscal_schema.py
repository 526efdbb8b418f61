"""NIST's OSCAL 1.1.3 assessment-results JSON Schema, vendored in tests/data/oscal with its hash.

Its token patterns use ``\\p{L}`` and ``\\p{N}``, which Python's ``re`` cannot compile: they are
rewritten in memory to the equivalent classes (letters: ``[^\\W\\d_]``, digits: ``\\d``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

SCHEMA = Path(__file__).parent / "data" / "oscal" / "oscal_assessment-results_schema-1.1.3.json"
SHA256 = "d9e34757f0c12aff61f52b821f0b8f83ba0ba75b3a149a202b08ba82f82bc4c3"


def oscal_validator():
    import jsonschema

    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SHA256, "the vendored OSCAL schema is not NIST's release"
    text = raw.decode("utf-8").replace("\\\\p{L}", "[^\\\\W\\\\d_]").replace("\\\\p{N}", "\\\\d")
    return jsonschema.Draft7Validator(json.loads(text))
