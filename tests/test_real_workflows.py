"""Real GitHub workflows from public LLM/AI repositories, judged by the real `aigov check`.

Each case in tests/data/workflows is a workflow copied verbatim from a public repository (its source,
commit and licence in the file's first two lines), with the local actions, reusable workflows or
Makefile it runs, and a truth file (``<case>.truth.yaml``) written by reading the workflow against
GitHub's runner semantics: the command and folder a feature's eval config would declare, and the
eval-gate findings aigov must report - none when the workflow really blocks a pull request to the
default branch on a failing eval. The test builds a real git repository (default branch as the
source repository's) with the workflow under .github/workflows and a minimal feature, and runs the
real CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import check_json, make_feature, write
from repo_helpers import commit_all, init_repo

DATA = Path(__file__).parent / "data" / "workflows"
CASES = sorted(path.name.removesuffix(".truth.yaml") for path in DATA.glob("*.truth.yaml"))

# A promptfoo config with 30 asserted tests (enough for the medium tier) and one prompt file.
PROMPTFOO_TESTS = "".join(f"  - vars: {{ticket: 'ticket {i}'}}\n    assert:\n      - type: contains\n        value: 'fact {i}'\n" for i in range(30))
PROMPTFOO_CONFIG = "description: real workflow case\nproviders:\n  - openai:gpt-4o\nprompts:\n  - file://prompts/summarize.txt\ntests:\n" + PROMPTFOO_TESTS


def truth(case: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DATA / f"{case}.truth.yaml").read_text(encoding="utf-8"))
    return loaded


def build(tmp_path: Path, case: dict[str, Any]) -> Path:
    """A git repository holding the case's files and one feature that declares the case's eval command."""
    root = tmp_path / "repo"
    feature = case["feature"]
    folder = root / feature["folder"]
    make_feature(folder, repo=root)
    for generated in (root / ".github/workflows").iterdir():
        generated.unlink()
    for rel, fixture in case["files"].items():
        write(root / rel, (DATA / fixture).read_text(encoding="utf-8"))
    if "promptfoo" in feature:
        (folder / "evals/config.yaml").unlink()
        manifest = folder / "aigov.yaml"
        manifest.write_text(manifest.read_text().replace("evals/config.yaml", feature["promptfoo"]))
        write(folder / feature["promptfoo"], PROMPTFOO_CONFIG)
        write(folder / Path(feature["promptfoo"]).parent / "prompts/summarize.txt", "Summarise {{ticket}}.\n")
    else:
        config = folder / "evals/config.yaml"
        runner = f"runner: {feature['runner']}\n" if "runner" in feature else ""
        config.write_text(runner + config.read_text().replace("python evals/run.py --config evals/config.yaml", feature["command"]))
    init_repo(root, case.get("default_branch", "main"))
    commit_all(root, "real workflow case")
    return root


def eval_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's eval-gate findings as the truth files write them: id, path and line."""
    found = [{"id": f["id"], "path": f["path"], "line": f["line"]} for f in report["findings"] if f["id"].startswith("AIGOV-EVAL-")]
    return sorted(found, key=repr)


def cases() -> list[Any]:
    """Each case; one whose truth names a known gap is expected to fail (strictly: it passes once fixed)."""
    return [pytest.param(name, marks=pytest.mark.xfail(reason=gap, strict=True)) if (gap := truth(name).get("known_gap")) else name
            for name in CASES]


@pytest.mark.parametrize("name", cases())
def test_real_workflow(tmp_path: Path, name: str) -> None:
    case = truth(name)
    report = check_json(build(tmp_path, case))
    assert eval_findings(report) == sorted(case["expected"]["findings"], key=repr), report["findings"]
    assert report["verdict"] == case["expected"]["verdict"]
