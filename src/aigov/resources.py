"""Locate the data that ships with aigov: the policy pack, the schemas and the templates.

In a wheel they sit under ``aigov/_bundled`` (hatch force-include); in a source checkout
(editable install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


@cache
def bundled_dir(name: str) -> Path:
    packaged = Path(str(resources.files("aigov"))) / "_bundled" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"aigov is installed without its {name}/ folder")


def policies_dir() -> Path:
    return bundled_dir("policies")


def schemas_dir() -> Path:
    return bundled_dir("schemas")


def templates_dir() -> Path:
    return bundled_dir("templates")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in schemas/, by file name without the .schema.json suffix."""
    return json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
