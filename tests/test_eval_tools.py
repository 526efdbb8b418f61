"""The eval tools teams use, judged end to end through `aigov check` on real repositories made by the tests.

Each case is one that `aigov check` judged "no workflow runs the eval command" (AIGOV-EVAL-008) before
aigov read it: the config's command spelled another way in CI, a wrapper (make, npm/pnpm/yarn, tox, nox,
docker compose) that runs it, a monorepo runner's folder option, promptfoo's GitHub Action, a promptfoo
config as the eval config, a gate skipped on pull requests from forks. Where a case must still block,
the test says which rule and where. The small workflows and build files here are written for these
tests; the real repositories they resemble are named beside them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import CLOCK, assert_clean_error, check, check_json, edit, make_feature, org_config, run_cli, write
from repo_helpers import git

COMMAND = "python evals/run.py --config evals/config.yaml"
WF = ".github/workflows/evals.yml"
PR = "pull_request:\n    branches: [main]"


def workflow(steps: str, job: str = "", on: str = PR, top: str = "") -> str:
    """A workflow whose `evals` job runs ``steps`` (YAML list items, six spaces in)."""
    return (f"name: evals\non:\n  {on}\n{top}jobs:\n  evals:\n    runs-on: ubuntu-latest\n{job}    steps:\n"
            f"      - uses: actions/checkout@v4\n{steps}")


def run_step(script: str, extra: str = "") -> str:
    return f"      - run: {script}\n{extra}"


def repo_with(tmp_path: Path, steps: str, files: dict[str, str] | None = None, job: str = "", on: str = PR,
              feature: str = ".", command: str | None = None) -> Path:
    """A repository with one compliant feature in ``feature`` whose only workflow runs ``steps``."""
    root = tmp_path / "repo"
    folder = root if feature == "." else root / feature
    make_feature(folder, repo=root)
    for old in (root / ".github/workflows").iterdir():
        old.unlink()
    write(root / WF, workflow(steps, job, on))
    if command is not None:
        config = folder / "evals/config.yaml"
        config.write_text(config.read_text().replace(COMMAND, command))
    for rel, text in (files or {}).items():
        write(root / rel, text)
    return root


def findings(root: Path, *extra: str) -> list[dict[str, Any]]:
    return check_json(root, *extra)["findings"]


def located(root: Path, *extra: str) -> list[tuple[str, str, int]]:
    return [(f["id"], f["path"], f["line"]) for f in findings(root, *extra)]


def gate(root: Path) -> dict[str, Any]:
    result = run_cli("facts", str(root), "--now", CLOCK)
    assert result.exit_code == 0, result.stderr
    return result.json()[0]["feature"]["eval_gate"]


def line_of(root: Path, rel: str, text: str) -> int:
    return next(i for i, line in enumerate((root / rel).read_text().splitlines(), start=1) if text in line)


# --- The config's command and CI's, spelled differently ----------------------------------------------


@pytest.mark.parametrize(
    "declared, ci",
    [
        ("pytest evals", "python -m pytest evals"),
        ("pytest evals", "python3 -m pytest evals"),
        ("pytest evals/", "python3.11 -m pytest -q evals/ -k golden"),
        ("pytest evals", "uv run pytest evals"),
        ("pytest evals", "uv run --frozen --extra dev python -m pytest evals"),
        ("pytest evals", "uv run -m pytest evals -x"),
        ("pytest evals", "poetry run pytest evals"),
        ("pytest evals", "hatch run test:pytest evals"),
        ("pytest evals", "pdm run pytest evals"),
        ("python -m pytest evals", "pytest ./evals/ --maxfail=1"),
        ("npx promptfoo@0.90 eval -c promptfooconfig.yaml", "promptfoo eval -c ./promptfooconfig.yaml --no-cache"),
        ("promptfoo eval -c promptfooconfig.yaml", 'npx --yes "promptfoo@${PROMPTFOO_VERSION}" eval -c promptfooconfig.yaml'),
        (COMMAND, "uv run evals/run.py --config=evals/config.yaml"),
        (COMMAND, "pipx run --spec evalkit python evals/run.py --verbose --config evals/config.yaml"),
    ],
)
def test_the_same_command_spelled_another_way_gates(tmp_path: Path, declared: str, ci: str) -> None:
    root = repo_with(tmp_path, run_step(ci), command=declared)
    assert findings(root) == []


@pytest.mark.parametrize(
    "declared, ci",
    [
        ("pytest evals", "pytest tests"),  # other tests
        ("pytest evals", "python -m pytest"),  # the declared folder is not named
        ("pytest evals", "uv pip install pytest evals"),  # uv's pip, not uv run
        ("pytest evals", "python -c 'import pytest' evals"),
        (COMMAND, "python evals/run.py --config other.yaml"),
    ],
)
def test_a_different_command_is_still_no_gate(tmp_path: Path, declared: str, ci: str) -> None:
    root = repo_with(tmp_path, run_step(json.dumps(ci)), command=declared)
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-008"]


def test_command_equivalence_is_decided_in_one_place() -> None:
    """facts/eval_commands.py: what each spelling runs (the table the end-to-end cases above rest on)."""
    from aigov.facts.eval_commands import Invocation, canonical, runs

    assert canonical(["uv", "run", "--directory", "services/a", "python3", "-m", "pytest", "-q", "evals/"]) == Invocation(("pytest", "-q", "evals"), ("services/a",))
    assert canonical(["poetry", "-C", "svc", "run", "pytest"]).cd == ("svc",)
    assert runs(canonical(["pytest", "-q", "evals", "-k", "golden"]), canonical(["pytest", "evals"]))
    assert not runs(canonical(["pytest", "-k", "evals"]), canonical(["pytest", "evals", "tests"]))


# --- make --------------------------------------------------------------------------------------------

MAKEFILE = """\
PYTHON ?= python
EVAL = $(PYTHON) evals/run.py --config evals/config.yaml

.PHONY: evals lint

lint:
\truff check .

evals: lint
\t@echo "running $@"
\t$(EVAL)
"""


def test_make_target_whose_recipe_runs_the_command_gates(tmp_path: Path) -> None:
    root = repo_with(tmp_path, run_step("make evals"), {"Makefile": MAKEFILE})
    assert findings(root) == []
    [run] = gate(root)["runs"]
    assert run["through"] == ["Makefile:11"] and run["line"] == line_of(root, WF, "make evals")


@pytest.mark.parametrize(
    "recipe, rule, anchor",
    [
        ("\t-$(EVAL)\n", "AIGOV-EVAL-013", "-$(EVAL)"),  # make ignores a failing line prefixed with -
        ("\t$(EVAL); echo done\n", "AIGOV-EVAL-013", "; echo done"),  # sh -c without -e: echo decides
        ("\t$(EVAL) || true\n", "AIGOV-EVAL-013", "|| true"),
        ("\t$(EVAL) | tee eval.log\n", "AIGOV-EVAL-013", "tee"),
    ],
)
def test_a_recipe_that_swallows_the_failure_points_at_the_makefile_line(tmp_path: Path, recipe: str, rule: str, anchor: str) -> None:
    root = repo_with(tmp_path, run_step("make evals"), {"Makefile": MAKEFILE.replace("\t$(EVAL)\n", recipe)})
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == (rule, "Makefile", line_of(root, "Makefile", anchor))


@pytest.mark.parametrize(
    "makefile, ci",
    [
        (MAKEFILE.replace(".PHONY: evals lint\n", ".PHONY: evals lint\n.IGNORE:\n"), "make evals"),
        (MAKEFILE, "make -i evals"),
        (MAKEFILE, "make --ignore-errors evals"),
        # not .PHONY, no phony prerequisite, and the folder evals/ exists: make may find `evals` up to date
        (MAKEFILE.replace(".PHONY: evals lint\n", ".PHONY: lint\n").replace("evals: lint", "evals:"), "make evals"),
    ],
)
def test_make_runs_that_let_the_failure_pass_block(tmp_path: Path, makefile: str, ci: str) -> None:
    root = repo_with(tmp_path, run_step(ci), {"Makefile": makefile})
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-013"]


@pytest.mark.parametrize(
    "makefile",
    [
        "SHELL := /bin/bash\n.SHELLFLAGS := -ec\n" + MAKEFILE.replace("\t$(EVAL)\n", "\t$(EVAL); echo done\n"),
        ".ONESHELL:\n.SHELLFLAGS := -ec\n" + MAKEFILE.replace("\t$(EVAL)\n", "\t$(EVAL)\n\techo done\n"),
        MAKEFILE.replace("\t$(EVAL)\n", "\t$(MAKE) run-evals\nrun-evals:\n\t$(EVAL)\n"),  # recursive make
        MAKEFILE.replace("evals: lint\n\t@echo \"running $@\"\n\t$(EVAL)\n", "evals: run-evals\nrun-evals:\n\t$(EVAL)\n"),  # a prerequisite's recipe
        MAKEFILE.replace("\t$(EVAL)\n", "\t$(EVAL) \\\n\t  --verbose\n"),  # continued over lines
        MAKEFILE.replace(".PHONY: evals lint\n", ".PHONY: lint\n"),  # not .PHONY, but a phony prerequisite remakes it
    ],
)
def test_make_forms_that_keep_the_failure_gate(tmp_path: Path, makefile: str) -> None:
    root = repo_with(tmp_path, run_step("make evals"), {"Makefile": makefile})
    assert findings(root) == []


def test_oneshell_without_errexit_lets_later_lines_decide(tmp_path: Path) -> None:
    makefile = ".ONESHELL:\n" + MAKEFILE.replace("\t$(EVAL)\n", "\t$(EVAL)\n\techo done\n")
    root = repo_with(tmp_path, run_step("make evals"), {"Makefile": makefile})
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-013"]


@pytest.mark.parametrize(
    "ci, makefile, words",
    [
        ("make -n evals", MAKEFILE, None),  # a dry run runs no recipe
        ("make evals", None, "needs a Makefile"),
        ("make eval", MAKEFILE, "no rule makes target eval in Makefile"),
    ],
)
def test_make_that_runs_nothing_aigov_can_follow_is_no_gate(tmp_path: Path, ci: str, makefile: str | None, words: str | None) -> None:
    root = repo_with(tmp_path, run_step(ci), {"Makefile": makefile} if makefile else {})
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008"
    assert words is None or words in finding["message"]


def test_a_rule_inside_a_make_conditional_is_not_taken_on_trust(tmp_path: Path) -> None:
    makefile = "ifdef CI\nevals:\n\tpython evals/run.py --config evals/config.yaml\nendif\n.PHONY: evals\n"
    root = repo_with(tmp_path, run_step("make evals"), {"Makefile": makefile})
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-013", "Makefile", 2)
    assert "make conditional" in finding["message"]


# Recipes for the oracle below: each one run by real GNU make, with a failing and with a passing stub.
MAKE_ORACLE = [
    ".PHONY: evals\nevals:\n\t{c}\n",
    ".PHONY: evals\nevals:\n\t-{c}\n",
    ".PHONY: evals\nevals:\n\t@{c}\n\techo done\n",
    ".PHONY: evals\nevals:\n\t{c}; echo done\n",
    ".PHONY: evals\nevals:\n\t{c} || true\n",
    ".PHONY: evals\nevals:\n\t{c} && echo ok\n",
    ".PHONY: evals\n.IGNORE:\nevals:\n\t{c}\n",
    ".PHONY: evals\n.ONESHELL:\nevals:\n\t{c}\n\techo done\n",
    ".PHONY: evals\n.ONESHELL:\n.SHELLFLAGS := -ec\nevals:\n\t{c}\n\techo done\n",
    ".POSIX:\n.PHONY: evals\nevals:\n\t{c}; echo done\n",
    "SHELL := /bin/bash\n.SHELLFLAGS := -o pipefail -c\n.PHONY: evals\nevals:\n\t{c} | cat\n",
    ".PHONY: evals\nevals:\n\t{c} | cat\n",
    ".PHONY: evals run\nevals: run\n\techo after\nrun:\n\t{c}\n",
    ".PHONY: evals run\nevals:\n\t$(MAKE) run\nrun:\n\t{c}\n",
    ".PHONY: evals run\nevals:\n\t-$(MAKE) run\nrun:\n\t{c}\n",
    "evals:\n\t{c}\n",  # not .PHONY, and evals/ exists: make finds it up to date
    "PY = python\n.PHONY: evals\nevals:\n\t$(PY) evals/run.py\n",
    ".PHONY: evals\nevals:\n\tif {c}; then echo ok; fi\n",
]
MAKE_CALLS = ["make evals", "make -i evals", "make -k evals", "make -n evals"]


def real_gate(tmp_path: Path, call: str, work: Path, env: dict[str, str]) -> bool | None:
    """Whether ``call``, run by real bash in ``work``, fails when the eval command (a `python` stub) fails;
    None when it fails whatever the command does."""
    stub = tmp_path / "bin" / "python"
    stub.parent.mkdir(exist_ok=True)
    statuses = []
    for code in (3, 0):
        stub.write_text(f"#!/bin/sh\ntouch {tmp_path}/ran\nexit {code}\n")
        stub.chmod(0o755)
        (tmp_path / "ran").unlink(missing_ok=True)
        done = subprocess.run(["bash", "-e", "-c", call], cwd=work, env={**env, "PATH": f"{stub.parent}:{env['PATH']}"},
                              capture_output=True, timeout=120)
        statuses.append((done.returncode, (tmp_path / "ran").exists()))
    (failed, ran), (passed, _) = statuses
    return None if passed != 0 else (ran and failed != 0)


def model_gate(call: str, work: Path) -> bool:
    """The model's answer for the same question: a use of the command whose failure nothing swallows."""
    from aigov.facts.eval_wrappers import Wrappers
    from aigov.facts.shell import Script, command_spec, find_uses, resolve_shell
    from aigov.tree import WorkTree

    uses = find_uses(Script(call, resolve_shell(None, False), "."), command_spec("python evals/run.py"), Wrappers(WorkTree(work)))
    return any(not use.swallows for use in uses)


def needs(program: str) -> str:
    from conftest import require_or_skip

    found = shutil.which(program)
    require_or_skip(found is not None, f"{program} is not installed")
    return str(found)


@pytest.mark.usefixtures("bash")
def test_make_model_agrees_with_gnu_make(tmp_path: Path) -> None:
    """Each Makefile and `make` call of the tables: does a failing eval command fail `make`? The model's
    answer (facts/eval_wrappers.py with the shell model) must be GNU make's own."""
    needs("make")
    work = tmp_path / "work"
    write(work / "evals/run.py", "")  # a folder named like the target, as a checkout has it (git keeps no empty folder)
    wrong = []
    for makefile in MAKE_ORACLE:
        (work / "Makefile").write_text(makefile.replace("{c}", "python evals/run.py"))
        for call in MAKE_CALLS:
            real = real_gate(tmp_path, call, work, {"PATH": "/usr/bin:/bin", "MAKEFLAGS": ""})
            if real is not None and model_gate(call, work) != real:
                wrong.append((call, makefile, real))
    assert wrong == []


# --- Shell script files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ci, script, gates",
    [
        ("bash evals/run_evals.sh", f"#!/usr/bin/env bash\nset -euo pipefail\n{COMMAND}\necho done\n", True),
        ("./evals/run_evals.sh", f"#!/bin/bash -e\n{COMMAND}\necho done\n", True),
        ("./evals/run_evals.sh", f"#!/usr/bin/env bash\n{COMMAND}\necho done\n", False),  # no -e: echo decides
        ("sh -e evals/run_evals.sh", f"{COMMAND} | tee eval.log\n", False),  # no pipefail
        ("bash evals/run_evals.sh --fast", f"{COMMAND} \"$@\"\n", True),
    ],
)
def test_a_shell_script_file_is_followed_with_the_shell_that_runs_it(tmp_path: Path, ci: str, script: str, gates: bool) -> None:
    """Shaped like tikalk/agentic-sdlc-spec-kit's .github/workflows/eval.yml, whose eval step runs
    ./evals/scripts/run-promptfoo-eval.sh (a script file: its own shell decides what a failure does)."""
    root = repo_with(tmp_path, run_step(ci), {"evals/run_evals.sh": script})
    (root / "evals/run_evals.sh").chmod(0o755)
    found = findings(root)
    assert [f["id"] for f in found] == ([] if gates else ["AIGOV-EVAL-013"])
    if not gates:
        assert found[0]["path"] == "evals/run_evals.sh"


SCRIPT_ORACLE = [
    ("bash run.sh", "{c}\necho done\n"),
    ("bash -e run.sh", "{c}\necho done\n"),
    ("sh run.sh", "set -e\n{c}\ntrue\n"),
    ("./run.sh", "#!/bin/bash -e\n{c}\necho done\n"),
    ("./run.sh", "#!/usr/bin/env bash\n{c}\necho done\n"),
    ("./run.sh", "#!/bin/sh\n{c} || true\n"),
    ("./run.sh", "{c}\n"),
    ("bash run.sh || true", "{c}\n"),
    ("bash -o pipefail run.sh", "{c} | cat\n"),
]


@pytest.mark.usefixtures("bash")
def test_script_file_model_agrees_with_bash(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    wrong = []
    for call, script in SCRIPT_ORACLE:
        (work / "run.sh").write_text(script.replace("{c}", "python evals/run.py"))
        (work / "run.sh").chmod(0o755)
        real = real_gate(tmp_path, call, work, {"PATH": "/usr/bin:/bin"})
        if real is not None and model_gate(call, work) != real:
            wrong.append((call, script, real))
    assert wrong == []


# --- package.json scripts (npm, pnpm, yarn, bun) -----------------------------------------------------------


def package(scripts: dict[str, str], name: str = "support-summarize", **more: Any) -> str:
    return json.dumps({"name": name, "private": True, "scripts": scripts, **more}, indent=2) + "\n"


@pytest.mark.parametrize(
    "ci, scripts",
    [
        ("npm run eval", {"eval": COMMAND}),
        ("npm run-script eval", {"eval": COMMAND}),
        ("npm test", {"test": COMMAND}),
        ("npm run eval -- --verbose", {"eval": COMMAND}),
        ("npm test", {"pretest": COMMAND, "test": "echo tested"}),  # npm runs pre<name> first and stops when it fails
        ("npm run eval", {"eval": "npm run eval:golden", "eval:golden": COMMAND}),
        ("pnpm eval", {"eval": COMMAND}),
        ("pnpm run eval", {"eval": COMMAND}),
        ("pnpm test", {"test": COMMAND}),
        ("yarn eval", {"eval": COMMAND}),
        ("yarn run eval", {"eval": COMMAND}),
        ("bun run eval", {"eval": COMMAND}),
    ],
)
def test_package_scripts_that_run_the_command_gate(tmp_path: Path, ci: str, scripts: dict[str, str]) -> None:
    root = repo_with(tmp_path, run_step(ci), {"package.json": package(scripts)})
    assert findings(root) == []
    assert gate(root)["runs"][0]["through"][0].startswith("package.json:")


@pytest.mark.parametrize(
    "ci, scripts, rule",
    [
        ("npm run eval", {"eval": f"{COMMAND} || true"}, "AIGOV-EVAL-013"),
        ("npm run eval", {"eval": f"{COMMAND}; echo done"}, "AIGOV-EVAL-013"),  # sh -c has no errexit
        ("npm run eval --if-present", {"test": COMMAND}, "AIGOV-EVAL-008"),  # no such script: npm runs nothing
        ("npm run eval", {"test": COMMAND}, "AIGOV-EVAL-008"),
        ("pnpm test", {"pretest": COMMAND, "test": "echo tested"}, "AIGOV-EVAL-008"),  # pnpm runs no pre scripts
        ("npm install", {"install": COMMAND}, None),  # not a script run: lifecycle scripts are not followed
    ],
)
def test_package_scripts_that_do_not_gate(tmp_path: Path, ci: str, scripts: dict[str, str], rule: str | None) -> None:
    root = repo_with(tmp_path, run_step(ci), {"package.json": package(scripts)})
    found = findings(root)
    assert [f["id"] for f in found] == [rule or "AIGOV-EVAL-008"]
    if rule == "AIGOV-EVAL-013":
        assert found[0]["path"] == "package.json" and found[0]["line"] == line_of(root, "package.json", '"eval":')


def test_pnpm_runs_a_binary_when_there_is_no_such_script(tmp_path: Path) -> None:
    root = repo_with(tmp_path, run_step("pnpm promptfoo eval -c promptfooconfig.yaml"), {"package.json": package({})},
                     command="npx promptfoo eval -c promptfooconfig.yaml")
    assert findings(root) == []


NPM_ORACLE = [
    ("npm run eval", {"eval": "{c}"}),
    ("npm run eval", {"eval": "{c} || true"}),
    ("npm run eval", {"eval": "{c}; echo done"}),
    ("npm run eval", {"eval": "{c} && echo ok"}),
    ("npm run eval", {"preeval": "{c}", "eval": "echo ok"}),
    ("npm run eval", {"eval": "echo ok", "posteval": "{c}"}),
    ("npm run eval --ignore-scripts", {"preeval": "{c}", "eval": "echo ok"}),
    ("npm test", {"test": "{c}"}),
    ("npm run eval --if-present", {"test": "{c}"}),
    ("npm run eval", {"eval": "npm run inner", "inner": "{c}"}),
    ("npm run eval", {"eval": "npm run inner || true", "inner": "{c}"}),
]


@pytest.mark.usefixtures("bash")
def test_npm_model_agrees_with_npm(tmp_path: Path) -> None:
    """Each package.json script and npm call: does a failing eval command fail `npm`? The model's answer
    must be npm's own (npm runs offline here: no dependency is installed)."""
    npm = needs("npm")
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": f"{Path(npm).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "npm_config_update_notifier": "false",
           "npm_config_cache": str(tmp_path / "npm-cache"), "npm_config_offline": "true"}
    wrong = []
    for call, scripts in NPM_ORACLE:
        (work / "package.json").write_text(package({k: v.replace("{c}", "python evals/run.py") for k, v in scripts.items()}))
        real = real_gate(tmp_path, call, work, env)
        if real is not None and model_gate(call, work) != real:
            wrong.append((call, scripts, real))
    assert wrong == []


# --- tox and nox -------------------------------------------------------------------------------------------

TOX_INI = """\
[tox]
envlist = py311, evals

[testenv]
deps = pytest
commands =
    pytest tests

[testenv:evals]
deps = -r requirements.txt
commands =
    python -c "print('warming up')"
    python evals/run.py --config evals/config.yaml {posargs}
"""


@pytest.mark.parametrize(
    "ci, files",
    [
        ("tox -e evals", {"tox.ini": TOX_INI}),
        ("tox run -e py311,evals", {"tox.ini": TOX_INI}),
        ("tox -e evals -- --verbose", {"tox.ini": TOX_INI}),
        ("tox -e evals", {"tox.ini": "[testenv]\ncommands =\n    py311: pytest tests\n    evals: python evals/run.py --config evals/config.yaml\n"}),
        ("tox -e evals", {"pyproject.toml": '[tool.tox]\nlegacy_tox_ini = """\n' + TOX_INI + '"""\n'}),
        ("tox -e evals", {"pyproject.toml": '[tool.tox.env.evals]\ncommands = [["python", "evals/run.py", "--config", "evals/config.yaml"]]\n'}),
        ("tox -e evals", {"tox.toml": '[env.evals]\ncommands = [["python", "evals/run.py", "--config", "evals/config.yaml"]]\n'}),
    ],
    ids=["env", "run-list", "posargs", "factors", "legacy-ini-in-pyproject", "native-pyproject", "tox-toml"],
)
def test_tox_environments_that_run_the_command_gate(tmp_path: Path, ci: str, files: dict[str, str]) -> None:
    root = repo_with(tmp_path, run_step(ci), files)
    assert findings(root) == []
    assert gate(root)["runs"][0]["through"][0].split(":")[0] in files


def test_tox_changedir_is_the_folder_the_commands_run_in(tmp_path: Path) -> None:
    """A tox.ini at the root of a monorepo whose evals environment changes into the feature's folder."""
    tox_ini = TOX_INI.replace("[testenv:evals]\n", "[testenv:evals]\nchangedir = {toxinidir}/services/summarize\n")
    root = repo_with(tmp_path, run_step("tox -e evals"), {"tox.ini": tox_ini}, feature="services/summarize")
    assert findings(root) == []
    root = repo_with(tmp_path / "other", run_step("tox -e evals"), {"tox.ini": TOX_INI}, feature="services/summarize")
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008" and "runs it in ., not in services/summarize" in finding["message"]


@pytest.mark.parametrize(
    "tox_ini, anchor",
    [
        (TOX_INI.replace("    python evals/run.py", "    - python evals/run.py"), "- python evals/run.py"),
        (TOX_INI.replace("[testenv:evals]\n", "[testenv:evals]\nignore_outcome = true\n"), "ignore_outcome"),
    ],
)
def test_tox_settings_that_let_the_failure_pass_block(tmp_path: Path, tox_ini: str, anchor: str) -> None:
    root = repo_with(tmp_path, run_step("tox -e evals"), {"tox.ini": tox_ini})
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-013", "tox.ini", line_of(root, "tox.ini", anchor))


def test_a_tox_command_is_not_a_shell(tmp_path: Path) -> None:
    """tox runs each command without a shell: `|| true` is two more arguments, not a fallback."""
    tox_ini = TOX_INI.replace("evals/config.yaml {posargs}", "evals/config.yaml || true")
    root = repo_with(tmp_path, run_step("tox -e evals"), {"tox.ini": tox_ini})
    assert findings(root) == []


NOXFILE = """\
import nox

open("NOX_WAS_RUN", "w").close()  # aigov never imports or runs a noxfile


@nox.session(python=["3.11", "3.12"])
def evals(session):
    session.install("-r", "requirements.txt")
    session.run("python", "evals/run.py", "--config", "evals/config.yaml", *session.posargs)


@nox.session
def lint(session):
    session.run("ruff", "check", ".")
"""


@pytest.mark.parametrize("ci", ["nox -s evals", "nox --session evals", "nox -s evals-3.11", "nox -s lint evals", "nox"])
def test_nox_sessions_that_run_the_command_gate(tmp_path: Path, ci: str) -> None:
    root = repo_with(tmp_path, run_step(ci), {"noxfile.py": NOXFILE})
    assert findings(root) == []
    assert not (root / "NOX_WAS_RUN").exists()


@pytest.mark.parametrize(
    "body, rule",
    [
        ('    session.run("python", "evals/run.py", "--config", "evals/config.yaml", success_codes=[0, 1])\n', "AIGOV-EVAL-013"),
        ('    if not os.environ.get("OPENAI_API_KEY"):\n        session.skip("no key")\n'
         '    session.run("python", "evals/run.py", "--config", "evals/config.yaml")\n', "AIGOV-EVAL-013"),
        ('    if session.posargs:\n        session.run("python", "evals/run.py", "--config", "evals/config.yaml")\n', "AIGOV-EVAL-008"),
        ('    config = "evals/config.yaml"\n    session.run("python", "evals/run.py", "--config", config)\n', "AIGOV-EVAL-008"),
    ],
    ids=["success-codes", "skip", "run-under-if", "computed-argument"],
)
def test_nox_sessions_read_only_as_far_as_they_are_declarative(tmp_path: Path, body: str, rule: str) -> None:
    noxfile = "import os\n\nimport nox\n\n\n@nox.session\ndef evals(session):\n" + body
    root = repo_with(tmp_path, run_step("nox -s evals"), {"noxfile.py": noxfile})
    [finding] = findings(root)
    assert finding["id"] == rule
    if rule == "AIGOV-EVAL-013":
        assert finding["path"] == "noxfile.py"


def test_nox_chdir_moves_the_commands(tmp_path: Path) -> None:
    noxfile = ('import nox\n\n\n@nox.session\ndef evals(session):\n    with session.chdir("services/summarize"):\n'
               '        session.run("python", "evals/run.py", "--config", "evals/config.yaml")\n')
    root = repo_with(tmp_path, run_step("nox -s evals"), {"noxfile.py": noxfile}, feature="services/summarize")
    assert findings(root) == []


# --- docker compose ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ci, compose",
    [
        ("docker compose run --rm evals", "services:\n  evals:\n    image: python:3.12\n    command: python evals/run.py --config evals/config.yaml\n"),
        ("docker compose run --rm -T app python evals/run.py --config evals/config.yaml", "services:\n  app:\n    build: .\n"),
        ("docker-compose run evals", "services:\n  evals:\n    image: python:3.12\n    command: [python, evals/run.py, --config, evals/config.yaml]\n"),
        ("docker compose run --rm evals", "services:\n  evals:\n    image: python:3.12\n    entrypoint: [python]\n    command: evals/run.py --config evals/config.yaml\n"),
        ("docker compose -f ci/compose.yaml run evals", None),
    ],
)
def test_compose_runs_that_run_the_command_gate(tmp_path: Path, ci: str, compose: str | None) -> None:
    files = {"compose.yaml": compose} if compose else {"ci/compose.yaml": "services:\n  evals:\n    image: python:3.12\n    command: python evals/run.py --config evals/config.yaml\n"}
    root = repo_with(tmp_path, run_step(ci), files)
    if compose is None:  # the project folder is the compose file's: ci/, not the feature's
        assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-008"]
        return
    assert findings(root) == []


@pytest.mark.parametrize(
    "ci, compose, rule",
    [
        ("docker compose run -d evals", "services:\n  evals:\n    image: x\n    command: python evals/run.py --config evals/config.yaml\n", "AIGOV-EVAL-013"),
        ("docker compose run evals", "services:\n  evals:\n    image: x\n    entrypoint: [sh, -c]\n    command: ['python evals/run.py --config evals/config.yaml || true']\n", "AIGOV-EVAL-013"),
        ("docker compose run evals", "services:\n  evals:\n    image: x\n", "AIGOV-EVAL-008"),  # the image's own command: unread
        ("docker compose run other", "services:\n  evals:\n    image: x\n    command: python evals/run.py --config evals/config.yaml\n", "AIGOV-EVAL-008"),
    ],
)
def test_compose_runs_that_do_not_gate(tmp_path: Path, ci: str, compose: str, rule: str) -> None:
    root = repo_with(tmp_path, run_step(ci), {"compose.yaml": compose})
    assert [f["id"] for f in findings(root)] == [rule]


# --- Monorepo runners from the root --------------------------------------------------------------------

FEATURE = "services/summarize"
WORKSPACE = {
    "package.json": package({}, name="acme", workspaces=["services/*"]),
    "pnpm-workspace.yaml": "packages:\n  - 'services/*'\n",
    f"{FEATURE}/package.json": package({"eval": COMMAND}, name="@acme/summarize"),
    "services/other/package.json": package({"eval": COMMAND}, name="@acme/other"),
    f"{FEATURE}/Makefile": ".PHONY: evals\nevals:\n\tpython evals/run.py --config evals/config.yaml\n",
}


@pytest.mark.parametrize(
    "ci",
    [
        f"make -C {FEATURE} evals",
        f"make --directory={FEATURE} evals",
        f"cd {FEATURE} && make evals",
        f"npm --prefix {FEATURE} run eval",
        "npm run eval -w @acme/summarize",
        f"npm run eval --workspace={FEATURE}",
        "pnpm --filter @acme/summarize run eval",
        "pnpm -F @acme/summarize eval",
        f"pnpm --filter ./{FEATURE} eval",
        f"pnpm -C {FEATURE} eval",
        "pnpm -r run eval",
        "yarn workspace @acme/summarize run eval",
        f"yarn --cwd {FEATURE} eval",
        f"uv run --directory {FEATURE} python evals/run.py --config evals/config.yaml",
        f"uv --directory {FEATURE} run evals/run.py --config evals/config.yaml",
    ],
)
def test_monorepo_runners_resolve_to_the_features_folder(tmp_path: Path, ci: str) -> None:
    root = repo_with(tmp_path, run_step(json.dumps(ci)), WORKSPACE, feature=FEATURE)
    assert findings(root) == []
    assert FEATURE in gate(root)["runs"][0]["directories"]


@pytest.mark.parametrize(
    "ci",
    ["make -C services/other evals", "pnpm --filter @acme/other run eval", "npm --prefix services/other run eval",
     "uv run --directory services/other python evals/run.py --config evals/config.yaml"],
)
def test_a_runner_aimed_at_another_package_is_no_gate_for_this_one(tmp_path: Path, ci: str) -> None:
    files = {**WORKSPACE, "services/other/Makefile": WORKSPACE[f"{FEATURE}/Makefile"]}
    root = repo_with(tmp_path, run_step(ci), files, feature=FEATURE)
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008" and f"not in {FEATURE}" in finding["message"]


def test_a_package_selector_aigov_does_not_read_is_named(tmp_path: Path) -> None:
    root = repo_with(tmp_path, run_step('pnpm --filter "...@acme/summarize" run eval'), WORKSPACE, feature=FEATURE)
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-008" and "does not read the package selector" in finding["message"]


def test_docker_compose_running_pnpm_filter_in_a_labelled_job(tmp_path: Path) -> None:
    """Shaped like Roo-Code's .github/workflows/evals.yml (RooCodeInc/Roo-Code, seen in the fork
    BinaryBeastMaster/Roo-Code): a job for labelled pull requests, not from forks, in packages/evals,
    running `docker compose run --rm runner pnpm --filter @roo-code/evals cli --ci`. The chain resolves
    to the eval command; the label makes the gate opt-in (AIGOV-EVAL-011), and it skips forks (AIGOV-EVAL-018)."""
    files = {
        "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n",
        "packages/evals/package.json": package({"cli": COMMAND}, name="@acme/evals"),
        "packages/evals/compose.yaml": "services:\n  runner:\n    build: .\n",
    }
    job = ("    if: contains(github.event.label.name, 'evals') && github.event.pull_request.head.repo.fork == false\n"
           "    defaults:\n      run:\n        working-directory: packages/evals\n")
    steps = run_step("docker compose run --rm runner pnpm --filter @acme/evals cli --ci")
    root = repo_with(tmp_path, steps, files, job=job, feature="packages/evals")
    assert "packages/evals" in gate(root)["runs"][0]["directories"]
    assert {f["id"] for f in findings(root)} == {"AIGOV-EVAL-011", "AIGOV-EVAL-018"}
    labelled = root / WF
    labelled.write_text(labelled.read_text().replace("contains(github.event.label.name, 'evals') && ", ""))
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-018"]


# --- Eval actions: promptfoo's, and those the org names ----------------------------------------------

PROMPTFOO_TESTS = "".join(f"  - vars: {{ticket: 'ticket {i}'}}\n    assert:\n      - type: contains\n        value: 'fact {i}'\n" for i in range(30))
PROMPTFOO_CONFIG = (
    "description: support summaries\n"
    "providers:\n  - openai:gpt-4o\n  - id: anthropic:messages:claude-3-5-haiku-20241022\n    config: {temperature: 0}\n"
    "prompts:\n  - file://prompts/summarize.txt\n"
    "defaultTest:\n  options:\n    provider: openai:chat:gpt-4o\n  assert:\n    - type: llm-rubric\n      value: a concise summary\n      threshold: 0.8\n"
    "tests:\n" + PROMPTFOO_TESTS
)


def promptfoo_repo(tmp_path: Path, steps: str, config: str = PROMPTFOO_CONFIG, feature: str = ".", files: dict[str, str] | None = None,
                   job: str = "", on: str = PR) -> Path:
    """A feature whose eval config (spec.evals.config) is a promptfoo config."""
    root = repo_with(tmp_path, steps, files, job=job, on=on, feature=feature)
    folder = root if feature == "." else root / feature
    (folder / "evals/config.yaml").unlink()
    manifest = folder / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("evals: {config: evals/config.yaml}", "evals: {config: promptfooconfig.yaml}"))
    write(folder / "promptfooconfig.yaml", config)
    write(folder / "prompts/summarize.txt", "Summarise {{ticket}} in three sentences.\n")
    return root


def action_step(**inputs: Any) -> str:
    given = {"config": "promptfooconfig.yaml", "github-token": "${{ secrets.GITHUB_TOKEN }}", **inputs}
    return "      - uses: promptfoo/promptfoo-action@v1\n        with:\n" + "".join(f"          {k}: {v}\n" for k, v in given.items())


def test_promptfoo_action_on_the_eval_config_gates(tmp_path: Path) -> None:
    """The action's `config` input names the feature's promptfoo config; it fails the step when tests fail
    (promptfoo/promptfoo-action src/main.ts at v1)."""
    root = promptfoo_repo(tmp_path, action_step())
    assert findings(root) == []
    [run] = gate(root)["runs"]
    assert (run["tool"], run["line"]) == ("promptfoo/promptfoo-action", line_of(root, WF, "promptfoo/promptfoo-action"))


@pytest.mark.parametrize(
    "inputs, rule, anchor",
    [
        ({"prompts": "prompts/**"}, "AIGOV-EVAL-010", "prompts: prompts/**"),  # skips pull requests that change only aigov.yaml
        ({"fail-on-threshold": 0}, "AIGOV-EVAL-013", "fail-on-threshold"),
        ({"fail-on-threshold": "${{ vars.EVAL_PASS_RATE }}"}, "AIGOV-EVAL-013", "fail-on-threshold"),
        ({"config": "other/promptfooconfig.yaml"}, "AIGOV-EVAL-008", None),
    ],
)
def test_promptfoo_action_inputs_that_defeat_the_gate(tmp_path: Path, inputs: dict[str, Any], rule: str, anchor: str | None) -> None:
    root = promptfoo_repo(tmp_path, action_step(**inputs))
    [finding] = findings(root)
    assert finding["id"] == rule
    if anchor:
        assert (finding["path"], finding["line"]) == (WF, line_of(root, WF, anchor))


@pytest.mark.parametrize(
    "inputs",
    [{"prompts": "prompts/**", "force-run": "true"}, {"fail-on-threshold": 80}, {"working-directory": "."}],
)
def test_promptfoo_action_inputs_that_keep_the_gate(tmp_path: Path, inputs: dict[str, Any]) -> None:
    assert findings(promptfoo_repo(tmp_path, action_step(**inputs))) == []


def test_promptfoo_action_in_a_monorepo_folder(tmp_path: Path) -> None:
    steps = action_step(**{"working-directory": FEATURE})
    root = promptfoo_repo(tmp_path, steps, feature=FEATURE)
    assert findings(root) == []
    steps = action_step(config=f"{FEATURE}/promptfooconfig.yaml")  # the same file, named from the root
    assert findings(promptfoo_repo(tmp_path / "root", steps, feature=FEATURE)) == []


def test_promptfoo_action_running_an_aigov_configs_command(tmp_path: Path) -> None:
    """An aigov eval config whose command runs promptfoo on its own config: the action runs that command."""
    root = repo_with(tmp_path, action_step(), {"promptfooconfig.yaml": PROMPTFOO_CONFIG}, command="npx promptfoo eval -c promptfooconfig.yaml")
    assert findings(root) == []


def test_continue_on_error_on_the_action_step_still_defeats_it(tmp_path: Path) -> None:
    root = promptfoo_repo(tmp_path, action_step() + "        continue-on-error: true\n")
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-012"]


ORG_ACTION = "aigov:\n  settings:\n    evals:\n      actions:\n        acme/eval-action:\n          config_input: eval-config\n          runner: acme\n"


def test_an_action_the_org_names_runs_the_eval_config(tmp_path: Path) -> None:
    steps = "      - uses: acme/eval-action@v2\n        with:\n          eval-config: evals/config.yaml\n"
    root = repo_with(tmp_path, steps)
    assert [f["id"] for f in findings(root)] == ["AIGOV-EVAL-008"]
    org = org_config(tmp_path / "org", "data: [actions.yaml]\n", {"actions.yaml": ORG_ACTION})
    assert findings(root, "--config", str(org)) == []


@pytest.mark.parametrize(
    "data, line, words",
    [
        (ORG_ACTION.replace("config_input: eval-config\n", ""), 5, "must be a mapping with config_input"),
        (ORG_ACTION.replace("runner: acme", "runner: [acme]"), 7, "must be a non-empty string"),
        (ORG_ACTION.replace("runner: acme", "fails_open: yes"), 7, "unknown key"),
        (ORG_ACTION.replace("acme/eval-action:", "eval-action:"), 5, "owner/repo"),
        ("aigov:\n  settings:\n    evals:\n      actions: [acme/eval-action]\n", 4, "must map action names"),
    ],
)
def test_org_eval_action_data_is_validated_with_file_and_line(tmp_path: Path, data: str, line: int, words: str) -> None:
    root = repo_with(tmp_path, run_step(COMMAND))
    org = org_config(tmp_path / "org", "data: [actions.yaml]\n", {"actions.yaml": data})
    result = check(root, "--config", str(org))
    assert_clean_error(result, f"actions.yaml:{line}", words)


# --- A promptfoo config as the eval config --------------------------------------------------------------


def eval_facts(root: Path) -> dict[str, Any]:
    result = run_cli("facts", str(root), "--now", CLOCK)
    assert result.exit_code == 0, result.stderr
    return result.json()[0]["feature"]["evals"]


def test_promptfoo_config_is_read_as_the_eval_config(tmp_path: Path) -> None:
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo@latest eval -c promptfooconfig.yaml"))
    assert findings(root) == []
    evals = eval_facts(root)
    assert (evals["format"], evals["command"], evals["runner"]) == ("promptfoo", "promptfoo eval -c promptfooconfig.yaml", "promptfoo")
    [suite] = evals["suites"]
    assert suite["dataset"]["cases"] == 30 and suite["assertions"] == 31
    assert [(m["name"], m["threshold"], m["line"]) for m in suite["metrics"]] == [("llm-rubric", 0.8, line_of(root, "promptfooconfig.yaml", "threshold: 0.8"))]
    # The models it evaluates, and the one that grades, for the model rules (facts/model_refs.py).
    assert [(m["id"], m["provider"], m["model"], m["role"], m["line"]) for m in evals["models"]] == [
        ("openai:gpt-4o", "openai", "gpt-4o", "provider", 3),
        ("anthropic:messages:claude-3-5-haiku-20241022", "anthropic", "claude-3-5-haiku-20241022", "provider", 4),
        ("openai:chat:gpt-4o", "openai", "gpt-4o", "grader", 10),
    ]
    assert "prompts/summarize.txt" in gate(root)["protected_paths"]


@pytest.mark.parametrize("ci", ["npx promptfoo@latest eval", "promptfoo eval --no-cache", "cd .. && npx promptfoo eval -c repo/promptfooconfig.yaml"])
def test_promptfoo_run_with_its_default_config_gates(tmp_path: Path, ci: str) -> None:
    root = promptfoo_repo(tmp_path, run_step(json.dumps(ci)))
    expected = [] if not ci.startswith("cd ..") else ["AIGOV-EVAL-008"]  # `cd ..` leaves the repository: no folder aigov knows
    assert [f["id"] for f in findings(root)] == expected


@pytest.mark.parametrize(
    "tests, files, cases",
    [
        ("tests: file://tests/golden.yaml\n", {"tests/golden.yaml": "".join(f"- vars: {{q: {i}}}\n  assert: [{{type: contains, value: '{i}'}}]\n" for i in range(27))}, 27),
        ("tests: file://tests/*.yaml\n", {"tests/a.yaml": "- vars: {q: 1}\n  assert: [{type: equals, value: '1'}]\n" * 1,
                                          "tests/b.yaml": "".join(f"- vars: {{q: {i}}}\n  assert: [{{type: equals, value: '{i}'}}]\n" for i in range(2, 40))}, 39),
        ("tests: file://tests.csv\n", {"tests.csv": "question,__expected\n" + "".join(f"q{i},contains:{i}\n" for i in range(26))}, 26),
        ("tests:\n  - file://tests.jsonl\n  - vars: {q: inline}\n    assert: [{type: contains, value: x}]\n",
         {"tests.jsonl": "".join(json.dumps({"vars": {"q": i}, "assert": [{"type": "equals", "value": str(i)}]}) + "\n" for i in range(25))}, 26),
        ("tests: file://tests/\n", {"tests/one.json": json.dumps([{"vars": {"q": i}, "assert": [{"type": "equals", "value": "x"}]} for i in range(25)])}, 25),
    ],
    ids=["yaml-file", "glob", "csv", "jsonl-and-inline", "folder"],
)
def test_promptfoo_tests_from_files_are_counted(tmp_path: Path, tests: str, files: dict[str, str], cases: int) -> None:
    config = PROMPTFOO_CONFIG[: PROMPTFOO_CONFIG.index("tests:\n")] + tests
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"), config, files=files)
    assert findings(root) == []
    assert eval_facts(root)["suites"][0]["dataset"]["cases"] == cases


@pytest.mark.parametrize(
    "tests, files, expected",
    [
        ("tests:\n" + PROMPTFOO_TESTS[: PROMPTFOO_TESTS.index("  - vars: {ticket: 'ticket 10'}")], {}, ("AIGOV-EVAL-006", "promptfooconfig.yaml")),
        ("tests: file://tests/missing.yaml\n", {}, ("AIGOV-EVAL-004", "promptfooconfig.yaml")),  # at the line naming it
        ("tests: file://generate_tests.py\n", {"generate_tests.py": "def generate_tests(): ...\n"}, ("AIGOV-EVAL-005", "promptfooconfig.yaml")),
        ("tests: huggingface://datasets/acme/tickets\n", {}, ("AIGOV-EVAL-005", "promptfooconfig.yaml")),
        ("tests: file://tests.yaml\n", {"tests.yaml": "cases: []\n"}, ("AIGOV-EVAL-005", "tests.yaml")),
    ],
    ids=["too-few", "missing-file", "code", "remote", "not-a-list"],
)
def test_promptfoo_tests_aigov_cannot_count_block(tmp_path: Path, tests: str, files: dict[str, str], expected: tuple[str, str]) -> None:
    config = PROMPTFOO_CONFIG[: PROMPTFOO_CONFIG.index("tests:\n")] + tests
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"), config, files=files)
    assert [(f["id"], f["path"]) for f in findings(root)] == [expected]


@pytest.mark.parametrize(
    "assertion, blocked",
    [
        ("{type: similar, value: a summary, threshold: 0}", True),
        ("{type: not-similar, value: a refusal, threshold: 1}", True),
        ("{type: similar, value: a summary, threshold: 0.75}", False),
        ("{type: latency, threshold: 0}", False),  # a maximum in milliseconds, not a 0-1 score
    ],
)
def test_promptfoo_thresholds_that_cannot_fail(tmp_path: Path, assertion: str, blocked: bool) -> None:
    config = PROMPTFOO_CONFIG.replace("  assert:\n    - type: llm-rubric", f"  assert:\n    - {assertion}\n    - type: llm-rubric")
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"), config)
    assert located(root) == ([("AIGOV-EVAL-007", "promptfooconfig.yaml", line_of(root, "promptfooconfig.yaml", assertion))] if blocked else [])


def test_promptfoo_tests_that_assert_nothing_cannot_fail(tmp_path: Path) -> None:
    tests = "".join(f"  - vars: {{ticket: 'ticket {i}'}}\n" for i in range(30))
    config = "providers: [openai:gpt-4o]\nprompts: [file://prompts/summarize.txt]\ntests:\n" + tests
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"), config)
    [finding] = findings(root)
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-EVAL-007", "promptfooconfig.yaml", 3)
    assert "asserts nothing" in finding["message"]


def test_a_path_filter_leaving_out_a_promptfoo_prompt_file_skips_the_evals(tmp_path: Path) -> None:
    on = "pull_request:\n    branches: [main]\n    paths: ['promptfooconfig.yaml', 'aigov.yaml']"
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"), on=on)
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-010" and "prompts/summarize.txt" in finding["message"]


def test_promptfoo_config_given_as_a_dataset_counts_its_tests(tmp_path: Path) -> None:
    """An aigov eval config whose suite names a promptfoo config as its dataset: its tests are the cases,
    not "must hold a YAML list"."""
    root = repo_with(tmp_path, run_step(COMMAND), {"promptfooconfig.yaml": PROMPTFOO_CONFIG})
    config = root / "evals/config.yaml"
    config.write_text(config.read_text().replace("dataset: evals/golden.jsonl", "dataset: promptfooconfig.yaml"))
    assert findings(root) == []
    assert eval_facts(root)["suites"][0]["dataset"]["cases"] == 30
    write(root / "promptfooconfig.yaml", PROMPTFOO_CONFIG.replace("tests:\n", "tests: file://nowhere.yaml\nunused:\n"))
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-005" and "nowhere.yaml does not exist" in finding["message"]


@pytest.mark.parametrize(
    "provider, expected",
    [
        ("openai:gpt-4o", None),  # approved for medium tier: the evals may send it the feature's data
        ("openai:gpt-4o-mini", ("AIGOV-MODEL-012", "is approved for tiers [low], not for medium; its evals run it (promptfooconfig.yaml:3)")),
        ("openai:gpt-3.5-turbo", ("AIGOV-MODEL-012", "is past its sunset (2026-09-30); its evals run it")),
        ("openai:gpt-9-turbo", ("AIGOV-MODEL-010", "is not in the approved-model registry (openai model id); its evals run it")),
    ],
)
def test_models_the_evals_run_must_be_ones_the_feature_may_use(tmp_path: Path, provider: str, expected: tuple[str, str] | None) -> None:
    """A promptfoo config's providers and graders get the feature's eval data: they need no declaration in
    aigov.yaml (they are not what the code calls), but one the registry does not allow at the feature's
    tier blocks as in code, and no waiver covers it."""
    config = PROMPTFOO_CONFIG.replace("  - openai:gpt-4o\n", f"  - {provider}\n")
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"), config)
    found = findings(root)
    if expected is None:
        assert found == []
    else:
        [finding] = found
        assert (finding["id"], finding["path"], finding["line"]) == (expected[0], "promptfooconfig.yaml", 3)
        assert expected[1] in finding["message"] and finding["blocking"]
    facts = run_cli("facts", str(root), "--now", CLOCK).json()[0]["feature"]
    assert {r["how"] for r in facts["model_references"] if r["path"] == "promptfooconfig.yaml"} == {"eval"}


def test_a_promptfoo_config_in_code_is_read_as_code(tmp_path: Path) -> None:
    """promptfooconfig.js runs: what it calls is a call of the feature's code (declared or AIGOV-MODEL-009),
    not the data of an eval config, which needs no declaration."""
    root = promptfoo_repo(tmp_path, run_step("npx promptfoo eval"))
    write(root / "promptfooconfig.js", 'module.exports = { providers: [openai("gpt-4o")] };\n')
    [finding] = [f for f in findings(root) if f["path"] == "promptfooconfig.js"]
    assert (finding["id"], finding["line"]) == ("AIGOV-MODEL-009", 1)


# --- Gates skipped on pull requests from forks ---------------------------------------------------------

SECRET_ENV = "    env:\n      OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}\n"


@pytest.mark.parametrize(
    "job, step",
    [
        (SECRET_ENV, "        if: env.OPENAI_API_KEY != ''\n"),
        (SECRET_ENV, "        if: ${{ env.OPENAI_API_KEY }}\n"),
        ("", "        env:\n          KEY: ${{ secrets.OPENAI_API_KEY }}\n        if: env.KEY != ''\n"),
        ("    if: github.event.pull_request.head.repo.fork == false\n", ""),
        ("    if: ${{ !github.event.pull_request.head.repo.fork }}\n", ""),
        ("    if: github.event.pull_request.head.repo.full_name == github.repository\n", ""),
        ("    if: github.event_name == 'push' || github.event.pull_request.head.repo.owner.login == github.repository_owner\n", ""),
    ],
)
def test_a_condition_false_on_fork_pull_requests_is_flagged(tmp_path: Path, job: str, step: str) -> None:
    """On a pull request from a fork the repository's secrets are empty and the head is another
    repository: the eval step is skipped there, and a skipped check reports success."""
    root = repo_with(tmp_path, run_step(COMMAND, step), job=job)
    [finding] = findings(root)
    assert finding["id"] == "AIGOV-EVAL-018" and finding["severity"] == "high"
    assert "pull requests from forks" in finding["message"]
    assert finding["line"] == line_of(root, WF, "if:")


def test_a_job_needing_a_fork_only_job_is_skipped_for_forks(tmp_path: Path) -> None:
    job = "    needs: check\n"
    root = repo_with(tmp_path, run_step(COMMAND), job=job)
    text = (root / WF).read_text() + ("  check:\n    runs-on: ubuntu-latest\n    if: github.event.pull_request.head.repo.fork == false\n"
                                      "    steps:\n      - run: echo ok\n")
    (root / WF).write_text(text)
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-018", line_of(root, WF, "needs: check"))


@pytest.mark.parametrize(
    "job, step, on",
    [
        # a merge queue runs the workflow in the base repository, with its secrets: the gate holds there
        (SECRET_ENV, "        if: env.OPENAI_API_KEY != ''\n", PR + "\n  merge_group:"),
        ("    if: github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository\n", "", PR + "\n  merge_group:"),
        ("    env:\n      RUN_EVALS: 'true'\n", "        if: env.RUN_EVALS == 'true'\n", PR),  # a literal, the same for forks
        ("    if: github.repository == 'acme/app'\n", "", PR),  # which repository runs it, not where the change comes from
    ],
)
def test_conditions_that_keep_the_gate_for_forks(tmp_path: Path, job: str, step: str, on: str) -> None:
    root = repo_with(tmp_path, run_step(COMMAND, step), job=job, on=on)
    assert findings(root) == []


def test_secrets_in_a_condition_is_a_workflow_github_rejects(tmp_path: Path) -> None:
    root = repo_with(tmp_path, run_step(COMMAND, "        if: secrets.OPENAI_API_KEY != ''\n"))
    [finding] = findings(root)
    assert (finding["id"], finding["line"]) == ("AIGOV-EVAL-016", line_of(root, WF, "if: secrets"))


# --- What the gate read: a pull request that changes only a Makefile re-judges the features it gates ------


ROOT_MAKEFILE = """\
.PHONY: lint evals-a evals-b

lint:
\truff check .

evals-a:
\tcd svc-a && python evals/run.py --config evals/config.yaml

evals-b:
\tcd svc-b && python evals/run.py --config evals/config.yaml
"""


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """Features svc-a and svc-b gated by `make evals-a` / `make evals-b` from the root Makefile, committed
    on main and checked out on branch feat."""
    repo = tmp_path / "mono"
    for name in ("svc-a", "svc-b"):
        make_feature(repo / name, name=name, repo=repo)
        (repo / f".github/workflows/evals-{name}.yml").unlink()
    write(repo / "Makefile", ROOT_MAKEFILE)
    write(repo / WF, workflow(run_step("make evals-a") + run_step("make evals-b")))
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feat")
    return repo


def commit_makefile(repo: Path, old: str, new: str) -> None:
    edit(repo / "Makefile", old, new)
    git(repo, "commit", "-q", "-am", "edit the Makefile")


def test_a_pr_editing_the_makefile_target_the_gate_runs_re_judges_the_feature(made: Path) -> None:
    commit_makefile(made, "\tcd svc-a && python", "\t-cd svc-a && python")
    doc = check_json(made, "--base", "main")
    assert "svc-a" in doc["features"]
    assert [(f["feature"], f["id"], f["path"], f["line"]) for f in doc["findings"]] == [("svc-a", "AIGOV-EVAL-013", "Makefile", 7)]


def test_a_pr_editing_another_target_of_that_makefile_re_judges_too(made: Path) -> None:
    """Reads are per file: the gate read the Makefile, so any edit to it re-judges the features whose gate
    runs through it (a check more, never a verdict missed)."""
    commit_makefile(made, "\truff check .", "\truff check . --fix")
    doc = check_json(made, "--base", "main")
    assert doc["features"] == ["svc-a", "svc-b"] and doc["verdict"] == "pass"


def test_the_wrapper_programs_named_for_the_cheap_test_are_those_handled() -> None:
    from aigov.facts.eval_commands import WRAPPER_PROGRAMS
    from aigov.facts.eval_wrappers import _HANDLERS

    assert set(_HANDLERS) == WRAPPER_PROGRAMS
