"""Rego engines behind one small interface.

``RegorusEngine`` (embedded, the default) evaluates the pack in-process. Another engine, such as
a central OPA server, only has to load a pack and return the raw ``deny`` objects for an input.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Protocol

from aigov.errors import AigovError
from aigov.policy.pack import PolicyPack

_UNDEFINED = "<undefined>"
_LOCATION = re.compile(r"-->\s*(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)")
_MESSAGE = re.compile(r"^error:\s*(?P<msg>.+)$", re.MULTILINE)


class Engine(Protocol):
    name: str

    def prepare(self, pack: PolicyPack) -> None:
        """Load the pack's modules and data; an AigovError naming file:line if any fails."""

    def evaluate(self, input_doc: dict[str, Any]) -> list[dict[str, Any]]:
        """Every object the pack's ``deny`` rules produce for ``input_doc``, tagged with its package."""


def rego_error(exc: Exception, fallback_path: str | None = None) -> AigovError:
    """regorus' multi-line error as one line: ``file:line: message``."""
    text = str(exc)
    location = _LOCATION.search(text)
    message = _MESSAGE.search(text)
    msg = message.group("msg").strip() if message else text.strip().splitlines()[0] if text.strip() else "error"
    if location:
        return AigovError(f"Rego: {msg} (column {location.group('col')})", location.group("path"), int(location.group("line")))
    return AigovError(f"Rego: {msg}", fallback_path)


def new_regorus() -> Any:
    # Without this, regorus errors carry a Rust stack trace that buries the one useful line.
    os.environ["RUST_BACKTRACE"] = "0"
    os.environ["RUST_LIB_BACKTRACE"] = "0"
    import regorus

    return regorus.Engine()


class RegorusEngine:
    name = "regorus"

    def __init__(self) -> None:
        self._engine: Any = None
        self._packages: list[str] = []

    def prepare(self, pack: PolicyPack) -> None:
        engine = new_regorus()
        for path, source in pack.modules.items():
            try:
                engine.add_policy(path, source)
            except Exception as exc:  # regorus raises plain RuntimeError/ValueError
                raise rego_error(exc, path) from None
        try:
            engine.add_data_json(json.dumps(pack.data))
        except Exception as exc:
            raise AigovError(f"policy data rejected by the engine: {exc}") from None
        self._engine = engine
        self._packages = pack.deny_packages()

    def evaluate(self, input_doc: dict[str, Any]) -> list[dict[str, Any]]:
        self._engine.set_input_json(json.dumps(input_doc))
        found: list[dict[str, Any]] = []
        for package in self._packages:
            try:
                raw = self._engine.eval_rule_as_json(f"data.{package}.deny")
            except Exception as exc:
                raise rego_error(exc) from None
            value = json.loads(raw)
            if value == _UNDEFINED:
                continue
            if not isinstance(value, list):
                raise AigovError(f"data.{package}.deny is not a set of findings")
            found.extend({**item, "_package": package} if isinstance(item, dict) else item for item in value)
        return found
