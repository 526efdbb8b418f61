"""Decisions that match how AI platform teams review, on repositories as `aigov new` generates them.

- A re-baseline is a results record the eval runner wrote on exactly the pull request's prompts and
  models, ids and providers (AIGOV-CHANGE-001), not a touched eval config; CI reproduces the record,
  so a hand-edited one fails the eval gate, and a CI step that rewrites it is AIGOV-EVAL-019.
- A prompt promotion increases the prompt's version (AIGOV-CHANGE-004) and, at high tier, carries the
  approval of the risk reviewers org data names (AIGOV-CHANGE-005); the decision record keeps who
  approved and whether the pull request was sent back.
- Generated documents are drafts: reported, blocking after the grace period at medium and high tier,
  made final only by a reviewed pull request whose date is last_reviewed (AIGOV-DRAFT-*, CHANGE-006);
  a pull request cannot date a draft later to postpone that (CHANGE-007).

Real `aigov new` (real copier), real git repositories, the template's own eval runner run by this
Python, real Rego; the GitHub API is the loopback stand-in of tests/github_stub.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import decision, edit, org_config, run_cli
from github_stub import REVIEWS, event_file, review, team
from pr_helpers import on_branch
from repo_helpers import commit_all

pytestmark = pytest.mark.usefixtures("template_cache")

TODAY = dt.date.today()
RISK = "@acme/ai-risk-reviewers"
RISK_DATA = f"""\
aigov:
  settings:
    approvals:
      reviewers: {{risk: "{RISK}"}}
"""


@pytest.fixture(scope="module")
def paved(tmp_path_factory: pytest.TempPathFactory, template_cache: Path) -> dict[str, Path]:
    """A rag-service repository as aigov new generates it, at each tier (each test works on a copy)."""
    root = tmp_path_factory.mktemp("paved")
    repos = {}
    for tier in ("low", "medium", "high"):
        run = run_cli("new", "qa-bot", "--template", "rag-service", "--tier", tier, "--owner", "team-qa", "--github-org", "acme",
                      "--dest", str(root / tier), "--no-interactive")
        assert run.exit_code == 0, run.stderr
        repos[tier] = root / tier
    return repos


def generated_on_branch(paved: dict[str, Path], tier: str, tmp_path: Path) -> Path:
    """A copy of the generated repository committed on main, checked out on branch feat."""
    repo = tmp_path / "qa-bot"
    shutil.copytree(paved[tier], repo)
    return on_branch(repo, "aigov new qa-bot")


def promote_prompt(repo: Path, bump: bool = True) -> None:
    """A prompt promotion: new wording, and (``bump``) version 2."""
    prompt = repo / "prompts/answer.yaml"
    edit(prompt, "Never use outside knowledge.", "Never use outside knowledge, and never guess a date.")
    if bump:
        edit(prompt, "version: 1\n", "version: 2\n")


def evals(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The repository's own eval runner, offline, as CI runs it."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")} | {"PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "evals.run", "--config", "evals/config.yaml", *args], cwd=repo,
                          capture_output=True, text=True, env=env, timeout=300)


def check(repo: Path, *extra: str) -> dict[str, Any]:
    return decision(run_cli("check", str(repo), "--format", "json", *extra))


def messages(doc: dict[str, Any], rule: str) -> list[str]:
    return [f["message"] for f in doc["findings"] if f["id"] == rule]


def ids(doc: dict[str, Any]) -> set[str]:
    return {f["id"] for f in doc["findings"]}


# --- 1. Recorded eval results are the evidence of a re-baseline ------------------------------------


def test_aigov_new_commits_a_results_record_of_what_it_ran_on(paved: dict[str, Path]) -> None:
    record = json.loads((paved["high"] / "evals/baseline.json").read_text())
    assert record["format"] == "aigov-eval-results/1" and record["mode"] == "offline"
    assert record["models"] == [{"id": "anthropic.claude-sonnet-4", "provider": "bedrock"}] and record["cases"] == 100
    assert set(record["prompts"]) == {"prompts/answer.yaml"} and set(record["datasets"]) == {"evals/golden.jsonl"}
    assert all(m["passed"] for m in record["metrics"]) and record["config"]["path"] == "evals/config.yaml"


def test_a_comment_in_the_eval_config_is_no_re_baseline(paved: dict[str, Path], tmp_path: Path) -> None:
    """The issue's example: the prompt changes, `# re-ran` is appended to the eval config, nothing ran."""
    repo = generated_on_branch(paved, "high", tmp_path)
    promote_prompt(repo)
    with (repo / "evals/config.yaml").open("a") as config:
        config.write("# re-ran\n")
    commit_all(repo, "new wording; re-ran")
    [message] = messages(check(repo, "--base", "main"), "AIGOV-CHANGE-001")
    assert message == ("prompt prompts/answer.yaml changed in this pull request, but the recorded eval results evals/baseline.json "
                       "are not evidence of it: the eval config evals/config.yaml changed since they were recorded; they were not "
                       "produced on the prompts as they are now (prompts/answer.yaml)")


def test_results_recorded_on_the_changed_prompt_are_the_re_baseline(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "high", tmp_path)
    promote_prompt(repo)
    assert evals(repo).returncode == 1  # the committed record no longer matches: CI says so too
    assert evals(repo, "--record").returncode == 0
    commit_all(repo, "new wording, re-baselined")
    assert "AIGOV-CHANGE-001" not in ids(check(repo, "--base", "main"))
    assert evals(repo).returncode == 0


def test_a_hand_edited_record_fails_the_eval_gate(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "medium", tmp_path)
    record = repo / "evals/baseline.json"
    data = json.loads(record.read_text())
    data["metrics"][0]["score"] = 0.99
    record.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    run = evals(repo)
    assert run.returncode == 1
    assert "FAIL  the results record evals/baseline.json does not match this offline run (metrics differ)" in run.stdout


def test_results_of_the_old_models_are_no_re_baseline_of_a_model_change(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "medium", tmp_path)
    edit(repo / "aigov.yaml", '    - id: "gpt-4o"\n      provider: "openai"\n', '    - id: "anthropic.claude-haiku-3-5"\n      provider: "bedrock"\n')
    commit_all(repo, "another fallback")
    [message] = messages(check(repo, "--base", "main"), "AIGOV-CHANGE-001")
    assert message.startswith("the model list or a model's parameters changed in this pull request")
    assert ("they were produced on models [anthropic.claude-sonnet-4 (bedrock), gpt-4o (openai)], not on the manifest's "
            "[anthropic.claude-sonnet-4 (bedrock), anthropic.claude-haiku-3-5 (bedrock)]") in message


def test_results_on_the_old_provider_are_no_re_baseline_of_a_provider_change(paved: dict[str, Path], tmp_path: Path) -> None:
    """The same model id served by another provider is another model to evaluate."""
    repo = generated_on_branch(paved, "high", tmp_path)
    edit(repo / "aigov.yaml", 'provider: "bedrock"', 'provider: "anthropic"')
    commit_all(repo, "call Anthropic directly")
    [message] = messages(check(repo, "--base", "main"), "AIGOV-CHANGE-001")
    assert message.endswith("they were produced on models [anthropic.claude-sonnet-4 (bedrock)], not on the manifest's "
                            "[anthropic.claude-sonnet-4 (anthropic)]")
    assert evals(repo, "--record").returncode == 0
    commit_all(repo, "re-baselined on Anthropic")
    assert "AIGOV-CHANGE-001" not in ids(check(repo, "--base", "main"))


def test_a_record_that_names_model_ids_alone_is_no_re_baseline(paved: dict[str, Path], tmp_path: Path) -> None:
    """A record written by a runner from before providers were recorded: it cannot show the provider."""
    repo = generated_on_branch(paved, "high", tmp_path)
    promote_prompt(repo)
    assert evals(repo, "--record").returncode == 0
    record = repo / "evals/baseline.json"
    data = json.loads(record.read_text())
    data["models"] = [model["id"] for model in data["models"]]
    record.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    commit_all(repo, "re-baselined with an older runner")
    [message] = messages(check(repo, "--base", "main"), "AIGOV-CHANGE-001")
    assert message.endswith("they name model anthropic.claude-sonnet-4 without a provider: record them again with an eval runner "
                            "that records each model's provider (`aigov update` brings the paved road's)")


@pytest.mark.parametrize("option", ["--record", "--rec"])
def test_an_eval_gate_that_rewrites_the_record_is_a_finding(paved: dict[str, Path], tmp_path: Path, option: str) -> None:
    """CI running the runner with --record (or the abbreviation argparse takes for it) writes the record
    it should check: a hand-edited record would pass the gate."""
    repo = tmp_path / "qa-bot"
    shutil.copytree(paved["medium"], repo)
    workflow = repo / ".github/workflows/pr.yml"
    edit(workflow, "--report eval-report.json", f"--report eval-report.json {option}")
    finding = next(f for f in check(repo)["findings"] if f["id"] == "AIGOV-EVAL-019")
    line = next(i for i, text in enumerate(workflow.read_text().splitlines(), 1) if option in text)
    assert (finding["path"], finding["line"], finding["blocking"]) == (".github/workflows/pr.yml", line, True)
    written = "--record" if option == "--record" else f"{option} (--record)"
    assert finding["message"] == (f"job test of .github/workflows/pr.yml: the eval command runs with {written}, which rewrites the "
                                  "results record evals/baseline.json instead of checking the committed one against the run, so a "
                                  "record edited by hand passes the eval gate")


def test_a_re_baseline_needs_the_cases_org_data_asks_for(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "high", tmp_path)
    promote_prompt(repo)
    assert evals(repo, "--record").returncode == 0
    commit_all(repo, "re-baselined")
    config = org_config(tmp_path / "org", "data: [evals.yaml]\n",
                        {"evals.yaml": "aigov: {settings: {evals: {rebaseline_min_cases: {high: 150}}}}\n"})
    [message] = messages(check(repo, "--base", "main", "--config", str(config)), "AIGOV-CHANGE-001")
    assert message.endswith("not evidence of it: the datasets hold 100 cases, fewer than the 150 org data requires of a re-baseline at high tier")


def test_org_data_with_a_case_count_that_is_not_a_number_is_refused(paved: dict[str, Path], tmp_path: Path) -> None:
    config = org_config(tmp_path / "org", "data: [evals.yaml]\n",
                        {"evals.yaml": "aigov:\n  settings:\n    evals:\n      rebaseline_min_cases: {high: lots}\n"})
    run = run_cli("check", str(paved["high"]), "--config", str(config))
    assert run.exit_code == 2
    assert "evals.yaml:4: aigov.settings.evals.rebaseline_min_cases: must map risk tiers to whole numbers of cases" in run.stderr


# --- 2. Prompt promotion ------------------------------------------------------------------------------


def test_a_prompt_changed_without_a_version_increase_is_a_finding_at_its_version(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "medium", tmp_path)
    promote_prompt(repo, bump=False)
    assert evals(repo, "--record").returncode == 0
    commit_all(repo, "new wording, same version")
    doc = check(repo, "--base", "main")
    finding = next(f for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-004")
    assert finding["message"] == "prompt prompts/answer.yaml changed in this pull request, but its version stayed 1"
    assert (finding["path"], finding["line"], finding["blocking"]) == ("prompts/answer.yaml", 3, True)


def test_a_comment_in_a_prompt_needs_no_new_version(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "medium", tmp_path)
    edit(repo / "prompts/answer.yaml", "# $question and $passages", "# Filled in by the service: $question and $passages")
    assert evals(repo, "--record").returncode == 0
    commit_all(repo, "a comment")
    assert not {"AIGOV-CHANGE-004", "AIGOV-CHANGE-001"} & ids(check(repo, "--base", "main"))


def pr_check(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> dict[str, Any]:
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_file(tmp_path, repo)))
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    return check(repo, "--pr", *extra)


def reviewed_by(api: Any, head: str, *reviews: tuple[str, str]) -> None:
    api.routes[REVIEWS] = [(200, json.dumps([review(login, state, head) for login, state in reviews]), 0)]
    team(api, RISK, ["rita"])
    team(api, "@acme/team-qa", ["quinn"])


def promoted(paved: dict[str, Path], tmp_path: Path) -> tuple[Path, str]:
    """A pull request promoting the high-tier feature's prompt, re-baselined: the repository and its head."""
    repo = generated_on_branch(paved, "high", tmp_path)
    promote_prompt(repo)
    assert evals(repo, "--record").returncode == 0
    return repo, commit_all(repo, "promote answer to version 2")


def risk_config(tmp_path: Path) -> Path:
    return org_config(tmp_path / "org", "data: [approvals.yaml]\n", {"approvals.yaml": RISK_DATA})


def test_a_high_tier_prompt_promotion_needs_the_risk_reviewers(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo, head = promoted(paved, tmp_path)
    config = risk_config(tmp_path)
    reviewed_by(api, head, ("quinn", "APPROVED"))
    doc = pr_check(repo, tmp_path, monkeypatch, "--config", str(config))
    assert messages(doc, "AIGOV-CHANGE-005") == [
        f"prompt prompts/answer.yaml changed in this pull request; no approving review on the head commit from the risk "
        f"reviewers ({RISK}), whom org data requires for prompt changes at high tier"]
    reviewed_by(api, head, ("quinn", "APPROVED"), ("rita", "APPROVED"))
    doc = pr_check(repo, tmp_path, monkeypatch, "--config", str(config))
    assert doc["verdict"] == "pass" and not {"AIGOV-CHANGE-001", "AIGOV-CHANGE-004", "AIGOV-CHANGE-005"} & ids(doc)


def test_without_org_data_naming_them_the_risk_reviewers_cannot_approve(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, head = promoted(paved, tmp_path)
    reviewed_by(api, head, ("rita", "APPROVED"))
    [message] = messages(pr_check(repo, tmp_path, monkeypatch), "AIGOV-CHANGE-005")
    assert "org data requires the approval of the risk reviewers for prompt changes at high tier, but " \
           "data.aigov.settings.approvals.reviewers names no risk" in message


def test_the_decision_record_keeps_the_promotion_its_approvers_and_a_send_back(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo, head = promoted(paved, tmp_path)
    config = risk_config(tmp_path)
    reviewed_by(api, head, ("rita", "CHANGES_REQUESTED"), ("quinn", "APPROVED"), ("rita", "APPROVED"))
    record = tmp_path / "record.json"
    pr_check(repo, tmp_path, monkeypatch, "--config", str(config), "--record", str(record))
    kept = json.loads(record.read_text())
    assert kept["prompts"] == [{"feature": "qa-bot", "tier": "high", "pr": 7, "reviews_read": True, "approvers": ["quinn", "rita"],
                                "sent_back": True, "prompts": [{"path": "prompts/answer.yaml", "status": "modified", "from": "1", "to": "2"}]}]


# --- 4. No theatre: generated documents are drafts ---------------------------------------------------


def days_from_today(days: int) -> str:
    return f"{(TODAY + dt.timedelta(days=days)).isoformat()}T12:00:00Z"


def draft_findings(doc: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return sorted((f["id"], f["path"], f["blocking"]) for f in doc["findings"] if f["id"].startswith("AIGOV-DRAFT"))


@pytest.mark.parametrize("tier, blocks", [("high", True), ("medium", True), ("low", False)])
def test_a_draft_blocks_at_medium_and_high_tier_once_its_grace_period_ends(paved: dict[str, Path], tier: str, blocks: bool) -> None:
    documents = ["MODEL_CARD.md", *(["docs/risk-assessment.md"] if tier == "high" else [])]
    assert draft_findings(check(paved[tier], "--now", days_from_today(29))) == [("AIGOV-DRAFT-001", d, False) for d in documents]
    later = check(paved[tier], "--now", days_from_today(31))
    rule = "AIGOV-DRAFT-002" if blocks else "AIGOV-DRAFT-001"
    assert draft_findings(later) == [(rule, d, blocks) for d in documents]
    assert later["verdict"] == ("fail" if blocks else "pass")


def test_the_grace_period_comes_from_org_data(paved: dict[str, Path], tmp_path: Path) -> None:
    config = org_config(tmp_path / "org", "data: [drafts.yaml]\n", {"drafts.yaml": "aigov: {settings: {drafts: {grace_days: 10}}}\n"})
    doc = check(paved["medium"], "--config", str(config), "--now", days_from_today(11))
    assert draft_findings(doc) == [("AIGOV-DRAFT-002", "MODEL_CARD.md", True)]


def make_final(repo: Path, reviewed: str, document: str = "MODEL_CARD.md") -> None:
    path = repo / document
    edit(path, "status: draft\n", "")
    edit(path, f"drafted: {TODAY.isoformat()}\n", f"last_reviewed: {reviewed}\n")


def test_making_a_draft_final_needs_a_codeowner_and_the_reviewers_org_data_names(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = generated_on_branch(paved, "medium", tmp_path)
    make_final(repo, TODAY.isoformat())
    head = commit_all(repo, "model card reviewed")
    config = risk_config(tmp_path)
    reviewed_by(api, head, ("quinn", "APPROVED"))
    assert messages(pr_check(repo, tmp_path, monkeypatch, "--config", str(config)), "AIGOV-CHANGE-006") == [
        f"the model card MODEL_CARD.md was a draft and this pull request makes it final; no approving review on the head commit "
        f"from the risk reviewers ({RISK}), whom org data requires for making a draft final at medium tier"]
    reviewed_by(api, head, ("rita", "APPROVED"))  # a member of the risk team, which co-owns the card: both hold
    doc = pr_check(repo, tmp_path, monkeypatch, "--config", str(config))
    assert "AIGOV-CHANGE-006" not in ids(doc) and draft_findings(doc) == []


def test_making_the_risk_assessment_final_needs_its_owner_and_the_risk_reviewers(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The high-tier risk assessment (with the oversight it describes) is the other generated draft."""
    repo = generated_on_branch(paved, "high", tmp_path)
    make_final(repo, TODAY.isoformat(), "docs/risk-assessment.md")
    head = commit_all(repo, "risk assessment reviewed")
    config = risk_config(tmp_path)
    reviewed_by(api, head, ("quinn", "APPROVED"))
    doc = pr_check(repo, tmp_path, monkeypatch, "--config", str(config))
    [finding] = [f for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-006"]
    assert (finding["path"], finding["blocking"]) == ("docs/risk-assessment.md", True)
    assert finding["message"] == (
        f"the risk assessment docs/risk-assessment.md was a draft and this pull request makes it final; no approving review on the "
        f"head commit from the risk reviewers ({RISK}), whom org data requires for making a draft final at high tier")
    reviewed_by(api, head, ("rita", "APPROVED"))
    doc = pr_check(repo, tmp_path, monkeypatch, "--config", str(config))
    assert "AIGOV-CHANGE-006" not in ids(doc)
    assert draft_findings(doc) == [("AIGOV-DRAFT-001", "MODEL_CARD.md", False)]  # the card is still a draft


def test_a_draft_made_final_without_reviews_cannot_be_verified(paved: dict[str, Path], tmp_path: Path) -> None:
    repo = generated_on_branch(paved, "low", tmp_path)
    make_final(repo, TODAY.isoformat())
    commit_all(repo, "card reviewed, they say")
    [message] = messages(check(repo, "--base", "main"), "AIGOV-CHANGE-006")
    assert message.startswith("the model card MODEL_CARD.md was a draft and this pull request makes it final; cannot verify "
                              "approval: no pull request to read reviews of")


def test_last_reviewed_of_a_draft_made_final_is_the_date_of_its_review(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository generated 40 days ago: setting last_reviewed to the generation date is not a review."""
    repo = tmp_path / "qa-bot"
    shutil.copytree(paved["low"], repo)
    generated = (TODAY - dt.timedelta(days=40)).isoformat()
    edit(repo / "MODEL_CARD.md", f"drafted: {TODAY.isoformat()}", f"drafted: {generated}")
    on_branch(repo, "aigov new qa-bot")
    edit(repo / "MODEL_CARD.md", "status: draft\n", "")
    edit(repo / "MODEL_CARD.md", f"drafted: {generated}\n", f"last_reviewed: {generated}\n")
    head = commit_all(repo, "card made final, dated when it was generated")
    reviewed_by(api, head, ("quinn", "APPROVED"))
    [message] = messages(pr_check(repo, tmp_path, monkeypatch), "AIGOV-CHANGE-006")
    assert message.endswith(f"its last_reviewed {generated} is before this pull request's base commit ({TODAY.isoformat()}): "
                            "set it to the date of this review")


def redate_drafts(repo: Path, drafted: str) -> None:
    for document in ("MODEL_CARD.md", "docs/risk-assessment.md"):
        edit(repo / document, f"drafted: {TODAY.isoformat()}\n", f"drafted: {drafted}\n")


def test_a_draft_dated_in_the_future_blocks_and_the_pull_request_that_dates_it_so_is_a_finding(paved: dict[str, Path],
                                                                                                tmp_path: Path) -> None:
    """The audit's example: a branch dates both high-tier drafts 2099-01-01 while main, on the same
    clock, blocks on them; the branch must not pass."""
    repo = generated_on_branch(paved, "high", tmp_path)
    redate_drafts(repo, "2099-01-01")
    commit_all(repo, "drafts dated 2099")
    doc = check(repo, "--base", "main", "--now", days_from_today(90))
    assert doc["verdict"] == "fail"
    assert draft_findings(doc) == [("AIGOV-DRAFT-002", "MODEL_CARD.md", True), ("AIGOV-DRAFT-002", "docs/risk-assessment.md", True)]
    assert messages(doc, "AIGOV-DRAFT-002")[0] == ("the model card MODEL_CARD.md is a draft dated in the future (2099-01-01), so no grace "
                                                   "period applies; at high tier a draft blocks until a reviewed pull request makes it final")
    assert sorted(messages(doc, "AIGOV-CHANGE-007")) == [
        f"the {kind} {path} was drafted on {TODAY.isoformat()}, and this pull request dates it 2099-01-01, which postpones the day "
        "it blocks; a draft's grace period counts from the day it was drafted"
        for kind, path in (("model card", "MODEL_CARD.md"), ("risk assessment", "docs/risk-assessment.md"))]


def test_re_dating_a_draft_each_month_does_not_restart_its_grace_period(paved: dict[str, Path], tmp_path: Path) -> None:
    """35 days after generation main blocks on its drafts; a branch that dates them 20 days after
    generation would put them back in their grace period."""
    repo = generated_on_branch(paved, "high", tmp_path)
    redate_drafts(repo, (TODAY + dt.timedelta(days=20)).isoformat())
    commit_all(repo, "drafts re-dated")
    doc = check(repo, "--base", "main", "--now", days_from_today(35))
    assert doc["verdict"] == "fail"
    assert [(f["path"], f["blocking"]) for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-007"] == [
        ("MODEL_CARD.md", True), ("docs/risk-assessment.md", True)]


def test_a_reviewed_model_card_made_a_draft_again_is_a_finding(tmp_path: Path) -> None:
    """A card last reviewed a year ago is overdue on main (AIGOV-CARD-005, blocking). A branch that
    marks it a draft again, dated today, would give it a fresh grace period and stop its review age
    counting: the pull request is a finding of its own, which no waiver clears."""
    from conftest import make_feature
    from repo_helpers import git

    repo = on_branch(make_feature(tmp_path / "repo"))
    now = "2027-10-02T12:00:00Z"
    git(repo, "checkout", "-q", "main")
    assert "AIGOV-CARD-005" in ids(check(repo, "--now", now))
    git(repo, "checkout", "-q", "feat")
    edit(repo / "MODEL_CARD.md", "last_reviewed: 2026-10-01\n", "status: draft\ndrafted: 2027-10-02\n")
    commit_all(repo, "the card is a draft again")
    doc = check(repo, "--base", "main", "--now", now)
    assert doc["verdict"] == "fail"
    [finding] = [f for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-007"]
    assert finding["blocking"] and finding["path"] == "MODEL_CARD.md"
    assert finding["message"].startswith("the model card MODEL_CARD.md was final (reviewed) at the base, and this pull request "
                                         "dates it 2027-10-02, which postpones the day it blocks")


def test_the_decision_record_shows_drafts_and_their_age(paved: dict[str, Path], tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    run_cli("check", str(paved["high"]), "--now", days_from_today(31), "--record", str(record))
    drafts = json.loads(record.read_text())["drafts"]
    assert [(d["document"], d["path"], d["age_days"], d["blocking"]) for d in drafts] == [
        ("model_card", "MODEL_CARD.md", 31, True), ("risk_assessment", "docs/risk-assessment.md", 31, True)]


def test_aigov_new_says_what_is_a_draft_and_when_it_blocks(tmp_path: Path) -> None:
    run = run_cli("new", "qa-bot", "--template", "agent", "--tier", "high", "--owner", "team-qa", "--github-org", "acme",
                  "--dest", str(tmp_path / "qa-bot"), "--no-interactive")
    assert run.exit_code == 0, run.stderr
    blocks = (TODAY + dt.timedelta(days=30)).isoformat()
    assert "drafts: MODEL_CARD.md, docs/risk-assessment.md (status: draft) hold the template's text" in run.stdout
    assert f"from {blocks} (30 days) they block at high tier until a pull request that makes them final is approved" in run.stdout
    assert "by a CODEOWNER and the risk reviewers (not named in org data yet); last_reviewed is then that review's date" in run.stdout
    assert "eval results recorded in evals/baseline.json" in run.stdout


def test_aigov_new_says_a_one_day_grace_period_in_the_singular(tmp_path: Path) -> None:
    config = org_config(tmp_path / "org", "data: [drafts.yaml]\n", {"drafts.yaml": "aigov: {settings: {drafts: {grace_days: 1}}}\n"})
    run = run_cli("new", "qa-bot", "--template", "rag-service", "--tier", "medium", "--owner", "team-qa", "--github-org", "acme",
                  "--dest", str(tmp_path / "qa-bot"), "--no-interactive", "--config", str(config))
    assert run.exit_code == 0, run.stderr
    assert f"from {(TODAY + dt.timedelta(days=1)).isoformat()} (1 day) they block at medium tier" in run.stdout


def test_the_quarter_counts_promotions_with_their_approvers_and_the_share_sent_back(paved: dict[str, Path], tmp_path: Path, api: Any,
                                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Decision records of three pull requests promoting the prompt: #7 sent back, then approved (checked
    twice: it counts once, as last seen); #8 approved; #9 checked without a token. The committee sent
    back one of the two promotions whose reviews were read."""
    from aigov.evidence.reviews import review_summary

    repo, head = promoted(paved, tmp_path)
    config = risk_config(tmp_path)
    records = []

    def recorded(number: int, reviews: list[tuple[str, str]], token: bool = True) -> None:
        api.routes[f"/repos/acme/mono/pulls/{number}/reviews"] = [(200, json.dumps([review(l, s, head) for l, s in reviews]), 0)]
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_file(tmp_path, repo, number=number)))
        if token:
            monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        else:
            monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        record = tmp_path / f"record-{len(records)}.json"
        run_cli("check", str(repo), "--pr", "--config", str(config), "--record", str(record), "--now", "2026-08-14T10:00:00Z")
        records.append(json.loads(record.read_text()))

    team(api, RISK, ["rita"])
    recorded(7, [("rita", "CHANGES_REQUESTED")])
    recorded(7, [("rita", "CHANGES_REQUESTED"), ("rita", "APPROVED")])
    recorded(8, [("sam", "APPROVED")])
    recorded(9, [], token=False)
    [row] = review_summary(records)["promotions"]
    assert row == {"repository": "qa-bot", "feature": "qa-bot", "quarter": "2026Q3", "promotions": 3, "prompts": ["prompts/answer.yaml"],
                   "approvers": ["rita", "sam"], "sent_back": 1, "reviews_not_read": 1, "reject_rate": 0.5}


def test_the_quarter_shows_each_draft_as_the_last_record_saw_it(paved: dict[str, Path], tmp_path: Path) -> None:
    from aigov.evidence.reviews import review_summary

    records = []
    for days in (5, 40):
        record = tmp_path / f"record-{days}.json"
        run_cli("check", str(paved["medium"]), "--now", days_from_today(days), "--record", str(record))
        records.append(json.loads(record.read_text()))
    rows = review_summary(records)["drafts"]
    last = [r for r in rows if r["as_of"] == days_from_today(40)]
    assert [(r["path"], r["age_days"], r["blocking"]) for r in last] == [("MODEL_CARD.md", 40, True)]


def test_an_evidence_replay_shows_the_day_a_draft_starts_to_block(tmp_path: Path) -> None:
    """No commit in the quarter after the first: the clock alone turns the draft from reported to blocking,
    30 days after it was drafted, and the replay says when (grace_days is a day count of the settings)."""
    from evidence_helpers import feature_repo

    repo = feature_repo(tmp_path / "repo")
    card = repo / "svc/MODEL_CARD.md"
    edit(card, "last_reviewed: 2026-01-21\n", "status: draft\ndrafted: 2026-07-02\n")
    commit_all(repo, "the card is a draft again", "2026-07-02T09:00:00Z")
    out = tmp_path / "e.zip"
    assert run_cli("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(out)).exit_code == 0
    import zipfile

    with zipfile.ZipFile(out) as bundle:
        decisions = [json.loads(line) for line in bundle.read("decisions.jsonl").decode().splitlines()]
    blocking = [d["clock"][:10] for d in decisions if "AIGOV-DRAFT-002" in {f["id"] for f in d.get("findings", []) if f.get("blocking")}]
    assert blocking and blocking[0] == "2026-08-01", [(d["kind"], d["clock"], [f["id"] for f in d["findings"]]) for d in decisions]
