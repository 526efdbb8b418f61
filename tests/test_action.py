"""The GitHub Action end to end, without GitHub: action.yml's own steps run in a simulated runner.

The simulated runner stands in for the GitHub Actions runner as actions/runner runs a composite
action: each `run:` step goes to `bash --noprofile --norc -eo pipefail` with the step's `env:`,
`${{ }}` expressions substituted first, GITHUB_OUTPUT fresh per step, GITHUB_STEP_SUMMARY,
GITHUB_EVENT_PATH, RUNNER_TEMP and GITHUB_ACTION_PATH set; a step without `if:` runs only while
nothing has failed. `actions/setup-python` is the one `uses:` step: the runner's Python is a
fresh virtual environment whose packages are this test run's (a .pth file), so the Action's
"Install aigov" step really builds and installs aigov from the Action's folder into it. The
GitHub REST API is a loopback server (tests/github_stub.py) standing in for api.github.com.
The repositories are real git repositories with a base commit on main and a head commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigov.facts.expressions import interpolate, truth
from conftest import REPO_ROOT, add_sbom, make_feature, write
from github_stub import fake_github

ACTION = yaml.safe_load((REPO_ROOT / "action.yml").read_text())


@pytest.fixture(scope="session")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's Python: a new virtual environment that sees this run's packages (but no aigov of its own)."""
    venv = tmp_path_factory.mktemp("runner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "test-run-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def pull_request(tmp_path: Path, model: str = "gpt-4o", provider: str = "openai", swap_to: str | None = None) -> tuple[Path, Path]:
    """A repository with a compliant feature on main and a pull request on it; the event file.

    The pull request swaps the model everywhere it is named (manifest, card, SBOM) when ``swap_to``
    is given, else it only edits the README.
    """
    repo = tmp_path / "repo"
    make_feature(repo, model=model, provider=provider)
    write(repo / "README.md", "# repo\n")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "feat")
    if swap_to is None:
        write(repo / "README.md", "# repo\n\nMore words.\n")
    else:
        for name in ("aigov.yaml", "MODEL_CARD.md"):
            (repo / name).write_text((repo / name).read_text().replace(model, swap_to))
        add_sbom(repo)
    git(repo, "commit", "-qam", "the change")
    event = {"action": "synchronize", "number": 7,
             "pull_request": {"number": 7, "base": {"sha": git(repo, "rev-parse", "main"), "ref": "main"},
                              "head": {"sha": git(repo, "rev-parse", "HEAD"), "ref": "feat"}, "user": {"login": "dev"}},
             "repository": {"full_name": "acme/repo", "default_branch": "main"}}
    event_path = write(tmp_path / "event.json", json.dumps(event))
    return repo, event_path


class Run:
    def __init__(self, status: int, outputs: dict[str, str], log: str, summary: str) -> None:
        self.status, self.outputs, self.log, self.summary = status, outputs, log, summary


def run_action(bin_dir: Path, workspace: Path, tmp_path: Path, event_name: str, event: Path | None,
               inputs: dict[str, str] | None = None, api_url: str = "http://127.0.0.1:9") -> Run:
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = temp / "step-summary.md"
    summary.touch()
    context: dict[str, Any] = {"github.token": "t0ken", "github.event_name": event_name,
                               "github.action_path": str(REPO_ROOT), "runner.temp": str(temp)}
    for name, spec in ACTION["inputs"].items():
        given = (inputs or {}).get(name)
        context[f"inputs.{name}"] = given if given is not None else interpolate(str(spec.get("default", "")), context)
    base_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": os.environ.get("HOME", "/root"),
                "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": event_name,
                "GITHUB_EVENT_PATH": str(event) if event else "", "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_ACTION_PATH": str(REPO_ROOT), "GITHUB_API_URL": api_url, "RUNNER_TEMP": str(temp),
                "GITHUB_STEP_SUMMARY": str(summary), "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(temp / "pip")),
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "AIGOV_GITHUB_BACKOFF": "0.01"}
    failed, status, log = False, 0, []
    for number, step in enumerate(ACTION["runs"]["steps"]):
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@"), step  # the runner's Python is bin_dir
            continue
        condition = step.get("if", "${{ success() }}")
        if failed and "always()" not in str(condition):
            continue
        if truth(condition, context) is False:
            continue
        output_file = temp / f"output-{number}"
        output_file.write_text("")
        env = {**base_env, "GITHUB_OUTPUT": str(output_file)}
        env.update({key: interpolate(str(value), context) or "" for key, value in (step.get("env") or {}).items()})
        script = temp / f"step-{number}.sh"
        script.write_text(interpolate(step["run"], context) or "")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=env, capture_output=True, text=True, timeout=300)
        log.append(proc.stdout + proc.stderr)
        for line in output_file.read_text().splitlines():
            key, _, value = line.partition("=")
            context[f"steps.{step.get('id', number)}.outputs.{key}"] = value
        if proc.returncode != 0:
            failed, status = True, status or proc.returncode
    outputs = {name: interpolate(spec["value"], context) or "" for name, spec in ACTION["outputs"].items()}
    return Run(status, outputs, "".join(log), summary.read_text())


# A clock at which gpt-4o is within 90 days of its sunset (a medium finding) and the card is current.
NEAR_SUNSET = "--now 2027-01-15T00:00:00Z"


def test_a_pull_request_that_swaps_in_an_unapproved_model_fails_with_annotations_summary_and_sarif(
        runner_python: Path, tmp_path: Path) -> None:
    repo, event = pull_request(tmp_path, swap_to="gpt-4o-mini")  # approved for low tier only
    with fake_github() as api:
        api.routes["/repos/acme/repo/pulls/7/reviews"] = [(200, "[]", 0)]
        run = run_action(runner_python, repo, tmp_path, "pull_request", event, api_url=api.url)
    assert run.status == 1, run.log
    assert run.outputs["verdict"] == "fail"
    assert "::error file=aigov.yaml,line=10,title=AIGOV-MODEL-005" in run.log
    assert "FAIL" in run.summary and "AIGOV-MODEL-005" in run.summary
    assert "/repos/acme/repo/pulls/7/reviews" in {path.partition("?")[0] for path, _ in api.seen}
    sarif = json.loads(Path(run.outputs["sarif"]).read_text())
    assert "AIGOV-MODEL-005" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    report = json.loads(Path(run.outputs["report"]).read_text())
    assert report["verdict"] == "fail"
    record = json.loads(Path(run.outputs["record"]).read_text())
    assert record["verdict"] == "fail" and record["pr"] == 7
    assert not {"aigov.json", "aigov.sarif", "aigov-record.json"} & set(os.listdir(repo))  # reports stayed outside the tree


def test_a_compliant_pull_request_passes_and_fail_on_tightens_it(runner_python: Path, tmp_path: Path) -> None:
    repo, event = pull_request(tmp_path)
    run = run_action(runner_python, repo, tmp_path, "pull_request", event, inputs={"args": NEAR_SUNSET})
    assert (run.status, run.outputs["verdict"]) == (0, "pass"), run.log
    assert "::warning file=aigov.yaml" in run.log and "PASS" in run.summary
    strict = run_action(runner_python, repo, tmp_path, "pull_request", event, inputs={"args": NEAR_SUNSET, "fail-on": "medium"})
    assert (strict.status, strict.outputs["verdict"]) == (1, "fail"), strict.log


def test_a_version_pin_that_does_not_match_stops_before_the_check(runner_python: Path, tmp_path: Path) -> None:
    repo, event = pull_request(tmp_path)
    wrong = run_action(runner_python, repo, tmp_path, "pull_request", event, inputs={"version": "9.9.9"})
    assert wrong.status == 2 and "expects aigov 9.9.9" in wrong.log
    assert wrong.outputs["verdict"] == ""  # the check never ran


def test_pull_request_target_is_refused(runner_python: Path, tmp_path: Path) -> None:
    repo, event = pull_request(tmp_path)
    run = run_action(runner_python, repo, tmp_path, "pull_request_target", event)
    assert run.status == 2
    assert "does not run on pull_request_target" in run.log
    assert run.outputs["verdict"] == ""


def test_an_error_is_never_a_pass(runner_python: Path, tmp_path: Path) -> None:
    repo, _ = pull_request(tmp_path)
    run = run_action(runner_python, repo, tmp_path, "pull_request", None)  # no event file
    assert run.status == 2 and run.outputs["verdict"] == "error", run.log
    assert json.loads(Path(run.outputs["report"]).read_text())["verdict"] == "error"
