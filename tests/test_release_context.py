"""Release context: on a release, every declared artefact is found where the build wrote it (ignored
by git or not), and each is verified; a declared artefact that was not built blocks.

The release workflow `aigov new` generates is exercised as written: its verify step's own command
runs with bash in the generated repository, on an unsigned build, on a junk signature and on no
build at all (GitHub itself, and Sigstore's signing, cannot run here).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aigov.clock import utc_now
from conftest import check_json, run_cli, write

VERIFY_STEP = "Verify the signed release"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, template_cache: Path) -> Path:
    dest = tmp_path_factory.mktemp("release") / "bot"
    run = run_cli("new", "bot", "--template", "rag-service", "--tier", "medium", "--owner", "team-demo",
                  "--github-org", "acme", "--dest", str(dest), "--no-interactive")
    assert run.exit_code == 0, run.stderr
    return dest


def verify_step(repo: Path) -> str:
    steps = yaml.safe_load((repo / ".github/workflows/release.yml").read_text())["jobs"]["release"]["steps"]
    [step] = [s for s in steps if s.get("name", "").startswith(VERIFY_STEP)]
    return step["run"]


def run_step(repo: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The step as the runner runs it: bash -e, aigov on PATH (the repository was generated today, on today's clock)."""
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=repo, capture_output=True, text=True, timeout=300, env={**os.environ, "PATH": path, **env})


def build(repo: Path, bundle: str | None = None) -> Path:
    wheel = write(repo / "dist/bot-0.1.0-py3-none-any.whl", "not really a wheel")
    if bundle is not None:
        write(repo / "dist/bot-0.1.0-py3-none-any.whl.sigstore.json", bundle)
    return wheel


def test_the_generated_release_step_fails_on_an_unsigned_build(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "bot"
    subprocess.run(["cp", "-a", str(generated), str(repo)], check=True)
    assert "dist/" in (repo / ".gitignore").read_text()  # the build is ignored by git, and still judged
    build(repo)
    ran = run_step(repo, verify_step(repo))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "AIGOV-SIGN-001" in ran.stdout and "dist/bot-0.1.0-py3-none-any.whl has no Sigstore bundle" in ran.stdout


def test_the_generated_release_step_fails_on_a_junk_signature(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "bot"
    subprocess.run(["cp", "-a", str(generated), str(repo)], check=True)
    build(repo, bundle='{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}')
    ran = run_step(repo, verify_step(repo))
    assert ran.returncode == 1 and "AIGOV-SIGN-002" in ran.stdout, ran.stdout + ran.stderr


def test_the_generated_release_step_fails_when_nothing_was_built(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "bot"
    subprocess.run(["cp", "-a", str(generated), str(repo)], check=True)
    ran = run_step(repo, verify_step(repo))
    assert ran.returncode == 1 and "AIGOV-RELEASE-003" in ran.stdout, ran.stdout + ran.stderr


def test_a_tag_in_github_actions_is_a_release_without_the_flag(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "bot"
    subprocess.run(["cp", "-a", str(generated), str(repo)], check=True)
    ran = run_step(repo, "aigov check .", GITHUB_ACTIONS="true", GITHUB_REF="refs/tags/v0.1.0")
    assert ran.returncode == 1 and "this is a release (GITHUB_REF refs/tags/v0.1.0)" in ran.stdout, ran.stdout
    branch = run_step(repo, "aigov check .", GITHUB_ACTIONS="true", GITHUB_REF="refs/heads/main")
    assert branch.returncode == 0, branch.stdout  # a push to a branch is no release: nothing built yet is fine


def test_an_ignored_build_is_judged_on_every_check_not_only_releases(generated: Path, tmp_path: Path) -> None:
    """What is there is verified: an unsigned wheel in the ignored dist/ is a finding on any check."""
    repo = tmp_path / "bot"
    subprocess.run(["cp", "-a", str(generated), str(repo)], check=True)
    today = utc_now()
    assert check_json(repo, "--now", today)["verdict"] == "pass"
    build(repo)
    doc = check_json(repo, "--now", today)
    assert [f["id"] for f in doc["findings"] if f["blocking"]] == ["AIGOV-SIGN-001"]


def test_artefacts_of_a_nested_feature_are_its_own(tmp_path: Path) -> None:
    from conftest import make_feature

    root = make_feature(tmp_path / "repo", name="outer")
    inner = make_feature(root / "inner", name="inner", repo=root)
    for folder in (root, inner):
        manifest = folder / "aigov.yaml"
        manifest.write_text(manifest.read_text() + "  artifacts:\n    - path: \"**/*.whl\"\n      identity: https://x/y\n"
                                                     "      issuer: https://token.actions.githubusercontent.com\n")
    write(inner / "dist/inner.whl", "x")
    doc = check_json(root)
    owners = {(f["feature"], f["path"]) for f in doc["findings"] if f["id"] == "AIGOV-SIGN-001"}
    assert owners == {("inner", "inner/dist/inner.whl")}
