"""What an engine answers is checked before it is used, and push mode installs only rules.

A decision comes from another program: the embedded engine running a pack a bundle replaced, or
an organisation's OPA (tests/opa_stub.py: a loopback server speaking OPA's REST API and evaluating
with the real OPA, embedded in opa-golib-python-bindings). An index it invents, ``{"finding": -1}``,
must not waive a finding in Python. And push mode writes the org's rules to that server: nothing
there may become OPA's own configuration (``system.authz`` decides who may call the server).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import assert_clean_error, check, make_feature, org_config, write
from opa_stub import OpaStub
from pack_helpers import copy_pack
from waiver_helpers import EVAL_WAIVER, merged_waiver, too_few_cases

needs_opa = pytest.mark.usefixtures("opa_oracle")  # the loopback OPA evaluates with real OPA

# Forged entries of data.aigov.waivers.decision.applied; each would waive a finding (or crash) in Python.
FORGED = {
    "negative finding": {"finding": -1, "waiver": 0},
    "finding past the end": {"finding": 7, "waiver": 0},
    "boolean finding": {"finding": True, "waiver": 0},
    "text finding": {"finding": "0", "waiver": 0},
    "fractional finding": {"finding": 0.5, "waiver": 0},
    "negative waiver": {"finding": 0, "waiver": -1},
}
# A waiver for a rule that finds nothing: the honest decision waives nothing, so the check fails.
UNRELATED_WAIVER = EVAL_WAIVER.replace("rule: AIGOV-EVAL-006", "rule: AIGOV-CARD-004")


def unwaived(tmp_path: Path) -> Path:
    """One blocking finding (AIGOV-EVAL-006) and one waiver, which does not cover it."""
    root = too_few_cases(tmp_path)
    merged_waiver(root, UNRELATED_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    assert check(root).exit_code == 1
    return root


def forging_pack(folder: Path, applied: list[Any] | str, states: str = "states") -> Path:
    """The shipped pack, as a bundle folder whose waiver policy answers ``applied`` and ``states``."""
    pack = copy_pack(folder)
    rego = pack / "aigov" / "waivers.rego"
    old = 'decision := {"applied": applied, "states": states, "deny": deny}'
    text = rego.read_text()
    assert old in text
    forged = applied if isinstance(applied, str) else json.dumps(applied)
    rego.write_text(text.replace(old, f'decision := {{"applied": {forged}, "states": {states}, "deny": deny}}'))
    return pack


@pytest.mark.parametrize("entry", FORGED.values(), ids=FORGED.keys())
def test_a_forged_waiver_decision_from_the_embedded_engine_is_an_error(tmp_path: Path, entry: dict[str, Any]) -> None:
    root = unwaived(tmp_path)
    pack = forging_pack(tmp_path / "bundle", [entry])
    run = check(root, "--policy-bundle", str(pack))
    assert_clean_error(run, "data.aigov.waivers.decision (from the regorus engine): applied[0] is")


@pytest.mark.parametrize(("applied", "states", "fragment"), [
    ("[]", "[]", "states must give each of the 1 waivers one state"),
    ("[]", '[{"waiver": 0, "state": "active"}, {"waiver": 0, "state": "active"}]', "states must give each"),
    ("[]", '[{"waiver": 0, "state": 1}]', "states must give each"),
    ('"all"', "states", "applied is not a list"),
])
def test_a_decision_of_the_wrong_shape_is_an_error(tmp_path: Path, applied: str, states: str, fragment: str) -> None:
    root = unwaived(tmp_path)
    run = check(root, "--policy-bundle", str(forging_pack(tmp_path / "bundle", applied, states)))
    assert_clean_error(run, fragment)


def test_the_honest_decision_still_waives(tmp_path: Path) -> None:
    """The checks take nothing from a decision the shipped policy gives."""
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    doc = check(root, "--format", "json", "--policy-bundle", str(copy_pack(tmp_path / "bundle"))).json()
    assert doc["verdict"] == "pass" and [f["id"] for f in doc["findings"] if f["waived"]] == ["AIGOV-EVAL-006"]


class ForgingOpa(OpaStub):
    """A real OPA that evaluates every rule honestly, except that it answers the waiver decision
    with ``applied`` put in, as a compromised or misconfigured server could."""

    def __init__(self, applied: list[Any]) -> None:
        super().__init__()
        self.applied = applied

    def evaluate(self, path: list[str], input_doc: Any) -> dict[str, Any]:
        answer = super().evaluate(path, input_doc)
        if path == ["aigov", "waivers", "decision"]:
            answer["result"]["applied"] = self.applied
        return answer


@pytest.fixture
def forging_opa() -> Iterator[tuple[ForgingOpa, str]]:
    stub = ForgingOpa([{"finding": -1, "waiver": 0}])
    url = stub.start()
    yield stub, url
    stub.stop()


@needs_opa
def test_a_servers_waiver_decision_is_checked_before_it_waives_anything(tmp_path: Path, forging_opa: tuple[ForgingOpa, str]) -> None:
    stub, url = forging_opa
    root = unwaived(tmp_path)
    run = check(root, "--engine", "opa", "--opa-url", url)
    assert_clean_error(run, "data.aigov.waivers.decision (from the opa engine): applied[0] is {\"finding\": -1, \"waiver\": 0}")
    assert ("POST", "/v1/data/aigov/waivers/decision") in stub.requests


# --- push mode installs rules, never OPA's own configuration --------------------------------------

AUTHZ = """\
package system.authz

import rego.v1

# Anyone may do anything on the org's OPA.
default allow := true
"""


@pytest.fixture
def opa() -> Iterator[tuple[OpaStub, str]]:
    stub = OpaStub()
    url = stub.start()
    yield stub, url
    stub.stop()


@needs_opa
@pytest.mark.parametrize("package", ["system.authz", "system", 'system["log"]'])
def test_a_repository_module_in_opas_system_package_is_refused_at_load(tmp_path: Path, opa: tuple[OpaStub, str], package: str) -> None:
    stub, url = opa
    root = make_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
    write(root / ".aigov/policies/authz.rego", AUTHZ.replace("package system.authz", f"package {package}"))
    for engine in (["--engine", "opa", "--opa-url", url], []):
        doc = check(root, "--format", "json", *engine).json()
        refusal = next(f for f in doc["findings"] if f["id"] == "AIGOV-CONFIG-001")
        assert (refusal["path"], refusal["line"], refusal["blocking"]) == (".aigov/policies/authz.rego", 1, True)
        assert "OPA reserves for its own configuration" in refusal["message"]
    assert not any("authz" in policy_id for policy_id in stub.policies), sorted(stub.policies)


def test_repository_data_under_data_system_is_refused(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "data: [.aigov/opa.yaml]\n")
    write(root / ".aigov/opa.yaml", "# decision logs keep nothing\nsystem:\n  log: {mask: everything}\n")
    doc = check(root, "--format", "json").json()
    refusal = next(f for f in doc["findings"] if f["id"] == "AIGOV-CONFIG-001")
    assert (refusal["path"], refusal["line"]) == (".aigov/opa.yaml", 2) and "data.system" in refusal["message"]


@needs_opa
def test_push_mode_refuses_an_org_module_in_opas_system_package(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    stub, url = opa
    config = org_config(tmp_path / "org", "policies: [rules]\n", {"rules/authz.rego": "# the org's\n" + AUTHZ})
    root = make_feature(tmp_path / "repo")
    run = check(root, "--config", str(config), "--engine", "opa", "--opa-url", url)
    assert_clean_error(run, "rules/authz.rego:2: package system.authz is OPA's own configuration")
    assert not stub.policies  # refused before anything was pushed
