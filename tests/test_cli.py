"""The command line itself: version, help with examples, facts, policy list and policy test."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from aigov import __version__
from aigov.cli import main
from aigov.resources import load_schema
from conftest import EXAMPLE, ORG_RULE, make_feature, run_cli, write


def test_version() -> None:
    result = run_cli("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def _all_commands(group, prefix=()):
    import click

    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("command", list(_all_commands(main)))
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout or "Commands:" in result.stdout


def test_facts_match_the_input_schema(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    write(root / "src/app.py", 'MODEL = "anthropic.claude-sonnet-4"\n')
    result = run_cli("facts", str(root), "--now", "2026-01-01T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    [doc] = json.loads(result.stdout)
    registry = Registry().with_resources(
        [(load_schema(n)["$id"], Resource.from_contents(load_schema(n))) for n in ("manifest", "input")]
    )
    jsonschema.Draft202012Validator(load_schema("input"), registry=registry).validate(doc)
    assert doc["now"] == "2026-01-01T00:00:00Z"
    assert doc["feature"]["model_references"] == [
        {"model": "anthropic.claude-sonnet-4", "spelled": "anthropic.claude-sonnet-4", "bare": "anthropic.claude-sonnet-4",
         "registered": True, "how": "config", "path": "src/app.py", "line": 1}
    ]
    assert doc["feature"]["declared_models"] == [
        {"id": "anthropic.claude-sonnet-4", "model": "anthropic.claude-sonnet-4", "registered": True, "bare": "anthropic.claude-sonnet-4"}]
    assert doc["feature"]["lines"]["spec.models[0].id"] == 10


def test_facts_for_one_feature(tmp_path: Path) -> None:
    make_feature(tmp_path / "a", name="a")
    make_feature(tmp_path / "b", name="b")
    result = run_cli("facts", str(tmp_path), "--feature", "b")
    assert [d["feature"]["name"] for d in json.loads(result.stdout)] == ["b"]
    missing = run_cli("facts", str(tmp_path), "--feature", "c")
    assert missing.exit_code == 2 and "no feature named 'c'" in missing.stderr


def test_policy_list_shows_every_shipped_rule() -> None:
    result = run_cli("policy", "list", "--format", "json")
    rules = json.loads(result.stdout)
    ids = [r["id"] for r in rules]
    assert "AIGOV-MODEL-001" in ids and "AIGOV-CARD-001" in ids and "AIGOV-MANIFEST-001" in ids
    assert all(r["title"] and r["severity"] and r["remediation"] and r["controls"] for r in rules)
    text = run_cli("policy", "list").stdout
    assert any(line.split() == ["AIGOV-MODEL-003", "critical", "Model", "is", "banned"] for line in text.splitlines())


def test_shipped_pack_tests_pass_with_full_coverage() -> None:
    result = run_cli("policy", "test", "--coverage-min", "90")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout


ORG_TEST = """\
package acme.names_test

import rego.v1

import data.acme.names

test_prefix_passes if {
	count(names.deny) == 0 with input as {"feature": {"name": "acme-x"}}
}

test_missing_prefix_is_found if {
	count(names.deny) == 1 with input as {"feature": {"name": "x"}}
}
"""


def test_policy_test_on_an_org_folder_reports_results_and_coverage(tmp_path: Path) -> None:
    write(tmp_path / "org/names.rego", ORG_RULE)
    write(tmp_path / "org/names_test.rego", ORG_TEST)
    result = run_cli("policy", "test", str(tmp_path / "org"), "-v")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "PASS  acme.names_test.test_missing_prefix_is_found" in result.stdout
    assert "2 passed, 0 failed" in result.stdout
    assert "names.rego: lines 14" in result.stdout  # the helper no test reached
    low = run_cli("policy", "test", str(tmp_path / "org"), "--coverage-min", "99")
    assert low.exit_code == 1 and "below --coverage-min" in low.stderr


def test_policy_test_failure_exits_1_and_names_the_test(tmp_path: Path) -> None:
    write(tmp_path / "org/names.rego", ORG_RULE)
    write(tmp_path / "org/names_test.rego", ORG_TEST.replace('"acme-x"', '"wrong"'))
    result = run_cli("policy", "test", str(tmp_path / "org"))
    assert result.exit_code == 1
    assert "FAIL  acme.names_test.test_prefix_passes" in result.stdout
    assert "1 passed, 1 failed" in result.stdout


def test_policy_test_without_tests_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "org/names.rego", ORG_RULE)
    result = run_cli("policy", "test", str(tmp_path / "org"))
    assert result.exit_code == 2 and "no test_* rules" in result.stderr


def test_example_facts_are_what_readme_promises() -> None:
    result = run_cli("facts", "--root", str(EXAMPLE))
    assert json.loads(result.stdout)[0]["feature"]["name"] == "support-summarize"


def test_the_program_delivers_every_report_before_it_exits(tmp_path: Path) -> None:
    """`aigov check` as a process leaves without the interpreter's teardown (aigov.commandline.exit_now):
    the exit code, standard output and every report file must still be complete, and a reader
    that stops early (`| head`) costs no traceback."""
    import subprocess
    import sys
    import xml.etree.ElementTree as ET

    root = make_feature(tmp_path / "repo", model="gpt-3.5-turbo", provider="openai")  # deprecated: blocking findings
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"
    command = [sys.executable, "-m", "aigov", "check", str(root), "--format", "json", "--sarif", str(sarif), "--junit", str(junit)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "fail"
    assert json.loads(sarif.read_text())["runs"][0]["results"]
    assert list(ET.parse(junit).getroot().iter("failure"))
    early = subprocess.run(f"{' '.join(command)} | head -c 1", shell=True, capture_output=True, text=True, timeout=120)
    assert early.stdout == "{" and "Traceback" not in early.stderr, early.stderr


def reader_gone(*args: str) -> tuple[int, str]:
    """``aigov ARGS | head -c 200`` where head has already left: aigov as a process whose standard output
    is a real pipe, closed before aigov writes to it. Its exit code and standard error."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "aigov", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    return proc.wait(timeout=120), stderr


@pytest.mark.parametrize("args", [("controls",), ("templates",), ("policy", "list", "--format", "json")])
def test_a_reader_that_leaves_early_ends_aigov_quietly(args: tuple[str, ...]) -> None:
    """Like `git log | head`: no "internal error", nothing on standard error, and not exit 0 (141,
    128 + SIGPIPE, as a shell reports a command a closed pipe stopped)."""
    assert reader_gone(*args) == (141, "")


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("check", "--help"), ("policy", "list", "--help")])
def test_help_and_version_whose_reader_left_end_as_a_command_does(args: tuple[str, ...]) -> None:
    """click writes --help and --version while it parses, before a command's own handling; its exit
    for a broken pipe is 1, the code for blocking findings."""
    assert reader_gone(*args) == (141, "")


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("check", "--help"), ("templates",)])
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    """Standard output on a full disk (/dev/full): one line that says so, never a traceback."""
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "aigov", *args], stdout=full, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("aigov: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "No space left on device" in proc.stderr


def test_a_check_whose_reader_leaves_early_says_so_in_its_report_files(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    sarif = tmp_path / "out.sarif"
    assert reader_gone("check", str(root), "--sarif", str(sarif)) == (141, "")
    assert "standard output was closed before aigov had written its report" in sarif.read_text()
