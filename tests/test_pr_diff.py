"""Diff-aware checking (--base/--head/--pr): scope, the change rules, reviews, CODEOWNERS, --new-only.

Every test builds a real git repository with a base commit on main and a head commit on a branch,
writes a real pull_request event file, and answers the GitHub REST API from a loopback server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aigov.codeowners import owners_of, parse_codeowners
from conftest import CLOCK, HOSTILE_TIMEOUT_S, assert_clean_error, check, check_json, edit, make_feature, org_config, run_cli, run_limited, write
from github_stub import AUTHOR, REVIEWS, event_file, review, team
from pr_helpers import on_branch
from repo_helpers import commit_all, git

CODEOWNERS = """\
# The platform team owns every manifest; svc-a's owners are named last, so they win for it.
**/aigov.yaml @acme/ai-platform
/svc-a/aigov.yaml @alice @acme/ai-platform
"""


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    """A monorepo with features svc-a and svc-b and CODEOWNERS, committed on main, checked out on branch feat."""
    repo = tmp_path / "mono"
    make_feature(repo / "svc-a", name="svc-a", repo=repo)
    make_feature(repo / "svc-b", name="svc-b", repo=repo)
    write(repo / "svc-a/prompts/summarize.txt", "Summarise the ticket.\n")
    write(repo / ".github/CODEOWNERS", CODEOWNERS)
    write(repo / "README.md", "# mono\n")
    return on_branch(repo)


def pr_check(repo: Path, event: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> dict[str, Any]:
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    return check_json(repo, "--pr", *extra)


def lower_tier(repo: Path) -> str:
    edit(repo / "svc-a/aigov.yaml", "riskTier: medium", "riskTier: low")
    return commit_all(repo, "lower the tier")


def ids_of(doc: dict[str, Any]) -> list[str]:
    return [f["id"] for f in doc["findings"]]


def message_of(doc: dict[str, Any], rule: str) -> str:
    return next(f["message"] for f in doc["findings"] if f["id"] == rule)


# --- Scope ---------------------------------------------------------------------------------------


def test_a_pr_judges_only_the_features_it_touches(mono: Path) -> None:
    write(mono / "svc-b/src/app.py", "print('hi')\n")
    commit_all(mono, "touch svc-b")
    doc = check_json(mono, "--base", "main")
    assert doc["features"] == ["svc-b"] and doc["verdict"] == "pass"
    assert check_json(mono)["features"] == ["svc-a", "svc-b"]  # without --base: everything


def test_a_change_touching_no_feature_passes_and_says_what_changed(mono: Path) -> None:
    edit(mono / "README.md", "# mono", "# the mono repository")
    commit_all(mono, "docs")
    run = check(mono, "--base", "main")
    assert run.exit_code == 0, run.stdout
    assert "no feature touched by this change; changed: README.md" in run.stdout
    assert "0 features checked" in run.stdout


@pytest.mark.parametrize("shared", [".github/workflows/lint.yml", ".aigov/config.yaml", ".aigov/waivers.yaml", ".github/CODEOWNERS"])
def test_a_file_feeding_every_feature_touches_them_all(mono: Path, shared: str) -> None:
    write(mono / shared, "name: lint\non: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n" if shared.endswith(".yml") else "# changed\n")
    commit_all(mono, "shared")
    assert check_json(mono, "--base", "main")["features"] == ["svc-a", "svc-b"]


@pytest.mark.parametrize("unread", [".aigov/notes.txt", ".github/ISSUE_TEMPLATE/bug.md", "docs/guide.md"])
def test_a_file_no_feature_reads_touches_none(mono: Path, unread: str) -> None:
    """Scope follows what the features' facts were read from, not folder names: a note beside the
    repository config changes no verdict."""
    write(mono / unread, "# changed\n")
    commit_all(mono, "unread")
    doc = check_json(mono, "--base", "main")
    assert doc["verdict"] == "pass" and doc["features"] == []


def test_changed_files_carry_status_and_head_line_ranges(mono: Path) -> None:
    from aigov.check import run_check
    from aigov.check.options import CheckOptions
    from aigov.facts.change import ChangeRequest

    card = mono / "svc-a/MODEL_CARD.md"
    lines = card.read_text().splitlines()
    lines[9] = "Agents in the support team read the summary before replying."
    card.write_text("\n".join(lines) + "\nOne more line.\n")
    git(mono, "mv", "svc-a/prompts/summarize.txt", "svc-a/prompts/summary.txt")
    (mono / "svc-a/evals/golden.jsonl").unlink()
    commit_all(mono, "edit")
    result = run_check(mono, CheckOptions(now=CLOCK, change=ChangeRequest(base="main")))
    files = {f["path"]: f for f in result.change["files"]}
    assert files["svc-a/MODEL_CARD.md"]["status"] == "modified"
    assert files["svc-a/MODEL_CARD.md"]["lines"] == [[10, 10], [len(lines) + 1, len(lines) + 1]]
    assert files["svc-a/prompts/summary.txt"] == {"path": "svc-a/prompts/summary.txt", "status": "renamed",
                                                  "old_path": "svc-a/prompts/summarize.txt", "lines": []}
    assert files["svc-a/evals/golden.jsonl"]["status"] == "deleted"
    assert result.change["base"] == git(mono, "rev-parse", "main") and result.change["pr"] is None
    feature_files = {f["path"] for f in result.inputs[0]["change"]["files"]}
    assert feature_files == set(files) and result.inputs[0]["change"]["base_feature"]["spec"]["riskTier"] == "medium"


def test_line_ranges_of_unusual_file_names(mono: Path) -> None:
    from aigov.check import run_check
    from aigov.check.options import CheckOptions
    from aigov.facts.change import ChangeRequest

    odd = 'svc-a/prompts/tab\there "quoted" é.txt'
    write(mono / odd, "one\ntwo\n")
    commit_all(mono, "odd name")
    result = run_check(mono, CheckOptions(now=CLOCK, change=ChangeRequest(base="main")))
    assert {"path": odd, "status": "added", "old_path": None, "lines": [[1, 2]]} in result.change["files"]


def test_the_base_branch_moving_on_is_not_the_prs_change(mono: Path) -> None:
    write(mono / "svc-b/src/app.py", "print('hi')\n")
    commit_all(mono, "the PR touches svc-b")
    git(mono, "checkout", "-q", "main")
    edit(mono / "svc-a/aigov.yaml", "riskTier: medium", "riskTier: high")  # main moves on
    commit_all(mono, "main raises svc-a's tier")
    git(mono, "checkout", "-q", "feat")
    doc = check_json(mono, "--base", "main")
    assert doc["features"] == ["svc-b"] and "AIGOV-CHANGE-003" not in ids_of(doc)


def test_facts_show_input_change_for_policy_authors(mono: Path) -> None:
    write(mono / "svc-b/src/app.py", "print('hi')\n")
    commit_all(mono, "touch svc-b")
    run = run_cli("facts", str(mono), "--base", "main")
    assert run.exit_code == 0, run.stderr
    (doc,) = run.json()
    assert doc["feature"]["name"] == "svc-b"
    assert doc["change"]["files"] == [{"path": "svc-b/src/app.py", "status": "added", "old_path": None, "lines": [[1, 1]]}]
    assert doc["change"]["base_feature"]["exists"] and doc["change"]["review"] is None


def test_input_change_matches_the_input_schema(mono: Path) -> None:
    import jsonschema
    from referencing import Registry, Resource

    from aigov.resources import load_schema

    lower_tier(mono)
    [doc] = run_cli("facts", str(mono), "--base", "main").json()
    assert doc["change"]["review"]["error"].startswith("no pull request")
    schemas = Registry().with_resources([(load_schema(n)["$id"], Resource.from_contents(load_schema(n))) for n in ("manifest", "input")])
    jsonschema.Draft202012Validator(load_schema("input"), registry=schemas).validate(doc)


# --- AIGOV-CHANGE-001: prompt or model changed without fresh evals --------------------------------


def test_prompt_change_without_eval_change_is_a_finding_at_the_prompt(mono: Path) -> None:
    write(mono / "svc-a/prompts/summarize.txt", "Summarise the ticket.\nNever promise refunds.\n")
    commit_all(mono, "prompt")
    finding = next(f for f in check_json(mono, "--base", "main")["findings"] if f["id"] == "AIGOV-CHANGE-001")
    assert (finding["path"], finding["line"], finding["blocking"]) == ("svc-a/prompts/summarize.txt", 2, True)


def test_a_dataset_change_is_no_evidence_that_the_evals_ran(mono: Path) -> None:
    write(mono / "svc-a/prompts/summarize.txt", "Summarise the ticket.\nNever promise refunds.\n")
    with (mono / "svc-a/evals/golden.jsonl").open("a") as dataset:
        dataset.write(json.dumps({"id": 99, "ticket": "refund?", "key_facts": ["no promise"]}) + "\n")
    commit_all(mono, "prompt and a case for it")
    assert message_of(check_json(mono, "--base", "main"), "AIGOV-CHANGE-001").endswith(
        "the recorded eval results svc-a/evals/baseline.json are not evidence of it: no results are recorded there")


def sha256_of(path: Path) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def record_results(feature: Path, **changes: Any) -> None:
    """A results record of svc-a as an eval runner writes one (schemas/eval-results.schema.json), on the
    files as they are now, with ``changes`` applied."""
    cases = len((feature / "evals/golden.jsonl").read_text().splitlines())
    record = {
        "format": "aigov-eval-results/1", "mode": "offline", "models": [{"id": "anthropic.claude-sonnet-4", "provider": "bedrock"}],
        "prompts": {p.relative_to(feature).as_posix(): sha256_of(p) for p in sorted((feature / "prompts").rglob("*")) if p.is_file()},
        "config": {"path": "evals/config.yaml", "digest": sha256_of(feature / "evals/config.yaml")},
        "datasets": {"evals/golden.jsonl": sha256_of(feature / "evals/golden.jsonl")}, "cases": cases,
        "metrics": [{"suite": "golden", "metric": "key_fact_coverage", "score": 0.91, "threshold": 0.85, "goal": "min", "cases": cases}],
    }
    write(feature / "evals/baseline.json", json.dumps({**record, **changes}, indent=2) + "\n")


def coverage(score: float, threshold: float) -> list[dict[str, Any]]:
    return [{"suite": "golden", "metric": "key_fact_coverage", "score": score, "threshold": threshold, "goal": "min", "cases": 50}]


def test_recorded_results_must_be_produced_on_the_changed_prompt(mono: Path) -> None:
    record_results(mono / "svc-a")
    commit_all(mono, "record the results")
    git(mono, "branch", "-f", "main", "HEAD")
    write(mono / "svc-a/prompts/summarize.txt", "Summarise the ticket briefly.\n")
    edit(mono / "svc-a/evals/config.yaml", "threshold: 0.85", "threshold: 0.86")
    commit_all(mono, "prompt, config, but the results of the old prompt")
    message = message_of(check_json(mono, "--base", "main"), "AIGOV-CHANGE-001")
    assert "they were not produced on the prompts as they are now (prompts/summarize.txt)" in message
    assert "metric golden/key_fact_coverage was recorded against threshold 0.85 (min), not the eval config's" in message
    record_results(mono / "svc-a", metrics=coverage(0.84, 0.86))
    commit_all(mono, "re-recorded, short of the threshold")
    assert message_of(check_json(mono, "--base", "main"), "AIGOV-CHANGE-001").endswith(
        "metric golden/key_fact_coverage scored 0.84, short of its threshold 0.86")
    record_results(mono / "svc-a", metrics=coverage(0.9, 0.86))
    commit_all(mono, "re-recorded")
    assert "AIGOV-CHANGE-001" not in ids_of(check_json(mono, "--base", "main"))


def test_a_record_that_is_not_one_says_where(mono: Path) -> None:
    write(mono / "svc-a/evals/baseline.json", '{"key_fact_coverage": 0.91,\n "key_fact_coverage": 0.93}\n')
    write(mono / "svc-a/prompts/summarize.txt", "Summarise the ticket briefly.\n")
    commit_all(mono, "a record with a repeated key")
    message = message_of(check_json(mono, "--base", "main"), "AIGOV-CHANGE-001")
    assert "evals/baseline.json are not evidence of it: it is not a results record (line 2: " in message


# --- AIGOV-CHANGE-002: model added without the model card -----------------------------------------


def swap_model(repo: Path, card_too: bool) -> None:
    edit(repo / "svc-b/aigov.yaml", "anthropic.claude-sonnet-4", "anthropic.claude-haiku-4")
    with (repo / "svc-b/evals/golden.jsonl").open("a") as dataset:
        dataset.write(json.dumps({"id": 99, "ticket": "t", "key_facts": ["f"]}) + "\n")
    if card_too:
        edit(repo / "svc-b/MODEL_CARD.md", "models: [anthropic.claude-sonnet-4]", "models: [anthropic.claude-haiku-4]")
    commit_all(repo, "swap the model")


def test_model_swapped_without_the_card_is_a_finding(mono: Path) -> None:
    swap_model(mono, card_too=False)
    doc = check_json(mono, "--base", "main")
    finding = next(f for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-002")
    assert finding["path"] == "svc-b/aigov.yaml" and finding["line"] == 10
    assert "model anthropic.claude-haiku-4 added" in finding["message"]


def test_model_swapped_with_the_card_is_not(mono: Path) -> None:
    swap_model(mono, card_too=True)
    assert "AIGOV-CHANGE-002" not in ids_of(check_json(mono, "--base", "main"))


# --- AIGOV-CHANGE-003: approval by a CODEOWNER ----------------------------------------------------


def test_lowered_tier_without_a_token_cannot_verify_approval(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    lower_tier(mono)
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch)
    assert doc["verdict"] == "fail"
    message = message_of(doc, "AIGOV-CHANGE-003")
    assert "risk tier was lowered from medium to low" in message and "cannot verify approval: no GitHub token" in message
    assert api.seen == []  # no token: no request at all


def test_lowered_tier_approved_by_a_codeowner_on_the_head_commit_passes(mono: Path, tmp_path: Path, api: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("bob", "APPROVED", head), review("Alice", "APPROVED", head)]), 0)]
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--github-token", "t0ken")
    assert "AIGOV-CHANGE-003" not in ids_of(doc)
    assert api.seen[0] == (REVIEWS + "?per_page=100", "Bearer t0ken")


def test_approval_by_a_team_member_counts(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("bob", "COMMENTED", head)]), 0),
                           (200, json.dumps([review("Carol", "APPROVED", head)]), 0)]  # two pages
    team(api, "@acme/ai-platform", ["carol"])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    assert "AIGOV-CHANGE-003" not in ids_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch))
    seen = [path for path, _ in api.seen]
    assert seen.count(REVIEWS + "?per_page=100&page=2") == 1
    assert "/orgs/acme/teams/ai-platform/memberships/carol" in seen


@pytest.mark.parametrize("pending", [(), ("carol",)])  # carol is not in the team (404), or only invited
def test_a_team_approves_only_through_its_active_members(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch,
                                                         pending: tuple[str, ...]) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("carol", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-platform", [], pending)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    assert message_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch), "AIGOV-CHANGE-003") == (
        "the risk tier was lowered from medium to low; "
        "no approving review on the head commit from a CODEOWNER of svc-a/aigov.yaml (@alice, @acme/ai-platform)")


@pytest.mark.parametrize("status, expected", [
    (404, "HTTP 404 (not found, or the token cannot see it)"),
    (403, "HTTP 403 (the token lacks permission"),
])
def test_a_team_the_token_cannot_read_cannot_approve(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch,
                                                     status: int, expected: str) -> None:
    """GitHub's token of a workflow cannot read the organisation's teams (read:org): a review by a
    member is then unverifiable, and the finding says so, naming the team, instead of passing."""
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("carol", "APPROVED", head)]), 0)]
    api.routes["/orgs/acme/teams/ai-platform"] = [(status, '{"message": "no"}', 0)]
    api.routes["/orgs/acme/teams/ai-platform/memberships/carol"] = [(200, '{"state": "active"}', 0)]
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch)
    message = message_of(doc, "AIGOV-CHANGE-003")
    assert "team membership unverifiable: @acme/ai-platform (the GitHub API answered /orgs/acme/teams/ai-platform with " in message
    assert expected in message and doc["verdict"] == "fail"


def test_the_authors_own_approval_never_counts(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The author is a CODEOWNER (at the base) and a member of the owning team: their approval of their own change is no approval."""
    git(mono, "checkout", "-q", "main")
    write(mono / ".github/CODEOWNERS", CODEOWNERS.replace("@alice", f"@{AUTHOR}"))
    commit_all(mono, "the author owns svc-a")
    git(mono, "checkout", "-q", "-B", "feat")
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review(AUTHOR.upper(), "APPROVED", head)]), 0)]
    team(api, "@acme/ai-platform", [AUTHOR])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch)
    assert f"from a CODEOWNER of svc-a/aigov.yaml (@{AUTHOR}, @acme/ai-platform)" in message_of(doc, "AIGOV-CHANGE-003")
    assert not any("/memberships/" in path for path, _ in api.seen)  # nobody else approved: nothing to look up


def test_a_dot_dot_team_is_no_team_and_never_asks_for_the_whole_org(mono: Path, tmp_path: Path, api: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`@acme/..` read loosely is /orgs/acme/teams/.. = /orgs/acme: every member of the organisation would approve."""
    git(mono, "checkout", "-q", "main")
    write(mono / ".github/CODEOWNERS", "/svc-a/aigov.yaml @acme/..\n")
    commit_all(mono, "a hostile owner")
    git(mono, "checkout", "-q", "-B", "feat")
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("mallory", "APPROVED", head)]), 0)]
    api.routes["/orgs/acme/members"] = [(200, json.dumps([{"login": "mallory"}]), 0)]
    api.routes["/orgs/acme/memberships/mallory"] = [(200, '{"state": "active"}', 0)]
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch)
    assert "@acme/.. is not a GitHub team (@org/team-slug)" in message_of(doc, "AIGOV-CHANGE-003")
    assert [path for path, _ in api.seen] == [REVIEWS + "?per_page=100"]


def test_a_moved_manifest_keeps_the_approvers_it_had_at_the_base(mono: Path, tmp_path: Path, api: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Moving svc-a under a folder mallory owns and lowering its tier in the same pull request: the
    approvers are svc-a's owners at the base, not the new folder's."""
    git(mono, "checkout", "-q", "main")
    write(mono / ".github/CODEOWNERS", CODEOWNERS + "/moved/ @mallory\n")
    commit_all(mono, "mallory owns moved/")
    git(mono, "checkout", "-q", "-B", "feat")
    (mono / "moved").mkdir()
    git(mono, "mv", "svc-a", "moved/svc-a")
    edit(mono / "moved/svc-a/aigov.yaml", "riskTier: medium", "riskTier: low")
    head = commit_all(mono, "move and lower")
    api.routes[REVIEWS] = [(200, json.dumps([review("mallory", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-platform", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch)
    assert "no approving review on the head commit from a CODEOWNER of svc-a/aigov.yaml (@alice, @acme/ai-platform)" in \
        message_of(doc, "AIGOV-CHANGE-003")
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]
    assert "AIGOV-CHANGE-003" not in ids_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch))


@pytest.mark.parametrize("reviews, expected", [
    ([review("mallory", "APPROVED", "HEAD")], "no approving review on the head commit from a CODEOWNER of svc-a/aigov.yaml (@alice, @acme/ai-platform)"),
    ([review("alice", "APPROVED", "0" * 40)], "no approving review on the head commit"),  # approved an earlier push
    ([review("alice", "APPROVED", "HEAD"), review("alice", "CHANGES_REQUESTED", "HEAD")], "no approving review"),
])
def test_approval_that_does_not_count(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch,
                                      reviews: list[dict[str, Any]], expected: str) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps(reviews).replace('"HEAD"', f'"{head}"'), 0)]
    team(api, "@acme/ai-platform", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    assert expected in message_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch), "AIGOV-CHANGE-003")


def test_a_pr_cannot_make_its_author_a_codeowner(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    write(mono / ".github/CODEOWNERS", "* @mallory\n")  # read at the base commit, as GitHub does
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("mallory", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-platform", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    assert "AIGOV-CHANGE-003" in ids_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch))


@pytest.mark.parametrize("status, body, expected", [
    (500, '{"message": "boom"}', "after 3 attempts: HTTP 500"),
    (200, "<html>not json", "with something that is not JSON"),
    (200, '{"reviews": []}', "JSON that is not a list"),
    (401, '{"message": "Bad credentials"}', "HTTP 401 (the token is missing, expired or wrong)"),
])
def test_an_api_that_fails_is_a_finding_never_a_pass(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch,
                                                     status: int, body: str, expected: str) -> None:
    lower_tier(mono)
    api.routes[REVIEWS] = [(status, body, 0)] * 3
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch)
    assert doc["verdict"] == "fail"
    message = message_of(doc, "AIGOV-CHANGE-003")
    assert "cannot verify approval" in message and expected in message
    assert len(api.seen) == (3 if status == 500 else 1)  # 5xx retried, the others not


def test_the_token_never_follows_a_next_page_to_another_host(mono: Path, tmp_path: Path, api: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0, "http://localhost:1/steal")]
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    message = message_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch), "AIGOV-CHANGE-003")
    assert "sent the next page of" in message and "to another host" in message
    assert len(api.seen) == 1


def test_a_slow_api_times_out_into_a_finding(mono: Path, tmp_path: Path, api: Any) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 3)]
    env = {**os.environ, "GITHUB_EVENT_PATH": str(event_file(tmp_path, mono)), "GITHUB_TOKEN": "t0ken",
           "AIGOV_GITHUB_TIMEOUT": "0.2"}
    run = run_limited("check", str(mono), "--pr", "--now", CLOCK, "--format", "json", env=env, timeout=30)
    assert run.exit_code == 1, run.stderr
    assert "no answer within 0.2 s" in message_of(run.json(), "AIGOV-CHANGE-003")


def test_unreachable_api_is_a_finding(mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lower_tier(mono)
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AIGOV_GITHUB_BACKOFF", "0.01")
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    assert "cannot connect" in message_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch), "AIGOV-CHANGE-003")


def test_loosened_classification_and_added_model_need_approval_too(mono: Path, tmp_path: Path, api: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    edit(mono / "svc-a/aigov.yaml", "dataClassification: internal", "dataClassification: public")
    commit_all(mono, "loosen")
    message = message_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch), "AIGOV-CHANGE-003")
    assert "dataClassification was loosened from internal to public" in message


# --- Reviewers org data requires (data.aigov.settings.approvals) ------------------------------------

RISK_DATA = """\
aigov:
  settings:
    approvals:
      reviewers:
        risk: "@acme/ai-risk"
      required:
        manifest: {tiers}
"""


def risk_config(tmp_path: Path, tiers: str = "{medium: [risk], high: [risk]}", data: str = RISK_DATA) -> Path:
    """An org config whose data requires the ai-risk team's approval of risk-relevant manifest changes."""
    return org_config(tmp_path / "org", "data: [approvals.yaml]\n", {"approvals.yaml": data.format(tiers=tiers)})


def test_org_data_requires_the_risk_reviewers_besides_a_codeowner(mono: Path, tmp_path: Path, api: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """CODEOWNERS lists the risk reviewers beside the team, where either owner's approval satisfies
    GitHub; the change rule asks org data who must also approve, and requires each group."""
    head = lower_tier(mono)
    config = risk_config(tmp_path)
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-platform", [])
    team(api, "@acme/ai-risk", ["rita"])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(config))
    assert message_of(doc, "AIGOV-CHANGE-003") == ("the risk tier was lowered from medium to low; no approving review on the head "
                                                   "commit from the risk reviewers (@acme/ai-risk), whom org data requires at medium tier")
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head), review("rita", "APPROVED", head)]), 0)]
    assert "AIGOV-CHANGE-003" not in ids_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(config)))
    api.routes[REVIEWS] = [(200, json.dumps([review("rita", "APPROVED", head)]), 0)]  # the risk team alone is not a CODEOWNER
    assert "from a CODEOWNER of svc-a/aigov.yaml" in message_of(
        pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(config)), "AIGOV-CHANGE-003")


def test_lowering_the_tier_is_judged_at_the_tier_it_had(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Org data requires the risk reviewers at high tier only; a pull request lowering high to low needs them."""
    git(mono, "checkout", "-q", "main")
    edit(mono / "svc-a/aigov.yaml", "riskTier: medium", "riskTier: high")
    commit_all(mono, "svc-a is high tier")
    git(mono, "checkout", "-q", "-B", "feat")
    edit(mono / "svc-a/aigov.yaml", "riskTier: high", "riskTier: low")
    head = commit_all(mono, "lower it to low")
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-risk", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(risk_config(tmp_path, "{high: [risk]}")))
    assert "from the risk reviewers (@acme/ai-risk), whom org data requires at high tier" in message_of(doc, "AIGOV-CHANGE-003")


def test_a_required_group_org_data_does_not_name_blocks(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-platform", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    config = risk_config(tmp_path, "{medium: [legal]}")
    assert "org data requires the approval of the legal reviewers at medium tier, but data.aigov.settings.approvals.reviewers names no legal" \
        in message_of(pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(config)), "AIGOV-CHANGE-003")


def test_an_unreadable_risk_team_is_named_in_the_finding(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head), review("rita", "APPROVED", head)]), 0)]
    api.routes["/orgs/acme/teams/ai-risk"] = [(403, '{"message": "Resource not accessible by integration"}', 0)]
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(risk_config(tmp_path)))
    assert "cannot verify approval by the risk reviewers (@acme/ai-risk): the GitHub API answered /orgs/acme/teams/ai-risk with HTTP 403" \
        in message_of(doc, "AIGOV-CHANGE-003")


def test_the_repository_cannot_name_its_own_reviewers(mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reviewers come from the org's data only: a repository's .aigov/config.yaml asking to drop the risk
    reviewers is refused (AIGOV-CONFIG-001) and changes nothing."""
    write(mono / ".aigov/config.yaml", "data: [.aigov/approvals.yaml]\n")
    write(mono / ".aigov/approvals.yaml", RISK_DATA.format(tiers="{medium: [], high: []}"))
    head = lower_tier(mono)
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]
    team(api, "@acme/ai-risk", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    doc = pr_check(mono, event_file(tmp_path, mono), monkeypatch, "--config", str(risk_config(tmp_path)))
    assert {"AIGOV-CHANGE-003", "AIGOV-CONFIG-001"} <= set(ids_of(doc)) and doc["verdict"] == "fail", doc


@pytest.mark.parametrize("reviewer, expected", [
    ('"@acme/.."', "'@acme/..' is not a GitHub login such as alice, or a team written @org/team-slug"),
    ('"@acme/risk/extra"', "is not a GitHub login"),
    ('"@/risk"', "is not a GitHub login"),
    ('"@acme/"', "is not a GitHub login"),
    ('"rita\\n"', "is not a GitHub login"),
    ("[rita]", "is not a GitHub login"),
])
def test_org_data_reviewers_are_validated_with_file_and_line(mono: Path, tmp_path: Path, reviewer: str, expected: str) -> None:
    config = risk_config(tmp_path, data=RISK_DATA.replace('"@acme/ai-risk"', reviewer))
    run = check(mono, "--config", str(config))
    assert_clean_error(run, "approvals.yaml:5:", "aigov.settings.approvals.reviewers.risk", expected)


def test_org_data_required_groups_must_be_lists(mono: Path, tmp_path: Path) -> None:
    config = risk_config(tmp_path, tiers="{medium: risk}")
    assert_clean_error(check(mono, "--config", str(config)),
                       "approvals.yaml:7:", "aigov.settings.approvals.required.manifest.medium: must be a list of reviewer group names")


# --- --new-only and fingerprints ----------------------------------------------------------------


def break_card(card: Path) -> None:
    """Rename the model card's Evaluation section: a required section goes missing (a finding)."""
    edit(card, "## Evaluation", "## Numbers")


def shift_lines(card: Path) -> None:
    """Blank lines after the front matter: every flagged line of the body moves down."""
    edit(card, "\n# ", "\n\n\n\n# ")


def test_new_only_blocks_on_what_the_pr_introduced_and_reports_the_rest_as_debt(mono: Path) -> None:
    git(mono, "checkout", "-q", "main")
    break_card(mono / "svc-a/MODEL_CARD.md")  # an existing finding on main
    commit_all(mono, "debt")
    git(mono, "checkout", "-q", "-B", "feat")
    shift_lines(mono / "svc-a/MODEL_CARD.md")
    commit_all(mono, "shift lines")
    existing = check_json(mono, "--base", "main~0", "--new-only")
    assert existing["verdict"] == "pass", existing["findings"]
    assert any(f["id"] == "AIGOV-CARD-005" or f["path"] == "svc-a/MODEL_CARD.md" for f in existing["findings"])
    assert check_json(mono, "--base", "main")["verdict"] == "fail"  # without --new-only the debt blocks
    edit(mono / "svc-a/aigov.yaml", "riskTier: medium", "riskTier: high")
    commit_all(mono, "a high tier without oversight: new findings")
    introduced = check_json(mono, "--base", "main", "--new-only")
    assert introduced["verdict"] == "fail"
    run = check(mono, "--base", "main", "--new-only")
    assert "existing before this change: not blocking with --new-only" in run.stdout


def test_new_only_counts_every_finding_of_a_new_feature_as_introduced(mono: Path) -> None:
    make_feature(mono / "svc-c", name="svc-c", repo=mono)
    break_card(mono / "svc-c/MODEL_CARD.md")
    commit_all(mono, "a new feature with a broken card")
    doc = check_json(mono, "--base", "main", "--new-only")
    assert doc["features"] == ["svc-a", "svc-b", "svc-c"]  # its eval workflow is shared: every feature is touched
    assert doc["verdict"] == "fail" and all(f["feature"] == "svc-c" for f in doc["findings"] if f["blocking"])


def test_fingerprints_survive_line_shifts(mono: Path) -> None:
    from aigov.check import run_check
    from aigov.check.options import CheckOptions

    break_card(mono / "svc-a/MODEL_CARD.md")
    before = {f.id: f.fingerprint for f in run_check(mono, CheckOptions(now=CLOCK)).findings}
    shift_lines(mono / "svc-a/MODEL_CARD.md")
    after = {f.id: f.fingerprint for f in run_check(mono, CheckOptions(now=CLOCK)).findings}
    assert before and all(fp.startswith("sha256:") for fp in before.values())
    assert before == after


# --- Bad input -----------------------------------------------------------------------------------


def test_a_base_that_does_not_exist_is_a_clear_error(mono: Path) -> None:
    assert_clean_error(run_cli("check", str(mono), "--base", "no-such-branch"), "--base", "'no-such-branch' does not exist")


def test_an_option_looking_base_is_refused(mono: Path) -> None:
    assert_clean_error(run_cli("check", str(mono), "--base", "--output=/tmp/x"), "is not a git revision")


@pytest.mark.parametrize("content, expected", [
    ("{not json", "is not JSON"),
    ('{"ref": "refs/heads/main", "commits": []}', "is not a pull_request or merge_group event"),
    ('{"pull_request": {"number": 7, "base": {"sha": "main"}, "head": {"sha": "x"}}}', "pull_request.base.sha is missing or not a commit id"),
    ('{"pull_request": {"base": {"sha": "' + "a" * 40 + '"}}}', "pull_request.number is missing"),
    ("[1, 2]", "is not a GitHub event"),
])
def test_a_bad_event_file_is_a_clear_error(mono: Path, tmp_path: Path, content: str, expected: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(content)
    run = run_cli("check", str(mono), "--pr", env={"GITHUB_EVENT_PATH": str(event)})
    assert_clean_error(run, "event.json", expected)


def test_an_event_file_nested_a_hundred_thousand_deep_is_a_clear_error(mono: Path, tmp_path: Path) -> None:
    event = write(tmp_path / "event.json", "[" * 100000)
    run = run_limited("check", str(mono), "--pr", env={**os.environ, "GITHUB_EVENT_PATH": str(event)})
    assert_clean_error(run, "event.json", "is nested too deeply")


def test_an_event_file_that_is_a_pipe_does_not_hang(mono: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "event.json"
    os.mkfifo(fifo)
    run = run_limited("check", str(mono), "--pr", env={**os.environ, "GITHUB_EVENT_PATH": str(fifo)}, timeout=30)
    assert_clean_error(run, "event.json", "not a regular file")


def test_pr_without_an_event_file_is_a_clear_error(mono: Path) -> None:
    assert_clean_error(run_cli("check", str(mono), "--pr", env={"GITHUB_EVENT_PATH": None}), "GITHUB_EVENT_PATH, which is not set")


def test_pr_refuses_other_event_names(mono: Path, tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": str(event_file(tmp_path, mono)), "GITHUB_EVENT_NAME": "pull_request_target"}
    assert_clean_error(run_cli("check", str(mono), "--pr", env=env), "not pull_request_target (GITHUB_EVENT_NAME)")


@pytest.mark.parametrize("args, expected", [
    (("--head", "HEAD"), "--head needs --base REF or --pr"),
    (("--new-only",), "--new-only needs --base REF or --pr"),
    (("--pr", "--base", "main"), "give --pr or --base, not both"),
])
def test_inconsistent_options_are_a_clear_error(mono: Path, args: tuple[str, ...], expected: str) -> None:
    assert_clean_error(run_cli("check", str(mono), *args), expected)


def shallow_clone(mono: Path, tmp_path: Path) -> Path:
    write(mono / "svc-b/src/app.py", "print('hi')\n")
    commit_all(mono, "touch svc-b")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feat", f"file://{mono}", str(clone)], check=True)
    return clone


def test_shallow_clone_fetches_the_missing_base_once(mono: Path, tmp_path: Path) -> None:
    clone = shallow_clone(mono, tmp_path)
    base = git(mono, "rev-parse", "main")
    doc = check_json(clone, "--base", base)
    assert doc["features"] == ["svc-b"]


def test_shallow_clone_without_the_base_says_how_to_set_fetch_depth(mono: Path, tmp_path: Path) -> None:
    clone = shallow_clone(mono, tmp_path)
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone"))
    run = run_cli("check", str(clone), "--base", git(mono, "rev-parse", "main"))
    assert_clean_error(run, "not in this shallow clone", "fetch-depth: 0")


def test_not_a_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    make_feature(tmp_path / "plain")
    assert_clean_error(run_cli("check", str(tmp_path / "plain"), "--base", "main"), "needs a git repository")


def merge_group_event(tmp_path: Path, mono: Path, head: str) -> Path:
    """A merge_group event for pull request 7 whose queue commit is ``head`` (it names no author, no PR head)."""
    return write(tmp_path / "mg.json", json.dumps({
        "merge_group": {"base_sha": git(mono, "rev-parse", "main"), "head_sha": head,
                        "head_ref": f"refs/heads/gh-readonly-queue/main/pr-7-{head}"},
        "repository": {"full_name": "acme/mono", "default_branch": "main"}}))


def test_merge_group_event_is_judged_against_its_base(mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(mono / "svc-b/src/app.py", "print('hi')\n")
    head = commit_all(mono, "touch svc-b")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(merge_group_event(tmp_path, mono, head)))
    assert check_json(mono, "--pr")["features"] == ["svc-b"]


PULL = "/repos/acme/mono/pulls/7"


@pytest.mark.parametrize("approvals, passes", [
    ([review("alice", "APPROVED", "0" * 40)], False),  # approved an earlier push of the pull request
    ([review(AUTHOR, "APPROVED", "HEAD")], False),  # the author, whom only the API names in a merge queue
    ([review("alice", "APPROVED", "HEAD")], True),
])
def test_a_merge_group_reads_the_pull_requests_author_and_head_from_the_api(
        mono: Path, tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch, approvals: list[dict[str, Any]], passes: bool) -> None:
    """The merge_group payload names neither the pull request's head commit nor its author: aigov reads
    both from GET /repos/{owner}/{repo}/pulls/{n}, so the queue holds approvals to the same standard."""
    head = lower_tier(mono)
    api.routes[PULL] = [(200, json.dumps({"number": 7, "user": {"login": AUTHOR}, "head": {"sha": head}}), 0)]
    api.routes[REVIEWS] = [(200, json.dumps(approvals).replace('"HEAD"', f'"{head}"'), 0)]
    team(api, "@acme/ai-platform", [])
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(merge_group_event(tmp_path, mono, head)))
    doc = check_json(mono, "--pr")
    assert ("AIGOV-CHANGE-003" not in ids_of(doc)) is passes, doc["findings"]
    assert api.seen[0][0] == PULL


def test_a_merge_group_whose_pull_request_cannot_be_read_cannot_verify(mono: Path, tmp_path: Path, api: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    head = lower_tier(mono)
    api.routes[PULL] = [(200, json.dumps({"number": 7, "head": {"sha": head}}), 0)]  # no user
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(merge_group_event(tmp_path, mono, head)))
    assert "cannot verify approval: the GitHub API's pull request #7 names no author or head commit" in \
        message_of(check_json(mono, "--pr"), "AIGOV-CHANGE-003")
    api.routes[PULL] = [(502, "bad gateway", 0)] * 3
    assert f"failed for {PULL} after 3 attempts: HTTP 502" in message_of(check_json(mono, "--pr"), "AIGOV-CHANGE-003")


# --- CODEOWNERS, as GitHub matches it -------------------------------------------------------------

GITHUB_EXAMPLE = """\
# from docs.github.com "About code owners", example file
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
[bad] @nobody
!negated @nobody
"""


@pytest.mark.parametrize("path, owners", [
    ("README.md", ["@global-owner1", "@global-owner2"]),
    ("src/app.js", ["@js-owner"]),
    ("main.go", ["docs@example.com"]),
    ("build/logs/x/y.txt", ["@octocat"]),  # /build/logs/ matches, but **/logs comes later and wins
    ("deeply/nested/logs/a.txt", ["@octocat"]),
    ("docs/getting-started.md", ["@doctocat"]),
    ("apps/web/index.html", ["@octocat"]),
    ("apps/github/x.md", []),  # the last match has no owners
    ("scripts/run.sh", ["@doctocat", "@octocat"]),
])
def test_codeowners_follows_githubs_rules(path: str, owners: list[str]) -> None:
    assert owners_of(parse_codeowners(GITHUB_EXAMPLE), path) == owners


def test_codeowners_docs_star_owns_direct_files_only() -> None:
    rules = parse_codeowners("docs/* @writer\n")
    assert owners_of(rules, "docs/a.md") == ["@writer"]
    assert owners_of(rules, "docs/build-app/troubleshooting.md") == []
    assert owners_of(rules, "other/docs/a.md") == []  # a middle slash anchors


def test_codeowners_hostile_patterns_match_in_linear_time() -> None:
    """Patterns come from the judged repository: two thousand `*a` against a 3,000-character name keep a
    backtracking matcher busy for ever, the dynamic programme answers at once. Run in a child under a
    generous hang guard, not against a clock that a loaded runner could overrun."""
    code = ("from aigov.codeowners import owners_of, parse_codeowners\n"
            "rules = parse_codeowners('*a' * 2000 + 'b @x\\n' + '/**/**/**/**/**/**/**/**/**/**/z @y\\n')\n"
            "print(owners_of(rules, 'a/' * 200 + 'a' * 3000))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HOSTILE_TIMEOUT_S)
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr


def test_codeowners_file_locations_in_githubs_order(mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(mono / "CODEOWNERS", "* @root-owner\n")  # .github/CODEOWNERS comes first
    commit_all(mono, "second codeowners")
    git(mono, "branch", "-f", "main", "HEAD")
    lower_tier(mono)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_file(tmp_path, mono)))
    from aigov.check import run_check
    from aigov.check.options import CheckOptions
    from aigov.facts.change import read_event

    result = run_check(mono, CheckOptions(now=CLOCK, change=read_event(os.environ["GITHUB_EVENT_PATH"])))
    review_facts = result.inputs[0]["change"]["review"]
    assert review_facts["codeowners_file"] == ".github/CODEOWNERS"
    assert review_facts["codeowners"] == {"svc-a/aigov.yaml": ["@alice", "@acme/ai-platform"]}


def test_the_cli_lists_the_diff_options() -> None:
    run = run_cli("check", "--help")
    for option in ("--base", "--head", "--pr", "--new-only", "--github-token"):
        assert option in run.stdout
