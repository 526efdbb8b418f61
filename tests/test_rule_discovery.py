"""The engine says what runs: rules are read from the engine's parsed modules, and a rule that could be
listed but never run, or run differently on the two engines, is refused when the pack loads.

Every module here is a repository's own policy (``.aigov/config.yaml`` ``policies:``) or an org
rule, loaded by the real CLI and evaluated by the real embedded engine (regorus).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigov.errors import AigovError
from aigov.policy.engine import Engine, make_engine
from aigov.policy.metadata import ModuleInfo, RuleMeta
from aigov.policy.pack import PolicyPack
from conftest import assert_clean_error, check, check_json, org_config, run_cli, write
from opa_stub import OpaStub

HEAD = "package acme.extra\n\nimport rego.v1\n\n"


def metadata(rule_id: str, severity: str = "high") -> str:
    return f"# METADATA\n# title: {rule_id} rule\n# custom:\n#   id: {rule_id}\n#   severity: {severity}\n"


def add_policies(feature: Path, files: dict[str, str]) -> None:
    """The repository's own policy folder (its own namespace) holding ``files``."""
    write(feature / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
    for name, source in files.items():
        (feature / ".aigov/policies").mkdir(parents=True, exist_ok=True)
        (feature / ".aigov/policies" / name).write_text(source, encoding="utf-8")


def only_finding(feature: Path) -> dict:
    doc = check_json(feature)
    assert doc["verdict"] == "fail", doc
    [finding] = [f for f in doc["findings"] if f["id"].startswith("ACME-")]
    return finding


# --- Rules the engine sees are the rules that run ---------------------------------------------------


def test_an_indented_deny_rule_is_evaluated(feature: Path) -> None:
    """Valid Rego the old line-pattern reader skipped: the rule was never evaluated and the check passed."""
    add_policies(feature, {"org.rego": HEAD + metadata("ACME-1") + '  deny contains {"id": "ACME-1", "msg": "always"} if {\n    true\n  }\n'})
    finding = only_finding(feature)
    assert (finding["id"], finding["severity"], finding["title"]) == ("ACME-1", "high", "ACME-1 rule")


def test_a_deny_head_split_over_lines_is_evaluated(feature: Path) -> None:
    add_policies(feature, {"org.rego": HEAD + metadata("ACME-1") + 'deny\n  contains {"id": "ACME-1", "msg": "split"}\n  if true\n'})
    assert only_finding(feature)["message"] == "split"


def test_metadata_on_a_rule_that_is_not_deny_fails_the_load_naming_it(feature: Path) -> None:
    """`violation contains` with full METADATA was listed by `policy list`, counted, and never evaluated."""
    add_policies(feature, {"org.rego": HEAD + metadata("ACME-1") + 'violation contains {"id": "ACME-1", "msg": "x"} if true\n'})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:5:", "rule 'violation'", "never evaluates", "deny contains")


@pytest.mark.parametrize("rule", [
    pytest.param('deny := {"id": "ACME-1", "msg": "x"} if false\n', id="single-value"),
    pytest.param('deny[x] := "ACME-1" if x := 1\n', id="object"),
    pytest.param('deny.extra contains {"id": "ACME-1", "msg": "x"} if true\n', id="ref-head"),
])
def test_a_deny_that_is_not_a_set_of_findings_fails_the_load(feature: Path, rule: str) -> None:
    add_policies(feature, {"org.rego": HEAD + metadata("ACME-1") + rule})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:10:", "is not a set of findings", "deny contains finding if")


def test_a_deny_rule_without_metadata_is_found_wherever_it_is_written(feature: Path) -> None:
    add_policies(feature, {"org.rego": HEAD + 'helper := 1\n\n   deny contains {"id": "ACME-1", "msg": "x"} if true\n'})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:7:", "no METADATA")


def test_metadata_that_annotates_no_rule_fails_the_load(feature: Path) -> None:
    add_policies(feature, {"org.rego": HEAD + 'deny contains {"id": "ACME-1", "msg": "x"} if false\n\n' + metadata("ACME-2")})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:7:", "annotates no rule")


def test_metadata_text_inside_a_raw_string_is_not_metadata(feature: Path) -> None:
    """A raw string spanning lines is not a comment, whatever it holds."""
    text = "`\n# METADATA\n# custom:\n#   id: ACME-9\n`"
    add_policies(feature, {"org.rego": HEAD + metadata("ACME-1") + f'deny contains {{"id": "ACME-1", "msg": m}} if m := {text}\n'})
    finding = only_finding(feature)
    assert finding["id"] == "ACME-1" and "ACME-9" in finding["message"]


def test_a_copied_rule_that_kept_another_rules_id_fails_the_load(feature: Path) -> None:
    """Its findings would carry the other rule's METADATA (severity, remediation)."""
    source = (HEAD + metadata("ACME-1", "low") + 'deny contains {"id": "ACME-1", "msg": "a"} if input.feature.name == "x"\n\n'
              + metadata("ACME-2", "critical") + 'deny contains {"id": "ACME-1", "msg": "b"} if true\n')
    add_policies(feature, {"org.rego": source})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:17:", "rule ACME-2 names ACME-1", "line 10")


def test_two_rules_of_one_module_declaring_the_same_id_fail_the_load(feature: Path) -> None:
    """One id, two METADATA blocks: which severity and remediation a finding gets would depend on order."""
    source = (HEAD + metadata("ACME-1", "low") + 'deny contains {"id": "ACME-1", "msg": "a"} if input.feature.name == "x"\n\n'
              + metadata("ACME-1", "critical") + 'deny contains {"id": "ACME-1", "msg": "b"} if input.feature.name == "y"\n')
    add_policies(feature, {"org.rego": source})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:17:", "finding id ACME-1 is already used at .aigov/policies/org.rego:10")


def test_policy_list_names_the_rules_the_engine_evaluates(tmp_path: Path) -> None:
    """`policy list` reads the same discovery: the indented rule is listed, a `violation` rule refuses the list."""
    config = org_config(tmp_path / "org", "policies: [policies]\n",
                        {"policies/org.rego": HEAD + metadata("ACME-1") + '  deny contains {"id": "ACME-1", "msg": "x"} if false\n'})
    listed = run_cli("policy", "list", "--config", str(config), "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert [(rule["id"], rule["line"]) for rule in json.loads(listed.stdout) if rule["id"].startswith("ACME-")] == [("ACME-1", 10)]
    write(tmp_path / "org/policies/org.rego", HEAD + metadata("ACME-1") + 'violation contains "x" if false\n')
    assert_clean_error(run_cli("policy", "list", "--config", str(config)), "org.rego:5:", "rule 'violation'")


# --- Builtins the engines do not evaluate alike, or that leave the input ------------------------


@pytest.mark.parametrize("call, fragment", [
    pytest.param('http.send({"method": "GET", "url": "https://policy.example.com"}).status_code == 200', "http.send reaches the network", id="http.send"),
    pytest.param("time.now_ns() > 0", "time.now_ns reads the wall clock", id="time.now_ns"),
    pytest.param('opa.runtime().env.CI == "true"', "opa.runtime reads the engine's own environment", id="opa.runtime"),
    pytest.param('crypto.sha256("a") == "b"', "crypto.sha256, which is neither a function of package acme.extra nor a builtin", id="crypto"),
    pytest.param('rego.metadata.chain()[0].path[0] == "acme"', "rego.metadata.chain is not implemented by the embedded engine",
                 id="rego.metadata.chain"),
    pytest.param('rego.metadata.rule().title == "x"', "rego.metadata.rule is not implemented by the embedded engine; aigov supplies "
                 "only a deny rule's own id, written rego.metadata.rule().custom.id", id="rego.metadata.rule"),
    pytest.param('strings.count(input.feature.name, "aa") > 1', "strings.count counts overlapping matches", id="strings.count"),
    pytest.param('semver.is_valid(input.feature.name)', 'semver.is_valid rejects a leading "v"', id="semver"),
    pytest.param('yaml.unmarshal("on: yes").on', "yaml.unmarshal reads yes/no/on/off", id="yaml"),
    pytest.param('sprintf("%5s", [input.feature.name]) == "x"', "sprintf format %5s renders differently", id="sprintf-width"),
    pytest.param('sprintf("%.2f", [input.feature.score]) == "x"', "sprintf format %.2f", id="sprintf-precision"),
    pytest.param('regex.match(`^v\\d+$`, input.feature.name)', "regex.match pattern uses \\d", id="regex-shorthand"),
    pytest.param('regex.replace(input.feature.name, `\\s+`, "-") == "x"', "regex.replace pattern uses \\s", id="regex-replace"),
])
def test_a_call_the_engines_do_not_evaluate_alike_is_refused_at_load(feature: Path, call: str, fragment: str) -> None:
    """Behind a condition that never holds: before, each loaded and passed (exit 0), the call never reached."""
    rule = metadata("ACME-1") + f'deny contains {{"id": "ACME-1", "msg": "x"}} if {{\n\tinput.feature.never\n\t{call}\n}}\n'
    add_policies(feature, {"org.rego": HEAD + rule})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:12:", fragment)


def test_an_org_rule_calling_http_send_is_refused_too(feature: Path, tmp_path: Path) -> None:
    rule = HEAD + metadata("ORG-1") + 'deny contains {"id": "ORG-1", "msg": "x"} if {\n\tr := http.send({"method": "GET", "url": "http://127.0.0.1:9"})\n\tr.status_code != 200\n}\n'
    config = org_config(tmp_path / "org", "policies: [policies]\n", {"policies/org.rego": rule})
    assert_clean_error(check(feature, "--config", str(config)), "org/policies/org.rego:11:", "http.send reaches the network")


def test_a_literal_backslash_before_d_is_not_a_shorthand_class(feature: Path) -> None:
    rule = metadata("ACME-1") + 'deny contains {"id": "ACME-1", "msg": "x"} if regex.match(`^\\\\d$`, `\\d`)\n'
    add_policies(feature, {"org.rego": HEAD + rule})
    assert only_finding(feature)["id"] == "ACME-1"


def test_a_function_another_module_of_the_package_defines_is_not_a_builtin(feature: Path) -> None:
    """Calls are resolved against the package across the folder's modules, whatever the file order."""
    add_policies(feature, {
        "a_rules.rego": HEAD + metadata("ACME-1") + 'deny contains {"id": "ACME-1", "msg": shout(input.feature.name)} if true\n',
        "b_helpers.rego": HEAD + 'shout(text) := upper(text)\n',
    })
    assert only_finding(feature)["message"] == "SUPPORT-SUMMARIZE"


def test_a_misspelt_builtin_fails_the_load_not_only_when_its_line_is_reached(feature: Path) -> None:
    rule = metadata("ACME-1") + 'deny contains {"id": "ACME-1", "msg": "x"} if {\n\tinput.feature.never\n\tstarts_with(input.feature.name, "x")\n}\n'
    add_policies(feature, {"org.rego": HEAD + rule})
    assert_clean_error(check(feature), ".aigov/policies/org.rego:12:", "starts_with, which is neither a function of package acme.extra")


# --- An undefined deny is an error on both engines ---------------------------------------------------


def undefined_deny_pack() -> PolicyPack:
    """A pack whose deny is undefined for the input, made by hand: loading refuses the module (deny is a
    single value), so this is what an engine sees only if something else let it through. The engine
    must still not read it as "no findings"."""
    source = 'package acme.extra\n\nimport rego.v1\n\ndeny := d if d := input.never\n'
    meta = RuleMeta("ACME-1", "t", "high", "", "", (), "acme.extra", "deny", "acme/extra.rego", 5)
    pack = PolicyPack(data={"aigov": {}})
    pack.modules["acme/extra.rego"] = source
    pack.infos["acme/extra.rego"] = ModuleInfo("acme.extra", [meta])
    return pack


@pytest.fixture
def opa_url(opa_oracle: None) -> Iterator[str]:
    """The loopback OPA, which evaluates with real OPA (opa-golib-python-bindings)."""
    stub = OpaStub()
    yield stub.start()
    stub.stop()


def test_an_undefined_deny_is_an_error_naming_the_package_on_the_embedded_engine() -> None:
    """Before, the embedded engine read an undefined deny as no findings and the check passed."""
    assert_undefined_deny_refused(make_engine("regorus", 30.0))


def test_an_undefined_deny_is_an_error_naming_the_package_on_an_opa_server(opa_url: str) -> None:
    """Through tests/opa_stub.py, a loopback OPA REST server evaluating with the real OPA v1.20.2."""
    assert_undefined_deny_refused(make_engine("opa", 30.0, {"url": opa_url}))


def assert_undefined_deny_refused(engine: Engine) -> None:
    try:
        engine.prepare(undefined_deny_pack())
        with pytest.raises(AigovError, match=r"data\.acme\.extra\.deny is undefined on .*package acme\.extra"):
            engine.evaluate_all([{"feature": {"name": "svc"}}])
    finally:
        engine.close()


def test_a_rule_emitting_the_id_of_another_packages_rule_is_an_error(feature: Path) -> None:
    """Before, a repository's own rule could report a finding as AIGOV-MODEL-001, with that shipped rule's
    title, severity and controls vouching for it."""
    rule = metadata("ACME-1") + 'deny contains {"id": concat("-", ["AIGOV", "MODEL", "001"]), "msg": "x"} if true\n'
    add_policies(feature, {"org.rego": HEAD + rule})
    assert_clean_error(check(feature), "package acme.extra produced finding id AIGOV-MODEL-001", "package aigov.models")


# --- A rule reads its id from its METADATA ---------------------------------------------------------

OWN_ID_RULE = HEAD + "import data.aigov.lib\n\n" + metadata("ACME-7") + (
    'deny contains finding if {\n'
    '\tnot startswith(lib.manifest.metadata.owner, "team-x")\n'
    '\tfinding := lib.finding(rego.metadata.rule().custom.id, "owner is not team-x", lib.manifest_field("metadata.owner"))\n'
    '}\n')


def test_a_rule_reading_its_id_from_its_metadata_is_judged_with_that_id(feature: Path) -> None:
    """Before, rego.metadata.rule() was refused (the embedded engine has none), so each rule wrote its id out."""
    add_policies(feature, {"org.rego": OWN_ID_RULE})
    finding = only_finding(feature)
    assert (finding["id"], finding["severity"], finding["title"], finding["message"]) == ("ACME-7", "high", "ACME-7 rule", "owner is not team-x")
    assert (finding["path"], finding["line"]) == ("aigov.yaml", 5)  # the owner line, through lib.manifest_field


def test_a_rule_reading_its_id_from_its_metadata_gets_the_same_finding_from_an_opa_server(feature: Path, opa_url: str) -> None:
    """Through tests/opa_stub.py, a loopback OPA REST server evaluating with the real OPA v1.20.2: OPA reads
    the id from the METADATA itself, the embedded engine gets it from aigov."""
    add_policies(feature, {"org.rego": OWN_ID_RULE})
    embedded = check_json(feature)["findings"]
    assert check_json(feature, "--engine", "opa", "--opa-url", opa_url)["findings"] == embedded
    assert [f["id"] for f in embedded if f["id"].startswith("ACME-")] == ["ACME-7"]


def test_policy_test_runs_a_rule_reading_its_id_from_its_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "org"
    write(folder / "org.rego", OWN_ID_RULE)
    write(folder / "org_test.rego", "package acme.extra_test\n\nimport rego.v1\n\nimport data.acme.extra\n\n"
          "test_fires if {\n\tsome f in extra.deny with input as {\"feature\": {\"manifest\": {\"metadata\": {\"owner\": \"team-y\"}}, "
          "\"manifest_path\": \"aigov.yaml\", \"lines\": {}}}\n\tf.id == \"ACME-7\"\n}\n")
    run = run_cli("policy", "test", str(folder))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "PASS  acme.extra_test.test_fires" in run.stdout


def test_an_engine_error_names_the_column_of_the_file_not_of_the_id_written_in(feature: Path) -> None:
    line = 'deny contains {"id": rego.metadata.rule().custom.id, "msg": sprintf("%d", [to_number("x")])} if true'
    add_policies(feature, {"org.rego": HEAD + metadata("ACME-1") + line + "\n"})
    column = line.index('"x"') + 2  # where the engine reports the bad argument: its text
    assert_clean_error(check(feature), ".aigov/policies/org.rego:10:", f"could not parse string as number (column {column})")


@pytest.mark.parametrize("source, fragment", [
    pytest.param(HEAD + 'ids contains rego.metadata.rule().custom.id if true\n\n' + metadata("ACME-1")
                 + 'deny contains {"id": i, "msg": "x"} if some i in ids\n',
                 ":5: rego.metadata.rule().custom.id in rule 'ids', which has no METADATA", id="in-a-helper-rule"),
    pytest.param(HEAD + "  " + metadata("ACME-1").replace("\n#", "\n  #") + '  deny contains {"id": rego.metadata.rule().custom.id, "msg": "x"} if true\n',
                 ":5: rego.metadata.rule().custom.id of ACME-1: its METADATA block is indented, and OPA reads only blocks at column 1",
                 id="below-an-indented-block"),
    pytest.param(HEAD + metadata("1e3") + 'deny contains {"id": rego.metadata.rule().custom.id, "msg": "x"} if true\n',
                 ":10: rego.metadata.rule().custom.id: custom.id '1e3' is not a plain id", id="an-id-yaml-readers-disagree-on"),
])
def test_a_metadata_id_the_engines_could_read_differently_is_refused_at_load(feature: Path, source: str, fragment: str) -> None:
    """OPA ignores an indented METADATA block and reads 1e3 as a number: there the rule would emit no id,
    or another, while the embedded engine got the one aigov read."""
    add_policies(feature, {"org.rego": source})
    assert_clean_error(check(feature), ".aigov/policies/org.rego" + fragment)
