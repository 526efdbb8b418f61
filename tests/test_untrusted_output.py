"""What the checked repository wrote cannot steer aigov's output.

In a GitHub Actions log a line that starts (after white space) with ``::`` or holds ``##[`` is a
workflow command (``::add-mask::``, ``::error::``, ``::stop-commands::``); in a terminal an escape
sequence rewrites the screen; in Markdown and HTML text becomes markup. Each test puts such text
where the repository controls it (a waiver's ticket and reason, a model id, a folder name, a
commit subject) and reads every output aigov writes, as the runner and a reviewer would.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from conftest import check, make_feature, run_cli, write
from evidence_helpers import feature_repo
from repo_helpers import commit_all, git
from waiver_helpers import EVAL_WAIVER, merged_waiver, too_few_cases

# Text that becomes a command, rewrites a terminal or reorders what a reviewer reads.
PAYLOADS = {
    "newline": "GOV-17\n::add-mask::s3cret",
    "carriage return": "GOV-17\r::error title=pwned::all clear",
    "indented": "GOV-17\n    ::stop-commands::resume-me",
    "old form": "GOV-17 ##[add-mask]s3cret",
    "line separator": "GOV-17\u2028::warning::x",
    "terminal escape": "GOV-17\x1b[2K\x1b[1Aall clear",
    "right-to-left override": "GOV-17\u202e71-VOG",
}
# What no line of any output may carry raw, besides the line breaks between lines.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
FORMATS = ("text", "json", "sarif", "junit", "markdown", "github")


def runner_commands(output: str) -> list[str]:
    """The lines of ``output`` the GitHub runner would run as workflow commands (actions/runner's
    ActionCommand: ``::`` after leading white space, or ``##[`` anywhere in the line)."""
    return [line for line in output.splitlines() if line.lstrip().startswith("::") or "##[" in line]


def assert_inert(output: str, own_commands: int = 0) -> None:
    """No command but aigov's own annotations (one per finding: ``::error file=...``), no raw control character."""
    commands = runner_commands(output)
    assert len(commands) == own_commands, commands
    assert all(re.match(r"::(error|warning|notice) (file|title)=", line) for line in commands), commands
    assert not RAW_CONTROL.search(output.replace("\r\n", "\n")), repr(output[:2000])


def waived_repo(tmp_path: Path, ticket: str, reason: str = "the golden set grows next sprint") -> Path:
    """A repository whose blocking finding is waived on main by a waiver with this ticket and reason
    (AIGOV-WAIVER-002 also repeats the ticket in its message: the waiver expires soon)."""
    root = too_few_cases(tmp_path)
    text = EVAL_WAIVER.format(created="2026-11-01", expires="2026-12-01")
    text = text.replace("ticket: GOV-17", f"ticket: {json.dumps(ticket)}")
    text = text.replace("reason: the golden set grows to 25 cases next sprint", f"reason: {json.dumps(reason)}")
    merged_waiver(root, text)
    return root


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_waivers_ticket_and_reason_cannot_issue_a_workflow_command(tmp_path: Path, payload: str) -> None:
    root = waived_repo(tmp_path, ticket=payload, reason=f"because {payload}")
    for output_format in FORMATS:
        run = check(root, "--format", output_format)
        assert run.exit_code == 0, (output_format, run.stderr)
        findings = 3 if output_format == "github" else 0  # the waived finding, AIGOV-WAIVER-002 and the pass notice
        assert_inert(run.stdout + run.stderr, own_commands=findings)


def test_the_text_report_shows_what_the_waiver_says_on_its_own_line(tmp_path: Path) -> None:
    root = waived_repo(tmp_path, ticket="GOV-17\n::add-mask::s3cret")
    text = check(root).stdout
    assert "ticket GOV-17\\n::add-mask::s3cret; approved by alice" in text  # readable, and visibly odd
    assert "the golden set grows next sprint" in text


def test_machine_formats_keep_the_exact_text(tmp_path: Path) -> None:
    """Neutralised for the log, unchanged for the program that reads the document."""
    payload = "GOV-17 ##[add-mask]s3cret \u202e\u2028"
    root = waived_repo(tmp_path, ticket=payload)
    document = json.loads(check(root, "--format", "json").stdout)
    assert document["waivers"][0]["ticket"] == payload
    sarif = json.loads(check(root, "--format", "sarif").stdout)
    suppressed = next(r for r in sarif["runs"][0]["results"] if r.get("suppressions"))
    assert f"ticket {payload}" in suppressed["suppressions"][0]["justification"]


def test_a_path_in_the_one_line_error_cannot_issue_a_workflow_command(tmp_path: Path) -> None:
    """A folder named with a newline and a command, holding a manifest aigov cannot read: exit 2,
    and the error that names the folder stays one line, in every format."""
    root = tmp_path / "repo"
    folder = make_feature(root / "svc\n::add-mask::s3cret\n##[error]pwned")
    write(folder / "aigov.yaml", "apiVersion: aigov.dev/v1\nkind: AIFeature\nmetadata: [unclosed\n")
    for output_format in FORMATS:
        run = check(root, "--format", output_format)
        assert run.exit_code == 2, (output_format, run.stdout, run.stderr)
        errors = run.stderr.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("aigov: error: "), run.stderr
        assert "svc\\n::add-mask::s3cret\\n##\\[error]pwned/aigov.yaml" in errors[0]
        assert_inert(run.stdout + run.stderr, own_commands=1 if output_format == "github" else 0)


def test_the_error_document_of_a_machine_format_keeps_the_path(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = make_feature(root / "svc\n##[error]pwned")
    write(folder / "aigov.yaml", "metadata: [unclosed\n")
    run = check(root, "--format", "json")
    assert run.exit_code == 2
    assert "svc\n##[error]pwned/aigov.yaml" in json.loads(run.stdout)["error"]


def test_a_repository_rules_title_cannot_bring_markup_into_code_scanning(tmp_path: Path) -> None:
    """SARIF's help.markdown is rendered by code scanning: a rule the repository adds is plain text there."""
    root = make_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
    write(root / ".aigov/policies/own.rego", """\
package acme_repo.own

import rego.v1

# METADATA
# title: "Own ![pixel](https://tracker.example/p.png) <img src=x onerror=alert(1)>"
# custom:
#   id: ACME-OWN-001
#   severity: low
#   remediation: "[click here](https://evil.example) **now**"
deny contains {"id": "ACME-OWN-001", "msg": "always"} if true
""")
    sarif = json.loads(check(root, "--format", "sarif").stdout)
    rule = next(r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "ACME-OWN-001")
    markdown = rule["help"]["markdown"]
    assert "![" not in markdown and "<img" not in markdown and not re.search(r"(?<!\\)\]\(", markdown), markdown
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown and "\\[click here\\]" in markdown
    assert rule["help"]["text"] == "[click here](https://evil.example) **now**"  # plain text stays exact


def test_the_evidence_reports_markdown_is_as_safe_as_its_html(tmp_path: Path) -> None:
    """A commit subject with HTML, a remote image and a link: report.html escapes it, and so does report.md."""
    repo = feature_repo(tmp_path / "payments")
    manifest = repo / "svc" / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("id: anthropic.claude-sonnet-4\n      provider: bedrock",
                                                     "id: gpt-3.5-turbo\n      provider: openai"))
    subject = "swap <img src=x onerror=alert(1)> ![t](https://tracker.example/p.png) [x](https://evil.example) | y"
    commit_all(repo, subject, "2026-08-03T09:30:00Z")
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(tmp_path / "bundle.zip"))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        report = archive.read("report.md").decode()
        page = archive.read("report.html").decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img" not in page
    assert "<img" not in report and "![" not in report and not re.search(r"(?<!\\)\]\(", report), report
    row = next(line for line in report.splitlines() if "onerror" in line)
    assert "swap &lt;img src=x onerror=alert(1)&gt; !\\[t\\](https://tracker.example/p.png)" in row
    assert row.count(" | ") == 3  # the subject's "|" does not add a column


def test_every_repository_string_in_report_md_is_plain_text(tmp_path: Path) -> None:
    """Beyond commit subjects: a template name from .copier-answers.yml, the subject of a commit
    listed as a date anomaly, the commit a forged note claims to be about, the repository's name
    from its origin URL. None becomes markup, a link or an image in report.md."""
    hostile = "<img src=x onerror=alert(1)> ![t](https://tracker.example/p.png) [x](https://evil.example)"
    repo = feature_repo(tmp_path / "payments")
    git(repo, "remote", "add", "origin", "https://example.com/acme/<img src=x onerror=alert(1)>")
    write(repo / "svc" / ".copier-answers.yml", f"_aigov_template: '{hostile}'\n_commit: 1.0.0\n_src_path: gh:acme/t\n")
    commit_all(repo, "svc: paved road", "2026-08-01T09:00:00Z")
    write(repo / "svc" / "NOTES.md", "x\n")
    back = commit_all(repo, f"back-dated {hostile}", "2026-06-01T09:00:00Z")
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps({"commit": hostile, "verdict": "pass", "findings": [], "features": []}), back)
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "--now", "2026-12-07T00:00:00Z", "-o", str(tmp_path / "b.zip"))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        report = archive.read("report.md").decode()
        page = archive.read("report.html").decode()
    assert "<img" not in report and "![" not in report and not re.search(r"(?<!\\)\]\(", report), report
    assert "<img" not in page
    escaped = "&lt;img src=x onerror=alert(1)&gt; !\\[t\\](https://tracker.example/p.png)"
    lines = [line for line in report.splitlines() if escaped in line]
    assert any("back-dated" in line for line in lines)  # the anomaly's subject
    assert "DISAGREES: recorded for another commit (&lt;img src=x onerror=alert(1)&gt; !\\[t\\](https:)" in report  # the note's claim
    assert any(line.startswith("| " + escaped) for line in lines)  # the template, in the adoption table
    assert "\n- &lt;img src=x onerror=alert(1)&gt; commit " in report  # the repository's name


@pytest.mark.parametrize("name", ["demo\n", "demo\r\n", "demo\n::add-mask::x"])
def test_a_feature_name_is_matched_whole(tmp_path: Path, name: str) -> None:
    """The name pattern ends with $, which Python also matches before a final newline."""
    root = make_feature(tmp_path / "repo")
    manifest = root / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("name: support-summarize", f"name: {json.dumps(name)}"))
    run = check(root)
    assert run.exit_code == 2, run.stdout
    assert "aigov.yaml:4: metadata.name:" in run.stderr and run.stderr.count("\n") == 1, run.stderr


@pytest.mark.parametrize(("field", "value"), [("approver", "alice\n"), ("rule", "AIGOV-EVAL-006\n"),
                                              ("expires", "2026-12-01\n"), ("approver", "@acme/ai-platform\n")])
def test_waiver_fields_are_matched_whole(tmp_path: Path, field: str, value: str) -> None:
    root = too_few_cases(tmp_path)
    text = EVAL_WAIVER.format(created="2026-11-01", expires="2026-12-01")
    text, replaced = re.subn(rf"(?m)^(  - |    ){field}: .*$", lambda m: f"{m.group(1)}{field}: {json.dumps(value)}", text)
    assert replaced == 1
    merged_waiver(root, text)
    run = check(root)
    assert run.exit_code == 2, run.stdout
    assert ".aigov/waivers.yaml" in run.stderr and f"waivers[0].{field}" in run.stderr, run.stderr


NEW = ("--template", "agent", "--tier", "low", "--owner", "team-support", "--github-org", "acme", "--no-interactive")


@pytest.mark.parametrize("option", [["--owner", "team-support\n"], ["--github-org", "acme\n"],
                                    ["--risk-reviewers", "@acme/risk\n"], ["--repository", "acme/svc\n"],
                                    ["--aigov-source", "acme/aigov@v0.1.0\n"]])
def test_aigov_new_matches_names_whole(tmp_path: Path, option: list[str]) -> None:
    """A trailing newline would reach CODEOWNERS and the release signing identity."""
    run = run_cli("new", "demo-feature", *NEW, "--dest", str(tmp_path / "demo-feature"), *option)
    assert run.exit_code == 2, run.stdout
    assert f"{option[0]} {option[1]!r}" in run.stderr and not (tmp_path / "demo-feature").exists(), run.stderr


def test_aigov_new_refuses_a_feature_name_with_a_newline(tmp_path: Path) -> None:
    run = run_cli("new", "demo\n", *NEW, "--dest", str(tmp_path / "x"))
    assert run.exit_code == 2 and "invalid feature name 'demo\\n'" in run.stderr, run.stderr
    assert not (tmp_path / "x").exists()
