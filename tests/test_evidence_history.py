"""aigov evidence build replays the history as it happened: the first-parent chain by topology, with
date anomalies named; decisions CI recorded compared strictly; an open quarter covered up to the
build's clock. Real git repositories with forged dates and real notes written by `aigov record`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from conftest import edit, run_cli, write
from evidence_helpers import feature_repo
from repo_helpers import commit_all, git, link, local_action_caller

SONNET = "id: anthropic.claude-sonnet-4\n      provider: bedrock"
DEPRECATED = "id: gpt-3.5-turbo\n      provider: openai"  # past its sunset in the registry: AIGOV-MODEL-004 blocks


def build(repo: Path, out: Path, *extra: str, period: str = "2026Q3", now: str = "2026-12-07T00:00:00Z") -> dict:
    run = run_cli("evidence", "build", str(repo), "--period", period, "--now", now, "-o", str(out), *extra)
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return {"files": files, "manifest": json.loads(files["manifest.json"]), "stdout": run.stdout,
            "decisions": [json.loads(line) for line in files["decisions.jsonl"].decode().splitlines()],
            "controls": {(c["framework"], c["control"]): c for c in json.loads(files["controls.json"])["controls"]},
            "report": files["report.md"].decode()}


def replayed_at(bundle: dict, commit: str) -> list[dict]:
    return [d for d in bundle["decisions"] if d["kind"] == "replayed" and d["commit"] == commit]


def record_at(repo: Path, out: Path, now: str, *extra: str) -> Path:
    """The decision record `aigov check --record` writes for the repository's HEAD (as CI would)."""
    run = run_cli("check", str(repo), "--now", now, "--record", str(out), *extra)
    assert run.exit_code in (0, 1), run.stderr
    return out


def note(repo: Path, commit: str, record: Path | str) -> None:
    if isinstance(record, Path):
        git(repo, "notes", "--ref", "aigov", "add", "-f", "-F", str(record), commit)
    else:
        git(repo, "notes", "--ref", "aigov", "add", "-f", "-m", record, commit)


# --- History by topology -------------------------------------------------------------------------


def test_a_commit_dated_after_the_period_takes_the_commits_after_it_out_of_the_period(tmp_path: Path) -> None:
    """Someone pushes a commit dated November in August: it switches to a deprecated model. The next
    commit claims September. The period ends before the November-dated commit, which is listed, and
    nothing in it is judged on a tree without that commit's change (the old replay said pass there)."""
    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "NOTES.md", "a\n")
    fine = commit_all(repo, "svc: notes", "2026-08-01T10:00:00Z")
    edit(repo / "svc" / "aigov.yaml", SONNET, DEPRECATED)
    late = commit_all(repo, "switch to gpt-3.5-turbo", "2026-11-15T10:00:00Z")
    write(repo / "svc" / "NOTES.md", "b\n")
    claims_september = commit_all(repo, "svc: more notes", "2026-09-10T10:00:00Z")

    q3 = build(repo, tmp_path / "q3.zip")
    assert replayed_at(q3, fine) and not replayed_at(q3, claims_september) and not replayed_at(q3, late)
    header = q3["manifest"]["repositories"][0]
    assert header["head"] == fine
    anomaly = next(a for a in header["date_anomalies"] if a["commit"] == claims_september)
    assert anomaly["kind"] == "out of order" and anomaly["dated"] == "2026-09-10T10:00:00Z"
    assert anomaly["effective"] == "2026-11-15T10:00:00Z" and anomaly["follows"] == late and anomaly["subject"] == "svc: more notes"
    assert claims_september[:12] in q3["report"] and "out of order" in q3["report"]

    q4 = build(repo, tmp_path / "q4.zip", period="2026Q4", now="2026-12-01T00:00:00Z")
    after = replayed_at(q4, claims_september)
    assert after and after[0]["verdict"] == "fail" and after[0]["clock"] == "2026-11-15T10:00:00Z"


def test_a_fix_back_dated_before_the_period_is_judged_where_it_stands(tmp_path: Path) -> None:
    """The in-period violation is replayed, and the back-dated fix is judged after it, not taken as
    the state the period starts from."""
    repo = feature_repo(tmp_path / "svc-repo")
    edit(repo / "svc" / "aigov.yaml", SONNET, DEPRECATED)
    broke = commit_all(repo, "switch to gpt-3.5-turbo", "2026-08-01T10:00:00Z")
    edit(repo / "svc" / "aigov.yaml", DEPRECATED, SONNET)
    fix = commit_all(repo, "back to sonnet", "2026-06-20T10:00:00Z")

    bundle = build(repo, tmp_path / "b.zip")
    assert "AIGOV-MODEL-004" in {f["id"] for f in replayed_at(bundle, broke)[0]["findings"]}
    fixed = replayed_at(bundle, fix)[0]
    assert "AIGOV-MODEL-004" not in {f["id"] for f in fixed["findings"]} and fixed["clock"] == "2026-08-01T10:00:00Z"
    anomaly = bundle["manifest"]["repositories"][0]["date_anomalies"][0]
    assert anomaly["commit"] == fix and anomaly["kind"] == "back-dated" and anomaly["effective"] == "2026-08-01T10:00:00Z"
    timeline = json.loads(bundle["files"]["summary.json"])["timelines"]["svc-repo/svc"]
    assert [c["clock"] for c in timeline if "AIGOV-MODEL-004" in c["added"] + c["removed"]] == ["2026-08-01T10:00:00Z"] * 2


def test_a_commit_dated_after_the_build_is_future_dated_and_the_history_stops_before_it(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "NOTES.md", "a\n")
    fine = commit_all(repo, "svc: notes", "2026-10-05T10:00:00Z")
    edit(repo / "svc" / "aigov.yaml", SONNET, DEPRECATED)
    future = commit_all(repo, "from the future", "2099-01-01T00:00:00Z")
    bundle = build(repo, tmp_path / "b.zip", period="2026Q4", now="2026-12-06T12:00:00Z")
    header = bundle["manifest"]["repositories"][0]
    assert header["head"] == fine and not replayed_at(bundle, future)
    assert header["date_anomalies"][0]["commit"] == future and header["date_anomalies"][0]["kind"] == "future-dated"
    assert "future-dated" in bundle["report"] and "from the future" in bundle["report"]


# --- An open quarter ---------------------------------------------------------------------------------


def test_an_open_quarter_covers_up_to_the_build_and_says_so(tmp_path: Path) -> None:
    """Built on 6 December, the fourth quarter holds no decision dated after that (the model card
    goes stale on 20 December: that is not known yet)."""
    repo = feature_repo(tmp_path / "svc-repo")
    edit(repo / "svc" / "MODEL_CARD.md", "last_reviewed: 2026-01-21", "last_reviewed: 2026-06-23")  # medium tier: 180 days
    commit_all(repo, "review the card", "2026-07-01T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip", period="2026Q4", now="2026-12-06T12:00:00Z")
    period = bundle["manifest"]["period"]
    assert period == {"label": "2026Q4", "start": "2026-10-01T00:00:00Z", "end": "2026-12-06T12:00:00Z",
                      "open": True, "ends": "2026-12-31T23:59:59Z"}
    assert bundle["decisions"] and all(d["clock"] <= "2026-12-06T12:00:00Z" for d in bundle["decisions"])
    assert "up to 2026-12-06T12:00:00Z (open)" in bundle["stdout"]
    assert "open" in bundle["report"] and "2026-12-31" in bundle["report"]
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert archive.infolist()[0].date_time[:3] == (2026, 12, 6)
    # Rebuilt later, the quarter holds the day the card went stale.
    later = build(repo, tmp_path / "later.zip", period="2026Q4", now="2027-01-02T00:00:00Z")
    assert "open" not in later["manifest"]["period"]
    assert any(d["kind"] == "clock" and d["clock"].startswith("2026-12-2") for d in later["decisions"])


def test_a_period_that_has_not_begun_is_refused(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "svc-repo")
    run = run_cli("evidence", "build", str(repo), "--period", "2027Q1", "--now", "2026-12-06T12:00:00Z", "-o", str(tmp_path / "b.zip"))
    assert run.exit_code == 2 and "2027Q1" in run.stderr and "after the build's clock" in run.stderr
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q4", "--now", "yesterday", "-o", str(tmp_path / "b.zip"))
    assert run.exit_code == 2 and "--now 'yesterday'" in run.stderr


# --- Recorded decisions, compared strictly ------------------------------------------------------------


def test_a_forged_pass_on_a_docs_only_commit_is_replayed_and_disagrees(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "svc-repo")
    edit(repo / "svc" / "aigov.yaml", SONNET, DEPRECATED)
    commit_all(repo, "switch to gpt-3.5-turbo", "2026-07-05T10:00:00Z")
    write(repo / "README.md", "docs only\n")
    docs = commit_all(repo, "docs", "2026-07-07T10:00:00Z")
    note(repo, docs, json.dumps({"commit": docs, "verdict": "pass", "features": ["svc"], "findings": []}))
    bundle = build(repo, tmp_path / "b.zip")
    assert replayed_at(bundle, docs)[0]["verdict"] == "fail"
    recorded = next(d for d in bundle["decisions"] if d["kind"] == "recorded")
    assert recorded["agrees"] is False and recorded["replayed_verdict"] == "fail"
    assert "only recorded: none; only replayed:" in recorded["disagreement"] and "svc:AIGOV-MODEL-004" in recorded["disagreement"]
    assert f"commit {docs[:12]}" in bundle["report"] and "DISAGREES" in bundle["report"]


def test_a_record_of_another_commit_noted_here_disagrees(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "NOTES.md", "one\n")
    first = commit_all(repo, "svc: one", "2026-07-05T10:00:00Z")
    write(repo / "svc" / "NOTES.md", "two\n")
    second = commit_all(repo, "svc: two", "2026-07-06T10:00:00Z")
    genuine = record_at(repo, tmp_path / "second.json", "2026-07-06T10:00:00Z")  # a real record, of the second commit
    note(repo, first, genuine)
    note(repo, second, genuine)
    bundle = build(repo, tmp_path / "b.zip")
    recorded = {d["commit"]: d for d in bundle["decisions"] if d["kind"] == "recorded"}
    assert recorded[first]["agrees"] is False and recorded[first]["disagreement"] == f"recorded for another commit ({second})"
    assert recorded[second]["agrees"] is True
    assert "recorded for another commit" in bundle["report"]


def test_a_failing_note_on_a_commit_force_pushed_away_is_listed(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "svc-repo")
    edit(repo / "svc" / "aigov.yaml", SONNET, DEPRECATED)
    gone = commit_all(repo, "switch to gpt-3.5-turbo", "2026-07-05T10:00:00Z")
    note(repo, gone, record_at(repo, tmp_path / "gone.json", "2026-07-05T10:00:00Z"))
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    write(repo / "svc" / "NOTES.md", "instead\n")
    commit_all(repo, "svc: notes", "2026-07-06T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    off = next(d for d in bundle["decisions"] if d["kind"] == "recorded" and d["commit"] == gone)
    assert off["verdict"] == "fail" and off["covers"] is None
    assert f"commit {gone[:12]}" in bundle["report"] and "not on the branch" in bundle["report"]


def test_a_bundle_from_before_date_anomalies_still_verifies(tmp_path: Path) -> None:
    """Last quarter's bundle, built by an aigov that listed no date anomalies, is still a valid manifest."""
    from aigov.validation import schema_errors

    repo = feature_repo(tmp_path / "svc-repo")
    manifest = build(repo, tmp_path / "b.zip")["manifest"]
    assert manifest["repositories"][0]["date_anomalies"] == []
    older = {**manifest, "repositories": [{k: v for k, v in r.items() if k != "date_anomalies"} for r in manifest["repositories"]]}
    assert schema_errors(older, "evidence-manifest") == []


# --- The replay reads what a checkout holds ----------------------------------------------------------


def check_at(repo: Path, commit: str, now: str) -> dict:
    """`aigov check` on a checkout of ``commit`` (a git worktree: a real checkout, links and all)."""
    checkout = repo.parent / f"checkout-{commit[:8]}"
    git(repo, "worktree", "add", "-q", "--detach", str(checkout), commit)
    run = run_cli("check", str(checkout), "--now", now, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    return run.json()


def test_a_linked_source_file_that_calls_an_unregistered_model_fails_the_replay_as_it_fails_a_check(tmp_path: Path) -> None:
    """Issue 15's example: the old replay copied only regular files of the feature folders, so a
    source file kept behind a link to a shared folder was not there and the bundle said pass
    where `aigov check` of that commit fails."""
    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "shared" / "client.py", 'def ask(client, q):\n    return client.responses.create(model="grok-4-fast", input=q)\n')
    link(repo / "svc" / "src" / "client.py", "../../shared/client.py")
    commit = commit_all(repo, "svc: the shared client", "2026-07-03T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    [replayed] = replayed_at(bundle, commit)
    checked = check_at(repo, commit, replayed["clock"])
    assert checked["verdict"] == replayed["verdict"] == "fail"
    assert ("AIGOV-MODEL-010", "svc/src/client.py") in {(f["id"], f["path"]) for f in replayed["findings"] if f["blocking"]}
    assert sorted((f["id"], f["path"], f["line"]) for f in replayed["findings"]) == \
        sorted((f["id"], f["path"], f["line"]) for f in checked["findings"])


def test_an_eval_gate_in_a_local_composite_action_outside_the_features_passes_the_replay_as_it_passes_a_check(tmp_path: Path) -> None:
    """Issue 15's example: the old replay copied only feature folders, .github/ and .aigov/, so an eval
    gate run by a local composite action kept in ci/ was missing and the bundle said fail where CI passed."""
    repo = feature_repo(tmp_path / "svc-repo")
    (repo / ".github" / "workflows" / "evals-svc.yml").unlink()
    write(repo / ".github" / "workflows" / "evals.yml", local_action_caller("ci/evals"))
    write(repo / "ci" / "evals" / "action.yml", "name: evals\nruns:\n  using: composite\n  steps:\n"
          "    - run: python evals/run.py --config evals/config.yaml\n      shell: bash\n      working-directory: svc\n")
    commit = commit_all(repo, "evals through a composite action", "2026-07-03T10:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    [replayed] = replayed_at(bundle, commit)
    checked = check_at(repo, commit, replayed["clock"])
    assert checked["verdict"] == replayed["verdict"] == "pass", replayed["findings"]
    assert not [f for f in replayed["findings"] if f["id"].startswith("AIGOV-EVAL")]
