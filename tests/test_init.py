"""`aigov init` on existing repositories: what it drafts from the code and CI, what it refuses to
write, and that `aigov check` then judges the result (passing once the team has done its part).

Each repository is made by the test: real git, real workflows, real code files (our own few lines
in the shapes of benchmarks/real_repos); the real CLI writes and the real pack judges.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CLOCK, check, check_json, run_cli, run_limited, write

FLAGS = ("--tier", "low", "--owner", "team-search", "--data-classification", "internal", "--no-interactive")

EVAL_WORKFLOW = """\
name: ci
on:
  pull_request:
    branches: [main]
jobs:
  evals:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - name: evals
        run: |
          uv pip show pytest
          python -m pytest evals/ -q
"""


def existing_app(root: Path) -> Path:
    """A small Python LLM app with an eval suite its CI already runs on pull requests."""
    write(root / "app/config.py", 'import os\n\nCHAT_MODEL = os.getenv("CHAT_MODEL", "gpt-4o-mini")\n')
    write(root / "app/chat.py", (
        "from app.config import CHAT_MODEL\n\n"
        "def reply(client, messages):\n"
        "    # gpt-4o was too slow here\n"
        "    return client.chat.completions.create(model=CHAT_MODEL, messages=messages)\n\n"
        "def embed(client, texts):\n"
        '    return client.embeddings.create(model="text-embedding-3-small", input=texts)\n'))
    write(root / "evals/test_answers.py", "def test_answers():\n    assert True\n")
    write(root / "tests/test_chat.py", 'def test_reply():\n    assert reply(FakeClient(), model="gpt-5")\n')
    write(root / ".github/workflows/ci.yml", EVAL_WORKFLOW)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return root


def init(root: Path, *args: str):
    return run_cli("init", str(root), *args)


def test_drafts_the_manifest_card_and_eval_config_from_what_the_repository_does(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    manifest = (root / "aigov.yaml").read_text()
    data = yaml.safe_load(manifest)
    assert data["metadata"] == {"name": "search", "owner": "team-search"}
    assert data["spec"]["riskTier"] == "low" and data["spec"]["dataClassification"] == "internal"
    # The models the code calls, by registry id, each with where; not the one the tests name, not the comment's.
    assert data["spec"]["models"] == [{"id": "text-embedding-3-small", "provider": "openai"},
                                      {"id": "gpt-4o-mini", "provider": "openai"}]
    assert "- id: gpt-4o-mini  # app/config.py:3\n" in manifest
    assert "- id: text-embedding-3-small  # app/chat.py:8\n" in manifest
    # The eval command CI already runs (not the line that only names pytest), wired as the gate.
    assert data["spec"]["evals"] == {"config": "evals/config.yaml"}
    config = yaml.safe_load((root / "evals/config.yaml").read_text())
    assert (config["runner"], config["command"]) == ("pytest", "python -m pytest evals/ -q")
    assert "runs `python -m pytest evals/ -q` as .github/workflows/ci.yml:11 does (the pull-request gate)" in result.stdout
    card = (root / "MODEL_CARD.md").read_text()
    assert card.startswith("---\nmodels: [text-embedding-3-small, gpt-4o-mini]\nowners: [team-search]\n")
    assert "\nlast_reviewed:" not in card  # nobody has reviewed it yet: aigov init does not claim so
    # What remains is said, with its fix, and it is what `aigov check` finds.
    assert "  aigov.yaml: 2 models the code calls, each with where - confirm them" in result.stdout
    assert "aigov check: 2 blocking findings left for the team to resolve:" in result.stdout
    assert "  AIGOV-CARD-003 MODEL_CARD.md:2: model card metadata: 'last_reviewed' is a required property" in result.stdout
    assert "  AIGOV-EVAL-003 evals/config.yaml:" in result.stdout
    after = check_json(root)
    assert sorted(f["id"] for f in after["findings"] if f["blocking"]) == ["AIGOV-CARD-003", "AIGOV-EVAL-003"]


def test_what_remains_is_counted_in_words(tmp_path: Path) -> None:
    """One model, one blocking finding: said in the singular, not as "1 model(s)"."""
    root = existing_app(tmp_path / "search")
    write(root / "app/chat.py", "from app.config import CHAT_MODEL\n\n"
                                "def reply(client, messages):\n"
                                "    return client.chat.completions.create(model=CHAT_MODEL, messages=messages)\n")
    (root / ".github/workflows/ci.yml").unlink()  # no eval gate to draft: the card's review date is what remains
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert "  aigov.yaml: 1 model the code calls, each with where - confirm them" in result.stdout
    assert "aigov check: 1 blocking finding left for the team to resolve:" in result.stdout, result.stdout


def test_a_command_ci_runs_in_another_folder_is_not_drafted_as_the_gate(tmp_path: Path) -> None:
    # Pattern: reworkd/AgentGPT .github/workflows/python.yml (defaults: run: working-directory: platform,
    # `poetry run pytest ...` on pull requests): for the app at the root it gates nothing, as aigov check says.
    root = existing_app(tmp_path / "search")
    workflow = EVAL_WORKFLOW.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    defaults:\n      run:\n"
                                     "        working-directory: platform\n", 1)
    write(root / ".github/workflows/ci.yml", workflow)
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert "runs `python -m pytest evals/ -q` as .github/workflows/ci.yml:14 does (not a pull-request gate yet)" in result.stdout
    assert (root / "evals/config.yaml").read_text().startswith(
        "# Drafted by `aigov init`: this command, run by .github/workflows/ci.yml:14 (job evals); aigov finds no pull-request job")


def test_the_drafts_pass_once_the_team_has_written_what_only_it_knows(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    assert init(root, *FLAGS).exit_code == 0
    card = (root / "MODEL_CARD.md").read_text()
    card = card.replace("# last_reviewed: YYYY-MM-DD", "last_reviewed: 2026-11-01\n#")
    for heading, prose in (("Intended use", "Staff search."), ("Limitations and risks", "Misses rare terms."),
                           ("Evaluation", "The golden set, accuracy at least 0.9.")):
        card = card.replace(f"## {heading}\n\n", f"## {heading}\n\n{prose}\n\n")
    write(root / "MODEL_CARD.md", card)
    config = (root / "evals/config.yaml").read_text().replace(
        "suites:\n#  - name: golden\n#    dataset: evals/golden.jsonl\n#    metrics:\n#      - {name: accuracy, threshold: 0.9}\n",
        "suites:\n  - name: golden\n    dataset: evals/golden.jsonl\n    metrics:\n      - {name: accuracy, threshold: 0.9}\n")
    write(root / "evals/config.yaml", config)
    write(root / "evals/golden.jsonl", "".join(f'{{"q": "question {i}"}}\n' for i in range(10)))
    result = check(root)
    assert result.exit_code == 0, result.stdout


def test_tier_questions_on_a_terminal(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    # No to "decides about people", yes to "reaches customers": medium suggested and taken; then owner, data, description.
    typed = "n\ny\n\nteam-search\nconfidential\nSearch for support agents.\n"
    result = run_limited("init", str(root), "--interactive", stdin=typed)
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load((root / "aigov.yaml").read_text())
    assert (data["spec"]["riskTier"], data["spec"]["dataClassification"]) == ("medium", "confidential")
    assert data["metadata"]["description"] == "Search for support agents."


def test_without_a_terminal_the_teams_answers_are_flags(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    result = init(root, "--owner", "team-search", "--no-interactive")
    assert result.exit_code == 2
    assert "missing --tier, --data-classification: not on a terminal" in result.stderr
    assert not (root / "aigov.yaml").exists() and not (root / "MODEL_CARD.md").exists()


def test_never_overwrites_and_uses_an_existing_card(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    write(root / "MODEL_CARD.md", "# Our own card\n")
    write(root / "evals/config.yaml", "# the team's own eval settings\n")
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert (root / "MODEL_CARD.md").read_text() == "# Our own card\n"
    assert (root / "evals/config.yaml").read_text() == "# the team's own eval settings\n"
    assert yaml.safe_load((root / "aigov.yaml").read_text())["spec"]["evals"] == {"config": "evals/aigov-evals.yaml"}
    again = init(root, *FLAGS)
    assert again.exit_code == 2 and "already has aigov.yaml; aigov init never overwrites" in again.stderr


def test_writes_nothing_through_a_link_out_of_the_folder(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for name in list((root / "evals").iterdir()):
        name.unlink()
    (root / "evals").rmdir()
    (root / "evals").symlink_to(outside, target_is_directory=True)
    write(outside / "test_answers.py", "def test_answers():\n    assert True\n")
    result = init(root, *FLAGS)
    assert result.exit_code == 2 and "is a link out of the feature's folder" in result.stderr
    assert not (root / "aigov.yaml").exists() and sorted(p.name for p in outside.iterdir()) == ["test_answers.py"]


def test_declares_no_model_it_did_not_find(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root / "app/main.py", "print('hello')\n")
    result = init(root, *FLAGS)
    assert result.exit_code == 2 and "found no model the code calls" in result.stderr and "--model ID" in result.stderr
    assert not (root / "aigov.yaml").exists()
    named = init(root, *FLAGS, "--model", "gpt-4o")
    assert named.exit_code == 0, named.stderr
    assert "- id: gpt-4o  # named with --model; aigov did not find it in the code\n" in (root / "aigov.yaml").read_text()


def test_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    result = init(root, *FLAGS, "--dry-run")
    assert result.exit_code == 0
    assert "--- aigov.yaml\n" in result.stdout and "--- MODEL_CARD.md\n" in result.stdout
    assert not (root / "aigov.yaml").exists()


def test_check_without_a_manifest_points_to_init(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    before = run_cli("check", str(root), "--now", CLOCK)
    assert before.exit_code == 2 and "'aigov init' for existing code" in before.stderr
    assert init(root, *FLAGS).exit_code == 0
    assert check_json(root)["features"] == ["search"]


def test_end_of_input_at_a_question_writes_nothing(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    result = run_limited("init", str(root), "--interactive", stdin="n\n")
    assert result.exit_code == 2 and "end of input at the prompt" in result.stderr, result.stderr
    assert not (root / "aigov.yaml").exists()


# --- The eval tooling teams already have, found as aigov check finds it ------------------------------

PROMPTFOO_CONFIG = (
    "description: answers\n"
    "providers:\n  - openai:gpt-4o-mini\n"
    "prompts:\n  - file://prompts/answer.txt\n"
    "tests:\n" + "".join(f"  - vars: {{question: 'question {i}'}}\n    assert:\n      - type: contains\n        value: 'fact {i}'\n"
                         for i in range(12))
)


def app_with_ci(root: Path, steps: str, files: dict[str, str]) -> Path:
    """The app of :func:`existing_app` whose pull-request workflow runs ``steps`` (YAML list items, six spaces in)."""
    existing_app(root)
    write(root / ".github/workflows/ci.yml", EVAL_WORKFLOW[: EVAL_WORKFLOW.index("      - run: pip")] + steps)
    for rel, text in files.items():
        write(root / rel, text)
    return root


def eval_findings(root: Path) -> list[str]:
    return sorted(f["id"] for f in check_json(root)["findings"] if f["id"].startswith("AIGOV-EVAL"))


PROMPTFOO_ACTION = ("      - uses: promptfoo/promptfoo-action@v1\n        with:\n          config: promptfooconfig.yaml\n"
                    "          github-token: ${{ secrets.GITHUB_TOKEN }}\n")


@pytest.mark.parametrize("steps", [
    PROMPTFOO_ACTION,  # promptfoo's action on the config (promptfoo/promptfoo-action, README "Usage")
    "      - run: npx promptfoo@latest eval -c promptfooconfig.yaml --no-cache\n",
], ids=["action", "run-step"])
def test_a_promptfoo_config_ci_evaluates_is_the_eval_config_and_its_job_the_gate(tmp_path: Path, steps: str) -> None:
    """The team's promptfoo config is what aigov check reads as spec.evals.config (its tests, assertions and
    providers): init points at it rather than drafting an empty aigov config beside it."""
    root = app_with_ci(tmp_path / "search", steps, {"promptfooconfig.yaml": PROMPTFOO_CONFIG, "prompts/answer.txt": "Answer {{question}}\n"})
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    manifest = (root / "aigov.yaml").read_text()
    assert yaml.safe_load(manifest)["spec"]["evals"] == {"config": "promptfooconfig.yaml"}
    assert ("  evals: {config: promptfooconfig.yaml}  # the promptfoo eval config there, run by .github/workflows/ci.yml:10 (job evals) "
            "on pull requests\n") in manifest
    assert "  promptfooconfig.yaml: the promptfoo eval config already there, run by .github/workflows/ci.yml:10 (job evals) on pull requests" \
        in result.stdout
    assert not (root / "evals/config.yaml").exists()
    assert eval_findings(root) == []
    assert "aigov check: 1 blocking finding left for the team to resolve" in result.stdout  # the card's review date, for the team


def test_a_promptfoo_config_no_workflow_runs_is_declared_and_the_missing_gate_said(tmp_path: Path) -> None:
    root = app_with_ci(tmp_path / "search", "      - run: echo no evals here\n",
                       {"promptfooconfig.yaml": PROMPTFOO_CONFIG, "prompts/answer.txt": "Answer {{question}}\n"})
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert "  evals: {config: promptfooconfig.yaml}  # the promptfoo eval config there, which no workflow runs\n" in (root / "aigov.yaml").read_text()
    assert "  promptfooconfig.yaml: the promptfoo eval config already there, which no workflow runs" in result.stdout
    # What remains, and why: no workflow runs it.
    assert ('  AIGOV-EVAL-008 promptfooconfig.yaml:1: no workflow in .github/workflows runs the eval command '
            '"promptfoo eval -c promptfooconfig.yaml"') in result.stdout
    assert eval_findings(root) == ["AIGOV-EVAL-008"]


@pytest.mark.parametrize("step, files", [
    # Pattern: a Makefile target CI runs (`make evals`), its recipe running the suite through uv.
    ("make evals", {"Makefile": ".PHONY: evals\nevals:\n\tuv run pytest evals -q\n"}),
    # An npm script (npm runs it with sh -c).
    ("npm run evals", {"package.json": '{"name": "search", "scripts": {"evals": "uv run pytest evals -q"}}\n'}),
    # A tox environment (tox.ini [testenv:evals] commands, each run without a shell).
    ("tox -e evals", {"tox.ini": "[testenv:evals]\ncommands =\n    uv run pytest evals -q\n"}),
], ids=["make", "npm", "tox"])
def test_an_eval_command_ci_runs_through_a_wrapper_is_drafted_and_wired_as_the_gate(tmp_path: Path, step: str, files: dict[str, str]) -> None:
    root = app_with_ci(tmp_path / "search", f"      - name: evals\n        run: {step}\n", files)
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    config = yaml.safe_load((root / "evals/config.yaml").read_text())
    assert (config["runner"], config["command"]) == ("pytest", "uv run pytest evals -q")  # what runs, as written where it runs
    assert "runs `uv run pytest evals -q` as .github/workflows/ci.yml:10 does (the pull-request gate)" in result.stdout
    # aigov check follows the wrapper to the same command: the gate holds; the suites are the team's to name.
    assert eval_findings(root) == ["AIGOV-EVAL-003"]


def test_an_eval_config_aigov_reads_is_used_as_it_is(tmp_path: Path) -> None:
    root = existing_app(tmp_path / "search")
    config = ("runner: pytest\ncommand: python -m pytest evals/ -q\nsuites:\n  - name: golden\n    dataset: evals/golden.jsonl\n"
              "    metrics:\n      - {name: accuracy, threshold: 0.9}\n")
    write(root / "evals/config.yaml", config)
    write(root / "evals/golden.jsonl", "".join(f'{{"q": "question {i}"}}\n' for i in range(10)))
    result = init(root, *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load((root / "aigov.yaml").read_text())["spec"]["evals"] == {"config": "evals/config.yaml"}
    assert (root / "evals/config.yaml").read_text() == config and not (root / "evals/aigov-evals.yaml").exists()
    assert "  evals/config.yaml: the pytest eval config already there, run by .github/workflows/ci.yml:11 (job evals) on pull requests" \
        in result.stdout
    assert eval_findings(root) == []


def test_a_pnpm_workspace_package_whose_script_runs_promptfoo(tmp_path: Path) -> None:
    """A monorepo runner from the root (`pnpm --filter`) running the package's `eval` script, which runs
    promptfoo on the config promptfoo reads by default in that package's folder."""
    root = tmp_path / "mono"
    steps = "      - run: pnpm --filter @acme/bot eval\n"
    app_with_ci(root, steps, {
        "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
        "packages/bot/package.json": '{"name": "@acme/bot", "scripts": {"eval": "promptfoo eval --no-cache"}}\n',
        "packages/bot/promptfooconfig.yaml": PROMPTFOO_CONFIG,
        "packages/bot/prompts/answer.txt": "Answer {{question}}\n",
        "packages/bot/src/chat.py": 'def reply(client, messages):\n    return client.chat.completions.create(model="gpt-4o", messages=messages)\n',
    })
    result = init(root / "packages/bot", *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load((root / "packages/bot/aigov.yaml").read_text())["spec"]["evals"] == {"config": "promptfooconfig.yaml"}
    assert "promptfooconfig.yaml: the promptfoo eval config already there, run by .github/workflows/ci.yml:10 (job evals) on pull requests" \
        in result.stdout
    assert [f["id"] for f in check_json(root)["findings"] if f["id"].startswith("AIGOV-EVAL")] == []
