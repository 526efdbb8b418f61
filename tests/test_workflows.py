"""GitHub Actions workflows read as GitHub reads them, judged end to end through `aigov check`.

Each test writes a real feature (manifest, model card, eval config with 50 cases) and real workflow
files, then checks that the eval gate holds, or that the finding names the workflow file and the
line that breaks it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigov.facts.filters import included
from conftest import CLOCK, check, check_json, make_feature, org_config, run_cli, write
from repo_helpers import git

COMMAND = "python evals/run.py --config evals/config.yaml"


def feature_with_workflow(tmp_path: Path, workflow: str, name: str = "evals.yml", **files: str) -> Path:
    """A compliant feature whose only workflow is ``workflow`` (plus any ``files`` by relative path)."""
    root = make_feature(tmp_path / "repo")
    for old in (root / ".github/workflows").iterdir():
        old.unlink()
    write(root / ".github/workflows" / name, workflow)
    for rel, text in files.items():
        write(root / rel, text)
    return root


def pr_workflow(job: str = "", step: str = "", run: str = COMMAND, on: str = "pull_request:\n    branches: [main]") -> str:
    """A pull-request workflow whose `evals` job runs ``run``; ``job``/``step`` add keys at those levels."""
    return (
        "name: evals\n"
        f"on:\n  {on}\n"
        "jobs:\n"
        "  evals:\n"
        "    runs-on: ubuntu-latest\n"
        f"{job}"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - name: Run evals\n"
        f"{step}"
        f"        run: {run}\n"
    )


def findings(root: Path, *extra: str) -> list[dict[str, Any]]:
    return check_json(root, *extra)["findings"]


def located(root: Path) -> list[tuple[str, str, int]]:
    """Each finding as (id, path, line)."""
    return [(f["id"], f["path"], f["line"]) for f in findings(root)]


def line_of(root: Path, rel: str, text: str) -> int:
    """The 1-based line of the first line of ``rel`` that contains ``text``."""
    lines = (root / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def gate_facts(root: Path) -> dict[str, Any]:
    result = run_cli("facts", str(root), "--now", CLOCK)
    assert result.exit_code == 0, result.stderr
    return result.json()[0]["feature"]["eval_gate"]


WF = ".github/workflows/evals.yml"


# --- `on:` in every form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "on",
    [
        "on: pull_request",
        "on: [push, pull_request]",
        "on:\n  pull_request:\n  push:\n    branches: [main]",
        '"on":\n  pull_request:\n    branches: [main]',
        "on:\n  merge_group:",
        "on:\n  pull_request:\n    types: [opened, synchronize, reopened]",
    ],
)
def test_every_form_of_on_that_runs_on_pull_requests_gates(tmp_path: Path, on: str) -> None:
    workflow = pr_workflow().replace("on:\n  pull_request:\n    branches: [main]\n", on + "\n")
    root = feature_with_workflow(tmp_path, workflow)
    assert findings(root) == []


@pytest.mark.parametrize("on", ["on: push", "on: [push, workflow_dispatch]", "on:\n  schedule:\n    - cron: '0 3 * * *'"])
def test_workflow_not_triggered_by_pull_requests_is_no_gate(tmp_path: Path, on: str) -> None:
    workflow = pr_workflow().replace("on:\n  pull_request:\n    branches: [main]\n", on + "\n")
    root = feature_with_workflow(tmp_path, workflow)
    assert located(root) == [("AIGOV-EVAL-009", WF, 2)]


def test_pull_request_target_is_no_gate(tmp_path: Path) -> None:
    """pull_request_target runs the base branch's workflow on the base commit: the change is never evaluated."""
    workflow = pr_workflow(on="pull_request_target:\n    branches: [main]")
    [finding] = findings(feature_with_workflow(tmp_path, workflow))
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-009", WF, 3)
    assert "pull_request_target" in finding["message"] and "base branch" in finding["message"]


def test_yaml_extension_and_quoted_on_key_are_read(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(), name="evals.yaml")
    assert findings(root) == []
    assert gate_facts(root)["runs"][0]["workflow"] == ".github/workflows/evals.yaml"


# --- Branch filters and the default branch -----------------------------------------------------


@pytest.mark.parametrize("branches", ["branches: [main]", "branches: ['ma*']", "branches: ['**']", "branches-ignore: ['release/**']"])
def test_branch_filters_that_include_the_default_branch(tmp_path: Path, branches: str) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(on=f"pull_request:\n    {branches}"))
    assert findings(root) == []


@pytest.mark.parametrize(
    "branches", ["branches: ['release/**']", "branches-ignore: [main]", "branches: ['**', '!main']", "branches: ['main/*']"]
)
def test_branch_filters_that_leave_out_the_default_branch(tmp_path: Path, branches: str) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(on=f"pull_request:\n    {branches}"))
    [(rule, path, line)] = located(root)
    assert (rule, path, line) == ("AIGOV-EVAL-009", WF, 4)
    assert "pull requests to main" in findings(root)[0]["message"]


def test_default_branch_comes_from_origin_head(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(on="pull_request:\n    branches: [trunk]"))
    git(root, "init", "-q", "-b", "feature-x")
    git(root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert findings(root) == []
    assert gate_facts(root)["default_branch"] == "trunk"
    assert gate_facts(root)["default_branch_source"] == "git"


def test_checked_out_feature_branch_is_not_taken_for_the_default(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow())
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x")
    git(root, "checkout", "-q", "-b", "feature-x")
    facts = gate_facts(root)
    assert (facts["default_branch"], facts["default_branch_source"]) == ("main", "fallback")


def test_a_repository_with_one_branch_uses_it(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(on="pull_request:\n    branches: [develop]"))
    git(root, "init", "-q", "-b", "develop")
    assert findings(root) == []


def test_org_data_sets_the_default_branch(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(on="pull_request:\n    branches: [develop]"))
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-009"]
    org = org_config(tmp_path / "org", "data: [branch.yaml]\n", {"branch.yaml": "aigov:\n  settings:\n    evals:\n      default_branch: develop\n"})
    assert findings(root, "--config", str(org)) == []


def test_types_that_skip_new_commits(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(on="pull_request:\n    branches: [main]\n    types: [opened, labeled]"))
    assert located(root) == [("AIGOV-EVAL-009", WF, 5)]


# --- Path filters -----------------------------------------------------------------------------


def test_paths_filter_that_skips_prompts_and_manifest(tmp_path: Path) -> None:
    on = "pull_request:\n    branches: [main]\n    paths: ['src/**', 'evals/**']"
    root = feature_with_workflow(tmp_path, pr_workflow(on=on), **{"prompts/summarize.yaml": "template: hi\n"})
    write(root / "aigov.yaml", (root / "aigov.yaml").read_text() + "  prompts: prompts\n")
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-010", WF, 5)
    assert "aigov.yaml, prompts/summarize.yaml" in finding["message"]
    assert "evals/config.yaml" not in finding["message"]


@pytest.mark.parametrize(
    "paths",
    [
        "paths: ['**']",
        "paths: ['src/**', 'prompts/**', 'aigov.yaml', 'evals/**']",
        "paths: ['**.yaml', '**.jsonl']",
        "paths-ignore: ['docs/**', '**.md']",
    ],
)
def test_path_filters_that_cover_what_the_evals_depend_on(tmp_path: Path, paths: str) -> None:
    on = f"pull_request:\n    branches: [main]\n    {paths}"
    root = feature_with_workflow(tmp_path, pr_workflow(on=on), **{"prompts/summarize.yaml": "template: hi\n"})
    assert findings(root) == []


@pytest.mark.parametrize(
    "paths, skipped",
    [
        ("paths-ignore: ['prompts/**']", "prompts/summarize.yaml"),
        ("paths-ignore: ['*.yaml']", "aigov.yaml"),
        ("paths: ['**', '!evals/**']", "evals/config.yaml, evals/golden.jsonl"),
        ("paths: ['*.py']", "aigov.yaml, evals/config.yaml, evals/golden.jsonl, prompts/summarize.yaml"),
    ],
)
def test_path_filters_that_skip_what_the_evals_depend_on(tmp_path: Path, paths: str, skipped: str) -> None:
    on = f"pull_request:\n    branches: [main]\n    {paths}"
    root = feature_with_workflow(tmp_path, pr_workflow(on=on), **{"prompts/summarize.yaml": "template: hi\n"})
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-010", 5)
    assert skipped in finding["message"]


def test_merge_queue_runs_whatever_the_path_filter(tmp_path: Path) -> None:
    on = "pull_request:\n    branches: [main]\n    paths: ['src/**']\n  merge_group:"
    root = feature_with_workflow(tmp_path, pr_workflow(on=on))
    assert findings(root) == []


@pytest.mark.parametrize(
    "pattern, path, expected",
    [
        ("*.py", "app.py", True),
        ("*.py", "src/app.py", False),
        ("**.py", "src/deep/app.py", True),
        ("docs/*", "docs/a/b.md", False),
        ("docs/**", "docs/a/b.md", True),
        ("**/README.md", "README.md", True),
        ("**/README.md", "a/b/README.md", True),
        ("v2?.0", "v.0", True),
        ("v2?.0", "v2.0", True),
        ("v2?.0", "v22.0", False),
        ("ab+c", "abbbc", True),
        ("[a-c]at", "bat", True),
        ("[a-c]at", "rat", False),
        ("release/**", "release/1.0/hotfix", True),
        ("release/*", "release/1.0/hotfix", False),
    ],
)
def test_filter_patterns_follow_githubs_cheat_sheet(pattern: str, path: str, expected: bool) -> None:
    assert included([pattern], path) is expected


def test_negated_pattern_is_overridden_by_a_later_positive_one() -> None:
    assert included(["**", "!docs/**", "docs/keep.md"], "docs/keep.md")
    assert not included(["**", "!docs/**"], "docs/drop.md")


# --- Jobs, needs and `if:` ------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition, never",
    [
        ("false", True),
        ("${{ false }}", True),
        ("'false'", True),
        ("github.event_name == 'never'", True),
        ("github.event_name == 'push'", True),
        ("${{ github.ref == 'refs/heads/main' }}", True),
        ("startsWith(github.ref, 'refs/tags/')", True),
        ("github.event_name == 'schedule' && github.actor != 'x'", True),
        ("github.event.pull_request.draft == false", False),
        ("github.repository == 'acme/support' && github.event.pull_request.draft == false", False),
        ("github.event_name == 'pull_request' || github.event_name == 'push'", False),
        ("always()", False),
        ("success()", False),
        ("github.base_ref == 'main'", False),
    ],
)
def test_job_conditions_decided_statically_or_left_unknown(tmp_path: Path, condition: str, never: bool) -> None:
    """Conditions never true on pull requests skip the gate; ones that may be true leave it."""
    root = feature_with_workflow(tmp_path, pr_workflow(job=f"    if: {condition}\n"))
    assert located(root) == ([("AIGOV-EVAL-011", WF, 8)] if never else [])


@pytest.mark.parametrize(
    "condition",
    [
        "${{ !contains(github.event.pull_request.labels.*.name, 'skip-evals') }}",
        "contains(github.event.pull_request.labels.*.name, 'run-evals')",
        "github.event.label.name == 'evals'",
        "github.actor != 'dependabot[bot]'",
        "${{ github.event_name == 'push' || inputs.run_evals }}",
        "vars.RUN_EVALS == 'true'",
        "github.event.action == 'labeled'",
        "startsWith(github.head_ref, 'ai/')",
    ],
)
def test_condition_on_opt_in_state_is_no_gate(tmp_path: Path, condition: str) -> None:
    """A job that runs only when a label, an actor, an input or a variable says so is skipped on other
    pull requests, and a skipped required check reports success."""
    root = feature_with_workflow(tmp_path, pr_workflow(job=f"    if: {condition}\n"))
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-011", WF, 8)
    assert "opt in" in finding["message"]


def test_opt_in_condition_that_is_true_anyway_keeps_the_gate(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(job="    if: always() || contains(github.event.pull_request.labels.*.name, 'x')\n"))
    assert findings(root) == []


def test_needs_on_an_opt_in_job_is_no_gate(tmp_path: Path) -> None:
    workflow = pr_workflow(job="    needs: [approve]\n").replace(
        "jobs:\n", "jobs:\n  approve:\n    if: github.event.label.name == 'ok'\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n"
    )
    root = feature_with_workflow(tmp_path, workflow)
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-011", line_of(root, WF, "needs: [approve]"))


@pytest.mark.parametrize(
    "job, step",
    [
        ("    needs: [changes]\n    if: needs.changes.outputs.evals == 'true'\n", ""),
        ("", "        if: steps.filter.outputs.evals == 'true'\n"),
    ],
)
def test_condition_on_an_output_computed_in_the_run_is_no_gate(tmp_path: Path, job: str, step: str) -> None:
    """A job or step that runs only for some value of another job's or step's output (a changed-files filter
    such as dorny/paths-filter) is skipped on the pull requests that get another value; aigov cannot know
    the value, so it cannot verify the gate."""
    changes = "  changes:\n    runs-on: ubuntu-latest\n    outputs:\n      evals: ${{ steps.filter.outputs.evals }}\n    steps:\n      - id: filter\n        uses: dorny/paths-filter@v3\n"
    root = feature_with_workflow(tmp_path, pr_workflow(job=job, step=step).replace("jobs:\n", "jobs:\n" + changes))
    [finding] = findings(root)
    where = "if: needs.changes" if job else "if: steps.filter"
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-011", line_of(root, WF, where))
    assert "a value computed while the workflow runs" in finding["message"]


def test_step_condition_false_points_at_the_step(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(step="        if: ${{ failure() }}\n"))
    assert located(root) == [("AIGOV-EVAL-011", WF, line_of(root, WF, "if: ${{ failure() }}"))]


def test_needs_on_a_job_that_never_runs_skips_the_eval_job(tmp_path: Path) -> None:
    workflow = pr_workflow(job="    needs: [lint]\n").replace(
        "jobs:\n", "jobs:\n  lint:\n    if: false\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"
    )
    root = feature_with_workflow(tmp_path, workflow)
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-011", line_of(root, WF, "needs: [lint]"))
    assert "needs 'lint'" in finding["message"]


def test_always_runs_despite_a_skipped_need(tmp_path: Path) -> None:
    workflow = pr_workflow(job="    needs: lint\n    if: ${{ !cancelled() }}\n").replace(
        "jobs:\n", "jobs:\n  lint:\n    if: false\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"
    )
    assert findings(feature_with_workflow(tmp_path, workflow)) == []


def test_condition_on_another_event_only_does_not_matter(tmp_path: Path) -> None:
    on = "pull_request:\n    branches: [main]\n  merge_group:"
    root = feature_with_workflow(tmp_path, pr_workflow(on=on, job="    if: github.event_name == 'merge_group'\n"))
    assert findings(root) == []


# --- continue-on-error and the matrix ---------------------------------------------------------


def test_job_continue_on_error(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(job="    continue-on-error: true\n"))
    assert located(root) == [("AIGOV-EVAL-012", WF, 8)]


def test_step_continue_on_error(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(step="        continue-on-error: true\n"))
    assert located(root) == [("AIGOV-EVAL-012", WF, line_of(root, WF, "continue-on-error"))]


def test_continue_on_error_from_a_variable_may_be_true(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(step="        continue-on-error: ${{ vars.EVALS_OPTIONAL == 'yes' }}\n"))
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-012", line_of(root, WF, "continue-on-error"))
    assert "may be true" in finding["message"]


MATRIX = "    strategy:\n      fail-fast: false\n      matrix:\n        python: ['3.11', '3.12']\n        experimental: [{flag}]\n{include}    continue-on-error: ${{{{ matrix.experimental }}}}\n"


def test_matrix_leg_that_keeps_failures_keeps_the_gate(tmp_path: Path) -> None:
    include = "        include:\n          - python: '3.13'\n            experimental: true\n"
    root = feature_with_workflow(tmp_path, pr_workflow(job=MATRIX.format(flag="false", include=include)))
    assert findings(root) == []


def test_matrix_where_every_leg_may_fail_defeats_the_gate(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(job=MATRIX.format(flag="true", include="")))
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-012", line_of(root, WF, "continue-on-error"))


def test_continue_on_error_false_is_no_defeat(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(job="    continue-on-error: false\n"))
    assert findings(root) == []


# --- What the run script does with the exit status ---------------------------------------------


@pytest.mark.parametrize(
    "script, kind",
    [
        (f"{COMMAND} || true", "|| true"),
        (f"|\n          {COMMAND} || :", "|| :"),
        (f"{COMMAND} || exit 0", "|| exit 0"),
        (f"{COMMAND} || echo 'evals failed, carrying on'", "|| echo"),
        (f"|\n          set +e\n          {COMMAND}; exit 0", "'exit 0'"),
        (f"|\n          set +e\n          {COMMAND}\n          echo done", "'set +e'"),
        (f"{COMMAND} | tee eval.log", "without pipefail"),
        (f"(cd . && {COMMAND}) || true", "|| true"),
        (f"|\n          if ! {COMMAND}; then\n            echo 'evals failed'\n          fi", "consumes the exit status"),
    ],
)
def test_each_way_of_swallowing_the_exit_status(tmp_path: Path, script: str, kind: str) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(run=script))
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-013"
    assert finding["path"] == WF
    assert kind in finding["message"]
    expected = "set +e" if "set +e" in script and "exit 0" not in script else COMMAND
    assert finding["line"] == line_of(root, WF, expected)


@pytest.mark.parametrize(
    "script, step",
    [
        (f"{COMMAND} || exit 1", ""),
        (f"{COMMAND} || {{ echo 'evals failed'; exit 1; }}", ""),
        (f"|\n          set +e\n          {COMMAND}\n          status=$?\n          exit $status", ""),
        (f"|\n          set +e\n          {COMMAND}", ""),
        (f"{COMMAND} | tee eval.log", "        shell: bash\n"),
        (f"|\n          set -o pipefail\n          {COMMAND} | tee eval.log", ""),
        (f"|\n          echo 'running evals'\n          {COMMAND} 2>&1 > eval.log\n          echo done", ""),
        (f"|\n          if ! {COMMAND}; then\n            exit 1\n          fi", ""),
    ],
)
def test_scripts_that_keep_the_exit_status(tmp_path: Path, script: str, step: str) -> None:
    root = feature_with_workflow(tmp_path, pr_workflow(run=script, step=step))
    assert findings(root) == []


# Each script with the shell that runs it (None: no `shell:`, GitHub's `bash -e {0}`), and whether a
# failing eval command fails the step: bash's errexit rules, read on the parsed script.
SHELL_CASES = [
    # errexit stops the default shell at the failing command, whatever follows it
    (f"|\n          {COMMAND}; true", None, True),
    (f"|\n          ({COMMAND}; true)", None, True),
    (f"|\n          {{ {COMMAND}; echo done; }}", None, True),
    (f"|\n          {COMMAND}\n          echo done", "sh", True),
    # ...but a custom `bash {0}` has no errexit: later commands decide
    (f"|\n          {COMMAND}; true", "bash {0}", False),
    (f"|\n          ({COMMAND}; true)", "bash {0}", False),
    (f"|\n          ({COMMAND}; true)", "bash -e {0}", True),
    # errexit ignores a failure in the non-final part of && / ||, after !, and in conditions
    (f"|\n          {COMMAND} && echo passed\n          echo done", None, False),
    (f"|\n          {COMMAND} && echo passed", None, True),
    (f"|\n          ! {COMMAND}", None, False),
    (f"|\n          while {COMMAND}; do sleep 1; done", None, False),
    (f"|\n          if {COMMAND}; then echo ok; else exit 1; fi", None, True),
    (f"|\n          if {COMMAND}; then echo ok; fi", None, False),
    (f"|\n          if true; then\n            {COMMAND}\n          fi\n          echo done", None, True),
    (f"|\n          {{ {COMMAND} && echo ok; }}\n          echo done", None, False),
    # a subshell stopped by errexit fails as one command in its parent
    (f"|\n          ({COMMAND}; echo x)\n          echo ok", None, True),
    # ...except where bash ignores -e: then it is ignored inside the subshell too
    (f"|\n          ({COMMAND}; echo x) && echo ok", None, False),
    (f"|\n          ({COMMAND}; true) || exit 1", None, False),
    (f"|\n          ({COMMAND} && true; echo x) || exit 1", None, False),
    # pipes: without pipefail only the last command counts
    (f"{COMMAND} | tee log", "bash", True),
    (f"{COMMAND} | tee log", None, False),
    (f"echo start | {COMMAND}", None, True),
    # commands that never run, and ones that run through wrappers or quoting
    (f"|\n          exit 0\n          {COMMAND}", None, None),
    (f"|\n          run_evals() {{ {COMMAND}; }}", None, None),
    (f"|\n          run_evals() {{ {COMMAND}; }}\n          run_evals", None, True),
    (f"|\n          run_evals() {{ {COMMAND}; }}\n          run_evals || true", None, False),
    ("'\"python\" evals/run.py --config \"evals/config.yaml\"'", None, True),
    ("p\\ython evals/run.py --config 'evals/config.yaml'", None, True),
    (f"nohup {COMMAND}", None, True),
    (f"time {COMMAND}", None, True),
    (f"env PYTHONUNBUFFERED=1 {COMMAND}", None, True),
    (f"|\n          result=$({COMMAND})\n          echo \"$result\"", None, True),
    # fallbacks and status handed on by hand
    (f"|\n          set +e\n          {COMMAND}\n          exit $?", None, True),
    (f"|\n          {COMMAND} || {{ echo failed; exit 1; }}\n          echo done", None, True),
    (f"|\n          {COMMAND} || false\n          echo done", None, True),
    (f"|\n          {COMMAND} || false\n          echo done", "bash {0}", False),
    (f"|\n          {COMMAND} || false", "bash {0}", True),
    (f"|\n          {COMMAND} | tee log\n          exit ${{PIPESTATUS[0]}}", None, True),
    (f"|\n          case x in x) {COMMAND};; esac\n          echo done", None, True),
    (f"|\n          for suite in a b; do {COMMAND}; done\n          echo done", None, True),
    (f"timeout 30m {COMMAND}", None, True),
    (f"|\n          cat > later.sh <<'EOF'\n          {COMMAND}\n          EOF", None, None),
    # `bash -c` runs a shell of its own, without the step's errexit: its script decides
    (f"bash -c '{COMMAND}'", None, True),
    (f"|\n          bash -c '{COMMAND}; echo done'", None, False),
    (f"|\n          bash -ec '{COMMAND}; echo done'", None, True),
    # background jobs gate only when waited for
    (f"|\n          {COMMAND} &\n          echo started", None, False),
    (f"|\n          {COMMAND} &\n          wait", None, False),
    (f"|\n          {COMMAND} &\n          echo started\n          wait $!", None, True),
    (f"|\n          {COMMAND} &\n          sleep 1 &\n          wait $!", None, False),
    # ...and `wait "$pid"` with the job's pid saved right after it: its status is the job's, and -e applies
    (f"|\n          {COMMAND} &\n          pid=$!\n          echo started\n          wait \"$pid\"", None, True),
    (f"|\n          {COMMAND} &\n          pid=$!\n          sleep 1 &\n          wait \"$pid\"\n          echo done", None, True),
    (f"|\n          {COMMAND} & pid=$!\n          wait ${{pid}} || exit 1", None, True),
    (f"|\n          {COMMAND} &\n          pid=$!\n          wait $pid || true", None, False),
    (f"|\n          {COMMAND} &\n          pid=$!\n          wait", None, False),
    (f"|\n          {COMMAND} &\n          pid=$!\n          sleep 1 &\n          pid=$!\n          wait $pid", None, False),
    (f"|\n          {COMMAND} &\n          pid=$!\n          wait \"$pid\"\n          echo done", "bash {0}", False),
]


@pytest.mark.parametrize("script, shell, gates", SHELL_CASES)
def test_shell_semantics_decide_whether_a_failure_fails_the_step(tmp_path: Path, script: str, shell: str | None, gates: bool | None) -> None:
    step = f"        shell: {shell}\n" if shell else ""
    root = feature_with_workflow(tmp_path, pr_workflow(run=script, step=step))
    expected = {True: [], False: ["AIGOV-EVAL-013"], None: ["AIGOV-EVAL-008"]}[gates]
    assert [f["id"] for f in findings(root)] == expected


@pytest.mark.usefixtures("bash")
@pytest.mark.parametrize("script, shell, gates", SHELL_CASES)
def test_shell_cases_agree_with_real_bash(tmp_path: Path, script: str, shell: str | None, gates: bool | None) -> None:
    """The oracle for the table above: each script run by real bash (sh for `sh`), as GitHub runs it,
    with a `python` on PATH that records that it ran and fails."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "python"
    stub.write_text(f"#!/bin/sh\ntouch {tmp_path}/ran\nexit 3\n")
    stub.chmod(0o755)
    text = script[1:].replace("\n          ", "\n").lstrip("\n") if script.startswith("|") else yaml.safe_load(f"x: {script}")["x"]
    (tmp_path / "step.sh").write_text(text + "\n")
    argv = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"],
            "bash {0}": ["bash"], "bash -e {0}": ["bash", "-e"]}[shell]
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    result = subprocess.run([*argv, str(tmp_path / "step.sh")], cwd=tmp_path, env=env, capture_output=True, timeout=30)
    if gates is None:
        assert not (tmp_path / "ran").exists()
    else:
        assert (tmp_path / "ran").exists()
        assert (result.returncode != 0) is gates, (text, result.returncode, result.stderr)


# Generated scripts for the oracle below: each form of running the command, alone and inside each wrapper.
ORACLE_FORMS = [
    "{c}", "{c}; true", "({c}; true)", "{c} || true", "{c} || exit 1", "{c} && true", "! {c}", "{c} | cat",
    "if {c}; then true; fi", "if ! {c}; then exit 1; fi", "{{ {c}; true; }}", "({c}) && true", "{c} &\nwait $!",
    "{c} &\nwait", "f() {{ {c}; }}\nf", "f() {{ {c}; }}\nif f; then true; fi\ntrue", "set +e\n{c}\ntrue",
    "x=$({c})", "while {c}; do break; done", "{c} || false", "! {c} || exit 1", "set +e\n{c}\nrc=$?\nexit $rc",
    "{c} | cat\nexit ${{PIPESTATUS[0]}}", "exec {c}", "{c}; exit 0",
    # background jobs whose pid is saved and waited for by name
    "{c} &\npid=$!\nwait \"$pid\"", "{c} &\npid=$!\ntrue &\nwait \"$pid\"", "{c} &\npid=$!\nwait", "{c} &\npid=$!\nwait $pid || exit 1",
    "{c} &\npid=$!\nwait $pid || true", "{c} &\np=$!\ntrue &\np=$!\nwait $p", "{c} &\npid=$!\nif ! wait $pid; then exit 1; fi",
    "{c} &\npid=$!\n(wait $pid)",
    # a shell of its own: `bash -c` inherits neither -e nor pipefail, and its status is its script's
    "bash -c '{c}'", "bash -c '{c}; true'", "bash -ec '{c}; true'", "bash -e -c '{c}; true'", "sh -c '{c} || true'",
    "bash -c 'set -e; {c}; true'", "bash -c '{c}' || true", "bash -c '{c} | cat'", "bash -o pipefail -c '{c} | cat'",
    "bash -c '{c}; exit 0'", "bash -c 'bash -c \"{c}\"; true'", "bash -ec 'bash -ec \"{c}; true\"'",
]
ORACLE_WRAPPERS = ["{s}", "{{ {s}\n}}", "( {s}\n)", "{s}\ntrue", "{{ {s}\n}} || true", "( {s}\n) && true", "g() {{ {s}\n}}\ng"]


@pytest.mark.usefixtures("bash")
def test_wait_for_a_pid_after_a_bare_wait_is_never_a_gate(tmp_path: Path) -> None:
    """`wait` then `wait $pid`: bash 5.2 keeps the job's status only when the job ended before the bare
    `wait` ran, so the same step fails on one run and exits 127 on the next (a race the oracle above once
    lost under load). A gate that holds only on a lucky schedule is no gate: the model must say ungated."""
    from aigov.facts.shell import command_spec, find_command, resolve_shell

    stub = tmp_path / "bin" / "python"
    stub.parent.mkdir()
    script = "python evals/run.py &\npid=$!\nwait\nwait $pid"

    def bash_status(stub_pause: str, script_pause: str) -> int:
        stub.write_text(f"#!/bin/sh\n{stub_pause}exit 3\n")
        stub.chmod(0o755)
        (tmp_path / "step.sh").write_text(script.replace("wait\n", f"{script_pause}wait\n", 1) + "\n")
        env = {"PATH": f"{stub.parent}:/usr/bin:/bin"}
        return subprocess.run(["bash", "-e", "step.sh"], cwd=tmp_path, env=env, capture_output=True, timeout=30).returncode

    assert bash_status("", "sleep 0.3\n") == 3  # the job ended first: its status is kept, the step fails
    assert bash_status("sleep 0.3\n", "") == 127  # the bare wait reaped it: "not a child", whatever it returned
    uses = find_command(script, command_spec("python evals/run.py"), resolve_shell(None, False))
    assert uses and not any(all(w.kind == "exit_zero_after" for w in u.swallows) for u in uses)


@pytest.mark.usefixtures("bash")
@pytest.mark.parametrize("wrapper", ORACLE_WRAPPERS, ids=[f"wrapper{n}" for n in range(len(ORACLE_WRAPPERS))])
def test_shell_model_agrees_with_bash_on_generated_scripts(tmp_path: Path, wrapper: str) -> None:
    """Each generated script under the default `bash -e` and a custom `bash {0}`: the model's answer (does
    a failing command fail the step?) must be bash's own, run with a failing and with a passing stub.
    One test a wrapper: some 1,300 runs of bash in one test were the suite's longest test."""
    from aigov.facts.shell import command_spec, find_command, resolve_shell

    stub = tmp_path / "bin" / "python"
    stub.parent.mkdir()
    spec = command_spec("python evals/run.py")
    wrong = []
    for form in ORACLE_FORMS:
        script = wrapper.replace("{s}", "\0").format().replace("\0", form.format(c="python evals/run.py"))
        (tmp_path / "step.sh").write_text(script + "\n")
        for shell, argv in ((None, ["bash", "-e"]), ("bash {0}", ["bash"])):
            statuses = []
            for code in (3, 0):
                stub.write_text(f"#!/bin/sh\n: > {tmp_path}/ran\nexit {code}\n")  # the shell's own redirection: no touch process
                stub.chmod(0o755)
                (tmp_path / "ran").unlink(missing_ok=True)
                run = subprocess.run([*argv, "step.sh"], cwd=tmp_path, env={"PATH": f"{stub.parent}:/usr/bin:/bin"}, capture_output=True, timeout=30)
                statuses.append((run.returncode, (tmp_path / "ran").exists()))
            (failed, ran), (passed, _) = statuses
            if passed != 0:
                continue  # fails whatever the command does: not a question of gating
            uses = find_command(script, spec, resolve_shell(shell, False))
            model = None if not uses else any(all(w.kind == "exit_zero_after" for w in u.swallows) for u in uses)
            real = None if not ran else failed != 0
            if model != real:
                wrong.append((shell, script, real, model))
    assert wrong == []


def test_exit_zero_after_the_command_under_bash_e_only_warns(tmp_path: Path) -> None:
    """Under `bash -e` the failing command stops the script before `exit 0`: a warning, never blocking."""
    root = feature_with_workflow(tmp_path, pr_workflow(run=f"{COMMAND}; exit 0"))
    [finding] = findings(root)
    assert (finding["id"], finding["severity"], finding["line"]) == ("AIGOV-EVAL-015", "low", line_of(root, WF, COMMAND))
    assert check(root).exit_code == 0
    root = feature_with_workflow(tmp_path / "custom", pr_workflow(run=f"{COMMAND}; exit 0", step="        shell: bash {0}\n"))
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-013"]


def test_shell_without_errexit_points_at_the_shell(tmp_path: Path) -> None:
    script = f"|\n          {COMMAND}\n          echo done"
    root = feature_with_workflow(tmp_path, pr_workflow(run=script, step="        shell: bash {0}\n"))
    assert located(root) == [("AIGOV-EVAL-013", WF, line_of(root, WF, "shell: bash {0}"))]


@pytest.mark.parametrize("shells, gates", [(["bash", "bash"], True), (["bash", "bash {0}"], False)])
def test_shell_from_the_matrix_is_read_on_every_leg(tmp_path: Path, shells: list[str], gates: bool) -> None:
    """`shell: ${{ matrix.shell }}` is the shell each leg names: bash (errexit) on every leg gates; a leg
    whose shell has no errexit lets a failure followed by another command pass."""
    legs = "".join(f"          - {{python: '3.1{i}', shell: '{shell}'}}\n" for i, shell in enumerate(shells))
    job = f"    strategy:\n      matrix:\n        include:\n{legs}    defaults:\n      run:\n        shell: ${{{{ matrix.shell }}}}\n"
    root = feature_with_workflow(tmp_path, pr_workflow(job=job, run=f"|\n          {COMMAND}\n          echo done"))
    assert [f["id"] for f in findings(root)] == ([] if gates else ["AIGOV-EVAL-013"])


def test_windows_default_shell_only_reports_the_last_command(tmp_path: Path) -> None:
    script = f"|\n          {COMMAND}\n          Write-Output done"
    workflow = pr_workflow(run=script).replace("ubuntu-latest", "windows-latest")
    assert [f["id"] for f in findings(feature_with_workflow(tmp_path, workflow))] == ["AIGOV-EVAL-013"]


def test_command_continued_over_lines_is_found(tmp_path: Path) -> None:
    script = "|\n          python evals/run.py \\\n            --config evals/config.yaml"
    root = feature_with_workflow(tmp_path, pr_workflow(run=script))
    assert findings(root) == []


@pytest.mark.parametrize(
    "script",
    [
        f"|\n          # {COMMAND}\n          echo {COMMAND}",
        f"|\n          cat > later.sh <<'EOF'\n          {COMMAND}\n          EOF",
        f"|\n          echo \"score: $({COMMAND})\"",
    ],
)
def test_command_only_mentioned_is_not_run(tmp_path: Path, script: str) -> None:
    """A comment, an echo, a here-document or a `$(...)` whose status is lost does not count as running it."""
    root = feature_with_workflow(tmp_path, pr_workflow(run=script))
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-008"]


# --- Local reusable workflows and composite actions ---------------------------------------------

CALLER = "name: ci\non:\n  pull_request:\n    branches: [main]\njobs:\n  call-evals:\n{caller}    uses: ./.github/workflows/reusable-evals.yml\n"
CALLEE = "name: reusable evals\non:\n  workflow_call:\njobs:\n  evals:\n    runs-on: ubuntu-latest\n{job}    steps:\n      - uses: actions/checkout@v4\n      - run: {run}\n"


def reusable(tmp_path: Path, caller: str = "", job: str = "", run: str = COMMAND) -> Path:
    callee = {".github/workflows/reusable-evals.yml": CALLEE.format(job=job, run=run)}
    return feature_with_workflow(tmp_path, CALLER.format(caller=caller), name="ci.yml", **callee)


def test_reusable_workflow_runs_the_gate(tmp_path: Path) -> None:
    root = reusable(tmp_path)
    assert findings(root) == []
    runs = {run["workflow"]: run for run in gate_facts(root)["runs"]}
    run = runs[".github/workflows/ci.yml"]
    assert (run["job"], run["path"]) == ("call-evals/evals", ".github/workflows/reusable-evals.yml")
    assert run["via"] == [".github/workflows/reusable-evals.yml:5"]


def test_defeat_inside_the_reusable_workflow_points_into_it(tmp_path: Path) -> None:
    root = reusable(tmp_path, job="    continue-on-error: true\n")
    assert located(root) == [("AIGOV-EVAL-012", ".github/workflows/reusable-evals.yml", 7)]


def test_caller_condition_points_at_the_caller(tmp_path: Path) -> None:
    root = reusable(tmp_path, caller="    if: github.event_name == 'push'\n")
    assert located(root) == [("AIGOV-EVAL-011", ".github/workflows/ci.yml", 7)]


def test_swallowed_status_inside_the_reusable_workflow(tmp_path: Path) -> None:
    root = reusable(tmp_path, run=f"{COMMAND} || true")
    assert located(root) == [("AIGOV-EVAL-013", ".github/workflows/reusable-evals.yml", 9)]


def test_reusable_workflows_calling_each_other_do_not_hang(tmp_path: Path) -> None:
    loop = "on:\n  pull_request:\n  workflow_call:\njobs:\n  again:\n    uses: ./.github/workflows/{other}.yml\n"
    root = feature_with_workflow(tmp_path, loop.format(other="b"), name="a.yml", **{".github/workflows/b.yml": loop.format(other="a")})
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-008"]


@pytest.mark.parametrize(
    "caller, declared, gates",
    [
        ("    with:\n      run-evals: true\n", "", True),
        ("    with:\n      run-evals: ${{ github.event_name == 'pull_request' }}\n", "", True),
        ("", "        default: true\n", True),
        ("    with:\n      run-evals: false\n", "        default: true\n", False),
        ("    with:\n      run-evals: ${{ contains(github.event.pull_request.labels.*.name, 'evals') }}\n", "", False),
    ],
)
def test_inputs_a_caller_passes_decide_the_called_jobs_condition(tmp_path: Path, caller: str, declared: str, gates: bool) -> None:
    """`if: inputs.run-evals` in a reusable workflow is decided by what the caller passes `with:` (or the
    default), not taken for an opt-in; an input the pull request opts into is still no gate."""
    callee = CALLEE.format(job="    if: ${{ inputs.run-evals }}\n", run=COMMAND).replace(
        "  workflow_call:\n", f"  workflow_call:\n    inputs:\n      run-evals:\n        type: boolean\n{declared}")
    root = feature_with_workflow(tmp_path, CALLER.format(caller=caller), name="ci.yml", **{".github/workflows/reusable-evals.yml": callee})
    assert [f["id"] for f in findings(root)] == ([] if gates else ["AIGOV-EVAL-011"])


def test_composite_action_input_decides_its_steps_condition(tmp_path: Path) -> None:
    action = "inputs:\n  evals:\n    default: 'yes'\nruns:\n  using: composite\n  steps:\n    - run: {run}\n      if: inputs.evals == 'yes'\n      shell: bash\n"
    workflow = pr_workflow().replace(f"        run: {COMMAND}\n", "        uses: ./.github/actions/run-evals\n")
    root = feature_with_workflow(tmp_path, workflow, **{".github/actions/run-evals/action.yml": action.format(run=COMMAND)})
    assert findings(root) == []
    text = (root / WF).read_text().replace("uses: ./.github/actions/run-evals\n", "uses: ./.github/actions/run-evals\n        with:\n          evals: 'no'\n")
    (root / WF).write_text(text)
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-011"]


def test_remote_reusable_workflow_is_named_as_unreadable(tmp_path: Path) -> None:
    caller = "on: pull_request\njobs:\n  evals:\n    uses: acme/shared/.github/workflows/evals.yml@v1\n"
    [finding] = findings(feature_with_workflow(tmp_path, caller))
    assert finding["id"] == "AIGOV-EVAL-008"
    assert "acme/shared/.github/workflows/evals.yml@v1 is not in this repository" in finding["message"]


ACTION = "name: run evals\nruns:\n  using: composite\n  steps:\n    - run: {run}\n      shell: bash\n"


def test_composite_action_runs_the_gate(tmp_path: Path) -> None:
    workflow = pr_workflow().replace(f"        run: {COMMAND}\n", "        uses: ./.github/actions/run-evals\n")
    root = feature_with_workflow(tmp_path, workflow, **{".github/actions/run-evals/action.yml": ACTION.format(run=COMMAND)})
    assert findings(root) == []
    [run] = gate_facts(root)["runs"]
    assert run["path"] == ".github/actions/run-evals/action.yml"
    assert run["via"] == [f"{WF}:{line_of(root, WF, '- name: Run evals')}"]


def test_defeat_inside_a_nested_composite_action_points_into_it(tmp_path: Path) -> None:
    workflow = pr_workflow().replace(f"        run: {COMMAND}\n", "        uses: ./.github/actions/outer/\n")
    outer = "runs:\n  using: composite\n  steps:\n    - uses: ./.github/actions/inner\n"
    inner = ACTION.format(run=f"{COMMAND} || true").replace("name: run evals\n", "")
    root = feature_with_workflow(
        tmp_path, workflow, **{".github/actions/outer/action.yaml": outer, ".github/actions/inner/action.yml": inner}
    )
    assert located(root) == [("AIGOV-EVAL-013", ".github/actions/inner/action.yml", 4)]


def test_continue_on_error_on_the_step_using_the_action(tmp_path: Path) -> None:
    workflow = pr_workflow(step="        continue-on-error: true\n").replace(f"        run: {COMMAND}\n", "        uses: ./.github/actions/run-evals\n")
    root = feature_with_workflow(tmp_path, workflow, **{".github/actions/run-evals/action.yml": ACTION.format(run=COMMAND)})
    assert located(root) == [("AIGOV-EVAL-012", WF, line_of(root, WF, "continue-on-error"))]


def test_actions_using_each_other_do_not_hang(tmp_path: Path) -> None:
    workflow = pr_workflow().replace(f"        run: {COMMAND}\n", "        uses: ./actions/a\n")
    loop = "runs:\n  using: composite\n  steps:\n    - uses: ./actions/{other}\n"
    root = feature_with_workflow(tmp_path, workflow, **{"actions/a/action.yml": loop.format(other="b"), "actions/b/action.yml": loop.format(other="a")})
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008"
    assert "a cycle" in finding["message"]


def test_missing_local_action_is_named(tmp_path: Path) -> None:
    workflow = pr_workflow().replace(f"        run: {COMMAND}\n", "        uses: ./.github/actions/gone\n")
    [finding] = findings(feature_with_workflow(tmp_path, workflow))
    assert "has no action.yml or action.yaml" in finding["message"]


# --- Bad workflow files and safety -----------------------------------------------------------


def test_malformed_workflow_yaml_is_exit_2_at_its_line(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, "on: pull_request\njobs:\n  evals:\n    steps: [\n")
    result = check(root)
    assert result.exit_code == 2
    assert f"{WF}:5:" in result.stderr and "invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("on: pull_request\njobs: []\n", 2, "`jobs` must be a mapping"),
        ("on: pull_request\njobs:\n  evals:\n    steps: {run: x}\n", 4, "`steps` must be a list"),
        ("on: pull_request\njobs:\n  evals:\n    steps:\n      - just a string\n", 5, "a step must be a mapping"),
        ("on: pull_request\njobs:\n  evals:\n    steps:\n      - run: [a, b]\n", 5, "a step's `run` must be a string"),
        ("on: pull_request\njobs:\n  evals:\n    steps:\n      - uses: 7\n", 5, "a step's `uses` must be a string"),
        ("on: 42\njobs:\n  a:\n    runs-on: x\n", 1, "`on` must be"),
        ("jobs:\n  a:\n    runs-on: x\n", 1, "no `on:`"),
    ],
)
def test_workflow_that_is_not_a_workflow_is_exit_2(tmp_path: Path, text: str, line: int, message: str) -> None:
    result = check(feature_with_workflow(tmp_path, text))
    assert result.exit_code == 2
    assert f"{WF}:{line}:" in result.stderr and message in result.stderr


def test_malformed_composite_action_is_exit_2_naming_it(tmp_path: Path) -> None:
    workflow = pr_workflow().replace(f"        run: {COMMAND}\n", "        uses: ./.github/actions/run-evals\n")
    root = feature_with_workflow(tmp_path, workflow, **{".github/actions/run-evals/action.yml": "runs:\n  using: composite\n  steps: [\n"})
    result = check(root)
    assert result.exit_code == 2
    assert ".github/actions/run-evals/action.yml:" in result.stderr


LINT_JOB = "jobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check .\n"


@pytest.mark.parametrize(
    "workflow, anchor, words",
    [
        (pr_workflow(job="    needs: [lnt]\n").replace("jobs:\n", LINT_JOB), "needs: [lnt]", "needs 'lnt', which is not a job"),
        (pr_workflow(job="    needs: [lint]\n").replace("jobs:\n", LINT_JOB.replace("runs-on: ubuntu-latest\n", "needs: evals\n    runs-on: x\n")),
         "needs: [lint]", "lint -> evals -> lint need each other in a cycle"),
        (pr_workflow().replace("    runs-on: ubuntu-latest\n", ""), "evals:", "job 'evals' has no `runs-on`"),
        (pr_workflow(job="    strategy:\n      matrix:\n        a: [1,2,3,4,5,6,7,8,9]\n        b: [1,2,3,4,5,6,7,8,9]\n        c: [1,2,3,4]\n"),
         "matrix:", "expands to at least 324 jobs; GitHub allows at most 256"),
    ],
)
def test_workflow_github_refuses_is_no_gate(tmp_path: Path, workflow: str, anchor: str, words: str) -> None:
    root = feature_with_workflow(tmp_path, workflow)
    [finding] = [f for f in findings(root) if f["id"] == "AIGOV-EVAL-016"]
    assert (finding["path"], finding["line"]) == (WF, line_of(root, WF, anchor))
    assert words in finding["message"]
    assert check(root).exit_code == 1


def test_matrix_brought_under_the_cap_by_exclude_is_valid(tmp_path: Path) -> None:
    job = "    strategy:\n      matrix:\n        a: [1,2,3,4,5,6,7,8,9]\n        b: [1,2,3,4,5,6,7,8,9]\n        c: [1,2,3,4]\n        exclude:\n          - c: 4\n"
    assert findings(feature_with_workflow(tmp_path, pr_workflow(job=job))) == []


def test_invalid_reusable_workflow_is_named(tmp_path: Path) -> None:
    root = reusable(tmp_path, job="    needs: [setup]\n")
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-016", ".github/workflows/reusable-evals.yml", 7)


def test_nothing_in_a_workflow_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    root = feature_with_workflow(tmp_path, pr_workflow(run=f"|\n          touch {marker}\n          {COMMAND}"))
    assert findings(root) == []
    assert not marker.exists()


def test_features_without_evals_or_artefacts_do_not_read_workflows(tmp_path: Path) -> None:
    root = feature_with_workflow(tmp_path, "on: [\n")
    text = (root / "aigov.yaml").read_text().replace("  evals: {config: evals/config.yaml}\n", "")
    (root / "aigov.yaml").write_text(text.replace("riskTier: medium", "riskTier: low"))
    assert check(root).exit_code == 0


# --- Release signing before the first release ------------------------------------------------

ARTIFACTS = "  artifacts:\n    - path: dist/*.whl\n      identity: https://github.com/acme/x/.github/workflows/release.yml@refs/tags/v1\n      issuer: https://token.actions.githubusercontent.com\n"

RELEASE = """\
name: release
on:
  push:
    tags: ['v*']
{workflow_permissions}jobs:
  publish:
    runs-on: ubuntu-latest
{job_permissions}    steps:
      - uses: actions/checkout@v4
      - run: python -m build
      - {sign}
"""


def unreleased(tmp_path: Path, **release: str) -> Path:
    """A compliant feature that declares artefacts, none built yet, with ``release`` as release.yml."""
    root = make_feature(tmp_path / "repo")
    (root / "aigov.yaml").write_text((root / "aigov.yaml").read_text() + ARTIFACTS)
    if release:
        values = {"workflow_permissions": "", "job_permissions": "", "sign": "run: python -m sigstore sign dist/*.whl"} | release
        write(root / ".github/workflows/release.yml", RELEASE.format(**values))
    return root


def test_no_release_workflow_before_the_first_release(tmp_path: Path) -> None:
    root = unreleased(tmp_path)
    assert located(root) == [("AIGOV-RELEASE-001", "aigov.yaml", line_of(root, "aigov.yaml", "artifacts:"))]


@pytest.mark.parametrize(
    "release",
    [
        {"job_permissions": "    permissions:\n      id-token: write\n      contents: read\n"},
        {"workflow_permissions": "permissions:\n  id-token: write\n"},
        {"workflow_permissions": "permissions: write-all\n"},
        {"job_permissions": "    permissions:\n      id-token: write\n", "sign": "uses: sigstore/gh-action-sigstore-python@v3.0.0"},
        {"job_permissions": "    permissions:\n      id-token: write\n      attestations: write\n", "sign": "uses: actions/attest-build-provenance@v2"},
        {"job_permissions": "    permissions:\n      id-token: write\n", "sign": "run: cosign sign-blob --yes dist/x.whl --bundle dist/x.whl.sigstore.json"},
    ],
)
def test_release_workflow_that_signs_with_an_oidc_token(tmp_path: Path, release: dict[str, str]) -> None:
    assert findings(unreleased(tmp_path, **release)) == []


def test_job_permissions_replace_the_workflows(tmp_path: Path) -> None:
    root = unreleased(tmp_path, workflow_permissions="permissions:\n  id-token: write\n",
                      job_permissions="    permissions:\n      contents: read\n")
    [finding] = findings(root)
    release = ".github/workflows/release.yml"
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-RELEASE-002", release, line_of(root, release, "    permissions:"))
    assert "python -m sigstore sign" in finding["message"]


def test_signing_without_any_permissions_points_at_the_job(tmp_path: Path) -> None:
    root = unreleased(tmp_path, sign="run: python -m sigstore sign dist/*.whl")
    assert located(root) == [("AIGOV-RELEASE-002", ".github/workflows/release.yml", line_of(root, ".github/workflows/release.yml", "publish:"))]


def test_reusable_release_workflow_needs_the_token_from_its_caller(tmp_path: Path) -> None:
    callee = RELEASE.format(workflow_permissions="", job_permissions="    permissions:\n      id-token: write\n",
                            sign="run: python -m sigstore sign dist/*.whl").replace("  push:\n    tags: ['v*']\n", "  workflow_call:\n")
    caller = "on:\n  release:\n    types: [published]\njobs:\n  sign:\n{perms}    uses: ./.github/workflows/sign.yml\n"
    root = unreleased(tmp_path)
    write(root / ".github/workflows/sign.yml", callee)
    write(root / ".github/workflows/release.yml", caller.format(perms="    permissions:\n      contents: read\n"))
    assert located(root) == [("AIGOV-RELEASE-002", ".github/workflows/release.yml", 6)]
    write(root / ".github/workflows/release.yml", caller.format(perms="    permissions:\n      id-token: write\n"))
    assert findings(root) == []


def test_signing_only_on_pull_requests_is_no_release_workflow(tmp_path: Path) -> None:
    root = unreleased(tmp_path, job_permissions="    permissions:\n      id-token: write\n")
    text = (root / ".github/workflows/release.yml").read_text().replace("  push:\n    tags: ['v*']\n", "  pull_request:\n")
    (root / ".github/workflows/release.yml").write_text(text)
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-RELEASE-001"
    assert "sign only on pull requests" in finding["message"]
