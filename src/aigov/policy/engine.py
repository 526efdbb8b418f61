"""Rego engines behind one small interface, and the table of them (``ENGINES``).

``RegorusEngine`` (embedded, the default) evaluates the pack in-process; ``OpaServerEngine``
(aigov.policy.opa_server) asks a running OPA. An engine only has to load a pack and return the
raw ``deny`` objects for an input, and the value of one rule.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Protocol

from aigov.errors import AigovError
from aigov.policy.pack import PolicyPack

_UNDEFINED = "<undefined>"
_LOCATION = re.compile(r"-->\s*(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)")
_MESSAGE = re.compile(r"^error:\s*(?P<msg>.+)$", re.MULTILINE)


class Engine(Protocol):
    name: str

    def prepare(self, pack: PolicyPack) -> None:
        """Load the pack's modules and data; an AigovError naming file:line if any fails."""

    def evaluate_all(self, inputs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """For each input, every object the pack's ``deny`` rules produce, tagged with its package."""

    def evaluate_rule(self, rule: str, input_doc: dict[str, Any]) -> Any:
        """The value of one rule (such as ``data.aigov.waivers.decision``) for one input; None if undefined."""


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
    """The embedded engine. Evaluation runs in a forked child under a time limit.

    regorus has no evaluation deadline and holds the GIL while it works, so a rule that loops
    for minutes could only be stopped by ending the process. The child is forked after the
    pack is loaded (copy-on-write: a few milliseconds), reports each package it starts, and is
    killed when the limit passes; the parent then fails closed naming that package. A hang is a
    bypass too.
    """

    name = "regorus"

    def __init__(self, timeout_s: float = 60.0) -> None:
        self._engine: Any = None
        self._packages: list[str] = []
        self.timeout_s = timeout_s

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
        """The findings for one input, in this process and without a time limit (policy tests, tools)."""
        self._engine.set_input_json(json.dumps(input_doc))
        found: list[dict[str, Any]] = []
        for package in self._packages:
            found.extend(self._deny(package))
        return found

    def evaluate_all(self, inputs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        from aigov.policy.watchdog import run_with_deadline

        def work(report_step: Any) -> list[list[dict[str, Any]]]:
            results = []
            for input_doc in inputs:
                self._engine.set_input_json(json.dumps(input_doc))
                found: list[dict[str, Any]] = []
                for package in self._packages:
                    report_step(f"package {package} (feature {input_doc['feature'].get('name', '?')})")
                    found.extend(self._deny(package))
                results.append(found)
            return results

        return run_with_deadline(work, self.timeout_s, "policy evaluation")

    def evaluate_rule(self, rule: str, input_doc: dict[str, Any]) -> Any:
        from aigov.policy.watchdog import run_with_deadline

        def work(report_step: Any) -> Any:
            report_step(rule)
            self._engine.set_input_json(json.dumps(input_doc))
            try:
                value = json.loads(self._engine.eval_rule_as_json(rule))
            except Exception as exc:
                raise rego_error(exc) from None
            return None if value == _UNDEFINED else value

        return run_with_deadline(work, self.timeout_s, "policy evaluation")

    def _deny(self, package: str) -> list[dict[str, Any]]:
        try:
            raw = self._engine.eval_rule_as_json(f"data.{package}.deny")
        except Exception as exc:
            raise rego_error(exc) from None
        value = json.loads(raw)
        if value == _UNDEFINED:
            return []
        if not isinstance(value, list):
            raise AigovError(f"data.{package}.deny is not a set of findings")
        return [{**item, "_package": package} if isinstance(item, dict) else item for item in value]


def _opa_engine(timeout_s: float, opa: dict[str, Any]) -> Engine:
    from aigov.policy.opa_server import OpaServerEngine, OpaSettings

    if not opa.get("url"):
        raise AigovError("engine opa needs the server's URL: --opa-url URL, AIGOV_OPA_URL or opa.url in the org config")
    return OpaServerEngine(OpaSettings(**opa), evaluation_timeout_s=timeout_s)


# name -> factory(evaluation time limit, OPA settings as OpaSettings' fields). The OPA module (and
# requests) load only when it is chosen.
ENGINES: dict[str, Callable[[float, dict[str, Any]], Engine]] = {
    "regorus": lambda timeout_s, opa: RegorusEngine(timeout_s=timeout_s),
    "opa": _opa_engine,
}


def make_engine(name: str, timeout_s: float, opa: dict[str, Any] | None = None) -> Engine:
    """The engine called ``name`` (--engine, or the org config's ``engine:``)."""
    if name not in ENGINES:
        raise AigovError(f"engine {name!r} is not one of {', '.join(ENGINES)}")
    return ENGINES[name](timeout_s, opa or {})
