"""The eval config, its datasets and thresholds, and the gate in CI, judged end to end through `aigov check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import CLOCK, EXAMPLE, check, check_json, make_feature, org_config, run_cli, write

CONFIG = "evals/config.yaml"


def feature(tmp_path: Path, tier: str = "medium") -> Path:
    return make_feature(tmp_path / "repo", tier=tier)


def findings(root: Path, *extra: str) -> list[dict[str, Any]]:
    return check_json(root, *extra)["findings"]


def located(root: Path) -> list[tuple[str, str, int]]:
    return [(f["id"], f["path"], f["line"]) for f in findings(root)]


def facts(root: Path) -> dict[str, Any]:
    result = run_cli("facts", str(root), "--now", CLOCK, *(["--root", str(root)] if root == EXAMPLE else []))
    assert result.exit_code == 0, result.stderr
    return result.json()[0]["feature"]


def set_config(root: Path, text: str) -> None:
    write(root / CONFIG, text)


def config_with(dataset: str = "evals/golden.jsonl", metrics: str = "      - {name: coverage, threshold: 0.85}\n", extra: str = "") -> str:
    return (
        f"{extra}command: python evals/run.py --config evals/config.yaml\n"
        "suites:\n"
        "  - name: golden\n"
        f"    dataset: {dataset}\n"
        "    metrics:\n"
        f"{metrics}"
    )


def test_example_gate_facts() -> None:
    """The bundled example's evals are valid, big enough, and run by its workflow on pull requests."""
    doc = facts(EXAMPLE)
    evals, gate = doc["evals"], doc["eval_gate"]
    assert evals["valid"] and evals["suites"][0]["dataset"]["cases"] == 40
    [run] = gate["runs"]
    assert (run["workflow"], run["directories"], run["defeats"]) == (".github/workflows/evals.yml", ["."], [])
    events = [t["event"] for t in gate["workflows"][run["workflow"]]["triggers"]]
    assert events == ["pull_request", "merge_group"]
    assert "prompts/summarize.yaml" in gate["protected_paths"]


# --- Declaring evals ---------------------------------------------------------------------------


@pytest.mark.parametrize("tier, expected", [("medium", ["AIGOV-EVAL-001"]), ("high", ["AIGOV-EVAL-001"]), ("low", [])])
def test_evals_required_from_medium_tier(tmp_path: Path, tier: str, expected: list[str]) -> None:
    root = feature(tmp_path, tier)
    (root / "aigov.yaml").write_text((root / "aigov.yaml").read_text().replace("  evals: {config: evals/config.yaml}\n", ""))
    ids = [f["id"] for f in findings(root) if f["id"].startswith("AIGOV-EVAL")]
    assert ids == expected


def test_missing_config_points_at_the_manifest(tmp_path: Path) -> None:
    root = feature(tmp_path)
    (root / CONFIG).unlink()
    assert located(root) == [("AIGOV-EVAL-002", "aigov.yaml", 14)]


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("command: x\nsuites: [\n", 3, "invalid YAML"),
        (config_with(metrics="      - {name: coverage, threshold: high}\n"), 6, "threshold: 'high' is not of type 'number'"),
        (config_with(metrics="      - {name: coverage, treshold: 0.8}\n"), 6, "unknown key 'treshold'"),
        (config_with(dataset="evals/golden.txt"), 4, "must be a .jsonl, .json, .csv or .yaml file"),
        (config_with(dataset="../shared/golden.jsonl"), 4, "without '..'"),
        ("suites: []\n", 1, "'command' is a required property"),
        # what `aigov init` drafts for the team to fill in: a key with nothing after it is null in YAML
        ("command: pytest evals\nsuites:\n#  - name: golden\n", 2, "suites: has no value; expected an array"),
        (config_with(extra="runner: nosuchrunner\n"), 1, "not a recognised eval runner"),
        (config_with(metrics="      - {name: coverage, threshold: .nan}\n"), 6, "threshold: must be a finite number"),
        (config_with(metrics="      - {name: coverage, threshold: -.inf}\n"), 6, "threshold: must be a finite number"),
        (config_with(metrics="      - name: coverage\n        threshold: 0.8\n        range: [0, .inf]\n"), 8, "range[1]: must be a finite number"),
    ],
)
def test_invalid_config_points_at_its_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    root = feature(tmp_path)
    set_config(root, text)
    found = [f for f in findings(root) if f["id"] == "AIGOV-EVAL-003"]
    assert [(f["path"], f["line"]) for f in found][:1] == [(CONFIG, line)]
    assert words in found[0]["message"]


def test_org_can_add_an_eval_runner(tmp_path: Path) -> None:
    root = feature(tmp_path)
    set_config(root, config_with(extra="runner: evalkit\n").replace("python evals/run.py", "evalkit run"))
    write(root / ".github/workflows/evals-support-summarize.yml",
          (root / ".github/workflows/evals-support-summarize.yml").read_text().replace("python evals/run.py", "evalkit run"))
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-003"]
    org = org_config(tmp_path / "org", "data: [runners.yaml]\n",
                     {"runners.yaml": "aigov:\n  settings:\n    evals:\n      runners:\n        evalkit: ['^evalkit run']\n"})
    assert findings(root, "--config", str(org)) == []


@pytest.mark.parametrize("command", ["true", ":", "echo 'evals passed'", "exit 0", "printf ok && true"])
@pytest.mark.parametrize("runner", ["runner: custom\n", ""])
def test_command_that_does_nothing_is_not_an_eval(tmp_path: Path, command: str, runner: str) -> None:
    """A no-op command passes whatever the model does, even when CI runs it on every pull request."""
    root = feature(tmp_path)
    quoted = json.dumps(command)  # `true` unquoted is a YAML boolean
    set_config(root, config_with(extra=runner).replace("python evals/run.py --config evals/config.yaml", quoted))
    workflow = root / ".github/workflows/evals-support-summarize.yml"
    workflow.write_text(workflow.read_text().replace("python evals/run.py --config evals/config.yaml", quoted))
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-017", CONFIG, 2 if runner else 1)
    assert check(root).exit_code == 1


@pytest.mark.parametrize(
    "runner, command, warned",
    [
        ("pytest", "pytest evals -q", False),
        ("pytest", "python -m pytest evals", False),
        ("promptfoo", "npx promptfoo@0.90 eval -c promptfooconfig.yaml", False),
        ("deepeval", "deepeval test run evals/test_summaries.py", False),
        ("inspect-ai", "inspect eval evals/summarize.py --model bedrock/x", False),
        ("lm-eval", "lm_eval --model hf --tasks hellaswag", False),
        ("openai-evals", "oaieval support-summarizer summarize-golden", False),
        ("ragas", "python evals/ragas_eval.py", False),
        ("promptfoo", "pytest evals", True),
    ],
)
def test_recognised_runners(tmp_path: Path, runner: str, command: str, warned: bool) -> None:
    root = feature(tmp_path)
    set_config(root, config_with(extra=f"runner: {runner}\n").replace("python evals/run.py --config evals/config.yaml", command))
    workflow = root / ".github/workflows/evals-support-summarize.yml"
    workflow.write_text(workflow.read_text().replace("python evals/run.py --config evals/config.yaml", command))
    result = check(root, "--format", "json")
    assert result.exit_code == 0  # a runner mismatch is a warning, not a block
    assert [f["id"] for f in result.json()["findings"]] == (["AIGOV-EVAL-014"] if warned else [])
    assert facts(root)["evals"]["runner_detected"] == ("pytest" if warned else runner)


# --- Datasets --------------------------------------------------------------------------------


def cases_file(fmt: str, count: int) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps({"input": f"ticket {i}"}) + "\n\n" for i in range(count))
    if fmt == "json":
        return json.dumps([{"input": f"ticket {i}"} for i in range(count)], indent=2)
    if fmt == "csv":
        return "input,expected\n" + "".join(f'"ticket {i}, urgent",summary {i}\n' for i in range(count)) + "\n"
    return "".join(f"- input: ticket {i}\n  expected: summary {i}\n" for i in range(count))


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "yaml"])
def test_each_dataset_format_counts_its_cases(tmp_path: Path, fmt: str) -> None:
    root = feature(tmp_path)
    set_config(root, config_with(dataset=f"evals/golden.{fmt}"))
    write(root / f"evals/golden.{fmt}", cases_file(fmt, 25))
    assert findings(root) == []
    assert facts(root)["evals"]["suites"][0]["dataset"]["cases"] == 25
    write(root / f"evals/golden.{fmt}", cases_file(fmt, 24))
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-006", CONFIG, 4)
    assert "24 distinct cases" in finding["message"] and "medium tier needs at least 25" in finding["message"]


@pytest.mark.parametrize(
    "fmt, text",
    [
        ("jsonl", '{"input": "ticket 1", "expected": "a"}\n' * 20 + '{"expected": "a",  "input": "ticket 1"}\n' * 10),
        ("json", json.dumps([{"input": "ticket 1"}] * 30)),
        ("csv", "input,expected\n" + "ticket 1,summary 1\n" * 30),
        ("yaml", "- input: ticket 1\n  expected: a\n" * 30),
    ],
)
def test_golden_set_counts_distinct_cases(tmp_path: Path, fmt: str, text: str) -> None:
    """Thirty copies of one case are one case, whatever the key order or format."""
    root = feature(tmp_path)
    set_config(root, config_with(dataset=f"evals/golden.{fmt}"))
    write(root / f"evals/golden.{fmt}", text)
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-006", CONFIG, 4)
    assert "has 1 distinct cases" in finding["message"]


def test_high_tier_needs_fifty_cases_per_suite(tmp_path: Path) -> None:
    root = feature(tmp_path, "high")
    text = (root / "aigov.yaml").read_text() + "  oversight:\n    humanOversight: human-in-the-loop\n    incidentContact: '#oncall'\n    riskAssessment: https://risk.example/1\n"
    (root / "aigov.yaml").write_text(text)
    assert findings(root) == []
    second = "  - name: edge\n    dataset: evals/edge.jsonl\n    metrics:\n      - {name: coverage, threshold: 0.8}\n"
    set_config(root, config_with() + second)
    write(root / "evals/edge.jsonl", cases_file("jsonl", 49))
    assert located(root) == [("AIGOV-EVAL-006", CONFIG, 8)]


def test_org_data_raises_the_minimum(tmp_path: Path) -> None:
    root = feature(tmp_path)
    org = org_config(tmp_path / "org", "data: [evals.yaml]\n",
                     {"evals.yaml": "aigov:\n  settings:\n    evals:\n      min_cases: {low: 10, medium: 100, high: 200}\n"})
    assert [f["id"] for f in findings(root, "--config", str(org))] == ["AIGOV-EVAL-006"]


def test_missing_dataset(tmp_path: Path) -> None:
    root = feature(tmp_path)
    (root / "evals/golden.jsonl").unlink()
    assert located(root) == [("AIGOV-EVAL-004", CONFIG, 4)]


@pytest.mark.parametrize(
    "name, text, line, words",
    [
        ("golden.jsonl", '{"input": 1}\n{"input": 2\n', 2, "line is not a JSON value"),
        ("golden.json", '{"cases": []}', 1, "must hold a JSON array"),
        ("golden.json", '[{"input": 1},\n  oops]', 2, "invalid JSON"),
        ("golden.yaml", "cases:\n  - a\n", 1, "must hold a YAML list"),
        ("golden.jsonl", "\xff", 1, "not UTF-8"),
    ],
)
def test_unreadable_dataset_points_into_it(tmp_path: Path, name: str, text: str, line: int, words: str) -> None:
    root = feature(tmp_path)
    set_config(root, config_with(dataset=f"evals/{name}"))
    path = root / "evals" / name
    path.write_bytes(text.encode("latin-1") if text == "\xff" else text.encode())
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-005", f"evals/{name}", line)
    assert words in finding["message"]


# --- Thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric, blocked",
    [
        ("{name: coverage, threshold: 0}", True),
        ("{name: coverage, threshold: -0.5}", True),
        ("{name: hallucination_rate, threshold: 1, goal: max}", True),
        ("{name: hallucination_rate, threshold: 1.5, goal: max}", True),
        ("{name: score, threshold: 0, range: [-1, 1]}", False),
        ("{name: latency_ms, threshold: 1500, goal: max, range: [0, 60000]}", False),
        ("{name: hallucination_rate, threshold: 0, goal: max}", False),
    ],
)
def test_threshold_that_cannot_fail(tmp_path: Path, metric: str, blocked: bool) -> None:
    root = feature(tmp_path)
    set_config(root, config_with(metrics=f"      - {{name: coverage, threshold: 0.8}}\n      - {metric}\n"))
    assert located(root) == ([("AIGOV-EVAL-007", CONFIG, 7)] if blocked else [])


# --- The gate for this feature ------------------------------------------------------------------


def test_no_workflow_points_at_the_command(tmp_path: Path) -> None:
    root = feature(tmp_path)
    (root / ".github/workflows/evals-support-summarize.yml").unlink()
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-008", CONFIG, 1)
    assert "python evals/run.py --config evals/config.yaml" in finding["message"]


def test_workflow_running_another_eval_runner_is_named(tmp_path: Path) -> None:
    root = feature(tmp_path)
    workflow = root / ".github/workflows/evals-support-summarize.yml"
    workflow.write_text(workflow.read_text().replace("python evals/run.py --config evals/config.yaml", "pytest tests/evals"))
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008"
    assert ".github/workflows/evals-support-summarize.yml:13 runs pytest, not this command" in finding["message"]


@pytest.mark.parametrize("step, files, runner", [
    ("- run: make evals", {"Makefile": ".PHONY: evals\nevals:\n\tuv run pytest tests/evals\n"}, "pytest"),  # through the recipe
    ("- uses: promptfoo/promptfoo-action@v1\n        with: {config: promptfooconfig.yaml}", {}, "promptfoo"),  # an eval action
], ids=["make", "action"])
def test_an_eval_runner_ci_runs_through_a_wrapper_or_an_action_is_named(tmp_path: Path, step: str, files: dict[str, str], runner: str) -> None:
    root = feature(tmp_path)
    workflow = root / ".github/workflows/evals-support-summarize.yml"
    workflow.write_text(workflow.read_text().replace("- run: python evals/run.py --config evals/config.yaml", step))
    for rel, text in files.items():
        write(root / rel, text)
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008"
    assert f".github/workflows/evals-support-summarize.yml:13 runs {runner}, not this command" in finding["message"]


def test_monorepo_gate_must_run_in_each_features_folder(tmp_path: Path) -> None:
    make_feature(tmp_path / "services/a", name="feature-a", repo=tmp_path)
    make_feature(tmp_path / "services/b", name="feature-b", repo=tmp_path)
    (tmp_path / ".github/workflows/evals-feature-b.yml").unlink()
    doc = check_json(tmp_path)
    [finding] = doc["findings"]
    assert (finding["feature"], finding["id"], finding["path"]) == ("feature-b", "AIGOV-EVAL-008", "services/b/evals/config.yaml")
    assert "runs it in services/a, not in services/b" in finding["message"]


def test_cd_into_the_feature_folder_counts(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "services/a", name="feature-a", repo=tmp_path)
    workflow = tmp_path / ".github/workflows/evals-feature-a.yml"
    text = workflow.read_text().replace("    defaults:\n      run:\n        working-directory: services/a\n", "")
    workflow.write_text(text.replace("run: python evals/run.py", "run: cd services/a && python evals/run.py"))
    assert check_json(tmp_path)["findings"] == []
    assert facts(root.parent.parent)["eval_gate"]["runs"][0]["directories"] == ["services/a"]


def test_gate_through_a_reusable_workflow_with_a_swallowed_status(tmp_path: Path) -> None:
    root = feature(tmp_path)
    (root / ".github/workflows/evals-support-summarize.yml").unlink()
    write(root / ".github/workflows/ci.yml", "on:\n  pull_request:\njobs:\n  evals:\n    uses: ./.github/workflows/run-evals.yml\n")
    write(root / ".github/workflows/run-evals.yml",
          "on: workflow_call\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          set +e\n"
          "          python evals/run.py --config evals/config.yaml\n          echo \"evals exited $status\"\n")
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-013", ".github/workflows/run-evals.yml", 7)
    assert "job evals/run of .github/workflows/ci.yml" in finding["message"]


# --- One matrix job gating every feature of a monorepo ------------------------------------------


def matrix_monorepo(tmp_path: Path, job: str, step: str = "", top: str = "", features: str = "ab") -> Path:
    """Features services/<x> for each x in ``features``, gated only by one matrix job of ci.yml."""
    for x in features:
        make_feature(tmp_path / "services" / x, name=f"feature-{x}", repo=tmp_path)
        (tmp_path / f".github/workflows/evals-feature-{x}.yml").unlink()
    write(tmp_path / ".github/workflows/ci.yml",
          f"on:\n  pull_request:\n    branches: [main]\n{top}jobs:\n  evals:\n    runs-on: ubuntu-latest\n{job}"
          f"    steps:\n      - uses: actions/checkout@v4\n      - run: python evals/run.py --config evals/config.yaml\n{step}")
    return tmp_path


def by_feature(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in check_json(root)["findings"]:
        found.setdefault(f["feature"], []).append(f["id"])
    return found


LIST = "    strategy:\n      matrix:\n        dir: [services/a, services/b]\n"
INCLUDE = "    strategy:\n      matrix:\n        include:\n          - {dir: services/a}\n          - {dir: services/b}\n"
JOB_DEFAULT = "    defaults:\n      run:\n        working-directory: ${{ matrix.dir }}\n"
STEP_DIR = "        working-directory: ${{ matrix.dir }}\n"


@pytest.mark.parametrize(
    "job, step, top",
    [
        (LIST + JOB_DEFAULT, "", ""),
        (INCLUDE, STEP_DIR, ""),
        ("    strategy:\n      matrix:\n        name: [a, b]\n        python: ['3.11', '3.12']\n", "",
         "defaults:\n  run:\n    working-directory: services/${{ matrix.name }}\n"),
        (INCLUDE, "        working-directory: ${{ github.workspace }}/${{ matrix.dir }}/\n", ""),
    ],
    ids=["list-job-defaults", "include-step", "concatenation-workflow-defaults", "workspace-prefix"],
)
def test_one_matrix_job_gates_every_feature_in_its_folders(tmp_path: Path, job: str, step: str, top: str) -> None:
    """`${{ matrix.<key> }}` in working-directory is resolved leg by leg, so each feature's folder is gated."""
    root = matrix_monorepo(tmp_path, job, step, top)
    assert check_json(root)["findings"] == []
    [run] = facts(root)["eval_gate"]["runs"]
    assert run["directories"] == ["services/a", "services/b"]


def test_feature_left_out_of_the_matrix_is_not_gated(tmp_path: Path) -> None:
    """A third feature the matrix does not list still gets EVAL-008, naming the folders the job does run in."""
    root = matrix_monorepo(tmp_path, LIST + JOB_DEFAULT, features="abc")
    assert by_feature(root) == {"feature-c": ["AIGOV-EVAL-008"]}
    [finding] = check_json(root)["findings"]
    assert "ci.yml:15 runs it in services/a, services/b, not in services/c" in finding["message"]


@pytest.mark.parametrize(
    "job",
    [
        "    strategy:\n      matrix:\n        dir: ${{ fromJSON(vars.EVAL_DIRS) }}\n" + JOB_DEFAULT,
        "    strategy:\n      matrix: ${{ fromJSON(vars.EVAL_MATRIX) }}\n" + JOB_DEFAULT,
        "    strategy:\n      matrix:\n        include:\n          - {dir: '${{ vars.DIR_A }}'}\n" + JOB_DEFAULT,
    ],
    ids=["fromjson-axis", "fromjson-matrix", "expression-in-include"],
)
def test_matrix_aigov_cannot_read_gates_nothing(tmp_path: Path, job: str) -> None:
    """A matrix only known when the workflow runs leaves the folder unknown: no feature counts as gated."""
    root = matrix_monorepo(tmp_path, job)
    assert by_feature(root) == {"feature-a": ["AIGOV-EVAL-008"], "feature-b": ["AIGOV-EVAL-008"]}
    assert "runs it in a folder aigov cannot tell" in check_json(root)["findings"][0]["message"]


@pytest.mark.parametrize(
    "job, step, rule, key",
    [
        ("    continue-on-error: ${{ matrix.optional }}\n", "", "AIGOV-EVAL-012", "continue-on-error"),
        ("", "        continue-on-error: ${{ matrix.optional }}\n", "AIGOV-EVAL-012", "continue-on-error"),
        ("", "        if: ${{ !matrix.optional }}\n", "AIGOV-EVAL-011", "if:"),
    ],
    ids=["job-continue-on-error", "step-continue-on-error", "step-if"],
)
def test_defeat_on_one_leg_defeats_only_that_folder(tmp_path: Path, job: str, step: str, rule: str, key: str) -> None:
    """continue-on-error true (or the step skipped) only on the services/b leg blocks feature b at that line, not feature a."""
    include = ("    strategy:\n      matrix:\n        include:\n          - {dir: services/a, optional: false}\n"
               "          - {dir: services/b, optional: true}\n")
    root = matrix_monorepo(tmp_path, include + JOB_DEFAULT + job, step)
    [finding] = check_json(root)["findings"]
    lines = (root / ".github/workflows/ci.yml").read_text().splitlines()
    assert (finding["feature"], finding["id"], finding["path"]) == ("feature-b", rule, ".github/workflows/ci.yml")
    assert key in lines[finding["line"] - 1]
