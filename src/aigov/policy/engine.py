"""Rego engines behind one small interface, and the table of them (``ENGINES``).

``RegorusEngine`` (embedded, the default) evaluates the pack in a forked child; ``OpaServerEngine``
(aigov.policy.opa_server) asks a running OPA. An engine only has to load a pack and return the
raw ``deny`` objects for an input, and the value of one rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from aigov.errors import AigovError
from aigov.policy.pack import PolicyPack
from aigov.policy.rego_ast import new_regorus, rego_error
from aigov.policy.watchdog import Worker

_UNDEFINED = "<undefined>"


class Engine(Protocol):
    @property
    def name(self) -> str:
        """Which engine answers (reports name it). Read-only: a wrapper may take it from the engine it wraps."""

    def prepare(self, pack: PolicyPack) -> None:
        """Start loading the pack's modules and data. A module the engine rejects is an AigovError
        naming file:line, raised here or by the first evaluation (loading may overlap other work)."""

    def evaluate_all(self, inputs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """For each input, every object the pack's ``deny`` rules produce, tagged with its package."""

    def evaluate_rule(self, rule: str, input_doc: dict[str, Any]) -> Any:
        """The value of one rule (such as ``data.aigov.waivers.decision``) for one input; None if undefined."""

    def close(self) -> None:
        """Let go of what prepare() started (the evaluation child); safe to call more than once."""


class WorkerEngine:
    """What both engines share: ``prepare`` starts a watchdog Worker, each evaluation is one request
    to it under the time limit, ``close`` stops it."""

    timeout_s: float = 60.0
    _worker: Any = None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _request(self, request: dict[str, Any]) -> Any:
        if self._worker is None:
            raise AigovError("the policy engine has no pack loaded")
        return self._worker.call(request, self.timeout_s)


class RegorusEngine(WorkerEngine):
    """The embedded engine, evaluating in a forked child under a time limit.

    regorus has no evaluation deadline and holds the GIL while it works, so a rule that loops
    for minutes could only be stopped by ending the process. ``prepare`` forks the child as soon
    as the pack is loaded (copy-on-write: a few milliseconds); the child imports regorus and loads
    the pack while the parent collects facts, then evaluates each request, reporting each package
    it starts. It is killed when the limit passes; the parent then fails closed naming that
    package. A hang is a bypass too.
    """

    name = "regorus"

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s

    def prepare(self, pack: PolicyPack) -> None:
        self.close()
        # embedded_modules runs in the child, which loads the pack while the parent collects facts.
        modules, data, packages = pack.embedded_modules, pack.data, pack.deny_packages()
        self._worker = Worker(lambda report_step: _evaluator(_warmed_up(load_regorus(modules(), data), packages, report_step), packages),
                              "policy evaluation")

    def evaluate_all(self, inputs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        return self._request({"deny": [[doc["feature"].get("name", "?"), json.dumps(doc)] for doc in inputs]})

    def evaluate_rule(self, rule: str, input_doc: dict[str, Any]) -> Any:
        return self._request({"rule": rule, "input": json.dumps(input_doc)})


def load_regorus(modules: dict[str, str], data: dict[str, Any]) -> Any:
    """A regorus engine holding the pack's modules (PolicyPack.embedded_modules) and data; an AigovError
    naming file:line for a module it rejects."""
    engine = new_regorus()
    for path, source in modules.items():
        try:
            engine.add_policy(path, source)
        except Exception as exc:  # regorus raises plain RuntimeError/ValueError
            raise rego_error(exc, path) from None
    try:
        engine.add_data_json(json.dumps(data))
    except Exception as exc:
        raise AigovError(f"policy data rejected by the engine: {exc}") from None
    return engine


def _warmed_up(engine: Any, packages: list[str], report_step: Callable[[str], None]) -> Any:
    """regorus prepares its evaluation state on first use (~3 ms of the first evaluation): the child
    does that while the parent still collects facts, on an empty input whose answers are dropped."""
    engine.set_input_json("{}")
    for package in packages:
        report_step(f"package {package} (warming up)")
        try:
            engine.eval_rule_as_json(f"data.{package}.deny")
        except Exception:
            pass  # a rule may fail on an empty input; the real evaluation reports what matters
    return engine


def _evaluator(engine: Any, packages: list[str]) -> Callable[[dict[str, Any], Callable[[str], None]], Any]:
    """The child's handler: ``{"deny": [[feature, input JSON], ...]}`` -> each input's deny objects;
    ``{"rule": name, "input": JSON}`` -> that rule's value (None if undefined)."""

    def evaluate(request: dict[str, Any], report_step: Callable[[str], None]) -> Any:
        if "rule" in request:
            report_step(request["rule"])
            engine.set_input_json(request["input"])
            value = _rule_value(engine, request["rule"])
            return None if value == _UNDEFINED else value
        results = []
        for feature, input_json in request["deny"]:
            engine.set_input_json(input_json)
            found: list[dict[str, Any]] = []
            for package in packages:
                report_step(f"package {package} (feature {feature})")
                found.extend(_deny(engine, package))
            results.append(found)
        return results

    return evaluate


def _rule_value(engine: Any, rule: str) -> Any:
    try:
        return json.loads(engine.eval_rule_as_json(rule))
    except Exception as exc:
        raise rego_error(exc) from None


def undefined_deny(package: str, engine: str) -> AigovError:
    """A package aigov evaluates whose deny is undefined: on either engine an error, never "no findings".
    A set rule is defined (empty) when nothing matches; undefined means the engine does not hold
    the package's rules as aigov loaded them."""
    return AigovError(f"data.{package}.deny is undefined on {engine}: the engine does not hold the deny rules "
                      f"aigov loaded for package {package}, so it cannot judge with them")


def _deny(engine: Any, package: str) -> list[dict[str, Any]]:
    value = _rule_value(engine, f"data.{package}.deny")
    if value == _UNDEFINED:
        raise undefined_deny(package, "the embedded engine")
    if not isinstance(value, list):
        raise AigovError(f"data.{package}.deny is not a set of findings")
    return [{**item, "_package": package} if isinstance(item, dict) else item for item in value]


def _opa_engine(timeout_s: float, opa: dict[str, Any]) -> Engine:
    from aigov.policy.opa_server import OpaServerEngine, OpaSettings  # lazy: ~70 ms (requests); only --engine opa needs it

    if not opa.get("url"):
        raise AigovError("engine opa needs the server's URL: --opa-url URL, AIGOV_OPA_URL or opa.url in the org config")
    return OpaServerEngine(OpaSettings(**opa), timeout_s=timeout_s)


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
