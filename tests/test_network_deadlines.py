"""Every network exchange has an overall deadline: a host that drips its answer cannot hold the check.

GitHub, a policy-bundle host and an OPA server cannot run here, so each is tests/drip_server.py: a
loopback HTTP server that sends its status line, its headers or its body one byte every 0.05 s,
for ever. Every single read gets its byte in time, so requests' per-read timeout never fires;
aigov must still finish, in a fresh process under a wall-clock limit (a hang fails the test).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import CLOCK, assert_clean_error, make_feature, org_config, run_limited, write
from drip_server import PARTS, DripServer
from github_stub import event_file
from waiver_helpers import EVAL_WAIVER, WAIVERS, commit_all, git, too_few_cases

WALL_CLOCK_S = 40  # far above the deadlines below, far below "for ever"


def waiver_pr(tmp_path: Path) -> tuple[Path, Path]:
    """A pull request that adds a waiver, so aigov asks GitHub for the approver's review."""
    root = too_few_cases(tmp_path)
    git(root, "checkout", "-qb", "feat")
    write(root / WAIVERS, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    commit_all(root, "waive")
    return root, event_file(tmp_path, root)


@pytest.mark.parametrize("where", PARTS)
def test_a_github_api_that_drips_its_answer_is_a_finding_not_a_hang(tmp_path: Path, where: str) -> None:
    root, event = waiver_pr(tmp_path)
    with DripServer(where) as api:
        env = {**os.environ, "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": api.url, "GITHUB_TOKEN": "t0ken",
               "AIGOV_GITHUB_TIMEOUT": "0.5", "AIGOV_GITHUB_BACKOFF": "0.01"}
        run = run_limited("check", str(root), "--pr", "--now", CLOCK, "--format", "json", env=env, timeout=WALL_CLOCK_S)
    assert run.exit_code == 1, run.stderr
    waiver = next(f for f in run.json()["findings"] if f["id"] == "AIGOV-WAIVER-004")
    assert "no answer within 0.5 s" in waiver["message"], waiver["message"]
    # Three attempts, each given up at its deadline: the answer drips for ever, so a check that ends (within
    # run_limited's hang guard) abandoned all three. How long they took is a timing claim, not this test's.
    assert len(api.requests) == 3


def pinned_url(server: DripServer) -> str:
    return f"{server.url}/bundle.tar.gz#sha256={hashlib.sha256(b'the bundle').hexdigest()}"


@pytest.mark.parametrize("where", PARTS)
def test_a_bundle_host_that_drips_is_an_error_not_a_hang(tmp_path: Path, where: str) -> None:
    root = make_feature(tmp_path / "repo")
    with DripServer(where) as host:
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "AIGOV_BUNDLE_TIMEOUT": "1"}
        run = run_limited("check", str(root), "--now", CLOCK, "--policy-bundle", pinned_url(host), env=env, timeout=WALL_CLOCK_S)
    assert_clean_error(run, "did not send the bundle within 1 s", f"{host.url}/bundle.tar.gz")


def test_a_bundle_time_limit_that_is_not_a_number_of_seconds(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "AIGOV_BUNDLE_TIMEOUT": "forever"}
    run = run_limited("check", str(root), "--policy-bundle", "https://127.0.0.1:9/b.tar.gz#sha256=" + "0" * 64, env=env)
    assert_clean_error(run, "AIGOV_BUNDLE_TIMEOUT='forever' is not a number of seconds")


@pytest.mark.parametrize("where", ["status", "headers"])
def test_an_opa_server_that_drips_its_headers_is_stopped_by_the_evaluation_time_limit(tmp_path: Path, where: str) -> None:
    """The OPA engine's exchanges run in the watchdog's child, killed at the org's time limit."""
    with DripServer(where) as server:
        config = org_config(tmp_path / "org", f"evaluationTimeoutSeconds: 2\nengine: opa\nopa: {{url: {server.url}}}\n")
        run = run_limited("check", str(make_feature(tmp_path / "repo")), "--now", CLOCK, "--config", str(config), timeout=WALL_CLOCK_S)
    assert_clean_error(run, "did not finish within 2 s", f"OPA server {server.url}")
