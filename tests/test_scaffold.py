"""aigov new / update / templates: paved-road repositories that are compliant as generated and stay current.

Every template at every tier is generated once per module with the real CLI and real copier, then
judged by the real `aigov check`, its own tests and evals run in a fresh virtual environment
(offline), and its workflows read by aigov's workflow parser. Updates run copier's real 3-way
merge between real git tags of a real template repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aigov import __version__
from aigov.cli import main
from conftest import Run, built_once, decision, org_config, require_or_skip, run_cli, write
from repo_helpers import commit_all, git

TEMPLATES = ("rag-service", "agent", "classic-ml")
TIERS = ("low", "medium", "high")
COMBOS = [(t, tier) for t in TEMPLATES for tier in TIERS]
ORG = "acme"
# `pip install ... aigov ...` by name: the public index's aigov, not ours.
UNPINNED_AIGOV = re.compile(r"pip install[^\n]*(?<![\w/@.-])aigov(?![\w/@.-])")
VERSION = (Path(__file__).parents[1] / "templates/agent/VERSION").read_text().strip()


def new(*args: str, cwd: Path | None = None) -> Run:
    """`aigov new` without a terminal; in the organisation ORG unless the arguments name one."""
    org = [] if "--github-org" in args else ["--github-org", ORG]
    return run_cli("new", *args, *org, "--no-interactive", cwd=cwd)


def check_now(path: Path, *extra: str) -> dict:
    """`aigov check` on the real clock: generated repositories carry today's review date."""
    return decision(run_cli("check", str(path), "--format", "json", *extra))


def tree(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*")) if path.exists() else []


pytestmark = pytest.mark.usefixtures("template_cache")  # aigov's template cache in a temporary folder


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every template at every tier, generated with the real CLI (defaults: the template's suggested models)."""
    root = tmp_path_factory.mktemp("generated")
    repos = {}
    for template, tier in COMBOS:
        dest = root / f"{template}-{tier}"
        run = new(f"demo-{template}", "--template", template, "--tier", tier, "--owner", "team-demo", "--dest", str(dest))
        assert run.exit_code == 0, run.stderr
        repos[(template, tier)] = dest
    return repos


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory, generated: dict[tuple[str, str], Path]) -> Path:
    """One new virtual environment with only what the generated repositories ask for (requirements-dev.txt).
    Installed by this run's pip (`pip --python`): bootstrapping a pip of its own with ensurepip took longer
    than the install, and the repositories' tests and evals do not use pip."""
    requirements = generated[("rag-service", "low")] / "requirements-dev.txt"
    for repo in generated.values():  # every road pins the same few packages, so one environment serves all
        assert (repo / "requirements-dev.txt").read_text() == requirements.read_text()
        assert (repo / "requirements.txt").read_text() == (requirements.parent / "requirements.txt").read_text()

    def build(env_dir: Path) -> None:
        venv.EnvBuilder(with_pip=False).create(env_dir)
        subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install", "-q",
                        "--disable-pip-version-check", "-r", str(requirements)], check=True, capture_output=True, text=True, timeout=600)

    # Built once for the run (both xdist workers run these tests): the pins are the templates', not a test's.
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    return built_once(tmp_path_factory, f"generated-repo-venv-{digest}", build) / "bin" / "python"


def clean_env() -> dict[str, str]:
    """No PYTHONPATH, no proxies to a provider: the generated repository must work offline on its own. Nor
    any bytecode written into it: every test reads the same generated repositories."""
    keep = {"PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT"}
    return {**{k: v for k, v in os.environ.items() if k in keep}, "PYTHONDONTWRITEBYTECODE": "1"}


def test_templates_lists_every_paved_road_with_its_purpose() -> None:
    run = run_cli("templates")
    assert run.exit_code == 0
    lines = {line.split()[0]: line for line in run.stdout.splitlines()}
    assert set(lines) == set(TEMPLATES)
    assert "retrieval" in lines["rag-service"].lower() and "tool" in lines["agent"] and "batch" in lines["classic-ml"]


# What a generated repository holds that a person has to review: its drafts, reported, not blocking.
def drafts_of(tier: str) -> list[tuple[str, str, bool]]:
    return [("AIGOV-DRAFT-001", path, False) for path in ["MODEL_CARD.md", *(["docs/risk-assessment.md"] if tier == "high" else [])]]


def findings_of(result: dict) -> list[tuple[str, str, bool]]:
    return sorted((f["id"], f["path"], f["blocking"]) for f in result["findings"])


@pytest.mark.parametrize("template, tier", COMBOS)
def test_generated_repo_passes_aigov_check(generated: dict, template: str, tier: str) -> None:
    """(a) No finding from every shipped rule (models, card, evals, SBOM, signing, drift) but the drafts a
    person must review, which do not block as generated."""
    repo = generated[(template, tier)]
    result = check_now(repo)
    assert findings_of(result) == drafts_of(tier) and result["verdict"] == "pass"
    assert run_cli("check", str(repo)).exit_code == 0


@pytest.mark.parametrize("template, tier", COMBOS)
def test_generated_repo_passes_its_own_tests_and_evals_offline(generated: dict, fresh_venv: Path, template: str, tier: str) -> None:
    """(b) The repository's own tests and its eval command (from evals/config.yaml) pass in a fresh venv."""
    repo = generated[(template, tier)]
    tests = subprocess.run([str(fresh_venv), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                           capture_output=True, text=True, env=clean_env(), timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    command = shlex.split(yaml.safe_load((repo / "evals/config.yaml").read_text())["command"])
    assert command[0] == "python"
    evals = subprocess.run([str(fresh_venv), *command[1:]], cwd=repo, capture_output=True, text=True, env=clean_env(), timeout=300)
    assert evals.returncode == 0, evals.stdout + evals.stderr
    assert "FAIL" not in evals.stdout and "3 of 3 metrics met their thresholds" in evals.stdout
    assert "the results record evals/baseline.json matches this run" in evals.stdout


@pytest.mark.parametrize("template, tier", COMBOS)
def test_workflows_wire_the_eval_gate_and_signing(generated: dict, template: str, tier: str) -> None:
    """(c) aigov's workflow parser finds the eval command run on pull requests to main, undefeated, and a signing release."""
    repo = generated[(template, tier)]
    feature = json.loads(run_cli("facts", str(repo)).stdout)[0]["feature"]
    gate = feature["eval_gate"]
    assert gate["command"] == "python -m evals.run --config evals/config.yaml"
    pr_runs = [r for r in gate["runs"] if r["workflow"] == ".github/workflows/pr.yml"]
    assert pr_runs and all(r["defeats"] == [] for r in pr_runs)
    assert any(job["id_token_write"] and "sigstore" in job["method"] for job in feature["release_signing"]["jobs"])
    assert not [f for f in check_now(repo)["findings"] if f["id"].startswith("AIGOV-EVAL")]
    pr = (repo / ".github/workflows/pr.yml").read_text()
    assert f"uses: {ORG}/aigov@v{__version__}" in pr and "aigov sbom --validate sbom.cdx.json" in pr
    release = (repo / ".github/workflows/release.yml").read_text()
    assert "aigov sbom . -o sbom.cdx.json" in release and "id-token: write" in release and f"uses: {ORG}/aigov@v{__version__}" in release
    for text in (pr, release):  # on the public index `aigov` is an unrelated project
        assert not UNPINNED_AIGOV.search(text)


def test_an_eval_step_taken_out_of_pr_yml_is_reported_in_pr_yml(generated: dict, tmp_path: Path) -> None:
    """The release workflow still runs the evals, on tags: the finding names the workflow the gate left."""
    repo = tmp_path / "repo"
    shutil.copytree(generated[("agent", "medium")], repo)
    pr = repo / ".github/workflows/pr.yml"
    text = pr.read_text()
    step = text[text.index("      - name: Eval gate\n"):text.index("\n\n", text.index("      - name: Eval gate\n")) + 1]
    pr.write_text(text.replace(step, ""))
    finding = next(f for f in check_now(repo)["findings"] if f["id"] == "AIGOV-EVAL-009")
    assert (finding["path"], finding["line"]) == (".github/workflows/pr.yml", text.splitlines().index("on:") + 1)
    assert finding["message"] == ("no job of .github/workflows/pr.yml, which pull requests run, runs the eval command; "
                                  ".github/workflows/release.yml runs the eval command, but only on push, never on pull requests")


@pytest.mark.parametrize("template, tier", COMBOS)
def test_generated_repo_holds_the_paved_road(generated: dict, template: str, tier: str) -> None:
    """The files the issue lists, answers recorded, oversight declared exactly at high tier, tier-sized golden set."""
    repo = generated[(template, tier)]
    for path in ["aigov.yaml", "MODEL_CARD.md", "prompts", "evals/config.yaml", "src", "tests", "CODEOWNERS",
                 "RUNBOOK.md", "README.md", "sbom.cdx.json", ".github/workflows/pr.yml", ".github/workflows/release.yml",
                 ".github/workflows/record.yml"]:
        assert (repo / path).exists(), path
    manifest = yaml.safe_load((repo / "aigov.yaml").read_text())
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert answers["_aigov_template"] == template and answers["_commit"] == VERSION and answers["tier"] == tier
    assert ("oversight" in manifest["spec"]) == (tier == "high") == (repo / "docs/risk-assessment.md").exists()
    owners = {line.split()[0]: line.split()[1:] for line in (repo / "CODEOWNERS").read_text().splitlines()
              if line and not line.startswith("#")}
    for path in ("/aigov.yaml", "/.aigov/", "/MODEL_CARD.md", "/evals/", "/.github/workflows/", "/prompts/", "/CODEOWNERS"):
        assert owners[path] == [f"@{ORG}/team-demo", f"@{ORG}/ai-risk-reviewers"], path
    runbook = (repo / "RUNBOOK.md").read_text()
    assert all(h in runbook for h in ("## Rollback", "## Kill switch", "## Provider failover"))
    for prompt in (repo / "prompts").glob("*.yaml"):
        meta = yaml.safe_load(prompt.read_text())
        assert meta["owner"] == "team-demo" and meta["version"] == 1 and meta["model"] == manifest["spec"]["models"][0]["id"]


def test_models_default_to_the_registry_approved_suggestion_for_the_tier(generated: dict) -> None:
    models = {tier: [m["id"] for m in yaml.safe_load((generated[("agent", tier)] / "aigov.yaml").read_text())["spec"]["models"]]
              for tier in TIERS}
    assert models["high"] == ["anthropic.claude-sonnet-4"]
    assert models["medium"] == ["anthropic.claude-sonnet-4", "gpt-4o"]
    assert "gpt-4o" not in models["high"]


@pytest.mark.parametrize("args, message", [
    (["Bad_Name", "--template", "agent", "--tier", "low", "--owner", "t"], "invalid feature name 'Bad_Name'"),
    (["ok-name", "--template", "chatbot", "--tier", "low", "--owner", "t"], "unknown template 'chatbot'"),
    (["ok-name", "--template", "agent", "--tier", "high", "--owner", "t", "--model", "gpt-4o"],
     "model gpt-4o is approved for tiers [low, medium], not for high"),
    (["ok-name", "--template", "agent", "--tier", "low", "--owner", "t", "--model", "unvetted-community-7b"], "is banned, not approved"),
    (["ok-name", "--template", "agent", "--tier", "low", "--owner", "t", "--data-classification", "restricted"],
     "restricted data needs tier medium or high"),
    (["ok-name", "--template", "agent", "--owner", "t"], "missing --tier"),
    (["--template", "agent", "--tier", "low"], "missing NAME, --owner"),
    (["ok-name", "--template", "agent", "--tier", "low", "--owner", "t", "--github-org", ""], "missing --github-org"),
])
def test_bad_input_is_refused_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    run = new(*args, "--dest", str(tmp_path / "out"), cwd=tmp_path)
    assert run.exit_code == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert tree(tmp_path) == []


def test_an_existing_non_empty_destination_is_left_alone(tmp_path: Path) -> None:
    write(tmp_path / "out" / "notes.txt", "mine\n")
    run = new("ok-name", "--template", "agent", "--tier", "low", "--owner", "t", "--dest", str(tmp_path / "out"))
    assert run.exit_code == 2 and "not empty" in run.stderr
    assert tree(tmp_path) == ["out", "out/notes.txt"]


def test_an_empty_destination_folder_is_filled(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    run = new("ok-name", "--template", "classic-ml", "--tier", "low", "--owner", "t", "--dest", str(tmp_path / "out"))
    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "out" / "aigov.yaml").is_file() and [p.name for p in tmp_path.iterdir()] == ["out"]



def test_inside_a_monorepo_it_says_where_the_workflows_must_go(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    run = new("svc-a", "--template", "agent", "--tier", "low", "--owner", "t", "--dest", "services/svc-a", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "services/svc-a/aigov.yaml").is_file()
    assert "services/svc-a/.github/workflows/*.yml to .github/workflows/" in run.stdout

def test_on_a_terminal_it_asks_and_offers_only_approved_models(tmp_path: Path) -> None:
    """Answers typed at the prompts; at high tier gpt-4o (approved for low/medium only) is not offered."""
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["new", "asked", "--interactive"], input="agent\nhigh\nteam-ask\nacme-ask\n\n\n\ninternal\n1\n")
    finally:
        os.chdir(Path(__file__).parent)
    assert result.exit_code == 0, result.output
    offered = result.output.split("Chat models approved for high tier:")[1].split("Models, primary first")[0]
    assert "anthropic.claude-sonnet-4" in offered and "gpt-4o" not in offered and "text-embedding-3-small" not in offered
    manifest = yaml.safe_load((tmp_path / "asked" / "aigov.yaml").read_text())
    assert manifest["metadata"]["owner"] == "team-ask" and [m["id"] for m in manifest["spec"]["models"]] == ["anthropic.claude-sonnet-4"]
    for prompt in ("GitHub organisation", "GitHub repository (the release signing identity) [acme-ask/asked]",
                   "Risk reviewers (CODEOWNERS) [@acme-ask/ai-risk-reviewers]", "Where CI installs aigov from (pinned) [acme-ask/aigov@v"):
        assert prompt in result.output, prompt
    assert "acme-ask/asked" in manifest["spec"]["artifacts"][0]["identityPattern"].replace("\\", "")
    assert "@acme-ask/team-ask @acme-ask/ai-risk-reviewers" in (tmp_path / "asked" / "CODEOWNERS").read_text()


def test_bundled_template_is_a_tagged_git_repository_in_the_cache(generated: dict, template_cache: Path) -> None:
    source = yaml.safe_load((generated[("agent", "low")] / ".copier-answers.yml").read_text())["_src_path"]
    assert Path(source) == template_cache / "aigov" / "templates" / "agent"
    assert git(Path(source), "tag", "--points-at", "HEAD").split() == [VERSION]


def test_check_never_imports_copier(generated: dict) -> None:
    code = ("import sys\nfrom aigov.cli import main\n"
            f"try:\n    main(['check', {str(generated[('rag-service', 'low')])!r}])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'copier'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# --- aigov update: a real template repository with real tags, a real 3-way merge -------------------------


@pytest.fixture
def template_repo(tmp_path: Path, generated: dict, template_cache: Path) -> Path:
    """An organisation's copy of the rag-service template, tagged VERSION (as `--template-source`)."""
    repo = tmp_path / "template"
    subprocess.run(["git", "clone", "-q", str(template_cache / "aigov/templates/rag-service"), str(repo)], check=True)
    return repo


def release_v2(template: Path) -> None:
    """Template 2.0.0: a new file, a changed RUNBOOK section and a new README title."""
    project = template / "project"
    (project / "SECURITY.md.jinja").write_text("# Security policy for {{ name }}\n\nReport issues to {{ incident_contact }}.\n")
    runbook = project / "RUNBOOK.md.jinja"
    runbook.write_text(runbook.read_text().replace("## After an incident", "## After an incident (within 5 working days)"))
    readme = project / "README.md.jinja"
    readme.write_text(readme.read_text().replace("# {{ name }}\n", "# {{ name }} (paved road)\n", 1))
    commit_all(template, "template 2.0.0")
    git(template, "tag", "2.0.0")


def generate_and_commit(tmp_path: Path, template: Path) -> Path:
    project = tmp_path / "work" / "qa-bot"
    run = new("qa-bot", "--template-source", str(template), "--tier", "medium", "--owner", "team-qa", "--dest", str(project))
    assert run.exit_code == 0, run.stderr
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "aigov new")
    return project


def test_update_keeps_edits_brings_new_files_and_reports_conflicts(tmp_path: Path, template_repo: Path) -> None:
    project = generate_and_commit(tmp_path, template_repo)
    card = project / "MODEL_CARD.md"
    own_finding = "## Limitations and risks\n\n- Our own finding: answers lag policy changes by a day.\n"
    card.write_text(card.read_text().replace("## Limitations and risks\n", own_finding))
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("# qa-bot\n", "# qa-bot: the policy answering service\n", 1))
    commit_all(project, "team edits")
    assert run_cli("update", str(project), "--check").exit_code == 0
    release_v2(template_repo)

    check = run_cli("update", str(project), "--check")
    assert check.exit_code == 1 and f"{VERSION} -> 2.0.0 available" in check.stdout
    run = run_cli("update", str(project))

    assert run.exit_code == 1
    assert "conflicts to resolve in 1 file:" in run.stdout and "README.md:1: 1 conflict block\n" in run.stdout
    assert "Our own finding: answers lag policy changes" in card.read_text()  # the team's edit stays
    assert (project / "SECURITY.md").read_text().startswith("# Security policy for qa-bot")  # the new file arrives
    assert "## After an incident (within 5 working days)" in (project / "RUNBOOK.md").read_text()
    text = readme.read_text()
    assert "<<<<<<< before updating\n# qa-bot: the policy answering service\n=======\n# qa-bot (paved road)\n>>>>>>> after updating" in text
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "2.0.0"


def test_clean_update_passes_check_and_leaves_nothing_to_resolve(tmp_path: Path, template_repo: Path) -> None:
    project = generate_and_commit(tmp_path, template_repo)
    release_v2(template_repo)
    run = run_cli("update", str(project))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert f"updated rag-service {VERSION} -> 2.0.0" in run.stdout and "conflict" not in run.stdout
    assert (project / "SECURITY.md").is_file() and findings_of(check_now(project)) == drafts_of("medium")
    assert run_cli("update", str(project), "--check").exit_code == 0


def test_update_refuses_uncommitted_changes(tmp_path: Path, template_repo: Path) -> None:
    project = generate_and_commit(tmp_path, template_repo)
    release_v2(template_repo)
    (project / "README.md").write_text("work in progress\n")
    run = run_cli("update", str(project))
    assert run.exit_code == 2 and "uncommitted changes" in run.stderr
    assert (project / "README.md").read_text() == "work in progress\n"



def test_update_needs_the_version_the_repo_was_generated_from(tmp_path: Path, template_repo: Path) -> None:
    project = generate_and_commit(tmp_path, template_repo)
    release_v2(template_repo)
    git(template_repo, "tag", "-d", VERSION)
    run = run_cli("update", str(project))
    assert run.exit_code == 2
    assert f"rag-service {VERSION}, the version this repository was generated from, is not in its template source" in run.stderr
    assert git(project, "status", "--porcelain") == ""

def test_update_outside_a_generated_repo_is_an_error(tmp_path: Path) -> None:
    run = run_cli("update", str(tmp_path), "--check")
    assert run.exit_code == 2 and ".copier-answers.yml" in run.stderr



def test_update_to_a_newer_bundled_template_goes_through_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """aigov upgraded with agent 1.1.0 bundled: the cache gains the new tag and the repository merges it."""
    import aigov.scaffold.catalog
    import aigov.scaffold.source

    bundled = tmp_path / "bundled"
    shutil.copytree(Path(__file__).parents[1] / "templates", bundled)
    for module in (aigov.scaffold.catalog, aigov.scaffold.source):
        monkeypatch.setattr(module, "templates_dir", lambda: bundled)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (bundled / "agent/VERSION").write_text("1.0.0\n")
    project = tmp_path / "ops-agent"
    assert new("ops-agent", "--template", "agent", "--tier", "low", "--owner", "team-ops", "--dest", str(project)).exit_code == 0
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "aigov new")

    (bundled / "agent/project/CONTRIBUTING.md.jinja").write_text("# Contributing to {{ name }}\n")
    (bundled / "agent/VERSION").write_text("1.1.0\n")
    assert "1.0.0 -> 1.1.0 available" in run_cli("update", str(project), "--check").stdout
    run = run_cli("update", str(project))

    assert run.exit_code == 0, run.stdout + run.stderr
    assert (project / "CONTRIBUTING.md").read_text() == "# Contributing to ops-agent\n"
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "1.1.0"
    assert git(tmp_path / "cache/aigov/templates/agent", "tag").split() == ["1.0.0", "1.1.0"]


def test_a_template_that_fails_to_render_writes_nothing(tmp_path: Path, template_repo: Path) -> None:
    (template_repo / "project/broken.txt.jinja").write_text("{{ name | no_such_filter }}\n")
    commit_all(template_repo, "broken")
    git(template_repo, "tag", "2.0.1")
    run = new("qa-bot", "--template-source", str(template_repo), "--tier", "low", "--owner", "t", "--dest", str(tmp_path / "out"))
    assert run.exit_code == 2 and "could not be rendered" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template"]

# --- template drift (AIGOV-TEMPLATE-001/002) ----------------------------------------------------------------


def on_old_template(generated: dict, tmp_path: Path) -> Path:
    repo = tmp_path / "old"
    shutil.copytree(generated[("agent", "medium")], repo)
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"_commit: {VERSION}", "_commit: 0.9.0-3-g1a2b3c4"))
    return repo


def test_an_older_template_version_is_a_warning(generated: dict, tmp_path: Path) -> None:
    repo = on_old_template(generated, tmp_path)
    result = check_now(repo)
    found = [f for f in result["findings"] if f["id"] != "AIGOV-DRAFT-001"]  # the generated card is a draft
    assert [(f["id"], f["severity"], f["blocking"]) for f in found] == [("AIGOV-TEMPLATE-001", "medium", False)]
    finding = found[0]
    commit_line = (repo / ".copier-answers.yml").read_text().splitlines().index("_commit: 0.9.0-3-g1a2b3c4") + 1
    assert finding["path"] == ".copier-answers.yml" and finding["line"] == commit_line
    assert "agent template 0.9.0" in finding["message"]


def test_past_the_deadline_an_older_template_blocks(generated: dict, tmp_path: Path) -> None:
    repo = on_old_template(generated, tmp_path)
    org = org_config(tmp_path / "org", "data: [templates.yaml]\n",
                     {"templates.yaml": "aigov:\n  templates:\n    agent: {minimum: '1.0.0', deadline: '2026-01-31'}\n"})
    run = run_cli("check", str(repo), "--format", "json", "--config", str(org))
    assert run.exit_code == 1
    assert [f["id"] for f in run.json()["findings"] if f["blocking"]] == ["AIGOV-TEMPLATE-002"]


def templates_before(version: str, into: Path) -> Path:
    """The bundled templates as they were just before the agent road left ``version`` (this repository's history)."""
    root = Path(__file__).parents[1]

    def version_at(rev: str) -> str:
        return git(root, "show", f"{rev}:templates/agent/VERSION").strip()

    commits = git(root, "log", "--format=%H", "--", "templates/agent/VERSION").split()
    bump = next(c for c in commits if version_at(c) != version and version_at(f"{c}^") == version)
    archive = subprocess.run(["git", "archive", f"{bump}^", "templates"], cwd=root, check=True, capture_output=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "templates"


def test_a_repo_from_1_0_0_updates_to_a_pinned_aigov_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Repositories generated before aigov_source existed ran `pip install aigov`; the update pins the Action."""
    import aigov.scaffold.catalog
    import aigov.scaffold.source

    require_or_skip(git(Path(__file__).parent, "rev-parse", "--is-shallow-repository").strip() == "false",
                    "needs this repository's history: clone it in full (actions/checkout: fetch-depth: 0)")
    old = templates_before("1.0.0", tmp_path / "old")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with monkeypatch.context() as patch:
        for module in (aigov.scaffold.catalog, aigov.scaffold.source):
            patch.setattr(module, "templates_dir", lambda: old)
        project = tmp_path / "legacy-bot"
        assert new("legacy-bot", "--template", "agent", "--tier", "low", "--owner", "team-ops", "--dest", str(project)).exit_code == 0
    assert "pip install aigov" in (project / ".github/workflows/pr.yml").read_text()
    assert "aigov_source" not in yaml.safe_load((project / ".copier-answers.yml").read_text())
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "aigov new at 1.0.0")

    run = run_cli("update", str(project))

    assert run.exit_code == 0, run.stdout + run.stderr
    pr = (project / ".github/workflows/pr.yml").read_text()
    assert f"uses: {ORG}/aigov@v{__version__}" in pr and not UNPINNED_AIGOV.search(pr)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["aigov_source"] == f"{ORG}/aigov@v{__version__}"
    assert "/.aigov/" in (project / "CODEOWNERS").read_text()
    # The card 1.0.0 wrote was template text nobody reviewed: the update makes it the draft it is.
    assert findings_of(check_now(project)) == drafts_of("low")


@pytest.mark.parametrize("workflow", ["pr.yml", "release.yml", "record.yml"])
def test_the_default_aigov_source_is_this_repositorys_action_called_as_it_is_declared(generated: dict, workflow: str) -> None:
    """The `uses:` step passes only inputs action.yml declares, on the Python the other steps use."""
    action = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text())
    doc = yaml.safe_load((generated[("agent", "high")] / ".github/workflows" / workflow).read_text())
    steps = [step for job in doc["jobs"].values() for step in job["steps"] if step.get("uses", "").startswith(f"{ORG}/aigov@")]
    assert len(steps) == 1 and steps[0]["uses"] == f"{ORG}/aigov@v{__version__}"
    assert set(steps[0]["with"]) <= set(action["inputs"]) and steps[0]["with"]["path"] == "."
    withs = [step.get("with", {}) for job in doc["jobs"].values() for step in job["steps"]]
    assert {w["python-version"] for w in withs if "python-version" in w} == {"3.12"}
