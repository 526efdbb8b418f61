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

from conftest import run_cli
from evidence_helpers import commit_all, edit, feature_repo

pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    repo = feature_repo(root / "payments", features=("fraud", "refunds"), owner="team-payments")
    edit(repo / "fraud" / "aigov.yaml", "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: gpt-3.5-turbo\n      provider: openai")
    commit_all(repo, "fraud: try gpt-3.5-turbo", "2026-08-03T09:30:00Z")
    run = run_cli("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(root / "bundle.zip"))
    assert run.exit_code == 0, run.stderr
    with zipfile.ZipFile(root / "bundle.zip") as archive:
        archive.extract("report.html", root / "unpacked")
    return root / "unpacked" / "report.html"


def render(chromium: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", *args],
                          capture_output=True, text=True, timeout=120)


def test_the_rendered_report_shows_the_figures_a_compliance_officer_reads(chromium: str, report: Path) -> None:
    dom = render(chromium, "--dump-dom", report.as_uri()).stdout
    assert "<h1>AI feature governance evidence: 2026Q3</h1>" in dom
    assert 'id="count-features">2<' in dom and 'id="count-repositories">1<' in dom and 'id="count-failing">2<' in dom
    assert 'id="control-status-chart"' in dom and dom.count('class="timeline"') == 2
    assert 'data-control="EU-AI-Act:Art. 14"' in dom and 'data-control="NIST-AI-RMF:GOVERN 1.6"' in dom
    assert 'data-feature="payments/fraud"' in dom and "commit " in dom and "fraud: try gpt-3.5-turbo" in dom
    assert "no commit: the clock reached 2026-07-21" in dom  # the card went stale with nobody committing
    assert "team-payments" in dom and 'id="team-chart"' in dom
    assert "<script" not in report.read_text() and "http://" not in report.read_text().replace("http://www.w3.org/2000/svg", "")


def test_a_desktop_screenshot_is_taken(chromium: str, report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run = render(chromium, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert shot.exists(), run.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2000)
