"""report.html in a real browser: headless Chromium renders it, the DOM carries the figures, a screenshot is taken.

Chromium is Debian's `chromium` package (CI installs it when missing); where it is not installed these
tests skip, saying so, except in CI, where they fail (conftest.require_or_skip).
"""

from __future__ import annotations

import struct
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import built_once, edit, run_cli, write
from evidence_helpers import feature_repo
from repo_helpers import commit_all

pytestmark = pytest.mark.usefixtures("chromium")


ANSWERS = "_aigov_template: rag-service\n_src_path: gh:acme/aigov-templates\n_commit: {version}\n"


def build_report(root: Path) -> None:
    """The org bundle of two repositories built apart and merged: payments (fraud, refunds) and
    kb-answers, whose one feature bears the repository's name. fraud moves onto the paved road's
    current template in August; kb-answers has been on an old one since June."""
    root.mkdir(parents=True)
    repo = feature_repo(root / "payments", features=("fraud", "refunds"), owner="team-payments")
    edit(repo / "fraud" / "aigov.yaml", "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: gpt-3.5-turbo\n      provider: openai")
    commit_all(repo, "fraud: try gpt-3.5-turbo", "2026-08-03T09:30:00Z")
    write(repo / "fraud" / ".copier-answers.yml", ANSWERS.format(version="1.3.0"))
    commit_all(repo, "fraud: onto the paved road", "2026-08-10T09:30:00Z")
    kb = feature_repo(root / "kb-answers", features=("kb-answers",), owner="team-kb")
    write(kb / "kb-answers" / ".copier-answers.yml", ANSWERS.format(version="1.0.0"))
    commit_all(kb, "kb-answers from the template", "2026-06-15T09:00:00Z")
    bundles = []
    for source in (repo, kb):
        bundles.append(root / f"{source.name}.zip")
        run = run_cli("evidence", "build", str(source), "--period", "2026Q3", "--now", "2026-12-07T00:00:00Z", "-o", str(bundles[-1]))
        assert run.exit_code == 0, run.stderr
    run = run_cli("evidence", "merge", *map(str, bundles), "-o", str(root / "org.zip"))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(root / "org.zip") as archive:
        archive.extract("report.html", root / "unpacked")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The merged org bundle's report.html (build_report), built once for the run: no test writes into it."""
    return built_once(tmp_path_factory, "evidence-report", build_report) / "unpacked" / "report.html"


def render(chromium: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def dom(chromium: str, report: Path) -> str:
    """The DOM Chromium renders from report.html (rendered once: each test reads its own part of it)."""
    return render(chromium, "--dump-dom", report.as_uri()).stdout


def test_the_rendered_report_shows_the_figures_a_compliance_officer_reads(dom: str, report: Path) -> None:
    assert "<h1>AI feature governance evidence: 2026Q3</h1>" in dom
    assert 'id="count-features">3<' in dom and 'id="count-repositories">2<' in dom and 'id="count-failing">3<' in dom
    assert 'id="control-status-chart"' in dom and dom.count('class="timeline"') == 3
    assert 'data-control="EU-AI-Act:Art. 14"' in dom and 'data-control="NIST-AI-RMF:GOVERN 1.6"' in dom
    assert 'data-feature="payments/fraud"' in dom and "commit " in dom and "fraud: try gpt-3.5-turbo" in dom
    assert "no commit: the clock reached 2026-07-21" in dom  # the card went stale with nobody committing
    assert "team-payments" in dom and 'id="team-chart"' in dom
    assert "<script" not in report.read_text() and "http://" not in report.read_text().replace("http://www.w3.org/2000/svg", "")


def test_rules_carry_their_titles_and_each_status_says_what_it_means(dom: str) -> None:
    assert "AIGOV-CARD-005</span> Model card review is overdue" in dom  # in the timeline, beside the id
    assert '<tr id="rule-AIGOV-MODEL-004"><td class="rule">AIGOV-MODEL-004</td><td>Model is deprecated</td></tr>' in dom
    assert "failed: AIGOV-CARD-005 Model card review is overdue: kb-answers, payments/fraud, payments/refunds" in dom
    # Every feature is medium tier: human oversight (a high-tier rule) does not apply, and says so.
    assert 'data-control="EU-AI-Act:Art. 14" data-status="not applicable"' in dom
    # Nothing recorded a pull request: the controls only pull-request rules evidence are not assessed.
    assert 'data-control="SLSA:Source L4" data-status="not assessed"' in dom
    # The summary bars show the share of each framework no rule evidences (SLSA: 6 of 8).
    assert "<title>6 not evidenced</title>" in dom and "2 evidenced, 6 not evidenced" in dom
    # A feature named as its repository is named once.
    assert "<h3>kb-answers</h3>" in dom and "kb-answers/kb-answers" not in dom.replace('data-feature="kb-answers/kb-answers"', "")


def test_the_org_bundle_shows_paved_road_adoption(dom: str) -> None:
    assert "Paved-road adoption, 2026Q3" in dom
    assert 'id="count-on-template">2<' in dom and 'id="count-no-template">1<' in dom
    assert "features on a paved-road template (1 when the period began)" in dom
    rows = dom.split('id="adoption-templates"')[1].split("</table>")[0]
    assert ('<td>rag-service</td><td>1.0.0</td><td><span class="badge t-behind">behind</span></td><td>1.3.0</td><td>1</td><td>1</td>'
            in rows)
    assert '<td>rag-service</td><td>1.3.0</td><td><span class="badge t-current">current</span></td><td>1.3.0</td><td>0</td><td>1</td>' in rows
    models = dom.split('id="adoption-models"')[1].split("</table>")[0]
    assert "<td>anthropic.claude-sonnet-4</td><td>2</td><td>2</td>" in models and "<td>gpt-3.5-turbo</td><td>1</td><td>1</td>" in models


def test_a_desktop_screenshot_is_taken(chromium: str, report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run = render(chromium, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert shot.exists(), run.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2000)
