"""The PR gate judges every feature whose facts a change could alter, and compares it with its base self.

Each test is an attack from issue 14 that passed with "0 features checked" (or as pre-existing
debt) while a full ``aigov check`` failed: a diff-aware check must now judge the feature and block.
Real git repositories; the real CLI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MODEL_CARD, check_json, make_feature, write
from repo_helpers import commit_all, git, init_repo, link, local_action_caller

CODEOWNERS = "* @acme/platform\n"


def start_pr(root: Path) -> Path:
    """The work tree committed on main as the base; checked out on branch pr."""
    init_repo(root)
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def repository(root: Path, *features: str) -> Path:
    """Features (folder = name) committed on main with CODEOWNERS; checked out on branch pr."""
    for name in features:
        make_feature(root / name, name=name, repo=root)
    write(root / ".github/CODEOWNERS", CODEOWNERS)
    return start_pr(root)


def pr(root: Path, *extra: str) -> dict:
    """``aigov check --base main`` of the work tree: the pull request's verdict."""
    return check_json(root, "--base", "main", *extra)


def ids(doc: dict, feature: str | None = None) -> set[str]:
    return {f["id"] for f in doc["findings"] if f["blocking"] and (feature is None or f["feature"] == feature)}


def break_card(card: Path) -> None:
    card.write_text(card.read_text().replace("## Evaluation", "## Numbers"))


# --- Symlinks: a change to what a link points at is a change to the feature ------------------------


def test_editing_the_target_of_a_linked_model_card_folder_judges_the_feature(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="svc", repo=root)
    write(root / "shared/cards/MODEL_CARD.md", MODEL_CARD.format(name="svc", model="anthropic.claude-sonnet-4"))
    (root / "svc/MODEL_CARD.md").unlink()
    link(root / "svc/card", "../shared/cards")
    manifest = root / "svc/aigov.yaml"
    manifest.write_text(manifest.read_text().replace("modelCard: MODEL_CARD.md", "modelCard: card/MODEL_CARD.md"))
    start_pr(root)
    assert pr(root)["features"] == []
    break_card(root / "shared/cards/MODEL_CARD.md")
    commit_all(root, "edit the shared card")
    doc = pr(root)
    assert doc["features"] == ["svc"] and "AIGOV-CARD-007" in ids(doc)


def test_editing_a_linked_source_file_that_now_calls_an_unregistered_model_judges_the_feature(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="svc", repo=root)
    write(root / "shared/client.py", "def answer(q):\n    return q\n")
    link(root / "svc/src/client.py", "../../shared/client.py")
    start_pr(root)
    write(root / "shared/client.py", 'MODEL = "gpt-4o-mini-2099-01-01"\n')
    commit_all(root, "call a model nobody approved")
    doc = pr(root)
    assert doc["features"] == ["svc"] and doc["verdict"] == "fail"
    assert any(f["id"] == "AIGOV-MODEL-010" and f["path"] == "svc/src/client.py" for f in doc["findings"])


def test_a_link_retargeted_in_the_pull_request_judges_the_feature(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="svc", repo=root)
    write(root / "shared/ok.py", "x = 1\n")
    write(root / "shared/bad.py", 'MODEL = "gpt-4o-mini-2099-01-01"\n')
    link(root / "svc/src/client.py", "../../shared/ok.py")
    start_pr(root)
    link(root / "svc/src/client.py", "../../shared/bad.py")
    commit_all(root, "point the link elsewhere")
    assert "AIGOV-MODEL-010" in ids(pr(root), "svc")


# --- Local actions the eval job runs --------------------------------------------------------------

COMPOSITE = """\
name: evals
runs:
  using: composite
  steps:
    - run: python evals/run.py --config evals/config.yaml{defeat}
      shell: bash
      working-directory: svc
"""

@pytest.mark.parametrize("action", [".github/actions/evals", "ci/evals"])
def test_editing_a_local_composite_action_the_eval_job_runs_judges_every_feature_it_gates(tmp_path: Path, action: str) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="svc", repo=root)
    (root / ".github/workflows/evals-svc.yml").unlink()
    write(root / ".github/workflows/evals.yml", local_action_caller(action))
    write(root / action / "action.yml", COMPOSITE.format(defeat=""))
    start_pr(root)
    assert pr(root)["verdict"] == "pass"
    write(root / action / "action.yml", COMPOSITE.format(defeat=" || true"))
    commit_all(root, "the evals can no longer fail")
    doc = pr(root)
    assert doc["features"] == ["svc"] and doc["verdict"] == "fail"
    assert {f["path"] for f in doc["findings"] if f["id"].startswith("AIGOV-EVAL")} == {f"{action}/action.yml"}


# --- Nested features: files belong to the nearest manifest, reads to whoever reads them ----------


def test_editing_a_parent_features_card_inside_a_nested_feature_judges_the_parent(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="parent", repo=root)
    make_feature(root / "svc/inner", name="inner", repo=root)
    (root / "svc/MODEL_CARD.md").rename(root / "svc/inner/PARENT_CARD.md")
    manifest = root / "svc/aigov.yaml"
    manifest.write_text(manifest.read_text().replace("modelCard: MODEL_CARD.md", "modelCard: inner/PARENT_CARD.md"))
    start_pr(root)
    break_card(root / "svc/inner/PARENT_CARD.md")
    commit_all(root, "edit the parent's card")
    doc = pr(root)
    assert "parent" in doc["features"] and "AIGOV-CARD-007" in ids(doc, "parent")


# --- A feature is its name: moves and deletions are compared with the base -------------------------


def test_moving_a_feature_and_lowering_its_tier_needs_the_approval_a_lowered_tier_needs(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", "svc-a")
    git(root, "mv", "svc-a", "svc-b")
    manifest = root / "svc-b/aigov.yaml"
    manifest.write_text(manifest.read_text().replace("riskTier: medium", "riskTier: low"))
    workflow = root / ".github/workflows/evals-svc-a.yml"
    workflow.write_text(workflow.read_text().replace("working-directory: svc-a", "working-directory: svc-b"))
    commit_all(root, "move and lower")
    doc = pr(root)
    change = [f for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-003"]
    assert change and "the risk tier was lowered from medium to low" in change[0]["message"]


def test_moving_a_feature_and_adding_a_model_needs_approval_and_a_card_update(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", "svc-a")
    git(root, "mv", "svc-a", "svc-b")
    manifest = root / "svc-b/aigov.yaml"
    manifest.write_text(manifest.read_text().replace(
        "      purpose: summarization\n",
        "      purpose: summarization\n    - id: anthropic.claude-haiku-4-5\n      provider: bedrock\n      purpose: triage\n", 1))
    workflow = root / ".github/workflows/evals-svc-a.yml"
    workflow.write_text(workflow.read_text().replace("working-directory: svc-a", "working-directory: svc-b"))
    commit_all(root, "move and add a model")
    found = ids(pr(root))
    assert {"AIGOV-CHANGE-002", "AIGOV-CHANGE-003"} <= found


def test_a_plain_move_is_compared_with_its_old_self_and_needs_nothing(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", "svc-a")
    git(root, "mv", "svc-a", "svc-b")
    workflow = root / ".github/workflows/evals-svc-a.yml"
    workflow.write_text(workflow.read_text().replace("working-directory: svc-a", "working-directory: svc-b"))
    commit_all(root, "move")
    doc = pr(root)
    assert doc["features"] == ["svc-a"] and doc["verdict"] == "pass", doc["findings"]


def test_deleting_a_manifest_while_adding_a_model_call_is_a_removal_that_needs_approval(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", "svc-a")
    (root / "svc-a/aigov.yaml").unlink()
    write(root / "svc-a/src/app.py", 'MODEL = "gpt-4o-mini-2099-01-01"\n')
    commit_all(root, "no more governance here")
    doc = pr(root)
    assert doc["verdict"] == "fail" and doc["features"] == ["svc-a"]
    [removal] = [f for f in doc["findings"] if f["id"] == "AIGOV-CHANGE-003"]
    assert "the feature was removed (its manifest deleted)" in removal["message"]
    assert removal["path"] == "svc-a/aigov.yaml"


def test_a_repository_rule_outside_aigov_folder_changed_rejudges_every_feature(tmp_path: Path) -> None:
    """The repository's own rules may live anywhere its .aigov/config.yaml says: they feed every feature."""
    root = tmp_path / "repo"
    for name in ("svc-a", "svc-b"):
        make_feature(root / name, name=name, repo=root)
    write(root / ".aigov/config.yaml", "policies: [governance/rules]\n")
    write(root / "governance/rules/team.rego", "package team\n\nimport rego.v1\n")
    start_pr(root)
    write(root / "governance/rules/team.rego", "package team\n\nimport rego.v1\n\n# a comment\n")
    commit_all(root, "edit a repository rule")
    assert pr(root)["features"] == ["svc-a", "svc-b"]


# --- --new-only compares with the base as it was --------------------------------------------------


def test_new_only_blocks_deleting_a_linked_model_card(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="svc", repo=root)
    (root / "docs").mkdir()
    (root / "svc/MODEL_CARD.md").rename(root / "docs/svc-card.md")
    link(root / "svc/MODEL_CARD.md", "../docs/svc-card.md")
    start_pr(root)
    assert pr(root, "--new-only")["verdict"] == "pass"
    (root / "docs/svc-card.md").unlink()
    (root / "svc/MODEL_CARD.md").unlink()
    commit_all(root, "delete the card")
    doc = pr(root, "--new-only")
    assert doc["verdict"] == "fail"
    cards = [f for f in doc["findings"] if f["id"].startswith("AIGOV-CARD")]
    assert cards and all(f["blocking"] for f in cards)  # introduced by the change, not debt


def test_new_only_blocks_removing_the_eval_step_from_an_action_kept_outside_the_features(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_feature(root / "svc", name="svc", repo=root)
    (root / ".github/workflows/evals-svc.yml").unlink()
    write(root / ".github/workflows/evals.yml", local_action_caller("ci/evals"))
    write(root / "ci/evals/action.yml", COMPOSITE.format(defeat=""))
    start_pr(root)
    write(root / "ci/evals/action.yml", COMPOSITE.format(defeat="").replace(
        "    - run: python evals/run.py --config evals/config.yaml\n", "    - run: echo skipped\n"))
    commit_all(root, "drop the evals")
    doc = pr(root, "--new-only")
    assert doc["verdict"] == "fail"
    evals = [f for f in doc["findings"] if f["id"].startswith("AIGOV-EVAL")]
    assert evals and all(f["blocking"] for f in evals)  # introduced by the change, not debt
