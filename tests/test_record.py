"""The decision record: canonical JSON from `aigov check --record`, kept as git notes by `aigov record`.

Real git repositories, the real CLI and the real policy pack; records are validated against
schemas/decision-record.schema.json with plain jsonschema.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import jsonschema

from aigov.check import run_check
from aigov.check.options import CheckOptions
from aigov.record import decision_record, read_records
from aigov.resources import load_schema
from conftest import CLOCK, assert_clean_error, check, check_json, make_feature, run_cli, run_limited, write
from waiver_helpers import EVAL_WAIVER, commit_all, git, merged_waiver, too_few_cases


def record_of(root: Path, target: Path, *extra: str) -> bytes:
    run = check(root, "--record", str(target), *extra)
    assert run.exit_code in (0, 1), run.stderr
    return target.read_bytes()


def waived_repository(tmp_path: Path) -> Path:
    """A repository with a waived finding and an origin remote whose URL carries a token."""
    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    git(root, "remote", "add", "origin", "https://x-access-token:ghs_secret@github.example/acme/support.git")
    return root


def test_the_same_inputs_give_the_same_bytes_and_a_valid_record(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    # Written into the checked tree: a run's own record is not judged by that run, and the next
    # run (which finds the previous record there) still decides, and writes, the same.
    first = record_of(root, root / "decision.json")
    second = record_of(root, root / "decision.json")
    assert first == second
    assert first.endswith(b"}\n") and b"\n" not in first[:-1] and b": " not in first  # canonical: one line, no padding
    record = json.loads(first)
    assert list(record) == sorted(record)
    jsonschema.Draft202012Validator(load_schema("decision-record")).validate(record)
    head = git(root, "rev-parse", "HEAD").strip()
    assert (record["commit"], record["repository"], record["verdict"], record["clock"]) == (
        head, "https://github.example/acme/support.git", "pass", CLOCK)
    assert record["features"] == ["support-summarize"]
    [waived] = [f for f in record["findings"] if f["id"] == "AIGOV-EVAL-006"]
    assert waived["waived"] is True and waived["waiver"]["ticket"] == "GOV-17"
    assert record["waivers"][0]["state"] == "active"
    assert record["policy"]["digest"] == record["digests"]["policies"]


def test_another_clock_gives_another_record(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    assert record_of(root, tmp_path / "a.json") != record_of(root, tmp_path / "b.json", "--now", "2026-11-24T12:00:00Z")


def test_the_json_report_names_the_records_digest(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    data = record_of(root, tmp_path / "decision.json")
    doc = check_json(root)
    assert doc["record"] == {"format": "1", "digest": "sha256:" + hashlib.sha256(data).hexdigest()}


def test_outside_git_the_record_names_the_folder_and_no_commit(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "plain-feature")
    record = json.loads(record_of(root, tmp_path / "decision.json"))
    assert (record["repository"], record["commit"], record["base"], record["pr"]) == ("plain-feature", None, None, None)


def test_the_change_under_review_is_recorded(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    result = run_check(root, CheckOptions(now=CLOCK))
    result.change = {"base": "a" * 40, "head": git(root, "rev-parse", "HEAD").strip(), "pr": 42, "files": []}
    record = decision_record(result)
    assert (record["base"], record["pr"]) == ("a" * 40, 42)
    jsonschema.Draft202012Validator(load_schema("decision-record")).validate(record)


# --- aigov record: git notes ------------------------------------------------------------------


def test_record_writes_a_note_git_can_read_and_aigov_reads_back(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    data = record_of(root, tmp_path / "decision.json")
    run = run_cli("record", str(root), "--now", CLOCK)
    assert run.exit_code == 0, run.stderr
    head = git(root, "rev-parse", "HEAD").strip()
    assert f"recorded the pass decision for {head} in refs/notes/aigov" in run.stdout
    assert git(root, "notes", "--ref", "aigov", "show", head, strip=False).encode("utf-8") == data
    shown = run_cli("record", str(root), "--show", "HEAD")
    assert shown.exit_code == 0 and shown.stdout.encode("utf-8") == data

    [stored] = list(read_records(root))
    assert (stored.commit, stored.problem, stored.record["verdict"]) == (head, None, "pass")


def test_record_from_a_file_notes_the_commit_it_judged(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    data = record_of(root, tmp_path / "decision.json")
    first = git(root, "rev-parse", "HEAD").strip()
    write(root / "README.md", "more\n")
    commit_all(root, "later")
    run = run_cli("record", str(root), "--from", str(tmp_path / "decision.json"))
    assert run.exit_code == 0, run.stderr
    assert git(root, "notes", "--ref", "aigov", "show", first, strip=False).encode("utf-8") == data
    wrong = run_cli("record", str(root), "--from", str(tmp_path / "decision.json"), "--commit", "HEAD")
    assert_clean_error(wrong, f"describes commit {first}")


def test_the_list_counts_findings_in_words(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    assert run_cli("record", str(root), "--now", CLOCK).exit_code == 0
    [line] = run_cli("record", str(root), "--list").stdout.splitlines()
    assert "  1 finding  support-summarize" in line  # the waived one; not "1 findings"


def test_notes_that_are_not_records_are_reported_not_crashed_on(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    git(root, "notes", "--ref", "aigov", "add", "-m", "deployed by hand", "HEAD")
    listed = run_cli("record", str(root), "--list")
    assert listed.exit_code == 0 and "not a decision record: not JSON" in listed.stdout
    assert_clean_error(run_cli("record", str(root), "--show", "HEAD"), "is not a decision record")
    git(root, "notes", "--ref", "aigov", "add", "-f", "-m", json.dumps({"record": "1", "verdict": "pass"}), "HEAD")
    assert "not a decision record" in run_cli("record", str(root), "--list").stdout


def test_record_refuses_bad_input_cleanly(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    bogus = write(tmp_path / "bogus.json", '{"verdict": "pass"}\n')
    assert_clean_error(run_cli("record", str(root), "--from", str(bogus)), "bogus.json", "not a decision record")
    deep = write(tmp_path / "deep.json", "[" * 100_000)  # hostile: in a fresh process under run_limited's caps
    assert_clean_error(run_limited("record", str(root), "--from", str(deep)), "deep.json", "not a decision record")
    assert_clean_error(run_cli("record", str(root), "--show", "no-such-ref"), "'no-such-ref' is not a commit")
    assert_clean_error(run_cli("record", str(root), "--show=--upload-pack=evil"), "is not a commit")
    assert_clean_error(run_cli("record", str(root), "--show", "HEAD~0"), "has no note")
    plain = make_feature(tmp_path / "plain")
    assert_clean_error(run_cli("record", str(plain), "--now", CLOCK), "is not a git repository")


def test_record_without_a_git_identity_still_writes_the_note(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}
    run = run_limited("record", str(root), "--now", CLOCK, env=env)
    assert run.exit_code == 0, run.stderr
    assert json.loads(git(root, "notes", "--ref", "aigov", "show"))["verdict"] == "pass"
    log = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%cn", "refs/notes/aigov"], capture_output=True, text=True)
    assert log.stdout.strip() == "aigov"


def test_record_is_one_more_output_of_the_same_check(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    data = record_of(root, tmp_path / "decision.json")
    run = check(root, "--format", "record", "--sarif", str(tmp_path / "aigov.sarif"))
    assert run.exit_code == 0 and run.stdout.encode("utf-8") == data
    same = check(root, "--json", str(tmp_path / "x.json"), "--record", str(tmp_path / "x.json"))
    assert_clean_error(same, "x.json", "record")


def test_when_aigov_cannot_decide_the_record_file_says_so_and_cannot_be_noted(tmp_path: Path) -> None:
    root = waived_repository(tmp_path)
    target = tmp_path / "decision.json"
    target.write_text("last run's record\n", encoding="utf-8")
    write(root / ".aigov/waivers.yaml", "waivers: [{rule: NOPE-1}]\n")
    assert_clean_error(check(root, "--record", str(target)), "waivers.yaml")
    assert json.loads(target.read_text(encoding="utf-8"))["verdict"] == "error"
    assert_clean_error(run_cli("record", str(root), "--from", str(target)), "not a decision record")


def test_the_same_org_rules_have_the_same_digest_wherever_they_are_read_from(tmp_path: Path) -> None:
    """Evidence groups decisions by the policy digest: org rules checked out under another path (another
    runner's $RUNNER_TEMP, another working directory) are the same rules and must digest the same."""
    from conftest import ORG_RULE

    root = make_feature(tmp_path / "repo", name="acme-summarize")
    here = write(tmp_path / "org-a/rules/names.rego", ORG_RULE).parent.parent
    there = write(tmp_path / "elsewhere/deeper/org-b/policy/names.rego", ORG_RULE).parent.parent
    write(here / "aigov-org.yaml", "policies: [rules]\n")
    write(there / "aigov-org.yaml", "policies: [policy]\n")
    first = check_json(root, "--config", str(here / "aigov-org.yaml"))
    second = run_cli("check", str(root), "--now", CLOCK, "--format", "json", "--config", str(there / "aigov-org.yaml"),
                     cwd=tmp_path / "elsewhere").json()
    org_sources = [[s for s in doc["sources"] if s["role"] == "org-policies"][0] for doc in (first, second)]
    assert org_sources[0]["path"] != org_sources[1]["path"]
    assert org_sources[0]["digest"] == org_sources[1]["digest"]
    assert first["digests"]["policies"] == second["digests"]["policies"]
    edited = write(there / "policy/names.rego", ORG_RULE.replace('"acme-"', '"acme."'))
    third = check_json(root, "--config", str(there / "aigov-org.yaml"))
    assert third["digests"]["policies"] != first["digests"]["policies"], edited


# --- Pushing notes: a bare "origin" and clones, as CI runners are ----------------------------------


def origin_with_commits(tmp_path: Path, commits: int) -> tuple[Path, list[str]]:
    """A bare origin whose main holds a compliant feature and ``commits`` commits; their ids, oldest first."""
    seed = make_feature(tmp_path / "seed")
    git(seed, "init", "-q", "-b", "main")
    ids = []
    for number in range(commits):
        write(seed / "README.md", f"change {number}\n")
        commit_all(seed, f"change {number}")
        ids.append(git(seed, "rev-parse", "HEAD").strip())
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(seed, "push", "-q", str(origin), "main")
    return origin, ids


def runner_clone(origin: Path, into: Path, commit: str) -> Path:
    """What actions/checkout gives a push run: a fresh clone at the pushed commit, without notes."""
    subprocess.run(["git", "clone", "-q", str(origin), str(into)], check=True)
    git(into, "checkout", "-q", commit)
    return into


def noted_commits(origin: Path) -> set[str]:
    listing = subprocess.run(["git", "--git-dir", str(origin), "notes", "--ref", "aigov", "list"],
                             capture_output=True, text=True, check=True).stdout
    return {line.split()[1] for line in listing.splitlines()}


def test_every_push_run_adds_its_note_to_origin(tmp_path: Path) -> None:
    """Each run clones afresh, without the notes earlier runs pushed: a plain `git push` of its own
    notes is refused from the second run on. --push merges origin's notes first."""
    origin, commits = origin_with_commits(tmp_path, 3)
    for number, commit in enumerate(commits):
        clone = runner_clone(origin, tmp_path / f"run-{number}", commit)
        run = run_cli("record", str(clone), "--now", CLOCK, "--push", "origin")
        assert run.exit_code == 0, run.stderr
        assert "pushed refs/notes/aigov to origin" in run.stdout
        assert noted_commits(origin) == set(commits[:number + 1])
    again = runner_clone(origin, tmp_path / "rerun", commits[0])  # a re-run of the first commit: its new note wins
    assert run_cli("record", str(again), "--now", "2026-11-24T12:00:00Z", "--push", "origin").exit_code == 0
    shown = subprocess.run(["git", "--git-dir", str(origin), "notes", "--ref", "aigov", "show", commits[0]],
                           capture_output=True, text=True, check=True).stdout
    assert json.loads(shown)["clock"] == "2026-11-24T12:00:00Z" and noted_commits(origin) == set(commits)


def test_concurrent_push_runs_all_land(tmp_path: Path) -> None:
    """Three runs push at the same moment; those that lose the race merge the winner's notes and push again."""
    origin, commits = origin_with_commits(tmp_path, 3)
    clones = [runner_clone(origin, tmp_path / f"run-{n}", commit) for n, commit in enumerate(commits)]
    import sys

    runs = [subprocess.Popen([sys.executable, "-m", "aigov", "record", str(clone), "--now", CLOCK, "--push", "origin"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for clone in clones]
    outcomes = [(run.wait(timeout=300), run.stderr.read()) for run in runs]  # type: ignore[union-attr]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    assert noted_commits(origin) == set(commits)


def test_a_push_that_loses_the_race_merges_and_tries_again(tmp_path: Path) -> None:
    """Deterministically: origin's pre-receive hook moves refs/notes/aigov (another run's push)
    while this run's push is in flight, so the push is refused once; aigov fetches, merges, pushes."""
    origin, commits = origin_with_commits(tmp_path, 2)
    other = runner_clone(origin, tmp_path / "other", commits[0])
    assert run_cli("record", str(other), "--now", CLOCK).exit_code == 0
    git(other, "push", "-q", "origin", "refs/notes/aigov:refs/pending/notes")
    hook = origin / "hooks/pre-receive"
    # Out of the push's quarantine, as another receive-pack would update the ref; once.
    hook.write_text("#!/bin/sh\ncat >/dev/null\nif [ ! -e raced ]; then touch raced\n"
                    "  env -u GIT_QUARANTINE_PATH git update-ref refs/notes/aigov refs/pending/notes\nfi\nexit 0\n")
    hook.chmod(0o755)
    clone = runner_clone(origin, tmp_path / "run", commits[1])
    run = run_cli("record", str(clone), "--now", CLOCK, "--push", "origin")
    assert run.exit_code == 0, run.stderr
    assert (origin / "raced").exists() and noted_commits(origin) == set(commits)


def test_a_push_that_keeps_failing_is_a_clean_error(tmp_path: Path) -> None:
    origin, commits = origin_with_commits(tmp_path, 1)
    clone = runner_clone(origin, tmp_path / "run", commits[0])
    hook = origin / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'notes are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    run = run_limited("record", str(clone), "--now", CLOCK, "--push", "origin", timeout=120)
    assert_clean_error(run, "could not push refs/notes/aigov to origin after 5 attempts")
    assert_clean_error(run_cli("record", str(clone), "--now", CLOCK, "--push", "--upload-pack=evil"), "is not a git remote")
