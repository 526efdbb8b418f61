"""A control is claimed only where a rule that evidences it judged in the context it needs: the
pull-request rules count only from pull-request decisions CI recorded (real records written by
`aigov check --base ... --record`, noted on the pull request's head as a merge brings it), a tier
rule only where a feature of its tier was judged; OSCAL says satisfied only with a decision behind it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from conftest import edit, run_cli, write
from evidence_helpers import feature_repo
from oscal_schema import oscal_validator
from repo_helpers import commit_all, git

PULL_REQUEST_ONLY = [("EU-AI-Act", "Annex IV(6)"), ("SOC2", "CC3.4"), ("SLSA", "Source L4")]


def build(repo: Path, out: Path) -> dict:
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "--now", "2026-12-07T00:00:00Z", "-o", str(out))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    oscal = json.loads(files["oscal/assessment-results.json"])
    return {"files": files, "decisions": [json.loads(line) for line in files["decisions.jsonl"].decode().splitlines()],
            "controls": {(c["framework"], c["control"]): c for c in json.loads(files["controls.json"])["controls"]},
            "oscal": oscal, "findings": {_label(f): f for f in oscal["assessment-results"]["results"][0]["findings"]},
            "report": files["report.md"].decode(), "html": files["report.html"].decode()}


def _label(finding: dict) -> tuple[str, str]:
    props = {p["name"]: p["value"] for p in finding["props"]}
    return props["framework"], props["label"]


def fresh_repo(root: Path, tier: str = "medium") -> Path:
    """svc with a model card reviewed on 1 July (it stays fresh through the quarter) and a prompt."""
    repo = feature_repo(root)
    edit(repo / "svc" / "MODEL_CARD.md", "last_reviewed: 2026-01-21", "last_reviewed: 2026-07-01")
    if tier != "medium":
        edit(repo / "svc" / "aigov.yaml", "riskTier: medium", f"riskTier: {tier}")
    write(repo / "svc" / "prompts" / "system.txt", "Summarise the ticket.\n")
    commit_all(repo, "card reviewed, a prompt", "2026-06-30T09:00:00Z")
    return repo


def test_prompt_edits_pushed_straight_to_main_leave_the_pull_request_controls_not_assessed(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path / "svc-repo")
    for day in (3, 4, 5):
        write(repo / "svc" / "prompts" / "system.txt", f"Summarise the ticket, version {day}.\n")
        commit_all(repo, f"prompt v{day}", f"2026-07-0{day}T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    for key in PULL_REQUEST_ONLY:
        control = bundle["controls"][key]
        assert control["status"] == "not assessed", (key, control)
        assert control["pull_requests"] == {"rules": control["rules"], "changes": 3, "covered": 0}
        finding = bundle["findings"][key]
        assert finding["target"]["status"]["state"] == "not-satisfied" and "related-observations" not in finding
    # CC8.1 is also evidenced by rules every replay runs (the eval gate, the template): those held, but
    # no change was reviewed, so the control is not held in full: incomplete, never satisfied.
    change_management = bundle["controls"][("SOC2", "CC8.1")]
    assert change_management["status"] == "incomplete" and "AIGOV-CHANGE-001" not in change_management["assessed_by"]
    assert bundle["findings"][("SOC2", "CC8.1")]["target"]["status"]["state"] == "not-satisfied"
    assert "| CC3.4 |" in bundle["report"] and "**not assessed**" in bundle["report"]
    assert "not assessed for 3 of 3 changes" in bundle["report"]
    assert "data-control='SOC2:CC3.4' data-status='not assessed'" in bundle["html"]


def pull_request(repo: Path, branch: str, change, when: str, records: Path) -> tuple[str, str]:
    """A pull request: a branch with ``change``, checked as CI checks a pull request (a real record of
    the head, with its base), merged with a merge commit; the record is noted on the head it judged."""
    git(repo, "checkout", "-q", "-b", branch)
    change(repo)
    head = commit_all(repo, f"{branch}: change", when)
    record = records / f"{branch}.json"
    run = run_cli("check", str(repo), "--base", "main", "--now", when, "--record", str(record))
    assert run.exit_code in (0, 1), run.stderr
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, date=when.replace("T10", "T11"))
    git(repo, "notes", "--ref", "aigov", "add", "-F", str(record), head)
    return head, git(repo, "rev-parse", "HEAD")


def test_recorded_pull_request_decisions_assess_the_pull_request_controls(tmp_path: Path) -> None:
    """Two pull requests recorded and merged: a card edit (clean) and a prompt edit without fresh
    evals (AIGOV-CHANGE-001 fails, merged anyway); then a commit pushed straight to main."""
    repo = fresh_repo(tmp_path / "svc-repo")
    records = tmp_path / "records"
    records.mkdir()
    card_head, card_merge = pull_request(repo, "card", lambda r: edit(r / "svc" / "MODEL_CARD.md", "Forty golden", "Forty-two golden"),
                                         "2026-07-03T10:00:00Z", records)
    prompt_head, prompt_merge = pull_request(repo, "prompt", lambda r: write(r / "svc" / "prompts" / "system.txt", "Be terse.\n"),
                                             "2026-07-04T10:00:00Z", records)
    bundle = build(repo, tmp_path / "all-covered.zip")
    recorded = {d["commit"]: d for d in bundle["decisions"] if d["kind"] == "recorded"}
    assert recorded[card_head]["covers"] == card_merge and recorded[card_head]["agrees"] is True and recorded[card_head]["pull_request"]
    assert recorded[prompt_head]["covers"] == prompt_merge and recorded[prompt_head]["agrees"] is True
    assert "AIGOV-CHANGE-001" in {f["id"] for f in recorded[prompt_head]["findings"] if f["blocking"]}
    assert any(d["kind"] == "merged head" and d["commit"] == prompt_head for d in bundle["decisions"])

    evals_gate = bundle["controls"][("SOC2", "CC3.4")]  # AIGOV-CHANGE-001 alone
    assert evals_gate["status"] == "not held" and evals_gate["pull_requests"]["covered"] == 2
    seq = evals_gate["failures"][0]["decisions"][0]
    assert bundle["decisions"][seq - 1]["commit"] == prompt_head and evals_gate["failures"][0]["rule"] == "AIGOV-CHANGE-001"
    two_party = bundle["controls"][("SLSA", "Source L4")]  # AIGOV-CHANGE-003 alone: neither pull request needed an approval
    assert two_party["status"] == "held"
    finding = bundle["findings"][("SLSA", "Source L4")]
    assert finding["target"]["status"]["state"] == "satisfied"
    observation = _observations(bundle)[finding["related-observations"][0]["observation-uuid"]]
    lines = [int(e["href"].rsplit("#L", 1)[1]) for e in observation["relevant-evidence"]]
    assert {bundle["decisions"][line - 1]["commit"] for line in lines} == {card_head, prompt_head}

    write(repo / "svc" / "prompts" / "system.txt", "Be terse, really.\n")
    commit_all(repo, "pushed straight to main", "2026-07-06T10:00:00Z")
    pushed = build(repo, tmp_path / "one-pushed.zip")
    assert pushed["controls"][("SLSA", "Source L4")]["status"] == "incomplete"
    assert pushed["findings"][("SLSA", "Source L4")]["target"]["status"]["state"] == "not-satisfied"
    assert "not assessed for 1 of 3 changes" in pushed["report"]
    # Art. 9 is evidenced by rules every replay runs and by pull-request rules: held while every change
    # was covered, incomplete once one was pushed straight to main.
    assert bundle["controls"][("EU-AI-Act", "Art. 9")]["status"] == "held"
    assert pushed["controls"][("EU-AI-Act", "Art. 9")]["status"] == "incomplete"
    assert pushed["findings"][("EU-AI-Act", "Art. 9")]["target"]["status"]["state"] == "not-satisfied"


def test_a_record_that_disagrees_with_the_replay_assesses_nothing(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "NOTES.md", "notes\n")
    commit = commit_all(repo, "svc: notes", "2026-07-03T10:00:00Z")
    forged = {"commit": commit, "base": "0" * 40, "verdict": "pass", "features": ["svc"], "findings": [],
              "clock": "2026-07-03T10:00:00Z"}
    edit(repo / "svc" / "aigov.yaml", "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: gpt-3.5-turbo\n      provider: openai")
    broken = commit_all(repo, "switch model", "2026-07-04T10:00:00Z")
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps(forged), commit)
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps({**forged, "commit": broken}), broken)
    bundle = build(repo, tmp_path / "b.zip")
    recorded = {d["commit"]: d for d in bundle["decisions"] if d["kind"] == "recorded"}
    assert recorded[commit]["agrees"] is True and recorded[broken]["agrees"] is False
    control = bundle["controls"][("SLSA", "Source L4")]
    assert control["status"] == "incomplete" and control["pull_requests"]["covered"] == 1


@pytest.mark.parametrize(("tier", "status"), [("medium", "not applicable"), ("high", "not held")])
def test_human_oversight_does_not_apply_to_a_medium_tier_feature(tmp_path: Path, tier: str, status: str) -> None:
    """Art. 14 is evidenced only by AIGOV-MANIFEST-001 (a high-tier feature declares human oversight)."""
    repo = fresh_repo(tmp_path / "svc-repo", tier)
    bundle = build(repo, tmp_path / "b.zip")
    oversight = bundle["controls"][("EU-AI-Act", "Art. 14")]
    assert oversight["status"] == status
    finding = bundle["findings"][("EU-AI-Act", "Art. 14")]
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert {p["name"]: p["value"] for p in finding["props"]}["aigov-status"] == status
    if tier == "medium":
        assert oversight["not_applicable"] == ["AIGOV-MANIFEST-001"]
        assert "| Art. 14 | Human oversight | **not applicable** |" in bundle["report"]


def _observations(bundle: dict) -> dict[str, dict]:
    return {o["uuid"]: o for o in bundle["oscal"]["assessment-results"]["results"][0]["observations"]}


def test_oscal_is_valid_and_says_satisfied_only_with_a_decision_behind_it(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "prompts" / "system.txt", "Be terse.\n")
    commit_all(repo, "prompt", "2026-07-03T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    document = bundle["oscal"]
    errors = sorted(oscal_validator().iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    observations = _observations(bundle)
    satisfied = [f for f in bundle["findings"].values() if f["target"]["status"]["state"] == "satisfied"]
    assert satisfied
    for finding in satisfied:
        backing = [observations[r["observation-uuid"]] for r in finding.get("related-observations", [])]
        hrefs = [e["href"] for o in backing for e in o["relevant-evidence"]]
        assert any(h.startswith("../decisions.jsonl") for h in hrefs), finding["title"]
        for href in hrefs:
            assert href[3:].split("#")[0] in bundle["files"], href
    states = {key: f["target"]["status"]["state"] for key, f in bundle["findings"].items()}
    assert all(states[key] == "not-satisfied" for key in PULL_REQUEST_ONLY)


def test_a_waiver_on_the_branch_covers_its_finding_in_the_replay(tmp_path: Path) -> None:
    """The replay judges a commit of the default branch as the push that put it there: a waiver
    already on the branch counts as approved, as it did in CI (it used to be 'unapproved' in every
    replay, and the finding it covers blocked). Whether a changed waiver's approver approved is a
    pull-request rule (AIGOV-WAIVER-004): not assessed without a recorded pull-request decision."""
    repo = fresh_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "evals" / "golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(3)))  # AIGOV-EVAL-006
    write(repo / ".aigov" / "waivers.yaml", "waivers:\n  - rule: AIGOV-EVAL-006\n    feature: svc\n    reason: the golden set grows next sprint\n"
          "    ticket: GOV-17\n    approver: alice\n    created: 2026-07-01\n    expires: 2026-07-25\n")
    commit_all(repo, "waive the small eval set", "2026-07-02T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    waived = next(d for d in bundle["decisions"] if d["kind"] == "replayed" and d["cause"].endswith("waive the small eval set"))
    assert waived["verdict"] == "pass" and [w["state"] for w in waived["waivers"]] in (["active"], ["expiring"])
    assert [(f["id"], f["waived"]) for f in waived["findings"] if f["id"] == "AIGOV-EVAL-006"] == [("AIGOV-EVAL-006", True)]
    assert "AIGOV-WAIVER-004" not in {f["id"] for f in waived["findings"]}
    expired = [d for d in bundle["decisions"] if d["kind"] == "clock" and "AIGOV-WAIVER-001" in {f["id"] for f in d["findings"]}]
    assert expired and expired[0]["clock"].startswith("2026-07-25")  # the day it expired, with nobody committing


def test_every_rule_of_the_change_package_counts_only_from_pull_request_decisions() -> None:
    """The change rules compare a pull request with its base: a replay of a pushed commit cannot run
    them, so a control they evidence is never held by replays alone (controls.yaml `applies`)."""
    import re

    from aigov.policy.controls import pull_request_rules
    from aigov.resources import policies_dir

    change_rules = set(re.findall(r"#\s+id:\s+(AIGOV-CHANGE-\d+)", (policies_dir() / "aigov/changes.rego").read_text()))
    assert len(change_rules) >= 6
    assert change_rules <= pull_request_rules()
