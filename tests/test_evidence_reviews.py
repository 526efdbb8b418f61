"""The review committee's quarter in the evidence bundle: reviews.json and the reports' "Prompt reviews".

Real git repositories; each pull request is checked by a real `aigov check --pr --record` whose
reviews come from the loopback stand-in for api.github.com (tests/github_stub.py), its record noted
on the head it judged by a real `aigov record --from` (a git note under refs/notes/aigov), then a
real `aigov evidence build`. report.html is rendered in Debian's chromium (skipped where it is not
installed, failing in CI: conftest.require_or_skip).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import edit, run_cli, write
from evidence_helpers import feature_repo
from github_stub import event_file, fake_github, review
from repo_helpers import commit_all, git

BUILT = "2026-12-07T00:00:00Z"
MARKUP_PROMPT = "prompts/<img src=x onerror=alert(1)>.txt"  # under svc/; a file name is the repository's to choose


def pull_request(repo: Path, api: Any, env: pytest.MonkeyPatch, number: int, change: Callable[[Path], None], when: str,
                 reviews: list[tuple[str, str]], token: bool = True, merge: bool = True) -> str:
    """Pull request ``number``: a branch with ``change``, checked as CI checks it (reviews read with a
    token), its record noted on its head; merged with a merge commit unless ``merge`` is False
    (sent back and abandoned: its record stays on a commit off the branch). Returns the head."""
    branch = f"pr-{number}"
    git(repo, "checkout", "-q", "-b", branch, "main")
    change(repo)
    head = commit_all(repo, f"pull request {number}", when)
    api.routes[f"/repos/acme/mono/pulls/{number}/reviews"] = [(200, json.dumps([review(login, state, head) for login, state in reviews]), 0)]
    env.setenv("GITHUB_EVENT_PATH", str(event_file(repo.parent, repo, number=number, name=f"event-{number}.json")))
    if token:
        env.setenv("GITHUB_TOKEN", "t0ken")
    else:
        env.delenv("GITHUB_TOKEN", raising=False)
    record = repo.parent / f"record-{number}.json"
    run = run_cli("check", str(repo), "--pr", "--now", when, "--record", str(record))
    assert run.exit_code in (0, 1), run.stderr
    git(repo, "checkout", "-q", "main")
    if merge:
        git(repo, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", branch, date=when.replace("T10", "T11"))
    noted = run_cli("record", str(repo), "--from", str(record))
    assert noted.exit_code == 0, noted.stderr
    return head


def reword(text: str) -> Callable[[Path], None]:
    return lambda repo: write(repo / "svc" / "prompts" / "system.txt", text)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """svc (medium tier) with a prompt, and a model card that is a draft since 2026-06-20: its 30-day
    grace period ends on 2026-07-20 with nobody committing. In 2026Q3 four pull requests change the
    prompt: #7 sent back, then approved by rita; #8 approved by sam (it adds a prompt file whose name
    is markup); #9 checked without a token (reviews not read); #10 sent back by rita and abandoned."""
    root = tmp_path_factory.mktemp("reviews")
    repo = feature_repo(root / "svc-repo")
    edit(repo / "svc" / "MODEL_CARD.md", "last_reviewed: 2026-01-21\n", "status: draft\ndrafted: 2026-06-20\n")
    write(repo / "svc" / "prompts" / "system.txt", "Summarise the ticket.\n")
    commit_all(repo, "a prompt; the model card is a draft", "2026-06-20T09:00:00Z")
    with fake_github() as api, pytest.MonkeyPatch.context() as env:
        env.setenv("GITHUB_API_URL", api.url)
        env.setenv("AIGOV_GITHUB_BACKOFF", "0.01")
        pull_request(repo, api, env, 7, reword("Be terse.\n"), "2026-07-03T10:00:00Z", [("rita", "CHANGES_REQUESTED"), ("rita", "APPROVED")])

        def add_prompt(r: Path) -> None:
            reword("Be terse, and kind.\n")(r)
            write(r / "svc" / MARKUP_PROMPT, "Say thanks.\n")

        pull_request(repo, api, env, 8, add_prompt, "2026-07-06T10:00:00Z", [("sam", "APPROVED")])
        pull_request(repo, api, env, 9, reword("Be terse, kind and brief.\n"), "2026-07-08T10:00:00Z", [], token=False)
        pull_request(repo, api, env, 10, reword("Be rude.\n"), "2026-07-09T10:00:00Z", [("rita", "CHANGES_REQUESTED")], merge=False)
    out = root / "bundle.zip"
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "--now", BUILT, "-o", str(out))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
        archive.extract("report.html", root / "unpacked")
    return {"path": out, "files": files, "html": root / "unpacked" / "report.html"}


def test_reviews_json_counts_the_quarters_promotions_and_shows_the_draft(bundle: dict[str, Any]) -> None:
    from aigov.validation import schema_errors

    reviews = json.loads(bundle["files"]["reviews.json"])
    assert schema_errors(reviews, "evidence-reviews") == []
    assert reviews["period"]["label"] == "2026Q3" and [r["name"] for r in reviews["repositories"]] == ["svc-repo"]
    # #10 counts although it never merged: a send-back is what the rate measures.
    assert reviews["promotions"] == [{
        "repository": "svc-repo", "feature": "svc", "quarter": "2026Q3", "promotions": 4,
        "prompts": [f"svc/{MARKUP_PROMPT}", "svc/prompts/system.txt"], "approvers": ["rita", "sam"],
        "sent_back": 2, "reviews_not_read": 1, "reject_rate": 0.6667}]
    # The draft as the replay of the branch last saw it: the clock alone made it block on 2026-07-20.
    [draft] = reviews["drafts"]
    assert (draft["feature"], draft["document"], draft["path"], draft["drafted"]) == ("svc", "model_card", "svc/MODEL_CARD.md", "2026-06-20")
    assert draft["blocking"] is True and draft["as_of"][:10] == "2026-07-20" and draft["age_days"] == 30
    manifest = json.loads(bundle["files"]["manifest.json"])
    assert manifest["files"]["reviews.json"].startswith("sha256:")
    assert run_cli("evidence", "verify", str(bundle["path"])).exit_code == 0


def test_report_md_has_the_prompt_reviews_section(bundle: dict[str, Any]) -> None:
    report = bundle["files"]["report.md"].decode()
    section = report.split("## Prompt reviews\n", 1)[1].split("\n## ", 1)[0]
    assert ("| svc-repo/svc | 2026Q3 | 4 | svc/prompts/&lt;img src=x onerror=alert(1)&gt;.txt, svc/prompts/system.txt | rita, sam | 2 | 1 | "
            "67% (2 of 3 read) |") in section
    assert "not measured (rather than 0%) where no review was read" in section
    assert "| svc-repo/svc | 2026Q3 | model\\_card | svc/MODEL\\_CARD.md | 2026-06-20 | 30 | 2026-07-20 | yes |" in section
    assert "<img" not in report


def test_a_quarter_whose_reviews_were_not_read_says_not_measured(tmp_path: Path) -> None:
    """Only the pull request checked without a token: no review read, so no rate (never 0%)."""
    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "prompts" / "system.txt", "Summarise the ticket.\n")
    commit_all(repo, "a prompt", "2026-06-20T09:00:00Z")
    with fake_github() as api, pytest.MonkeyPatch.context() as env:
        env.setenv("GITHUB_API_URL", api.url)
        pull_request(repo, api, env, 9, reword("Be brief.\n"), "2026-07-08T10:00:00Z", [], token=False)
    out = tmp_path / "b.zip"
    assert run_cli("evidence", "build", str(repo), "--period", "2026Q3", "--now", BUILT, "-o", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        [row] = json.loads(archive.read("reviews.json"))["promotions"]
        report = archive.read("report.md").decode()
    assert (row["promotions"], row["reviews_not_read"], row["reject_rate"]) == (1, 1, None)
    assert "| svc-repo/svc | 2026Q3 | 1 | svc/prompts/system.txt | - | 0 | 1 | not measured (no review read) |" in report
    assert "No document is a draft." in report


def test_the_rendered_report_shows_prompt_reviews(chromium: str, bundle: dict[str, Any]) -> None:
    from test_evidence_report import render

    dom = render(chromium, "--dump-dom", bundle["html"].as_uri()).stdout
    assert "<h2 id=\"reviews\">Prompt reviews</h2>" in dom and 'href="#reviews"' in dom
    promotions = dom.split('id="review-promotions"')[1].split("</table>")[0]
    assert ('<tr data-feature="svc-repo/svc" data-quarter="2026Q3"><td class="name">svc-repo/svc</td><td>2026Q3</td><td>4</td>'
            "<td><div>svc/prompts/&lt;img src=x onerror=alert(1)&gt;.txt</div><div>svc/prompts/system.txt</div></td><td>rita, sam</td><td>2</td><td>1</td>"
            '<td class="rate">67% (2 of 3 read)</td></tr>') in promotions
    drafts = dom.split('id="review-drafts"')[1].split("</table>")[0]
    assert ('<td class="name">svc-repo/svc</td><td>2026Q3</td><td>model_card</td><td>svc/MODEL_CARD.md</td><td>2026-06-20</td><td>30</td><td>2026-07-20</td>'
            '<td><span class="badge d-blocks">blocks</span></td>') in drafts
    assert "<img" not in dom.replace("&lt;img", "")


def test_the_org_bundle_carries_each_repositorys_rows(bundle: dict[str, Any], tmp_path: Path) -> None:
    """Merged with a repository that recorded nothing: its draft shows (from its replay), beside svc-repo's rows."""
    other = feature_repo(tmp_path / "kb", name="kb", features=("kb",))
    edit(other / "kb" / "MODEL_CARD.md", "last_reviewed: 2026-01-21\n", "status: draft\ndrafted: 2026-08-01\n")
    commit_all(other, "the card is a draft again", "2026-08-01T09:00:00Z")
    alone = tmp_path / "kb.zip"
    assert run_cli("evidence", "build", str(other), "--period", "2026Q3", "--now", BUILT, "-o", str(alone)).exit_code == 0
    merged = tmp_path / "org.zip"
    run = run_cli("evidence", "merge", str(bundle["path"]), str(alone), "-o", str(merged))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(merged) as archive:
        reviews = json.loads(archive.read("reviews.json"))
    assert [(r["repository"], r["promotions"], r["reject_rate"]) for r in reviews["promotions"]] == [("svc-repo", 4, 0.6667)]
    assert [(r["repository"], r["feature"], r["drafted"], r["blocking"]) for r in reviews["drafts"]] == [
        ("kb", "kb", "2026-08-01", True), ("svc-repo", "svc", "2026-06-20", True)]


def test_notes_that_are_not_aigovs_promotions_count_for_nothing(tmp_path: Path) -> None:
    """A note is anyone's to write: promotions of another shape, of a feature the record did not judge,
    or in a record of another commit are left out, and the build still decides."""
    repo = feature_repo(tmp_path / "svc-repo")
    write(repo / "svc" / "prompts" / "system.txt", "Be terse.\n")
    pushed = commit_all(repo, "a prompt", "2026-07-03T10:00:00Z")
    git(repo, "checkout", "-q", "-b", "side")
    write(repo / "svc" / "prompts" / "system.txt", "Be rude.\n")
    side = commit_all(repo, "never merged", "2026-07-04T10:00:00Z")
    git(repo, "checkout", "-q", "main")
    promotion = {"feature": "svc", "pr": 3, "reviews_read": True, "approvers": ["mallory"], "sent_back": False,
                 "prompts": [{"path": "svc/prompts/system.txt"}]}
    note = {"verdict": "pass", "findings": [], "clock": "2026-07-04T10:00:00Z", "features": ["svc"], "base": "main", "pr": 3}
    odd = [{"feature": 5}, "x", {**promotion, "approvers": "mallory"}, {**promotion, "feature": "ghost"}]
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps({**note, "commit": side, "prompts": odd}), side)
    git(repo, "notes", "--ref", "aigov", "add", "-m", json.dumps({**note, "commit": side, "prompts": [promotion]}), pushed)
    out = tmp_path / "b.zip"
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "--now", BUILT, "-o", str(out))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("reviews.json"))["promotions"] == []
        assert "No prompt promotion recorded in the period." in archive.read("report.md").decode()
