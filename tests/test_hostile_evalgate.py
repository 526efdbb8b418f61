"""Hostile workflows and eval configs: each runs the real `aigov` in its own process under a timeout and a
memory cap, so a hang or a blow-up fails the test instead of stalling CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLOCK, make_feature, run_limited, write

WF = ".github/workflows/evals.yml"
COMMAND = "python evals/run.py --config evals/config.yaml"


def repo_with_workflow(tmp_path: Path, workflow: str) -> Path:
    root = make_feature(tmp_path / "repo")
    for old in (root / ".github/workflows").iterdir():
        old.unlink()
    write(root / WF, workflow)
    return root


def workflow(job: str = "") -> str:
    return (
        "on:\n  pull_request:\n    branches: [main]\njobs:\n  evals:\n    runs-on: ubuntu-latest\n"
        f"{job}    steps:\n      - run: {COMMAND}\n"
    )


def check_json(root: Path) -> tuple[int, list[dict]]:
    import json

    run = run_limited("check", str(root), "--now", CLOCK, "--format", "json")
    assert run.exit_code in (0, 1), (run.exit_code, run.stderr[-2000:])
    assert "Traceback" not in run.stderr
    return run.exit_code, json.loads(run.stdout)["findings"]


def test_matrix_of_eight_keys_by_ten_values_is_never_expanded(tmp_path: Path) -> None:
    """10^8 combinations: counted, not built; GitHub refuses over 256 jobs, so the workflow gates nothing."""
    axes = "".join(f"        k{i}: [0,1,2,3,4,5,6,7,8,9]\n" for i in range(8))
    root = repo_with_workflow(tmp_path, workflow(f"    strategy:\n      matrix:\n{axes}"))
    code, findings = check_json(root)
    assert code == 1
    [finding] = findings
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-016", WF, 8)
    assert "at least 100000000 jobs" in finding["message"]


def test_matrix_with_thousands_of_excludes_and_includes_stays_bounded(tmp_path: Path) -> None:
    excludes = "".join(f"          - k0: {i}\n" for i in range(5000))
    includes = "".join(f"          - extra: {i}\n" for i in range(5000))
    axes = "".join(f"        k{i}: [0,1,2,3,4,5,6,7,8,9]\n" for i in range(5))
    job = f"    strategy:\n      matrix:\n{axes}        exclude:\n{excludes}        include:\n{includes}"
    code, findings = check_json(repo_with_workflow(tmp_path, workflow(job)))
    assert [f["id"] for f in findings] == ["AIGOV-EVAL-016"]


def test_five_thousand_nested_parentheses_in_if_name_the_workflow_line(tmp_path: Path) -> None:
    condition = "${{ " + "(" * 5000 + "true" + ")" * 5000 + " }}"
    root = repo_with_workflow(tmp_path, workflow(f"    if: {condition}\n"))
    code, findings = check_json(root)
    [finding] = findings
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-016", WF, 7)
    assert "nests deeper than 50 levels" in finding["message"]


def test_long_chains_and_negations_in_if_do_not_recurse(tmp_path: Path) -> None:
    chain = " || ".join(["github.event_name == 'push'"] * 600)  # under GitHub's 21,000 characters
    root = repo_with_workflow(tmp_path, workflow(f"    if: ${{{{ {chain} }}}}\n    continue-on-error: ${{{{ {'!' * 5000}false }}}}\n"))
    code, findings = check_json(root)
    # the chain is known false on pull requests; the refused negation is unknown, so it may be true
    assert {f["id"] for f in findings} == {"AIGOV-EVAL-011", "AIGOV-EVAL-012", "AIGOV-EVAL-016"}


def test_needs_chain_of_thousands_of_jobs_does_not_recurse(tmp_path: Path) -> None:
    jobs = "".join(f"  j{i}:\n    needs: j{i + 1}\n    runs-on: x\n    steps: [{{run: echo}}]\n" for i in range(3000))
    text = workflow("    needs: j0\n") + jobs + "  j3000:\n    needs: j0\n    runs-on: x\n    steps: [{run: echo}]\n"
    code, findings = check_json(repo_with_workflow(tmp_path, text))
    [finding] = findings
    assert finding["id"] == "AIGOV-EVAL-016" and "need each other in a cycle" in finding["message"]


def test_nan_and_infinite_thresholds_name_the_config_line(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    config = root / "evals/config.yaml"
    for value in (".nan", ".inf", "-.Inf", ".NaN"):
        config.write_text(config.read_text().replace("threshold: 0.85", f"threshold: {value}"))
        code, findings = check_json(root)
        [finding] = findings
        assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-003", "evals/config.yaml", 6)
        assert "must be a finite number" in finding["message"]
        config.write_text(config.read_text().replace(f"threshold: {value}", "threshold: 0.85"))


def test_dataset_nested_a_hundred_thousand_levels_is_a_finding(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    (root / "evals/golden.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    code, findings = check_json(root)
    [finding] = findings
    assert (finding["id"], finding["path"]) == ("AIGOV-EVAL-005", "evals/golden.jsonl")


def block(script: str) -> str:
    """``script`` as a YAML block scalar under a step's `run:`."""
    return "|\n" + "".join(f"          {line}\n" for line in script.splitlines())


@pytest.mark.parametrize(
    "script, expected",
    [
        # a thousand uncalled functions: each is examined once, none runs the command
        ("".join(f"f{i}() {{ {COMMAND}; }}\n" for i in range(1000)), ["AIGOV-EVAL-008"]),
        # the command nested two thousand `if`s deep: too deep to follow, so it does not count as gating
        ("if true; then " * 2000 + COMMAND + "; fi" * 2000, ["AIGOV-EVAL-013"]),
        # thousands of `set` lines and uses of the command: bounded work, and the first use gates
        ("set -e\n" * 5000 + f"{COMMAND}\n" * 500, []),
        # a script longer than aigov follows is not taken on trust
        (f"{COMMAND}\n" + "echo padding padding padding padding\n" * 4000, ["AIGOV-EVAL-013"]),
        # a thousand `bash -c` shells that each swallow the command: bounded work, none gates
        (f"bash -c '{COMMAND}; true'\n" * 1000, ["AIGOV-EVAL-013"]),
        # nested shells whose innermost `bash -c python evals/run.py ...` runs `python` alone (the rest are
        # its $0 and arguments): a lookalike, not the eval command
        ("bash -c " + "'bash -c \"bash -c \\\"bash -c " + COMMAND + "\\\"\"'", ["AIGOV-EVAL-008"]),
        # unbalanced and nonsense bash: no traceback, and nothing counted as run
        ("(" * 3000 + COMMAND, ["AIGOV-EVAL-008"]),
    ],
)
def test_hostile_run_scripts_are_bounded(tmp_path: Path, script: str, expected: list[str]) -> None:
    root = repo_with_workflow(tmp_path, workflow().replace(f"run: {COMMAND}\n", f"run: {block(script)}"))
    code, findings = check_json(root)
    assert [f["id"] for f in findings] == expected


def test_functions_calling_each_other_do_not_loop(tmp_path: Path) -> None:
    script = f"f() {{ g; }}\ng() {{ {COMMAND}; f; }}\nf\n"
    root = repo_with_workflow(tmp_path, workflow().replace(f"run: {COMMAND}\n", f"run: {block(script)}"))
    code, findings = check_json(root)
    assert findings == []


def test_megabyte_eval_command_is_bounded(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    config = root / "evals/config.yaml"
    config.write_text(config.read_text().replace(f"command: {COMMAND}", "command: " + "true; " * 150_000 + "true"))
    code, findings = check_json(root)
    assert code == 1 and "AIGOV-EVAL-008" in [f["id"] for f in findings]


def test_nested_shells_share_one_bound_on_the_places_followed() -> None:
    """`bash -c` inside `bash -c` inside `bash -c`, twenty of each: one step's script may not make aigov
    follow twenty cubed places (each may walk the whole script); the bound is shared by every nested shell."""
    import shlex

    from aigov.facts.shell import MAX_USES, command_spec, find_command, resolve_shell

    def twenty(inner: str) -> str:
        return "; ".join(["bash -c " + shlex.quote(inner)] * 20)

    script = "\n".join([twenty(twenty(f"{COMMAND}; true"))] * 2)
    assert len(script) < 100_000  # read, not refused for its length
    uses = find_command(script, command_spec(COMMAND), resolve_shell(None, False))
    assert 0 < len(uses) <= MAX_USES
    assert all(any(w.kind == "errexit_off" for w in use.swallows) for use in uses)  # each inner `; true` swallows it


def repo_running(tmp_path: Path, script: str, files: dict[str, str]) -> Path:
    root = repo_with_workflow(tmp_path, workflow().replace(f"run: {COMMAND}\n", f"run: {script}\n"))
    for rel, text in files.items():
        write(root / rel, text)
    return root


@pytest.mark.parametrize(
    "script, files, expected",
    [
        # twenty thousand targets, each the prerequisite of the one before: a bounded walk, the command never reached
        ("make t0", {"Makefile": "".join(f"t{i}: t{i + 1}\n" for i in range(20000)) + f"t20000:\n\t{COMMAND}\n"}, ["AIGOV-EVAL-008"]),
        # a target that makes itself again, and a Makefile that includes itself
        ("make evals", {"Makefile": ".PHONY: evals\nevals:\n\t$(MAKE) evals\n"}, ["AIGOV-EVAL-008"]),
        ("make evals", {"Makefile": f"include Makefile\n.PHONY: evals\nevals:\n\t{COMMAND}\n"}, []),
        # variables that double at each level: expanded once each, never 2^40 times
        ("make evals", {"Makefile": "".join(f"V{i} = $(V{i + 1})$(V{i + 1})\n" for i in range(40)) + ".PHONY: evals\nevals:\n\t$(V0)\n"},
         ["AIGOV-EVAL-008"]),
        # an npm script that runs itself, and a package.json nested a hundred thousand levels deep
        ("npm run eval", {"package.json": '{"scripts": {"eval": "npm run eval"}}'}, ["AIGOV-EVAL-008"]),
        ("npm run eval", {"package.json": "[" * 100_000 + "]" * 100_000}, ["AIGOV-EVAL-008"]),
        ("tox -e evals", {"tox.ini": "[testenv:evals]\ncommands =\n" + "    {[testenv:evals]commands}\n" * 3}, ["AIGOV-EVAL-008"]),
    ],
    ids=["prerequisite-chain", "recursive-make", "self-include", "variable-doubling", "self-running-script", "deep-json", "self-referencing-tox"],
)
def test_hostile_wrappers_are_bounded(tmp_path: Path, script: str, files: dict[str, str], expected: list[str]) -> None:
    code, findings = check_json(repo_running(tmp_path, script, files))
    assert [f["id"] for f in findings] == expected
