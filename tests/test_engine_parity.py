"""The embedded engine (regorus) and real OPA decide alike: the same policy tests pass, the same findings come out.

(a) every shipped policy test on both; (b) the example and every paved road, judged through the
CLI by both; (c) an organisation's own rules in the shapes org rules take (tests/data/org-rules),
their tests and their findings on four repositories; (d) builtins: each one aigov refuses for
answering differently (aigov.policy.builtins) really does, each one it allows exists on OPA and
agrees on the arguments org rules give it, and the differences aigov documents instead of
refusing are still there.

Real OPA semantics come from opa-golib-python-bindings (OPA v1.20.2 in-process); the repository
checks go through the real CLI to tests/opa_stub.py, a loopback OPA REST server on 127.0.0.1 that
stands in for a deployed OPA and evaluates with those bindings.

Constructs where regorus and OPA disagree, which the shipped pack therefore avoids:

- ``not f(x.missing)``, a function call inside ``not`` whose argument is an undefined reference
  (``not is_string(file.bundle)`` for a file without ``bundle``). regorus: the call is undefined,
  so ``not`` holds. OPA hoists the argument out of the negation (``__local0__ = file.bundle;
  not is_string(__local0__)``), so the whole body is undefined and the rule silently does not
  fire. The pack writes ``not is_string(object.get(file, "bundle", null))`` instead
  (sbom.rego ``line_or_start``; signing.rego ``expected_identity``, ``identity_flag``, ``bundle_name``).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigov.clock import utc_now
from aigov.config import OrgConfig
from aigov.policy.loading import build_pack
from aigov.policy.pack import PolicyPack
from aigov.policy.testing import run_policy_tests
from conftest import CLOCK, EXAMPLE, run_cli
from opa_stub import OpaStub

pytestmark = pytest.mark.usefixtures("opa_oracle")

TEMPLATES = ("rag-service", "agent", "classic-ml")
# Generated repositories carry today's review date, so they are judged on today's clock (one
# instant for both engines); the example on the fixed clock the other tests use.
TODAY = utc_now()


# --- (a) every shipped policy test, on both engines ----------------------------------------------


def opa_test_results(pack: PolicyPack, packages: set[str] | None = None) -> dict[str, bool]:
    """``package.test`` -> whether real OPA finds it true, for the test packages of ``pack`` (or of ``packages``)."""
    from opa_bindings import OpaEngine, OpaError

    results: dict[str, bool] = {}
    with OpaEngine() as engine:  # closed here: see OpaStub._content_changed for why it matters
        for path, source in pack.modules.items():
            engine.add_policy(path, source)
        engine.add_data(pack.data)
        for info in pack.infos.values():
            if not info.tests or (packages is not None and info.package not in packages):
                continue
            try:  # one evaluation per test package: OPA compiles the pack once per query
                document = engine.eval_document(info.package, {})
            except OpaError as exc:
                pytest.fail(f"OPA cannot evaluate {info.package}: {exc}")
            results.update({f"{info.package}.{name}": document.get(name) is True for name in info.tests})
    return results


def test_every_shipped_policy_test_passes_on_regorus_and_on_real_opa() -> None:
    pack = build_pack(OrgConfig(), include_tests=True)
    on_regorus = run_policy_tests(pack)
    on_opa = opa_test_results(pack)
    assert sorted(name for name, passed in on_opa.items() if not passed) == []
    assert [r for r in on_regorus.results if r.outcome != "pass"] == []
    assert set(on_opa) == {f"{r.package}.{r.name}" for r in on_regorus.results} and len(on_opa) > 100


# --- (b) the example and every paved road, judged by both engines ---------------------------------


@pytest.fixture(scope="module")
def opa_url() -> Iterator[str]:
    stub = OpaStub()
    yield stub.start()
    stub.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A repository per template, made once with the real `aigov new` (slow: copier and git)."""
    import os

    root = tmp_path_factory.mktemp("parity")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(root / "xdg-cache")  # the template cache, outside every checked tree
    try:
        repos = {}
        for template in TEMPLATES:
            dest = root / template
            run = run_cli("new", f"demo-{template}", "--template", template, "--tier", "high", "--owner", "team-demo",
                          "--dest", str(dest), "--github-org", "acme", "--no-interactive")
            assert run.exit_code == 0, run.stderr
            repos[template] = dest
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old
    return repos


def broken_copy(repo: Path, dest: Path) -> Path:
    """The repository with something wrong for most packages: an unapproved model, no model card, an
    unreadable SBOM, too few eval cases, no PR workflow and an unsigned release artefact."""
    shutil.copytree(repo, dest)
    manifest = dest / "aigov.yaml"
    manifest.write_text(re.sub(r'(- id: )"?[^"\n]+"?', r'\1"acme.unapproved-llm"', manifest.read_text(), count=1))
    (dest / "MODEL_CARD.md").unlink()
    (dest / "sbom.cdx.json").write_text("{")
    golden = dest / "evals" / "golden.jsonl"
    if golden.exists():
        golden.write_text("".join(golden.read_text().splitlines(keepends=True)[:2]))
    for workflow in (dest / ".github" / "workflows").glob("pr*.yml"):
        workflow.unlink()
    (dest / "dist").mkdir(exist_ok=True)
    (dest / "dist" / "demo-1.0.0-py3-none-any.whl").write_bytes(b"not signed")
    return dest


def findings_both_ways(path: Path, url: str, *extra: str, now: str = TODAY) -> tuple[list, list]:
    def judged(*engine: str) -> list:
        run = run_cli("check", str(path), "--now", now, "--format", "json", *extra, *engine)
        assert run.exit_code in (0, 1), run.stderr
        doc = run.json()
        return [doc["verdict"], doc["findings"]]  # every field of every finding, in report order

    return judged(), judged("--engine", "opa", "--opa-url", url)


def test_the_example_gets_the_same_findings_from_both_engines(opa_url: str) -> None:
    embedded, opa = findings_both_ways(EXAMPLE, opa_url, "--root", str(EXAMPLE), now=CLOCK)
    assert opa == embedded


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_generated_repository_gets_the_same_findings_from_both_engines(generated: dict[str, Path], opa_url: str,
                                                                        template: str, tmp_path: Path) -> None:
    as_generated = findings_both_ways(generated[template], opa_url)
    assert as_generated[1] == as_generated[0]
    verdict, findings = as_generated[0]
    assert verdict == "pass" and {f["id"] for f in findings} == {"AIGOV-DRAFT-001"}  # the drafts to review, said alike
    a_month_on = findings_both_ways(generated[template], opa_url, now=f"{(dt.date.today() + dt.timedelta(days=40)).isoformat()}T00:00:00Z")
    assert a_month_on[1] == a_month_on[0] and {f["id"] for f in a_month_on[0][1]} == {"AIGOV-DRAFT-002"}
    embedded, opa = findings_both_ways(broken_copy(generated[template], tmp_path / template), opa_url)
    ids = {f["id"] for f in embedded[1]}
    assert {"AIGOV-MODEL-001", "AIGOV-SIGN-001"} <= ids and len(ids) >= 5, ids  # many packages have something to say
    assert opa == embedded


# --- (c) an organisation's own rules, in the shapes org rules take ---------------------------------
# tests/data/org-rules: rules in their own packages, helpers in another package, `some ... in`,
# `every`, comprehensions, `else`, `default`, org data, the string, regex, glob, time and
# collection builtins such rules use, `with` in their tests.

ORG_RULES = Path(__file__).parent / "data" / "org-rules"


def test_the_org_rule_shapes_pass_their_tests_on_both_engines() -> None:
    pack = build_pack(OrgConfig(policies=[ORG_RULES / "acme"], data=[ORG_RULES / "data.yaml"]), include_tests=True)
    org_paths = {path for path in pack.modules if "org-rules" in path}
    on_regorus = run_policy_tests(pack, org_paths)
    on_opa = opa_test_results(pack, {pack.infos[path].package for path in org_paths})
    assert [(r.name, r.detail) for r in on_regorus.results if r.outcome != "pass"] == []
    assert sorted(name for name, passed in on_opa.items() if not passed) == []
    assert set(on_opa) == {f"{r.package}.{r.name}" for r in on_regorus.results} and len(on_opa) >= 12
    assert on_regorus.coverage == 100.0


# Repositories the org rules have something to say about, as (file, old text, new text) edits of the example.
ORG_CASES = {
    "as-is": [],
    "badly-named": [("aigov.yaml", "name: support-summarize", "name: summarize-tmp-tickets-for-the-agent-on-duty-now"),
                    ("aigov.yaml", "owner: team-support", "owner: team-billing")],
    "high-tier-many-models": [
        ("aigov.yaml", "riskTier: medium", "riskTier: high"),
        ("aigov.yaml", "      purpose: summarization\n", "      purpose: chat\n    - id: claude-3-haiku\n      provider: bedrock\n"
                                                       "    - id: gpt-4o\n      provider: openai\n      purpose: embedding\n"),
        ("aigov.yaml", "description: Summarises long support tickets for the agent picking them up.",
         "description: \"Résumé des tickets — pour l'agent (ÉTÉ), Straße\""),
    ],
    "card-of-another-quarter": [("MODEL_CARD.md", "owners: [team-support]", "owners: [Ana, ' Bo ', TEAM-Ops]"),
                                ("MODEL_CARD.md", "last_reviewed: 2026-10-01", "last_reviewed: 2026-06-30")],
}


ORG_FINDINGS = {
    "as-is": [],
    "badly-named": ["ACME-NAME-001", "ACME-NAME-002", "ACME-NAME-004", "ACME-REVIEW-003"],
    "high-tier-many-models": ["ACME-MODEL-002", "ACME-MODEL-003", "ACME-NAME-003"],
    "card-of-another-quarter": ["ACME-REVIEW-001", "ACME-REVIEW-003"],
}


@pytest.fixture(scope="module")
def org_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org")
    config = folder / "aigov-org.yaml"
    config.write_text(f"policies: [{ORG_RULES / 'acme'}]\ndata: [{ORG_RULES / 'data.yaml'}]\n")
    return config


@pytest.mark.parametrize("case", ORG_CASES)
def test_org_rules_give_the_same_findings_from_both_engines(opa_url: str, org_config_file: Path, tmp_path: Path, case: str) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    for name, old, new in ORG_CASES[case]:
        text = (repo / name).read_text()
        assert old in text, (name, old)
        (repo / name).write_text(text.replace(old, new))
    embedded, opa = findings_both_ways(repo, opa_url, "--root", str(repo), "--config", str(org_config_file), now=CLOCK)
    assert sorted({f["id"] for f in embedded[1] if f["id"].startswith("ACME-")}) == ORG_FINDINGS[case]
    assert opa == embedded


# --- (d) builtins: what aigov refuses (aigov.policy.builtins) and what it lets through ---------------


def evaluated_both_ways(expression: str) -> tuple[object, object]:
    """The value of one expression on regorus and on real OPA ("error" when the engine fails on it)."""
    import json

    from opa_bindings import OpaEngine

    from aigov.policy.rego_ast import new_regorus

    source = f"package probe\n\nimport rego.v1\n\nvalue := answer if answer := {expression}\n"
    engine = new_regorus()
    engine.add_policy("probe.rego", source)
    engine.set_input_json("{}")
    try:
        embedded = json.loads(engine.eval_rule_as_json("data.probe.value"))
    except Exception:
        embedded = "error"
    with OpaEngine() as opa:
        try:
            opa.add_policy("probe.rego", source)
            real = opa.eval_document("probe", {}).get("value", "<undefined>")
        except Exception:
            real = "error"
    return embedded, real


# One call per refused builtin on which the engines answer differently: the evidence for refusing it.
UNFAITHFUL_EVIDENCE = {
    "strings.count": 'strings.count("aaaa", "aa")',
    "glob.quote_meta": 'glob.quote_meta("*?[")',
    "semver.is_valid": 'semver.is_valid("v1.0.0")',
    "semver.compare": 'semver.compare("v1.0.0", "1.0.0")',
    "json.marshal": 'json.marshal({"a": "<&>", "b": 1.0})',
    "json.marshal_with_options": 'json.marshal_with_options({"a": "<&>"}, {"pretty": false})',
    "json.match_schema": 'json.match_schema({"a": 1}, {"type": "object", "required": ["b"]})',
    "json.verify_schema": 'json.verify_schema({"type": "nope"})',
    "yaml.unmarshal": 'yaml.unmarshal("c: yes")',
    "yaml.marshal": 'yaml.marshal({"a": "yes"})',
    "uuid.parse": 'uuid.parse("00000000-0000-0000-0000-000000000000")',
}


def test_every_builtin_refused_as_unfaithful_really_differs() -> None:
    from aigov.policy.builtins import UNFAITHFUL

    assert set(UNFAITHFUL_EVIDENCE) == set(UNFAITHFUL)
    same = [call for call in UNFAITHFUL_EVIDENCE.values() if len(set(map(repr, evaluated_both_ways(call)))) == 1]
    assert same == [], "these now agree: let aigov.policy.builtins allow them"


@pytest.mark.parametrize("expression", [
    'sprintf("%5s|", ["a"])', 'sprintf("%.0f", [2.5])', 'sprintf("%x", ["hi"])', 'sprintf("%f", [3.25])',
    'regex.match(`\\d`, "٣")', 'regex.match(`\\w`, "é")', 'regex.match(`\\s`, "\\u00a0")',
])
def test_the_argument_forms_aigov_refuses_really_differ(expression: str) -> None:
    """sprintf widths, precision and other verbs, and shorthand classes in regex literals (aigov.policy.builtins)."""
    embedded, real = evaluated_both_ways(expression)
    assert embedded != real


def test_every_builtin_aigov_allows_is_one_opa_has() -> None:
    from opa_bindings import OpaEngine

    from aigov.policy.builtins import OUTSIDE_WORLD, UNFAITHFUL, engine_builtins

    allowed = sorted(engine_builtins() - set(OUTSIDE_WORLD) - set(UNFAITHFUL))
    unknown = []
    for name in allowed:
        with OpaEngine() as opa:
            try:  # no arguments: OPA names an arity mismatch for a builtin it has, an undefined function otherwise
                opa.add_policy("probe.rego", f"package probe\n\nimport rego.v1\n\nvalue if {name}()\n")
                opa.eval_document("probe", {})
            except Exception as exc:
                if "undefined function" in str(exc):
                    unknown.append(name)
    assert unknown == [] and len(allowed) > 100


# The builtins org rules reach for, on the arguments they get: both engines answer alike.
AGREEING = [
    'sprintf("%s has %d of %v (%q) %%", ["svc", 3, [1, "a"], "x"])', 'sprintf("%v", [{"b": [1, {"c": null}], "a": {"x"}}])',
    'format_int(255, 16)', 'concat(",", {"b", "a"})', 'split("a.b.c", ".")', 'replace("aaa", "a", "b")',
    'strings.replace_n({"a": "1", "b": "2"}, "ab")', 'indexof("héllo", "l")', 'substring("héllo", 1, 3)', 'lower("ÀB")',
    'upper("straight")', 'trim("  x ", " ")', 'trim_space("\\t x \\n")', 'trim_prefix("team-a", "team-")', 'trim_suffix("a.md", ".md")',
    'strings.reverse("héllo")', 'strings.any_prefix_match(["a/b"], ["a/"])', 'strings.any_suffix_match("abc", "c")',
    'indexof_n("abab", "b")', 'contains("abc", "")', 'startswith("abc", "ab")', 'endswith("abc", "")', 'count("héllo")',
    'regex.match("^[a-z][a-z0-9-]{2,39}$", "svc-1")', 'regex.match("(?i)ABC", "abc")', 'regex.split("[*?]", "svc/*/x")',
    'regex.replace("a.b.c", "[.]", "/")', 'regex.find_n("[0-9]+", "a1b22c333", -1)', 'regex.find_all_string_submatch_n("(a)(b)?", "ab a", -1)',
    'regex.is_valid("(")', 'regex.template_match("urn:foo:{.*}", "urn:foo:bar:baz", "{", "}")', 'regex.match("(?m)^b", "a\\nb")',
    'glob.match("svc/**", ["/"], "svc/a/b")', 'glob.match("*.yaml", [], "a/b.yaml")', 'glob.match("{a,b}*", [], "bcd")',
    'glob.match("[a-c]x", [], "bx")', 'glob.match("svc/*/config.yaml", ["/"], "svc/evals/config.yaml")', 'glob.match("*", ["/"], "a/b")',
    'time.parse_rfc3339_ns("2026-11-23T12:00:00.5+01:00")', 'time.parse_ns("2006-01-02", "2026-02-28")', 'time.format(0)',
    'time.date(1700000000000000000)', 'time.add_date(0, 0, 1, 31)', 'time.diff(0, 100000000000000000)', 'time.weekday(0)',
    'time.clock(0)', 'time.parse_duration_ns("1h30m")', 'units.parse("1.5Gi")', 'units.parse_bytes("10KB")',
    'json.unmarshal("{\\"a\\": 1e3}")', 'json.is_valid("{")', 'json.filter({"a": {"b": 1, "c": 2}}, ["a/b"])',
    'json.remove({"a": {"b": 1, "c": 2}}, ["a/b"])', 'json.patch({"a": 1}, [{"op": "add", "path": "/b", "value": 2}])',
    'net.cidr_contains("10.0.0.0/8", "10.1.2.3")', 'net.cidr_expand("192.168.0.0/30")', 'net.cidr_is_valid("10.0.0.0/33")',
    'urlquery.encode_object({"a": ["1", "2"], "b": "x y"})', 'urlquery.decode_object("a=1&a=2&b=x")', 'base64.encode("héllo")',
    'object.union({"a": {"b": 1}}, {"a": {"c": 2}})', 'object.union_n([{"a": 1}, {"a": 2, "b": 3}])', 'object.filter({"a": 1, "b": 2}, ["a"])',
    'object.remove({"a": 1, "b": 2}, {"a"})', 'object.subset({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}})', 'object.keys({"a": 1})',
    'object.get({"a": {"b": 1}}, ["a", "b"], 0)', 'array.slice([1, 2, 3], 1, 10)', 'array.reverse([1, 2])', 'array.concat([1], [2])',
    'sort([3, "a", null, 1, {"x": 1}, [0], false])', 'numbers.range(3, 1)', 'sum([1, 2])', 'product([2, 3])', 'max({1, 3})',
    'round(2.5)', 'floor(-1.1)', 'abs(-3)', 'to_number("1e3")', 'type_name({1})', 'union({{1}, {2}})', 'intersection({{1, 2}, {2}})',
    'graph.reachable({"a": ["b"], "b": []}, ["a"])', '7 % 3', '10 / 4', 'count({x | some x in [1, 1, 2]})',
]


@pytest.mark.parametrize("expression", AGREEING)
def test_the_builtins_org_rules_use_agree_on_both_engines(expression: str) -> None:
    embedded, real = evaluated_both_ways(expression)
    assert embedded == real


# Differences aigov cannot refuse where they matter (the argument is data or input, not a literal) and
# documents instead (README, "Writing rules"). Kept here so the list stays true: when one starts to
# agree, take it off the list.
KNOWN_DIFFERENCES = [
    'glob.match("svc/**/*.yaml", ["/"], "svc/x.yaml")',  # ** matching no folder at all: regorus yes, OPA no
    'glob.match("**.yaml", ["/"], "a/b.yaml")',  # ** inside a name: regorus no, OPA yes
    "0.1 + 0.2",  # OPA computes in decimal, regorus in binary floating point
    'sprintf("%v", [1.5e-7])',  # how a float is written
    'upper("straße")',  # full Unicode case mapping on regorus, simple on OPA
    'to_number(" 1")',  # regorus trims, OPA refuses
    'time.format([1700000000000000000, "America/New_York", "Mon Jan 2 15:04:05 MST 2006"])',  # zone abbreviations
]


@pytest.mark.parametrize("expression", KNOWN_DIFFERENCES)
def test_the_documented_differences_are_still_differences(expression: str) -> None:
    embedded, real = evaluated_both_ways(expression)
    assert embedded != real
