"""Waivers: time-boxed, approved exceptions, decided in Rego (policies/aigov/waivers.rego).

Every test builds a real git repository with a real .aigov/waivers.yaml and runs the real CLI
with the real policy pack. Without pull-request review facts, a waiver counts as approved only
when the same request is already on the default branch; one added or changed since needs its
approver's review (the Rego tests cover the review facts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CLOCK, assert_clean_error, check, check_json, make_feature, org_config, run_limited, write
from waiver_helpers import EVAL_WAIVER, WAIVERS, commit_all, git, merged_waiver, too_few_cases


def by_id(doc: dict, finding_id: str) -> list[dict]:
    return [f for f in doc["findings"] if f["id"] == finding_id]


# --- A waiver in force ------------------------------------------------------------------------


def test_a_merged_waiver_covers_its_finding_which_stays_visible(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    assert check(root).exit_code == 1
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    doc = check_json(root)
    assert doc["verdict"] == "pass"
    [finding] = by_id(doc, "AIGOV-EVAL-006")
    assert (finding["waived"], finding["blocking"]) == (True, False)
    assert finding["waiver"] == {
        "rule": "AIGOV-EVAL-006", "feature": "support-summarize", "path": None, "approver": "alice",
        "reason": "the golden set grows to 25 cases next sprint", "ticket": "GOV-17",
        "created": "2026-11-20", "expires": "2026-12-20", "file": WAIVERS, "line": 2,
    }
    [waiver] = doc["waivers"]
    assert (waiver["state"], waiver["covers"]) == ("active", 1)
    text = check(root)
    assert text.exit_code == 0
    assert "WAIVED (1, not blocking)" in text.stdout and "waived until 2026-12-20: the golden set grows to 25 cases next sprint; ticket GOV-17; approved by alice" in text.stdout


def test_a_path_glob_waiver_covers_findings_under_it(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("feature: support-summarize", "path: evals/*.yaml"))
    assert check_json(root)["verdict"] == "pass"


def test_a_waiver_expiring_within_14_days_warns_but_still_applies(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-01"))
    doc = check_json(root)
    assert doc["verdict"] == "pass"
    [warning] = by_id(doc, "AIGOV-WAIVER-002")
    assert (warning["blocking"], warning["path"], warning["line"]) == (False, WAIVERS, 8)
    assert doc["waivers"][0]["state"] == "expiring"


# --- Waivers that do not hold -----------------------------------------------------------------


def test_an_expired_waiver_blocks_and_covers_nothing(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-10-01", expires="2026-10-30"))
    doc = check_json(root)
    assert doc["verdict"] == "fail"
    [expired] = by_id(doc, "AIGOV-WAIVER-001")
    assert (expired["blocking"], expired["line"], expired["message"]) == (True, 8, "waiver for AIGOV-EVAL-006 (GOV-17) expired on 2026-10-30")
    assert by_id(doc, "AIGOV-EVAL-006")[0]["blocking"] is True
    assert doc["waivers"][0]["state"] == "expired"


def test_a_waiver_matching_nothing_is_stale(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("AIGOV-EVAL-006", "AIGOV-EVAL-001"))
    doc = check_json(root)
    [stale] = by_id(doc, "AIGOV-WAIVER-003")
    assert (stale["blocking"], stale["severity"]) == (False, "low")
    assert doc["waivers"][0]["state"] == "stale"


def test_checking_one_feature_does_not_call_the_others_waivers_stale(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    make_feature(root / "svc-a", name="svc-a", repo=root)
    make_feature(root / "svc-b", name="svc-b", repo=root)
    git(root, "init", "-q", "-b", "main")
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("support-summarize", "svc-b"))
    assert check_json(root / "svc-a")["waivers"][0]["state"] == "active"
    assert check_json(root)["waivers"][0]["state"] == "stale"


def test_a_misspelt_feature_name_is_stale_in_a_whole_repository_check(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("support-summarize", "support-sumarize"))
    doc = check_json(root)
    assert doc["waivers"][0]["state"] == "stale" and doc["verdict"] == "fail"


def test_a_waiver_added_on_a_branch_needs_its_approvers_review(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    git(root, "checkout", "-qb", "feature")
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))  # committed, but not on main
    doc = check_json(root)
    assert doc["verdict"] == "fail"
    [unapproved] = by_id(doc, "AIGOV-WAIVER-004")
    assert unapproved["line"] == 6 and "was added since refs/heads/main" in unapproved["message"]
    assert by_id(doc, "AIGOV-EVAL-006")[0]["waived"] is False


def test_extending_a_merged_waiver_needs_a_new_review(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    write(root / WAIVERS, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-19").replace("alice", "mallory"))
    doc = check_json(root)
    assert "was changed since" in by_id(doc, "AIGOV-WAIVER-004")[0]["message"]
    assert doc["verdict"] == "fail"


def test_a_merged_waiver_does_not_follow_its_name_to_another_feature(tmp_path: Path) -> None:
    """The waiver approved for support-summarize stays in the file unchanged, but on a branch that
    feature is renamed and another one takes its name: the text now covers code nobody approved it
    for, so it counts as changed and needs its approver again."""
    root = too_few_cases(tmp_path)
    newcomer = make_feature(root / "newcomer", name="newcomer")
    write(newcomer / "evals/golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(3)))
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    assert {(f["feature"], f["waived"]) for f in by_id(check_json(root), "AIGOV-EVAL-006")} == {
        ("support-summarize", True), ("newcomer", False)}
    git(root, "checkout", "-qb", "rename")
    manifest = root / "aigov.yaml"
    manifest.write_text(manifest.read_text().replace("name: support-summarize", "name: support-summarize-old"))
    (newcomer / "aigov.yaml").write_text((newcomer / "aigov.yaml").read_text().replace("name: newcomer", "name: support-summarize"))
    commit_all(root, "swap names")
    doc = check_json(root)
    [unapproved] = by_id(doc, "AIGOV-WAIVER-004")
    assert "was changed since refs/heads/main (feature support-summarize is now newcomer/aigov.yaml, " \
           "which at refs/heads/main was feature newcomer)" in unapproved["message"]
    assert not any(f["waived"] for f in by_id(doc, "AIGOV-EVAL-006"))
    assert doc["verdict"] == "fail"


def path_waiver_monorepo(tmp_path: Path) -> Path:
    """main: feature `one` under svc-a/ with 3 eval cases and a merged waiver for svc-a/**; branch
    `feat` adds feature `two` under svc-a/ with the same problem."""
    root = tmp_path / "mono"
    for name in ("one", "two"):
        make_feature(root / "svc-a" / name, name=name, repo=root)
        write(root / "svc-a" / name / "evals/golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(3)))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A", "svc-a/one")
    git(root, "commit", "-qm", "one")
    write(root / WAIVERS, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("feature: support-summarize", "path: svc-a/**"))
    git(root, "add", WAIVERS)
    git(root, "commit", "-qm", "waive svc-a/**")
    git(root, "checkout", "-qb", "feat")
    commit_all(root, "add feature two")
    return root


def test_a_path_waiver_does_not_cover_a_feature_added_under_its_path_later(tmp_path: Path) -> None:
    """The waiver for svc-a/** was approved when svc-a held one feature; `two`, added since, is not
    what its approver approved, so two's finding blocks (in a PR and in a check of the branch alike)."""
    root = path_waiver_monorepo(tmp_path)
    for doc in (check_json(root, "--base", "main"), check_json(root)):
        assert {(f["feature"], f["waived"]) for f in by_id(doc, "AIGOV-EVAL-006")} == {("one", True), ("two", False)}
        assert doc["verdict"] == "fail"
    git(root, "rm", "-rq", "svc-a/one")
    commit_all(root, "one is gone, two stays")
    [stale] = by_id(check_json(root), "AIGOV-WAIVER-003")
    assert stale["message"].endswith("it does not cover two, which did not exist at refs/heads/main when it was approved "
                                     "(change the waiver in a pull request its approver approves)")


def test_outside_git_no_waiver_can_be_approved(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "plain")
    write(root / "evals/golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(3)))
    write(root / WAIVERS, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    doc = check_json(root)
    assert "cannot be verified" in by_id(doc, "AIGOV-WAIVER-004")[0]["message"]
    assert doc["verdict"] == "fail"


def test_a_critical_rule_cannot_be_waived(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo", model="unvetted-community-7b", provider="huggingface")
    git(root, "init", "-q", "-b", "main")
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("AIGOV-EVAL-006", "AIGOV-MODEL-003"))
    doc = check_json(root)
    assert doc["verdict"] == "fail"
    assert by_id(doc, "AIGOV-MODEL-003")[0]["waived"] is False
    assert by_id(doc, "AIGOV-WAIVER-005")[0]["message"] == "waiver for AIGOV-MODEL-003 (GOV-17): a critical rule cannot be waived"
    assert doc["waivers"][0]["state"] == "refused"


def test_an_approval_cannot_be_replaced_by_a_waiver(tmp_path: Path) -> None:
    """AIGOV-CHANGE-003 asks for a CODEOWNER's approval of a lowered tier; a waiver on main (which its
    named approver approved, not a CODEOWNER) must not stand in for it: the rule's METADATA says waivable: false."""
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("AIGOV-EVAL-006", "AIGOV-CHANGE-003"))
    git(root, "checkout", "-qb", "lower")
    (root / "aigov.yaml").write_text((root / "aigov.yaml").read_text().replace("riskTier: medium", "riskTier: low"))
    commit_all(root, "lower the tier")
    doc = check_json(root, "--base", "main")
    [change] = by_id(doc, "AIGOV-CHANGE-003")
    assert (change["waived"], change["blocking"]) == (False, True)
    assert by_id(doc, "AIGOV-WAIVER-005")[0]["message"] == \
        "waiver for AIGOV-CHANGE-003 (GOV-17): AIGOV-CHANGE-003 cannot be waived (its METADATA says waivable: false)"
    assert doc["waivers"][0]["state"] == "refused" and doc["verdict"] == "fail"


ORG_RULE = """\
package acme.names

import rego.v1

# METADATA
# title: Names start with acme-
# custom:
#   id: ACME-NAME-001
#   severity: medium
#   waivable: {waivable}
#   remediation: rename it
deny contains {{"id": "ACME-NAME-001", "msg": "not acme-"}} if not startswith(input.feature.name, "acme-")
"""


def test_an_org_rule_can_say_it_cannot_be_waived(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("AIGOV-EVAL-006", "ACME-NAME-001"))
    config = org_config(tmp_path / "org", "policies: [rules]\nblock: [medium]\n", {"rules/names.rego": ORG_RULE.format(waivable="false")})
    doc = check_json(root, "--config", str(config))
    assert by_id(doc, "ACME-NAME-001")[0]["waived"] is False and by_id(doc, "AIGOV-WAIVER-005")
    waivable = org_config(tmp_path / "org2", "policies: [rules]\nblock: [medium]\n", {"rules/names.rego": ORG_RULE.format(waivable="true")})
    assert by_id(check_json(root, "--config", str(waivable)), "ACME-NAME-001")[0]["waived"] is True


def test_a_waivable_field_that_is_not_a_boolean_is_a_clean_error(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    config = org_config(tmp_path / "org", "policies: [rules]\n", {"rules/names.rego": ORG_RULE.format(waivable="'no'")})
    assert_clean_error(check(root, "--config", str(config)),
                       "names.rego:12:", "custom.waivable must be true or false")


def test_the_org_can_make_more_rules_unwaivable(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    config = org_config(tmp_path / "org", "data: [strict.yaml]\n",
                        {"strict.yaml": "aigov:\n  settings:\n    waivers:\n      not_waivable: {severities: [critical], rules: [AIGOV-EVAL-006]}\n"})
    doc = check_json(root, "--config", str(config))
    assert doc["verdict"] == "fail" and by_id(doc, "AIGOV-WAIVER-005")


def test_an_over_long_waiver_is_a_finding_not_an_error(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2027-11-20"))
    doc = check_json(root)
    [long] = by_id(doc, "AIGOV-WAIVER-006")
    assert long["message"] == "waiver for AIGOV-EVAL-006 (GOV-17) lasts 365 days; a waiver of a high rule may last at most 30"
    assert doc["verdict"] == "fail"


def test_waivers_cannot_waive_the_trust_boundary(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    write(root / ".aigov/config.yaml", "registry: .aigov/reg.yaml\n")
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("AIGOV-EVAL-006", "AIGOV-CONFIG-001"))
    doc = check_json(root)
    assert by_id(doc, "AIGOV-CONFIG-001")[0]["blocking"] is True
    assert by_id(doc, "AIGOV-WAIVER-005")


def test_no_waivers_file_means_no_waiver_evaluation(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    doc = check_json(root)
    assert doc["waivers"] == [] and all(f["waived"] is False for f in doc["findings"])


# --- A malformed waivers file is an error naming its line ------------------------------------

GOOD = EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20")


@pytest.mark.parametrize(("text", "fragments"), [
    (GOOD + "    owner: bob\n", [f"{WAIVERS}:9:", "unknown key 'owner'"]),
    (GOOD.replace("created: 2026-11-20", "created: 2026-02-30"), [f"{WAIVERS}:7:", "not a real date"]),
    (GOOD.replace("created: 2026-11-20", "created: '2026-13-01'"), [f"{WAIVERS}:7:", "not a real date"]),
    (GOOD.replace("created: 2026-11-20", "created: next week"), [f"{WAIVERS}:7:", "YYYY-MM-DD"]),
    (GOOD.replace("AIGOV-EVAL-006", "AIGOV-EVAL-999"), [f"{WAIVERS}:2:", "AIGOV-EVAL-999 is not a rule of the policy pack"]),
    (GOOD.replace("2026-12-20", "2026-11-01"), [f"{WAIVERS}:8:", "is not after created"]),
    (GOOD.replace("    feature: support-summarize\n", ""), [f"{WAIVERS}:2:", "'feature' is a required property"]),
    (GOOD.replace("feature: support-summarize", "path: /etc/*"), [f"{WAIVERS}:3:", "repository-relative glob"]),
    (GOOD.replace("feature: support-summarize", "path: 'evals/[a'"), [f"{WAIVERS}:3:", "repository-relative glob"]),
    # ** inside a name matches differently on the two engines; 2^n forms of n "**/" are tried, so n is capped
    (GOOD.replace("feature: support-summarize", "path: 'evals/**.yaml'"), [f"{WAIVERS}:3:", "has ** inside a name"]),
    (GOOD.replace("feature: support-summarize", "path: 'a**/b'"), [f"{WAIVERS}:3:", "has ** inside a name"]),
    (GOOD.replace("feature: support-summarize", "path: '" + "**/" * 5 + "x'"), [f"{WAIVERS}:3:", "more than 4 '**'"]),
    (GOOD.replace("approver: alice", "approver: 'alice; rm -rf /'"), [f"{WAIVERS}:6:", "GitHub login"]),
    (GOOD.replace("approver: alice", "approver: '@acme/..'"), [f"{WAIVERS}:6:", "GitHub login or an @org/team-slug"]),
    (GOOD.replace("approver: alice", "approver: '@acme/a/b'"), [f"{WAIVERS}:6:", "GitHub login or an @org/team-slug"]),
    (GOOD.replace("approver: alice", "approver: '@acme/'"), [f"{WAIVERS}:6:", "GitHub login or an @org/team-slug"]),
    (GOOD.replace("approver: alice", "approver: '@/team'"), [f"{WAIVERS}:6:", "GitHub login or an @org/team-slug"]),
    (GOOD.replace("approver: alice", 'approver: "alice\\n"'), [f"{WAIVERS}:6:", "approver: 'alice\\n' is not a GitHub login"]),
    (GOOD.replace("approver: alice", 'approver: "@acme/risk\\n"'), [f"{WAIVERS}:6:", "is not a GitHub login"]),
    ("- rule: AIGOV-EVAL-006\n", [WAIVERS, "is not of type 'object'"]),
    ("waivers:\n  - &a [*a]\n", [WAIVERS, "recursive alias"]),
])
def test_a_malformed_waivers_file_is_a_clean_error(tmp_path: Path, text: str, fragments: list[str]) -> None:
    root = too_few_cases(tmp_path)
    (root / ".aigov").mkdir(exist_ok=True)
    (root / WAIVERS).write_text(text, encoding="utf-8")
    assert_clean_error(check(root), *fragments)


def test_a_waivers_fifo_waives_nothing_and_a_symlink_out_is_refused(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    (root / ".aigov").mkdir()
    os.mkfifo(root / WAIVERS)  # git would not commit it: not a waivers file, and never read
    fifo = run_limited("check", str(root), "--now", CLOCK)
    assert fifo.exit_code == 1 and "AIGOV-EVAL-006" in fifo.stdout
    (root / WAIVERS).unlink()
    (tmp_path / "outside.yaml").write_text(GOOD, encoding="utf-8")
    (root / WAIVERS).symlink_to(tmp_path / "outside.yaml")
    assert_clean_error(check(root), WAIVERS, "outside the repository")


def test_a_huge_waivers_file_is_refused_before_reading(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    (root / ".aigov").mkdir()
    with open(root / WAIVERS, "wb") as out:
        out.truncate(50 * 1024 * 1024)
    assert_clean_error(run_limited("check", str(root), "--now", CLOCK), WAIVERS, "limit")


def test_thousands_of_waivers_are_refused_quickly(tmp_path: Path) -> None:
    root = too_few_cases(tmp_path)
    entry = "  - {rule: AIGOV-EVAL-006, path: 'evals/*%d.yaml', reason: r, ticket: T, approver: alice, created: 2026-11-20, expires: 2026-12-15}\n"
    write(root / WAIVERS, "waivers:\n" + "".join(entry % i for i in range(1001)))
    assert_clean_error(run_limited("check", str(root), "--now", CLOCK, timeout=30), f"{WAIVERS}:1002:", "at most 1000")


# --- In a pull request: the approver's review, from a loopback GitHub API ---------------------

from github_stub import AUTHOR, REVIEWS, event_file, review, team  # noqa: E402 - the loopback GitHub API is the `api` fixture (conftest)


def waiver_pr(tmp_path: Path, approver: str = "alice") -> tuple[Path, str, Path]:
    """A pull request (branch feat) that adds a waiver for the repository's finding; (repo, head, event file)."""
    root = too_few_cases(tmp_path)
    git(root, "checkout", "-qb", "feat")
    write(root / WAIVERS, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20").replace("alice", approver))
    commit_all(root, "waive")
    return root, git(root, "rev-parse", "HEAD").strip(), event_file(tmp_path, root)


def pr_check_json(root: Path, event: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> dict:
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    return check_json(root, "--pr", *extra)


def test_a_waiver_the_pr_adds_holds_once_its_approver_approves(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root, head, event = waiver_pr(tmp_path)
    api.routes[REVIEWS] = [(200, json.dumps([review("Alice", "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    doc = pr_check_json(root, event, monkeypatch, "--github-token", "t0ken")
    assert doc["verdict"] == "pass", doc["findings"]
    assert by_id(doc, "AIGOV-EVAL-006")[0]["waived"] is True


def test_a_waiver_the_pr_adds_is_not_approved_by_someone_else(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root, head, event = waiver_pr(tmp_path)
    api.routes[REVIEWS] = [(200, json.dumps([review("mallory", "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    doc = pr_check_json(root, event, monkeypatch, "--github-token", "t0ken")
    assert doc["verdict"] == "fail"
    assert by_id(doc, "AIGOV-WAIVER-004")[0]["message"].endswith("and has no approving review by alice")


def test_without_a_token_a_new_waiver_cannot_be_verified(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _, event = waiver_pr(tmp_path)
    doc = pr_check_json(root, event, monkeypatch)
    assert "cannot verify approval by alice: no GitHub token" in by_id(doc, "AIGOV-WAIVER-004")[0]["message"]
    assert doc["verdict"] == "fail"


def test_a_team_approver_approves_through_a_members_review(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root, head, event = waiver_pr(tmp_path, approver="'@acme/ai-governance'")
    api.routes[REVIEWS] = [(200, json.dumps([review("Carol", "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    team(api, "@acme/ai-governance", ["carol"])
    doc = pr_check_json(root, event, monkeypatch, "--github-token", "t0ken")
    assert doc["verdict"] == "pass", doc["findings"]


@pytest.mark.parametrize("members, pending", [([], ()), ([], ("carol",))])
def test_a_team_approver_is_not_approved_by_someone_outside_it(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch,
                                                               members: list[str], pending: tuple[str, ...]) -> None:
    """carol approves, but GitHub says she is not a member of the named team (404), or only invited."""
    root, head, event = waiver_pr(tmp_path, approver="'@acme/ai-governance'")
    api.routes[REVIEWS] = [(200, json.dumps([review("carol", "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    team(api, "@acme/ai-governance", members, pending)
    doc = pr_check_json(root, event, monkeypatch, "--github-token", "t0ken")
    assert by_id(doc, "AIGOV-WAIVER-004")[0]["message"].endswith("and has no approving review by @acme/ai-governance")
    assert doc["verdict"] == "fail"


def test_a_team_approver_the_token_cannot_read_cannot_approve(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root, head, event = waiver_pr(tmp_path, approver="'@acme/ai-governance'")
    api.routes[REVIEWS] = [(200, json.dumps([review("carol", "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    api.routes["/orgs/acme/teams/ai-governance"] = [(403, '{"message": "Resource not accessible by integration"}', 0)]  # type: ignore[attr-defined]
    doc = pr_check_json(root, event, monkeypatch, "--github-token", "t0ken")
    assert "cannot verify approval by @acme/ai-governance: the GitHub API answered /orgs/acme/teams/ai-governance with HTTP 403" \
        in by_id(doc, "AIGOV-WAIVER-004")[0]["message"]
    assert doc["verdict"] == "fail"


def test_a_waiver_is_never_approved_by_the_pull_requests_author(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The author names themself (or a team they are in) as the approver and approves: no approval."""
    root, head, event = waiver_pr(tmp_path, approver=AUTHOR)
    api.routes[REVIEWS] = [(200, json.dumps([review(AUTHOR, "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    doc = pr_check_json(root, event, monkeypatch, "--github-token", "t0ken")
    assert by_id(doc, "AIGOV-WAIVER-004")[0]["message"].endswith(f"and has no approving review by {AUTHOR}")
    assert by_id(doc, "AIGOV-EVAL-006")[0]["waived"] is False and doc["verdict"] == "fail"


def test_a_waiver_already_on_main_needs_no_review_in_a_pr(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    git(root, "checkout", "-qb", "feat")
    write(root / "evals/golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(4)))
    commit_all(root, "one more case")
    doc = pr_check_json(root, event_file(tmp_path, root), monkeypatch, "--github-token", "t0ken")
    assert doc["verdict"] == "pass" and by_id(doc, "AIGOV-EVAL-006")[0]["waived"] is True
    assert api.seen == []  # type: ignore[attr-defined] # nothing to approve: the reviews were not asked for


def test_a_waiver_its_approver_approves_again_covers_the_features_as_they_are_now(tmp_path: Path, api: object,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = path_waiver_monorepo(tmp_path)
    (root / WAIVERS).write_text((root / WAIVERS).read_text().replace("GOV-17", "GOV-18"))  # the request names the new feature's ticket
    commit_all(root, "waive two as well")
    head = git(root, "rev-parse", "HEAD").strip()
    api.routes[REVIEWS] = [(200, json.dumps([review("alice", "APPROVED", head)]), 0)]  # type: ignore[attr-defined]
    doc = pr_check_json(root, event_file(tmp_path, root), monkeypatch, "--github-token", "t0ken")
    assert {(f["feature"], f["waived"]) for f in by_id(doc, "AIGOV-EVAL-006")} == {("one", True), ("two", True)}
    assert doc["verdict"] == "pass", doc["findings"]


def test_new_only_cannot_turn_an_unreviewed_extension_into_debt(tmp_path: Path, api: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    git(root, "checkout", "-qb", "feat")
    write(root / WAIVERS, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-19"))  # changed, not reviewed
    commit_all(root, "shift the waiver")
    doc = pr_check_json(root, event_file(tmp_path, root), monkeypatch, "--new-only")
    [unapproved] = by_id(doc, "AIGOV-WAIVER-004")
    assert unapproved["blocking"] is True
    assert doc["verdict"] == "fail"
