"""The GitHub Action end to end, without GitHub: action.yml's own steps run in a simulated runner.

The simulated runner stands in for the GitHub Actions runner as actions/runner runs a composite
action: each `run:` step goes to `bash --noprofile --norc -eo pipefail` with the step's `env:`,
`${{ }}` expressions substituted first, GITHUB_OUTPUT fresh per step, GITHUB_STEP_SUMMARY,
GITHUB_EVENT_PATH, RUNNER_TEMP and GITHUB_ACTION_PATH set; a step without `if:` runs only while
nothing has failed. `actions/setup-python` is the one `uses:` step: the runner's Python is a
fresh virtual environment with a current pip, whose packages are this test run's (a .pth file), so
the Action's "Install aigov" step really builds and installs aigov from the Action's folder into it. The
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
from repo_helpers import git

ACTION = yaml.safe_load((REPO_ROOT / "action.yml").read_text())


# actions/setup-python provides a current pip; a venv has the one bundled with its Python (3.11's: 23.2),
# which takes half as long again over the Action's `pip install`, run for every simulated job.
RUNNER_PIP = "pip==26.3"


@pytest.fixture(scope="session")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's Python: a new virtual environment with a current pip that sees this run's packages (but no
    aigov of its own). Its pip is installed by this run's pip (`pip --python`): bootstrapping the bundled one with
    ensurepip only to replace it doubled the time this takes."""
    venv = tmp_path_factory.mktemp("runner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "--quiet", "--disable-pip-version-check", RUNNER_PIP],
                   check=True, capture_output=True, timeout=600)
    site = subprocess.run([str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "test-run-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


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


# --- The paved road's workflows, job by job, in the same simulated runner --------------------------
# A generated workflow's job runs as a runner would run it: `actions/checkout` is the clone the test
# made, `actions/setup-python` the runner's Python, the aigov Action (`<org>/aigov@...`) runs
# action.yml's own steps (run_action) with the step's `with:`, and `github/codeql-action/upload-sarif`
# stands for code scanning: the test sees what it would upload. `run:` steps go to bash as above.

ORG = "acme"
REVIEW_TOKEN = "app-t0ken"  # the secret AIGOV_REVIEW_TOKEN, which can read team membership


class JobRun:
    def __init__(self, status: int, uploads: list[dict[str, str]], log: str) -> None:
        self.status, self.uploads, self.log = status, uploads, log


def run_job(bin_dir: Path, workflow: Path, job: str, workspace: Path, tmp_path: Path, event_name: str,
            event: Path | None, api_url: str = "http://127.0.0.1:9", secrets: dict[str, str] | None = None) -> JobRun:
    steps = yaml.safe_load(workflow.read_text())["jobs"][job]["steps"]
    (tmp_path / "runner-temp").mkdir(parents=True, exist_ok=True)
    context: dict[str, Any] = {"github.token": "t0ken", "github.event_name": event_name, "runner.temp": str(tmp_path / "runner-temp"),
                               "secrets.aigov_review_token": (secrets or {}).get("AIGOV_REVIEW_TOKEN", "")}
    failed, status, log, uploads = False, 0, [], []
    for number, step in enumerate(steps):
        condition = step.get("if", "${{ success() }}")
        condition = condition if "${{" in str(condition) else "${{ " + str(condition) + " }}"
        if (failed and "always()" not in str(condition)) or truth(condition, context) is False:
            continue
        uses, inputs = step.get("uses", ""), {k: interpolate(str(v), context) for k, v in (step.get("with") or {}).items()}
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            continue  # the workspace is the clone, bin_dir the runner's Python
        if uses.startswith("github/codeql-action/upload-sarif@"):
            uploads.append({k: v or "" for k, v in inputs.items()})
            continue
        if uses.startswith(f"{ORG}/aigov@"):
            assert None not in inputs.values(), inputs  # every input known
            ran = run_action(bin_dir, workspace, tmp_path, event_name, event, inputs=inputs, api_url=api_url)  # type: ignore[arg-type]
            code, outputs, text = ran.status, ran.outputs, ran.log
        else:
            assert "run" in step, step
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workspace,
                                  env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "RUNNER_TEMP": context["runner.temp"]},
                                  capture_output=True, text=True, timeout=300)
            code, outputs, text = proc.returncode, {}, proc.stdout + proc.stderr
        log.append(text)
        context.update({f"steps.{step.get('id', number)}.outputs.{key}": value for key, value in outputs.items()})
        if code != 0:
            failed, status = True, status or code
    return JobRun(status, uploads, "".join(log))


@pytest.fixture(scope="module")
def generated_repo(tmp_path_factory: pytest.TempPathFactory, template_cache: Path) -> Path:
    """`aigov new` as a feature team runs it (the agent road, medium tier), on the default aigov source: the Action."""
    from conftest import run_cli

    dest = tmp_path_factory.mktemp("generated") / "bot"
    run = run_cli("new", "bot", "--template", "agent", "--tier", "medium", "--owner", "team-demo", "--github-org", ORG,
                  "--dest", str(dest), "--no-interactive")
    assert run.exit_code == 0, run.stderr
    return dest


def test_the_generated_pr_workflow_asks_for_what_the_gate_needs(generated_repo: Path) -> None:
    doc = yaml.safe_load((generated_repo / ".github/workflows/pr.yml").read_text())
    triggers = doc[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and "merge_group" in triggers
    assert doc["permissions"] == {"contents": "read", "pull-requests": "read", "security-events": "write"}
    steps = doc["jobs"]["aigov"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == "${{ steps.aigov.outputs.sarif }}"
    owners = (generated_repo / "CODEOWNERS").read_text()
    assert "GitHub accepts the approval of either" in owners and "data.aigov.settings.approvals" in owners
    assert "must also approve" not in owners


def seed_repository(generated: Path, into: Path) -> Path:
    """The generated repository as a git repository on main (a copy: each test changes its own)."""
    import shutil

    shutil.copytree(generated, into)
    git(into.parent, "init", "-q", "-b", "main", str(into))
    git(into, "add", "-A")
    git(into, "commit", "-qm", "aigov new")
    return into


def test_the_generated_pr_workflow_verifies_an_approval_and_uploads_sarif(runner_python: Path, generated_repo: Path,
                                                                         tmp_path: Path) -> None:
    """A pull request lowers the tier (it needs a CODEOWNER's approval); carol approves, and the review
    token (the secret) confirms she is in the owning team: the job passes and the SARIF goes to code
    scanning. In the merge queue the same job reads the pull request's author and head from the API."""
    repo = seed_repository(generated_repo, tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", "feat")
    (repo / "aigov.yaml").write_text((repo / "aigov.yaml").read_text().replace("riskTier: medium", "riskTier: low"))
    git(repo, "commit", "-qam", "lower the tier")
    head = git(repo, "rev-parse", "HEAD")
    event = {"number": 7, "pull_request": {"number": 7, "base": {"sha": git(repo, "rev-parse", "main")}, "head": {"sha": head},
                                           "user": {"login": "dev"}},
             "repository": {"full_name": "acme/bot"}}
    event_path = write(tmp_path / "event.json", json.dumps(event))
    workflow = repo / ".github/workflows/pr.yml"
    from github_stub import review, team

    with fake_github() as api:
        api.routes["/repos/acme/bot/pulls/7/reviews"] = [(200, json.dumps([review("carol", "APPROVED", head)]), 0)]
        team(api, "@acme/team-demo", ["carol"])
        run = run_job(runner_python, workflow, "aigov", repo, tmp_path, "pull_request", event_path, api.url,
                      secrets={"AIGOV_REVIEW_TOKEN": REVIEW_TOKEN})
        assert run.status == 0, run.log
        assert {token for path, token in api.seen if path.startswith("/orgs/")} == {f"Bearer {REVIEW_TOKEN}"}
        [upload] = run.uploads
        assert upload["category"] == "aigov" and json.loads(Path(upload["sarif_file"]).read_text())["version"] == "2.1.0"

        group = {"merge_group": {"base_sha": git(repo, "rev-parse", "main"), "head_sha": head,
                                 "head_ref": f"refs/heads/gh-readonly-queue/main/pr-7-{head}"}, "repository": {"full_name": "acme/bot"}}
        api.routes["/repos/acme/bot/pulls/7"] = [(200, json.dumps({"user": {"login": "carol"}, "head": {"sha": head}}), 0)]
        queued = run_job(runner_python, workflow, "aigov", repo, tmp_path, "merge_group", write(tmp_path / "mg.json", json.dumps(group)),
                         api.url, secrets={"AIGOV_REVIEW_TOKEN": REVIEW_TOKEN})
        assert queued.status == 1, queued.log  # carol opened it: her approval is no approval
        assert "AIGOV-CHANGE-003" in queued.log and queued.uploads


def test_the_generated_record_workflow_notes_every_push(runner_python: Path, generated_repo: Path, tmp_path: Path) -> None:
    """Two pushes to main, each run in a fresh clone (as CI clones: without notes): both decisions land
    on origin. A plain `git push` of the second run's notes is refused as not a fast-forward."""
    seed = seed_repository(generated_repo, tmp_path / "seed")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(origin)], check=True)
    git(seed, "push", "-q", str(origin), "main")
    noted = []
    for number in range(2):
        if number:
            write(seed / "NOTES.md", "a second change\n")
            git(seed, "add", "-A")
            git(seed, "commit", "-qm", "second")
            git(seed, "push", "-q", str(origin), "main")
        clone = tmp_path / f"run-{number}"
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        run = run_job(runner_python, clone / ".github/workflows/record.yml", "record", clone, tmp_path / f"t{number}", "push", None)
        assert run.status == 0, run.log
        noted.append(git(clone, "rev-parse", "HEAD"))
        listing = subprocess.run(["git", "--git-dir", str(origin), "notes", "--ref", "aigov", "list"], capture_output=True, text=True).stdout
        assert {line.split()[1] for line in listing.splitlines()} == set(noted)
