"""Every shipped rule emits its own id, read from its METADATA, and the pack's Rego tests see each rule fire and not fire.

A finding is joined to METADATA by its id, and all deny rules of a package share one name, so an
engine's answer cannot say which rule produced a finding. This test can: it runs the shipped
pack's own Rego tests on the real embedded engine with each deny rule renamed apart (at the
head's span in the engine's AST) and wrapped in a rule that prints what it emitted, then checks,
rule by rule, the ids it emitted and whether some test made it fire and some test saw it quiet.
Each rule passes its id as ``rego.metadata.rule().custom.id``: real OPA (v1.20.2, from
opa-golib-python-bindings) reads it from the METADATA itself, the embedded engine gets it written
in by aigov, and the same probe on OPA shows both give every rule the id aigov joins it to.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from aigov.config import OrgConfig
from aigov.policy import loading
from aigov.policy.loading import build_pack
from aigov.policy.pack import PolicyPack
from aigov.policy.rego_ast import new_regorus
from aigov.resources import policies_dir

PROBE = "__aigov_rule_{}"
PRINTED = re.compile(r"aigov-probe (?P<rule>\d+) (?P<count>\d+) (?P<ids>.*)$")


def deny_heads(path: str, source: str) -> list[tuple[int, int]]:
    """(start, end) byte offsets of the ``deny`` name in each ``deny contains`` head, from the engine's AST."""
    engine = new_regorus()
    engine.add_policy(path, source)
    [entry] = json.loads(engine.get_ast_as_json())
    heads = []
    for rule in entry["ast"]["rules"]:
        head = rule.get("Spec", {}).get("head", {}).get("Set")
        if head and head["refr"].get("Var", {}).get("value") == "deny":
            span = head["refr"]["Var"]["span"]
            heads.append((span["start"], span["end"]))
    return heads


def probed(source: str, heads: list[tuple[int, int]], first: int) -> str:
    """The module with its deny rules numbered from ``first`` apart, each still feeding ``deny``."""
    data = source.encode("utf-8")
    for number, (start, end) in reversed(list(enumerate(heads, first))):
        data = data[:start] + PROBE.format(number).encode() + data[end:]
    wrappers = "".join(
        f'\ndeny contains f if {{\n\tprint("aigov-probe", {n}, count({PROBE.format(n)}), concat(",", sort([x.id | some x in {PROBE.format(n)}])))'
        f"\n\tsome f in {PROBE.format(n)}\n}}\n"
        for n in range(first, first + len(heads)))
    return data.decode("utf-8") + wrappers


def probed_pack(pack: PolicyPack, sources: dict[str, str]) -> tuple[dict[str, str], dict[int, str]]:
    """``sources`` (the pack's modules as an engine loads them) with every deny rule numbered apart,
    and rule number -> the id aigov read from its METADATA."""
    owners: dict[int, str] = {}
    modules = {}
    for path, source in sources.items():
        info = pack.infos[path]
        heads = deny_heads(path, source)
        assert [meta.line for meta in info.rules] == sorted(meta.line for meta in info.rules) and len(heads) == len(info.rules)
        modules[path] = probed(source, heads, len(owners))
        owners.update({len(owners) + i: meta.id for i, meta in enumerate(info.rules)})
    return modules, owners


def record(prints: list[str], emitted: dict[int, set[str]]) -> dict[int, int]:
    """Add the ids each probed rule printed to ``emitted``; rule number -> how many findings it made."""
    counts = {}
    for line in prints:
        match = PRINTED.search(line)
        if match:
            rule = int(match.group("rule"))
            emitted[rule] |= set(filter(None, match.group("ids").split(",")))
            counts[rule] = int(match.group("count"))
    return counts


def observed() -> tuple[dict[int, str], dict[int, set[str]], dict[int, set[str]], dict[int, set[str]], list[str]]:
    """Rule number -> its METADATA id; per rule, the ids it emitted, the tests it fired in, the tests
    it was quiet in; and the tests that fail with the rules apart."""
    pack = build_pack(OrgConfig(), include_tests=True)
    modules, owners = probed_pack(pack, pack.embedded_modules())  # as a check loads them
    engine = new_regorus()
    for path, source in modules.items():
        engine.add_policy(path, source)
    engine.add_data_json(json.dumps(pack.data))
    engine.set_gather_prints(True)
    engine.set_input_json("{}")
    emitted, fired, quiet = defaultdict(set), defaultdict(set), defaultdict(set)
    failed = []
    for info in pack.infos.values():
        for test in info.tests:
            name = f"data.{info.package}.{test}"
            if engine.eval_rule_as_json(name) != "true":
                failed.append(name)
            for rule, count in record(engine.take_prints(), emitted).items():
                (fired if count else quiet)[rule].add(name)
    return owners, emitted, fired, quiet, failed


def emitted_on_opa() -> tuple[dict[int, str], dict[int, set[str]]]:
    """Rule number -> its METADATA id, and the ids each rule emitted in the pack's Rego tests on real OPA,
    which evaluates the modules as written."""
    from opa_bindings import OpaEngine

    pack = build_pack(OrgConfig(), include_tests=True)
    modules, owners = probed_pack(pack, pack.modules)
    emitted: dict[int, set[str]] = defaultdict(set)
    with OpaEngine() as engine:  # closed here: see OpaStub._content_changed for why it matters
        for path, source in modules.items():
            engine.add_policy(path, source)
        engine.add_data(pack.data)
        engine.eval_document("aigov", {})  # every test package at once: OPA compiles the pack once per query
        record([message for message, _ in engine.last_prints], emitted)
    return owners, emitted


def retyped_ids(pack: PolicyPack) -> list[str]:
    """Rules that write their id out instead of reading it from their METADATA."""
    read = {rule_id for info in pack.infos.values() for *_, rule_id in info.metadata_ids}
    return sorted(set(pack.rules) - read)


def defects() -> dict[str, list[str]]:
    """What the pack's rules and tests get wrong, by kind."""
    owners, emitted, fired, quiet, failed = observed()
    pack = build_pack(OrgConfig())
    assert len(owners) == len(pack.rules) > 60
    return {
        "retype their id": retyped_ids(pack),
        "fail with the rules apart": failed,
        "emit another id": sorted(f"{owners[n]}: {sorted(ids)}" for n, ids in emitted.items() if ids != {owners[n]}),
        "never fire in a test": sorted(owners[n] for n in owners if not fired[n]),
        "never stay quiet in a test": sorted(owners[n] for n in owners if not quiet[n]),
    }


def test_every_rule_reads_and_emits_its_own_id_and_has_a_firing_and_a_quiet_test() -> None:
    assert defects() == {"retype their id": [], "fail with the rules apart": [], "emit another id": [], "never fire in a test": [],
                         "never stay quiet in a test": []}


@pytest.mark.usefixtures("opa_oracle")
def test_on_real_opa_every_rule_emits_the_id_aigov_read_from_its_metadata() -> None:
    """OPA reads rego.metadata.rule() from the METADATA as it parses it, aigov joins findings to the
    METADATA as it parses it: the two agree for every rule (each fires in some test, so each is seen)."""
    owners, emitted = emitted_on_opa()
    assert dict(emitted) == {rule: {rule_id} for rule, rule_id in owners.items()}


@pytest.mark.parametrize("file, old, new, expected", [
    pytest.param("aigov/config.rego", "rego.metadata.rule().custom.id", '"AIGOV-EVAL-004"',
                 ("emit another id", ["AIGOV-CONFIG-001: ['AIGOV-EVAL-004']"]), id="a-rule-with-another-packages-id"),
    pytest.param("aigov/config.rego", "rego.metadata.rule().custom.id", '"AIGOV-CONFIG-001"',
                 ("retype their id", ["AIGOV-CONFIG-001"]), id="a-rule-retyping-its-id"),
    pytest.param("aigov/config_test.rego", "test_", "skipped_", ("never fire in a test", ["AIGOV-CONFIG-001"]), id="a-rule-without-tests"),
])
def test_the_check_finds_a_mislabelled_rule_and_an_untested_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str,
                                                                 old: str, new: str, expected: tuple[str, list[str]]) -> None:
    """The pack's own mistakes the load cannot see: a rule emitting another package's id or writing out
    its own, a rule no test exercises."""
    copy = tmp_path / "policies"
    shutil.copytree(policies_dir(), copy)
    module = copy / file
    assert old in module.read_text()
    module.write_text(module.read_text().replace(old, new))
    monkeypatch.setattr(loading, "policies_dir", lambda: copy)
    kind, rules = expected
    assert defects()[kind] == rules
