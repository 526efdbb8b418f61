"""Every output format, from real checks of real feature repositories: what a user or CI sees.

SARIF is validated against the official SARIF 2.1.0 schema vendored under tests/data/sarif.
Waivers and PR changes come from other parts of the PR gate; where a test needs a waived
finding or a change, it takes a real check's result and marks it, as those parts will.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from aigov.check import run_check
from aigov.check.options import CheckOptions
from aigov.model import CheckResult
from aigov.report import reporter_for
from conftest import CLOCK, assert_clean_error, check, make_feature, run_cli, run_limited, write

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
WAIVER = {"rule": "AIGOV-MODEL-004", "feature": "support-summarize", "path": None, "reason": "migration booked for Q1",
          "ticket": "GOV-42", "approver": "@acme/ai-platform", "created": "2026-11-01", "expires": "2026-12-15",
          "file": ".aigov/waivers.yaml", "line": 2}


# --- helpers ---------------------------------------------------------------------------------

def validate_sarif(document: dict[str, Any]) -> None:
    from jsonschema import Draft4Validator

    raw = SARIF_SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SARIF_SCHEMA_SHA256, "the vendored SARIF schema changed"
    schema = json.loads(raw)
    Draft4Validator.check_schema(schema)
    errors = sorted(Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def deprecated_feature(tmp_path: Path) -> Path:
    """A feature on a deprecated model past its sunset: two blocking findings on aigov.yaml:10."""
    return make_feature(tmp_path / "repo", model="gpt-3.5-turbo", provider="openai")


def without_sbom(repo: Path) -> Path:
    """A low-tier feature with no SBOM: AIGOV-SBOM-007, a medium finding that does not block by default."""
    (repo / "sbom.cdx.json").unlink()
    manifest = repo / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("  sbom: sbom.cdx.json\n", "").replace("riskTier: medium", "riskTier: low"))
    return repo


def result_of(path: Path) -> CheckResult:
    return run_check(path, CheckOptions(now=CLOCK))


def with_waiver(result: CheckResult, rule: str = "AIGOV-MODEL-004") -> CheckResult:
    """The result as the waiver engine gives it when a waiver covers ``rule``'s finding."""
    findings = [dataclasses.replace(f, waived=True, blocking=False, waiver=dict(WAIVER)) if f.id == rule else f
                for f in result.findings]
    verdict = "fail" if any(f.blocking for f in findings) else "pass"
    return dataclasses.replace(result, findings=findings, verdict=verdict,
                               waivers=[{**WAIVER, "state": "expiring"}, {**WAIVER, "rule": "AIGOV-EVAL-006", "state": "stale"}])


def render(name: str, result: CheckResult) -> str:
    return reporter_for(name).render(result)


# --- SARIF -----------------------------------------------------------------------------------

def test_sarif_of_a_failing_check_validates_and_says_what_code_scanning_needs(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    run = check(repo, "--format", "sarif")
    assert run.exit_code == 1
    document = json.loads(run.stdout)
    validate_sarif(document)
    sarif_run = document["runs"][0]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "aigov" and driver["semanticVersion"]
    assert sarif_run["invocations"] == [{"executionSuccessful": True}]
    assert "%SRCROOT%" in sarif_run["originalUriBaseIds"] and sarif_run["automationDetails"]["id"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) == run_cli("policy", "list").stdout.count("\n")  # every rule in the pack
    results = {r["ruleId"]: r for r in sarif_run["results"]}
    assert set(results) == {"AIGOV-MODEL-004", "AIGOV-MODEL-006"}
    for rule_id, result in results.items():
        rule = driver["rules"][result["ruleIndex"]]
        assert rule["id"] == rule_id and rule["properties"]["security-severity"] == "8.0"
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] == result["level"] == "error"
        location = result["locations"][0]["physicalLocation"]
        assert location == {"artifactLocation": {"uri": "aigov.yaml", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 10}}
        assert "gpt-3.5-turbo" in result["message"]["text"]
        assert len(result["partialFingerprints"]["aigovFindingHash/v1"]) == 64
        assert "suppressions" not in result
    banned = next(rule for rule in driver["rules"] if rule["id"] == "AIGOV-MODEL-003")
    assert banned["properties"]["security-severity"] == "9.5"  # critical
    assert any(tag.startswith("EU-AI-Act:") for tag in banned["properties"]["tags"])


def test_sarif_levels_follow_what_blocks(tmp_path: Path) -> None:
    """A medium finding is a warning by default and an error when the org config makes medium block."""
    repo = without_sbom(make_feature(tmp_path / "repo"))
    levels = {r["ruleId"]: r["level"] for r in json.loads(check(repo, "--format", "sarif").stdout)["runs"][0]["results"]}
    assert levels == {"AIGOV-SBOM-007": "warning"}
    config = write(tmp_path / "org" / "aigov-org.yaml", "block: [critical, high, medium]\n")
    levels = {r["ruleId"]: r["level"] for r in json.loads(check(repo, "--format", "sarif", "--config", str(config)).stdout)["runs"][0]["results"]}
    assert levels == {"AIGOV-SBOM-007": "error"}


def test_sarif_waived_finding_is_an_accepted_external_suppression(tmp_path: Path) -> None:
    document = json.loads(render("sarif", with_waiver(result_of(deprecated_feature(tmp_path)))))
    validate_sarif(document)
    results = {r["ruleId"]: r for r in document["runs"][0]["results"]}
    assert results["AIGOV-MODEL-004"]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "migration booked for Q1; ticket GOV-42; approved by @acme/ai-platform",
    }]
    assert "suppressions" not in results["AIGOV-MODEL-006"]


def test_sarif_location_without_line_has_no_region_and_uri_is_encoded(tmp_path: Path) -> None:
    result = result_of(deprecated_feature(tmp_path))
    finding = dataclasses.replace(result.findings[0], path="my feature/aigov.yaml", line=None)
    document = json.loads(render("sarif", dataclasses.replace(result, findings=[finding])))
    validate_sarif(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "my%20feature/aigov.yaml", "uriBaseId": "%SRCROOT%"}}


def test_sarif_fingerprints_survive_line_shifts_and_prefer_the_findings_own(tmp_path: Path) -> None:
    result = result_of(deprecated_feature(tmp_path))
    assert result.findings[0].fingerprint  # every check sets one; below, the fallback for results built by hand
    first = dataclasses.replace(result.findings[0], fingerprint="")
    shifted = dataclasses.replace(first, line=(first.line or 0) + 7)
    other_feature = dataclasses.replace(first, feature="another")
    own = dataclasses.replace(first, fingerprint="f" * 16)
    prints = [r["partialFingerprints"]["aigovFindingHash/v1"] for r in json.loads(render(
        "sarif", dataclasses.replace(result, findings=[first, shifted, other_feature, own])))["runs"][0]["results"]]
    assert prints[0] == prints[1] != prints[2]
    assert prints[3] == "f" * 16


def test_sarif_and_json_on_error_say_aigov_could_not_decide(tmp_path: Path) -> None:
    """A failed run leaves documents that say so, never last run's clean report."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.sarif", "a.json", "a.xml"):
        (out / name).write_text("stale report from an earlier run")
    run = run_cli("check", str(tmp_path / "missing"), "--sarif", str(out / "a.sarif"), "--json", str(out / "a.json"),
                  "--junit", str(out / "a.xml"))
    assert run.exit_code == 2 and "is not a directory" in run.stderr
    sarif = json.loads((out / "a.sarif").read_text())
    validate_sarif(sarif)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "is not a directory" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert json.loads((out / "a.json").read_text())["verdict"] == "error"
    suites = ET.parse(out / "a.xml").getroot()
    assert suites.get("errors") == "1" and "is not a directory" in suites.find(".//error").get("message")


# --- GitHub annotations and job summary ------------------------------------------------------

def test_github_annotations_one_line_per_finding(tmp_path: Path) -> None:
    repo = without_sbom(deprecated_feature(tmp_path))
    run = check(repo, "--format", "github")
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("::error file=aigov.yaml,line=10,title=AIGOV-MODEL-004 Model is deprecated::model gpt-3.5-turbo is deprecated%0Afix: ")
    assert lines[1].startswith("::error file=aigov.yaml,line=10,title=AIGOV-MODEL-006 ")
    assert lines[2].startswith("::warning file=aigov.yaml") and "title=AIGOV-SBOM-007 " in lines[2]


def test_github_annotations_escape_what_the_repository_wrote(tmp_path: Path) -> None:
    """A model id with a newline, '%', ':' and ',' cannot end the command or issue one of its own."""
    repo = make_feature(tmp_path / "a,b:c", model="gpt-3.5-turbo", provider="openai")
    manifest = repo / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("id: gpt-3.5-turbo", 'id: "evil 100%\\n::error file=x::pwned, yes"'))
    run = check(repo, "--format", "github")
    lines = run.stdout.splitlines()
    assert lines and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines), run.stdout
    assert not any(line.startswith("::error file=x") for line in lines)
    model = next(line for line in lines if "AIGOV-MODEL-001" in line)
    # The repository's newline is shown as \n, as in every other output; % is escaped for the runner.
    assert "evil 100%25\\n::error file=x::pwned, yes" in model
    assert "title=AIGOV-MODEL-001 Model is not in the approved-model registry::" in model


def test_github_escapes_properties_as_actions_toolkit_does(tmp_path: Path) -> None:
    result = result_of(deprecated_feature(tmp_path))
    finding = dataclasses.replace(result.findings[0], path="a,b:c/100%.yaml", line=3, title="x:y,z")
    line = render("github", dataclasses.replace(result, findings=[finding])).strip()
    assert line.startswith("::error file=a%2Cb%3Ac/100%25.yaml,line=3,title=AIGOV-MODEL-004 x%3Ay%2Cz::")


def test_github_appends_the_job_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    repo = deprecated_feature(tmp_path)
    run = check(repo, "--format", "github")
    assert run.exit_code == 1 and run.stdout.startswith("::error ")
    text = summary.read_text()
    assert text.startswith("## an earlier step\n## aigov: ❌ FAIL")
    assert "1 feature checked, 2 blocking findings." in text
    assert "### support-summarize" in text
    assert "| Severity | Rule | Title | Location | Message | Fix |" in text
    assert ("| high (blocking) | AIGOV-MODEL-004 | Model is deprecated | aigov.yaml:10 | model gpt-3.5-turbo is deprecated "
            "| Migrate off gpt-3.5-turbo: use one approved for medium tier: anthropic.claude-haiku-3-5, anthropic.claude-sonnet-4, gpt-4o |") in text
    # gpt-4o-mini, its replacement, is approved for low tier only; the alternatives are chat models like it.
    assert "policy pack " in text and "authority: policy pack" in text
    check(repo, "--format", "github")
    assert summary.read_text().count("## aigov:") == 2  # appended, as GitHub expects from each step


def test_github_on_a_pass_says_so_in_one_notice_and_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = check(make_feature(tmp_path / "repo"), "--format", "github")
    assert run.exit_code == 0
    assert run.stdout == "::notice title=aigov::PASS  1 feature checked, no blocking findings\n"
    assert summary.read_text().startswith("## aigov: ✅ PASS\n\n1 feature checked, no blocking findings.")


def test_github_on_a_pass_with_warnings_annotates_them_and_says_it_passed(tmp_path: Path) -> None:
    run = check(without_sbom(make_feature(tmp_path / "repo")), "--format", "github")
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("::warning file=aigov.yaml") and "AIGOV-SBOM-007" in lines[0]
    assert lines[1] == "::notice title=aigov::PASS  1 feature checked, no blocking findings, 1 non-blocking finding"


def test_job_summary_says_when_aigov_could_not_decide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = run_cli("check", str(tmp_path / "missing"), "--format", "github")
    assert run.exit_code == 2
    assert run.stdout == f"::error title=aigov could not decide::{tmp_path / 'missing'}: is not a directory\n"
    text = summary.read_text()
    assert text.startswith("## aigov: ⚠️ ERROR\n\naigov could not decide: ") and text.endswith("missing: is not a directory\n")


def test_no_summary_without_the_variable_and_markdown_is_the_same_renderer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = deprecated_feature(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    markdown = check(repo, "--format", "markdown").stdout
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    check(repo, "--format", "github")
    assert summary.read_text() == markdown


def test_summary_shows_waivers_with_expiry_and_what_changed(tmp_path: Path) -> None:
    result = with_waiver(result_of(deprecated_feature(tmp_path)))
    result.change = {"base": "a" * 40, "head": "b" * 40, "pr": 17,
                     "files": [{"path": "aigov.yaml", "status": "modified"}, "prompts/summarize.prompt"]}
    text = render("markdown", result)
    assert "| high (waived) | AIGOV-MODEL-004 |" in text
    assert "### Waivers" in text
    assert "| expiring | AIGOV-MODEL-004 | support-summarize | 2026-12-15 | migration booked for Q1; ticket GOV-42; approved by @acme/ai-platform |" in text
    assert "| stale | AIGOV-EVAL-006 |" in text
    assert "aaaaaaaaaaaa..bbbbbbbbbbbb (pull request #17): 2 files changed." in text
    assert "- aigov.yaml (modified)" in text and "- prompts/summarize.prompt" in text


def test_markdown_neutralises_html_and_links_from_the_repository(tmp_path: Path) -> None:
    repo = make_feature(tmp_path / "repo")
    manifest = repo / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace(
        "id: anthropic.claude-sonnet-4", 'id: "<img src=https://x/p.png> [click](https://x) | a"'))
    text = check(repo, "--format", "markdown").stdout
    assert "<img" not in text and "&lt;img src=https://x/p.png&gt;" in text
    assert "\\[click\\](https://x) \\| a" in text
    for row in (line for line in text.splitlines() if line.startswith("| ")):
        assert row.count(" | ") == 5  # the cells stay six columns


def test_summary_stays_under_githubs_size_cap(tmp_path: Path) -> None:
    result = result_of(deprecated_feature(tmp_path))
    many = [dataclasses.replace(result.findings[0], message=f"finding {i}") for i in range(1003)]
    text = render("markdown", dataclasses.replace(result, findings=many, features=[*result.features, "quiet_one"]))
    assert sum(line.startswith("| high") for line in text.splitlines()) == 1000
    assert "… and 3 more: see the JSON or SARIF report." in text
    assert len(text.encode()) < 1024 * 1024
    assert "No findings in quiet\\_one." in text


# --- JUnit -----------------------------------------------------------------------------------

def test_junit_one_testcase_per_rule_and_feature(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    make_feature(root / "svc-a", name="svc-a", repo=root)
    make_feature(root / "svc-b", name="svc-b", model="gpt-3.5-turbo", provider="openai", repo=root)
    without_sbom(root / "svc-a")
    run = check(root, "--format", "junit")
    assert run.exit_code == 1
    suites = ET.fromstring(run.stdout)
    rules = run_cli("policy", "list").stdout.count("\n")
    assert suites.tag == "testsuites"
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors"), suites.get("skipped")) == (str(2 * rules), "2", "0", "0")
    by_name = {suite.get("name"): suite for suite in suites}
    assert set(by_name) == {"svc-a", "svc-b"}
    a, b = by_name["svc-a"], by_name["svc-b"]
    assert (a.get("tests"), a.get("failures")) == (str(rules), "0")
    assert (b.get("tests"), b.get("failures")) == (str(rules), "2")
    failed = sorted(case.get("name").split()[0] for case in b.iter("testcase") if case.find("failure") is not None)
    assert failed == ["AIGOV-MODEL-004", "AIGOV-MODEL-006"]
    failure = next(case for case in b.iter("testcase") if case.get("name").startswith("AIGOV-MODEL-004")).find("failure")
    assert failure.get("type") == "high" and "svc-b/aigov.yaml:10" in failure.text and "fix: " in failure.text
    # A non-blocking finding leaves its test passed and is shown in system-out.
    sbom = next(case for case in a.iter("testcase") if case.get("name").startswith("AIGOV-SBOM-007"))
    assert sbom.find("failure") is None and "medium (not blocking)" in sbom.find("system-out").text
    assert all(case.get("classname") == "aigov.svc-a" for case in a.iter("testcase"))


def test_junit_waived_finding_is_skipped_with_its_justification(tmp_path: Path) -> None:
    suites = ET.fromstring(render("junit", with_waiver(result_of(deprecated_feature(tmp_path)))))
    assert (suites.get("failures"), suites.get("skipped")) == ("1", "1")
    case = next(case for case in suites.iter("testcase") if case.get("name").startswith("AIGOV-MODEL-004"))
    assert case.find("skipped").get("message") == "waived until 2026-12-15: migration booked for Q1; ticket GOV-42; approved by @acme/ai-platform"


def test_junit_is_well_formed_whatever_the_repository_wrote(tmp_path: Path) -> None:
    repo = make_feature(tmp_path / "repo")
    manifest = repo / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("id: anthropic.claude-sonnet-4", 'id: "a\\x01b <&\\"\'> ]]>"'))
    run = check(repo, "--format", "junit")
    case = next(c for c in ET.fromstring(run.stdout).iter("testcase") if c.get("name").startswith("AIGOV-MODEL-001"))
    assert "a\\x01b <&\"'> ]]>" in case.find("failure").get("message")  # the control character shown, not lost


# --- text ------------------------------------------------------------------------------------

def test_text_lists_waived_findings_apart_with_their_expiry(tmp_path: Path) -> None:
    text = render("text", with_waiver(result_of(deprecated_feature(tmp_path))))
    assert text.startswith("FAIL  1 feature checked, 1 blocking finding, 1 waived\n")
    blocking, waived = text.split("\nWAIVED (1, not blocking)\n")
    assert "AIGOV-MODEL-004" not in blocking and "AIGOV-MODEL-006" in blocking
    assert waived.startswith("  AIGOV-MODEL-004  Model is deprecated\n    aigov.yaml:10: model gpt-3.5-turbo is deprecated\n"
                             "    waived until 2026-12-15: migration booked for Q1; ticket GOV-42; approved by @acme/ai-platform\n")


def test_text_has_no_waived_section_without_waivers(tmp_path: Path) -> None:
    assert "WAIVED" not in check(deprecated_feature(tmp_path)).stdout


# --- several outputs from one run -------------------------------------------------------------

def test_one_run_writes_every_output_and_none_is_judged_next_time(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    options = ["--format", "text", "-o", str(repo / "aigov.txt"), "--sarif", str(repo / "aigov.sarif"),
               "--junit", str(repo / "aigov.xml"), "--json", str(repo / "aigov.json"), "--markdown", str(repo / "summary.md")]
    first = check(repo, *options)
    assert first.exit_code == 1 and first.stdout == ""
    assert (repo / "aigov.txt").read_text().startswith("FAIL  1 feature checked, 2 blocking findings")
    validate_sarif(json.loads((repo / "aigov.sarif").read_text()))
    assert ET.parse(repo / "aigov.xml").getroot().get("failures") == "2"
    document = json.loads((repo / "aigov.json").read_text())
    assert [f["id"] for f in document["findings"]] == ["AIGOV-MODEL-004", "AIGOV-MODEL-006"]
    assert "## aigov: ❌ FAIL" in (repo / "summary.md").read_text()
    # The reports name gpt-4o-mini (the replacement); judged as the feature's files, they would
    # add findings. The same run options leave them out, so the verdict holds.
    second = check(repo, *options)
    assert second.exit_code == 1
    assert [f["id"] for f in json.loads((repo / "aigov.json").read_text())["findings"]] == ["AIGOV-MODEL-004", "AIGOV-MODEL-006"]
    judged = check(repo, "--format", "json").json()  # a run that does not own them judges them
    assert len(judged["findings"]) > 2


def test_main_format_to_stdout_with_extra_files(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    run = check(repo, "--format", "github", "--sarif", str(out / "a.sarif"))
    assert run.stdout.startswith("::error ") and (out / "a.sarif").is_file()


def test_unwritable_output_is_a_one_line_error_naming_the_file(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    target = tmp_path / "no-such-folder" / "aigov.sarif"
    run = check(repo, "--sarif", str(target))
    assert_clean_error(run, str(target), "cannot write the report")
    run = check(repo, "--junit", str(tmp_path))
    assert_clean_error(run, str(tmp_path), "cannot write the report")


def test_two_reports_in_one_file_is_an_error(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    target = tmp_path / "report.json"
    run = check(repo, "--format", "sarif", "-o", str(target), "--json", str(target))
    assert_clean_error(run, str(target), "both the sarif and the json report")


def test_unwritable_job_summary_is_a_one_line_error(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    run = run_cli("check", str(repo), "--now", CLOCK, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(tmp_path)})
    assert run.stdout.startswith("::error ")
    assert_clean_error(run, str(tmp_path), "cannot write the report")


def test_output_through_a_planted_symlink_is_refused(tmp_path: Path) -> None:
    """The checked tree may carry a link named like the report, pointing at a file outside it."""
    repo = deprecated_feature(tmp_path)
    victim = tmp_path / "outside.txt"
    victim.write_text("precious\n")
    (repo / "aigov.sarif").symlink_to(victim)
    run = check(repo, "--sarif", str(repo / "aigov.sarif"))
    assert_clean_error(run, "aigov.sarif", "symbolic link")
    assert victim.read_text() == "precious\n"


def test_output_to_a_fifo_without_reader_does_not_hang(tmp_path: Path) -> None:
    repo = deprecated_feature(tmp_path)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    run = run_limited("check", str(repo), "--now", CLOCK, "--json", str(fifo), timeout=60)
    assert_clean_error(run, "report.fifo", "cannot write the report")


def test_every_format_is_in_the_help_and_text_stays_light(tmp_path: Path) -> None:
    """`aigov check` runs on every pull request: a text report loads no other reporter and no XML."""
    run = run_cli("check", "--help")
    for option in ("--sarif", "--junit", "--json", "--markdown", "github", "junit", "sarif"):
        assert option in run.stdout
    import subprocess
    import sys

    code = ("import atexit, sys\n"
            "heavy = ('xml.etree.ElementTree', 'aigov.report.sarif', 'aigov.report.junit', 'aigov.report.markdown')\n"
            "atexit.register(lambda: print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr))\n"
            "from aigov.cli import main\n"
            "main(sys.argv[1:])\n")
    proc = subprocess.run([sys.executable, "-c", code, "check", str(deprecated_feature(tmp_path)), "--now", CLOCK],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout.startswith("FAIL")
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_the_json_report_and_its_error_document_follow_their_schema(tmp_path: Path) -> None:
    """schemas/check-result.schema.json documents --format json; conftest.decision validates every report
    a test reads, and an error report (exit 2) is its own documented shape, never a pass."""
    from conftest import assert_check_result, check, write

    broken = tmp_path / "broken"
    write(broken / "aigov.yaml", "apiVersion: [\n")
    error = check(broken, "--format", "json")
    assert error.exit_code == 2
    assert_check_result(error.json())
    with pytest.raises(AssertionError):
        assert_check_result({**error.json(), "verdict": "pass"})  # an error can never read as a pass
    with pytest.raises(AssertionError):
        assert_check_result({"verdict": "pass", "findings": []})
