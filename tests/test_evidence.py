"""aigov evidence build / verify on real git repositories: replayed decisions, the clock, the bundle."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import CLOCK, edit, make_feature, run_cli, write
from evidence_helpers import CARD_DATE, feature_repo
from repo_helpers import commit_all, git


def build(repo: Path | str, out: Path, *extra: str) -> dict:
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(out), *extra)
    assert run.exit_code == 0, run.stderr
    return read_bundle(out)


def read_bundle(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return {
        "files": files,
        "manifest": json.loads(files["manifest.json"]),
        "decisions": [json.loads(line) for line in files["decisions.jsonl"].decode().splitlines()],
        "controls": json.loads(files["controls.json"]),
        "summary": json.loads(files["summary.json"]),
    }


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """svc passes at the start of Q3; on 1 Aug a commit switches it to a deprecated model; on 10 Aug
    its manifest is broken; on 20 Aug both are fixed. Its model card goes stale on 20 Jul with no commit."""
    repo = feature_repo(tmp_path_factory.mktemp("history") / "svc-repo")
    write(repo / "README.md", "docs only\n")
    write(repo / "docs" / ".gitignore", "_build/\n")  # ignore rules of a folder that holds no feature
    commit_all(repo, "docs: readme", "2026-07-02T08:00:00Z")
    manifest = repo / "svc" / "aigov.yaml"
    edit(manifest, "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: gpt-3.5-turbo\n      provider: openai")
    commit_all(repo, "switch to gpt-3.5-turbo", "2026-08-01T10:00:00Z")
    good = manifest.read_text()
    manifest.write_text("spec: [\n")
    commit_all(repo, "oops", "2026-08-10T10:00:00Z")
    manifest.write_text(good.replace("id: gpt-3.5-turbo\n      provider: openai", "id: anthropic.claude-sonnet-4\n      provider: bedrock"))
    commit_all(repo, "back to sonnet", "2026-08-20T10:00:00Z")
    git(repo, "tag", "v1.0")
    return repo


@pytest.fixture(scope="module")
def built(history: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "b.zip"
    build(history, out)
    return out


def test_replays_each_commit_that_changes_a_feature_with_its_own_clock(history: Path, built: Path) -> None:
    bundle = read_bundle(built)
    replayed = [d for d in bundle["decisions"] if d["kind"] == "replayed"]
    assert [d["clock"] for d in replayed] == [
        "2026-07-01T00:00:00Z", "2026-08-01T10:00:00Z", "2026-08-10T10:00:00Z", "2026-08-20T10:00:00Z"]
    # The readme commit touches no feature input: no decision.
    assert not any("readme" in d["cause"] for d in bundle["decisions"])
    switch = replayed[1]
    assert switch["verdict"] == "fail" and "AIGOV-MODEL-004" in {f["id"] for f in switch["findings"]}
    assert switch["commit"] == git(history, "rev-parse", "HEAD~2") and "switch to gpt-3.5-turbo" in switch["cause"]
    assert switch["digests"]["policies"].startswith("sha256:") and switch["digests"]["input"].startswith("sha256:")


def test_a_malformed_manifest_is_an_error_decision_and_the_build_goes_on(history: Path, built: Path) -> None:
    bundle = read_bundle(built)
    broken = next(d for d in bundle["decisions"] if "oops" in d["cause"])
    assert broken["verdict"] == "error" and "svc/aigov.yaml" in broken["error"] and broken["features"] == ["svc"]
    assert "/tmp" not in broken["error"]
    last = bundle["decisions"][-1]
    assert "back to sonnet" in last["cause"] or last["kind"] == "clock"


def test_the_timeline_shows_the_day_a_model_card_went_stale_without_a_commit(history: Path, built: Path) -> None:
    bundle = read_bundle(built)
    stale = [d for d in bundle["decisions"] if d["kind"] == "clock" and "AIGOV-CARD-005" in {f["id"] for f in d["findings"]}]
    assert stale, [(d["kind"], d["clock"], [f["id"] for f in d["findings"]]) for d in bundle["decisions"]]
    assert stale[0]["clock"][:10] in ("2026-07-20", "2026-07-21")
    # The facts judged are those of the last commit that changed the feature: here, the one before the period.
    assert stale[0]["commit"] == git(history, "rev-list", "-1", "--before=2026-07-01", "HEAD")
    assert f"the facts of commit {stale[0]['commit'][:12]}" in stale[0]["cause"]
    timeline = bundle["summary"]["timelines"]["svc-repo/svc"]
    went_stale = next(c for c in timeline if "AIGOV-CARD-005" in c["added"])
    assert went_stale["cause"].startswith("no commit")
    assert [c["verdict"] for c in timeline][:2] == ["pass", "fail"]


def test_controls_json_gives_each_control_a_status_over_the_period(history: Path, built: Path) -> None:
    controls = read_bundle(built)["controls"]
    by_key = {(c["framework"], c["control"]): c for c in controls["controls"]}
    # The card went stale and stayed stale: the review control is not held at period end.
    review = by_key[("NIST-AI-RMF", "GOVERN 1.5")]
    assert review["status"] == "not held" and review["failures"][0]["rule"] == "AIGOV-CARD-005"
    # The deprecated model was replaced before period end: remediated, with the decisions that show it.
    lifecycle = by_key[("NIST-AI-RMF", "MANAGE 3.2")]
    assert lifecycle["status"] == "remediated" and lifecycle["failures"][0]["decisions"]
    assert by_key[("EU-AI-Act", "Art. 14")]["framework_version"]


def test_release_points_and_period_end_carry_the_features_documents(history: Path, built: Path) -> None:
    files = read_bundle(built)["files"]
    for point in ("release-v1.0", "period-end"):
        base = f"artefacts/svc-repo/{point}/svc/"
        for name in ("aigov.yaml", "MODEL_CARD.md", "evals/config.yaml", "sbom.cdx.json", "aigov-facts.json"):
            assert base + name in files, (base + name, sorted(files))
    facts = json.loads(files["artefacts/svc-repo/period-end/svc/aigov-facts.json"])
    assert facts["feature"]["name"] == "svc"


def test_the_bundle_is_rebuilt_byte_for_byte_twice_and_from_another_clone(history: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one.zip", tmp_path / "two.zip"
    build(history, first)
    build(history, second)
    assert first.read_bytes() == second.read_bytes()
    clone = tmp_path / "elsewhere" / "svc-repo"
    subprocess.run(["git", "clone", "-q", str(history), str(clone)], check=True)
    origin_clone = tmp_path / "again" / "deeper" / "svc-repo"
    subprocess.run(["git", "clone", "-q", str(history), str(origin_clone)], check=True)
    build(clone, tmp_path / "three.zip")
    build(origin_clone, tmp_path / "four.zip")
    assert (tmp_path / "three.zip").read_bytes() == (tmp_path / "four.zip").read_bytes()
    with zipfile.ZipFile(first) as archive:
        for info in archive.infolist():
            assert info.date_time == (2026, 9, 30, 23, 59, 58) and info.external_attr >> 16 == 0o100644
        assert archive.namelist() == sorted(archive.namelist())
        assert str(tmp_path) not in b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8", "replace")


def test_a_period_without_commits_gives_an_empty_valid_bundle_that_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "late"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo / "README.md", "nothing yet\n")
    commit_all(repo, "start", "2026-11-01T00:00:00Z")
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(tmp_path / "e.zip"))
    assert run.exit_code == 0 and "empty but valid" in run.stdout
    assert ", 1 repository, 0 features, 0 decisions (no decisions" in run.stdout  # "1 repository", not "1 repositories"
    bundle = read_bundle(tmp_path / "e.zip")
    assert bundle["manifest"]["empty"] is True and bundle["decisions"] == []
    assert b"No decisions in this period" in bundle["files"]["report.html"]
    assert run_cli("evidence", "verify", str(tmp_path / "e.zip")).exit_code == 0


def test_the_report_and_oscal_count_days_and_decisions_in_words(tmp_path: Path) -> None:
    """A card that went stale on 21 Jul and was reviewed on 22 Jul: the median remediation is "1 day";
    a quarter in which one decision was replayed says "1 decision" in its OSCAL observation."""
    repo = feature_repo(tmp_path / "repo")
    edit(repo / "svc/MODEL_CARD.md", f"last_reviewed: {CARD_DATE}", "last_reviewed: 2026-07-22")
    commit_all(repo, "card reviewed", "2026-07-22T00:00:00Z")
    bundle = build(repo, tmp_path / "e.zip", "--now", "2026-12-07T00:00:00Z")
    assert b"<strong id='median-remediation'>1 day</strong>" in bundle["files"]["report.html"]
    quiet = feature_repo(tmp_path / "quiet")  # reviewed in June: nothing changes its answer in Q3
    edit(quiet / "svc/MODEL_CARD.md", f"last_reviewed: {CARD_DATE}", "last_reviewed: 2026-06-30")
    commit_all(quiet, "card reviewed", "2026-06-30T00:00:00Z")
    oscal = json.loads(build(quiet, tmp_path / "q.zip", "--now", "2026-12-07T00:00:00Z")["files"]["oscal/assessment-results.json"])
    [replayed] = [o for o in oscal["assessment-results"]["results"][0]["observations"] if o["title"] == "Decisions replayed over the period's history"]
    assert replayed["description"].startswith("1 decision of the policy pack on the default branch's commits")


def test_from_to_period_and_bad_periods(history: Path, tmp_path: Path) -> None:
    run = run_cli("evidence", "build", str(history), "--from", "2026-08-01", "--to", "2026-08-15", "-o", str(tmp_path / "a.zip"))
    assert run.exit_code == 0, run.stderr
    manifest = read_bundle(tmp_path / "a.zip")["manifest"]
    assert manifest["period"] == {"label": "2026-08-01..2026-08-15", "start": "2026-08-01T00:00:00Z", "end": "2026-08-15T23:59:59Z"}
    for args, fragment in [(["--period", "2026Q5"], "not a quarter"), (["--from", "2026-08-01"], "--to"),
                           (["--from", "2026-09-01", "--to", "2026-08-01"], "before"), ([], "--period")]:
        run = run_cli("evidence", "build", str(history), *args, "-o", str(tmp_path / "x.zip"))
        assert run.exit_code == 2 and fragment in run.stderr, (args, run.stderr)


def test_an_org_config_that_cannot_be_used_is_exit_2_naming_it_and_writes_no_bundle(history: Path, tmp_path: Path) -> None:
    """The org config is the authority of every replayed decision: one that cannot be read is bad input
    (exit 2, file and line), not a bundle whose every decision says "error" with exit 0."""
    config = write(tmp_path / "org.yaml", "policy: [unclosed\n")
    run = run_cli("evidence", "build", str(history), "--period", "2026Q3", "--config", str(config), "-o", str(tmp_path / "e.zip"))
    assert run.exit_code == 2 and f"{config}:2" in run.stderr and "invalid YAML" in run.stderr, run.stderr
    assert not (tmp_path / "e.zip").exists()


def test_verify_accepts_an_intact_bundle(built: Path) -> None:
    run = run_cli("evidence", "verify", str(built))
    assert run.exit_code == 0 and run.stdout.startswith("OK ") and "not signed" in run.stdout


def _rewrite(source: Path, target: Path, change) -> None:
    with zipfile.ZipFile(source) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    change(files)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


@pytest.mark.parametrize(("change", "named"), [
    (lambda f: f.__setitem__("report.md", f["report.md"].replace(b"pass", b"PASS", 1)), "report.md: changed"),
    (lambda f: f.__setitem__("decisions.jsonl", f["decisions.jsonl"][:-1] + b" "), "decisions.jsonl: changed"),
    (lambda f: f.__setitem__("extra/notes.txt", b"hi"), "extra/notes.txt: added"),
    (lambda f: f.pop("oscal/assessment-results.json"), "oscal/assessment-results.json: removed"),
    (lambda f: f.__setitem__("manifest.json", f["manifest.json"].replace(b'"label":"2026Q3"', b'"label":"2026Q2"')), "period differs"),
    (lambda f: f.__setitem__("manifest.json", f["manifest.json"].replace(b'{"', b'{ "', 1)), "canonical"),
    (lambda f: f.__setitem__("manifest.json", b"{not json"), "manifest.json: edited"),
    (lambda f: f.pop("manifest.json"), "manifest.json: missing"),
])
def test_verify_names_every_kind_of_tampering(built: Path, tmp_path: Path, change, named: str) -> None:
    _rewrite(built, tmp_path / "t.zip", change)
    run = run_cli("evidence", "verify", str(tmp_path / "t.zip"))
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert run.stdout.startswith("TAMPERED") and named in run.stdout, run.stdout


def test_oscal_assessment_results_validate_against_nists_schema(history: Path, built: Path) -> None:
    from oscal_schema import oscal_validator

    files = read_bundle(built)["files"]
    document = json.loads(files["oscal/assessment-results.json"])
    errors = sorted(oscal_validator().iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    result = document["assessment-results"]["results"][0]
    assert result["start"] == "2026-07-01T00:00:00Z" and result["end"] == "2026-09-30T23:59:59Z"
    labels = {p["value"] for f in result["findings"] for p in f["props"] if p["name"] == "label"}
    assert {"GOVERN 1.5", "Art. 14", "A.6.2.4"} <= labels
    hrefs = [e["href"] for o in result["observations"] for e in o["relevant-evidence"]]
    assert any(h.startswith("../decisions.jsonl#L") for h in hrefs) and any(h.startswith("../artefacts/") for h in hrefs)
    for href in hrefs:
        assert href[3:].split("#")[0] in files, href


def test_several_repositories_from_a_file_give_a_fleet_summary(tmp_path: Path) -> None:
    feature_repo(tmp_path / "payments", features=("fraud", "refunds"), owner="team-payments")
    two = feature_repo(tmp_path / "support", features=("summarize",), owner="team-support")
    manifest = two / "summarize" / "aigov.yaml"
    edit(manifest, "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: unvetted-community-7b\n      provider: huggingface")
    commit_all(two, "try a community model", "2026-07-10T12:00:00Z")
    listing = write(tmp_path / "repos.txt", "# the fleet\npayments\nsupport\n")
    run = run_cli("evidence", "build", "--repos", str(listing), "--period", "2026Q3", "-o", str(tmp_path / "fleet.zip"))
    assert run.exit_code == 0, run.stderr
    assert "2 repositories, 3 features" in run.stdout and run.stderr == ""  # no progress lines off a terminal
    fleet = read_bundle(tmp_path / "fleet.zip")["summary"]["fleet"]
    assert fleet["teams"] == {"team-payments": 2, "team-support": 1}
    assert "support/summarize" in fleet["failing_now"]
    manifest_repos = read_bundle(tmp_path / "fleet.zip")["manifest"]["repositories"]
    assert [r["name"] for r in manifest_repos] == ["payments", "support"]
    assert all(len(r["head"]) == 40 for r in manifest_repos)


def test_recorded_decisions_from_git_notes_are_set_beside_the_replay(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "noted")
    edit(repo / "svc" / "aigov.yaml", "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: gpt-3.5-turbo\n      provider: openai")
    switch = commit_all(repo, "switch to gpt-3.5-turbo", "2026-07-05T10:00:00Z")
    write(repo / "svc" / "NOTES.md", "notes\n")
    noted = commit_all(repo, "svc: notes", "2026-07-06T10:00:00Z")
    write(repo / "README.md", "readme\n")
    readme = commit_all(repo, "readme", "2026-07-07T10:00:00Z")
    # CI recorded a pass for the switch (it was waved through), a fail for the notes commit, and
    # someone left a note that is not a decision record on the readme commit.
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps({"verdict": "pass", "findings": [], "features": ["svc"], "commit": switch}), switch)
    record = {"verdict": "fail", "features": ["svc"], "commit": noted, "findings": [
        {"id": i, "feature": "svc", "blocking": True} for i in ("AIGOV-CARD-004", "AIGOV-MODEL-004", "AIGOV-SBOM-004")]}
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps(record), noted)
    git(repo, "notes", "--ref", "aigov", "add", "-m", "looks good to me", readme)
    bundle = build(repo, tmp_path / "b.zip")
    recorded = {d["commit"]: d for d in bundle["decisions"] if d["kind"] == "recorded"}
    assert recorded[switch]["agrees"] is False and recorded[switch]["replayed_verdict"] == "fail"
    assert recorded[noted]["agrees"] is True
    assert recorded[readme]["verdict"] == "unreadable" and "not a decision record" in recorded[readme]["error"]
    report = bundle["files"]["report.md"].decode()
    assert f"commit {switch[:12]}" in report and "DISAGREES: recorded pass, replayed fail" in report
    assert "not a decision record: not JSON" in report
    # What gated in CI is reported beside the timeline, never as a point on it.
    assert all(c["kind"] != "recorded" for c in bundle["summary"]["timelines"]["noted/svc"])


def test_the_clock_is_consulted_where_a_sunset_a_review_age_or_a_waiver_expiry_falls() -> None:
    import datetime as dt

    from aigov.config import OrgConfig
    from aigov.evidence.replay import clock_data, clock_points
    from aigov.policy.loading import build_pack

    def day(text: str) -> int:
        return int(dt.datetime.fromisoformat(text + "T00:00:00+00:00").timestamp())

    doc = {"now": "2026-07-01T00:00:00Z", "feature": {"name": "svc", "manifest": {"spec": {"models": [{"id": "gpt-3.5-turbo"}]}},
                                                     "model_card": {"front_matter": {"last_reviewed": "2026-01-21"}}}}
    points = clock_points(doc, clock_data(build_pack(OrgConfig()).data["aigov"]), [{"feature": "svc", "expires": "2026-08-31"}])
    assert day("2026-09-30") in points and day("2026-10-01") in points  # the registry's sunset of the model the feature declares
    assert day("2026-07-02") in points  # 90 days before it: the sunset warning
    assert day("2026-07-20") in points  # last_reviewed + 180 days (medium tier)
    assert day("2026-08-31") in points and day("2026-09-01") in points  # the waiver's expiry
    assert day("2026-12-28") not in points  # a date in no fact: 2026-07-01 (the clock itself) + 180 days


def test_a_commit_is_judged_for_the_features_whose_inputs_it_changed(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "mono", features=("alpha", "beta"))
    write(repo / "alpha" / "prompts" / "system.txt", "Be brief.\n")
    commit_all(repo, "alpha: prompt", "2026-07-03T00:00:00Z")
    write(repo / "services" / "other" / ".gitignore", "tmp/\n")
    commit_all(repo, "unrelated ignore rules", "2026-07-04T00:00:00Z")
    write(repo / ".gitignore", "*.log\n")
    commit_all(repo, "root ignore rules", "2026-07-05T00:00:00Z")
    bundle = build(repo, tmp_path / "b.zip")
    by_cause = {d["cause"].split(" ", 2)[-1]: d for d in bundle["decisions"] if d["kind"] == "replayed" and d["commit"]}
    assert by_cause["alpha: prompt"]["scope"] == "alpha" and by_cause["alpha: prompt"]["features"] == ["alpha"]
    assert "unrelated ignore rules" not in by_cause
    assert by_cause["root ignore rules"]["scope"] == "." and by_cause["root ignore rules"]["features"] == ["alpha", "beta"]


def test_the_recorded_eval_results_travel_with_the_features_documents(tmp_path: Path) -> None:
    """The latest eval results a feature commits (baseline.json beside its eval config) are evidence too."""
    repo = feature_repo(tmp_path / "svc-repo")
    (repo / "svc/evals/baseline.json").write_text('{"key_fact_coverage": 0.91}\n', encoding="utf-8")
    commit_all(repo, "record the eval baseline", "2026-07-10T09:00:00Z")
    build(repo, tmp_path / "bundle.zip")
    files = read_bundle(tmp_path / "bundle.zip")["files"]
    assert files["artefacts/svc-repo/period-end/svc/evals/baseline.json"] == b'{"key_fact_coverage": 0.91}\n'


def test_adoption_counts_a_feature_past_its_template_deadline(tmp_path: Path) -> None:
    """The org's template data sets the deadline (1 August): the feature on template 1.0.0 is behind
    when the period begins and past the deadline at its end; the fleet's models by tier beside it."""
    from conftest import org_config

    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "svc" / ".copier-answers.yml", "_aigov_template: rag-service\n_src_path: gh:acme/t\n_commit: 1.0.0\n")
    commit_all(repo, "svc from the template", "2026-06-15T09:00:00Z")
    config = org_config(tmp_path / "org", "data: [templates.yaml]\n",
                        {"templates.yaml": "aigov:\n  templates:\n    rag-service: {minimum: '1.1.0', deadline: '2026-08-01'}\n"})
    adoption = build(repo, tmp_path / "b.zip", "--config", str(config))["summary"]["fleet"]["adoption"]
    assert adoption["templates"] == [
        {"template": "rag-service", "version": "1.0.0", "status": "behind", "latest": "1.3.0", "features": 0, "at_start": 1},
        {"template": "rag-service", "version": "1.0.0", "status": "past the deadline", "latest": "1.3.0", "features": 1, "at_start": 0},
    ]
    assert adoption["no_template"] == 0 and adoption["no_template_at_start"] == 0
    assert adoption["models"] == [{"model": "anthropic.claude-sonnet-4", "tiers": {"medium": 1}, "features": 1}]


def test_the_replays_engine_asks_the_engine_once_for_equal_documents_however_they_were_built(tmp_path: Path) -> None:
    """An evidence replay remembers answers by document: an equal document, whether its parts are
    shared with an earlier one or copies of them, is answered from memory; a changed fact is asked
    of the real engine (regorus, with the shipped pack)."""
    import copy
    import json as jsonlib

    from aigov.check.authority import resolve_authority
    from aigov.check.options import CheckOptions
    from aigov.evidence.answers import RememberingEngine
    from aigov.model import Verdict

    repo = make_feature(tmp_path / "repo")
    docs = jsonlib.loads(run_cli("facts", str(repo), "--now", CLOCK).stdout)
    authority = resolve_authority(CheckOptions(), repo)
    engine = RememberingEngine(authority.engine.start, lambda doc: [], horizon=2_000_000_000)
    try:
        engine.prepare(authority.pack)
        first = engine.evaluate_all(docs)
        shared = [{**doc} for doc in docs]  # the same facts objects, a new document around them
        assert engine.evaluate_all(shared) == first and engine.evaluate_all(copy.deepcopy(docs)) == first
        assert engine.evaluated == len(docs)
        changed = copy.deepcopy(docs)
        changed[0]["feature"]["manifest"]["spec"]["riskTier"] = "high"
        engine.evaluate_all(changed)
        assert engine.evaluated == len(docs) + 1
        # A value marshal cannot write (a str enum, which JSON writes as its string) is still answered.
        enum_valued = copy.deepcopy(docs)
        enum_valued[0]["feature"]["manifest"]["spec"]["riskTier"] = Verdict.PASS
        assert engine.evaluate_all(enum_valued) and engine.evaluated == len(docs) + 2
    finally:
        engine.stop()
