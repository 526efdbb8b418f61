"""Each check is judged by its own authority (aigov.check.authority): what one check was given — a
policy bundle, --fail-on — never governs the next one in the same process, and nothing a check
resolves is left behind in shared state.

Real repositories, a real policy-bundle directory (a copy of the shipped pack whose registry
approves one more model), the real engine. The evidence replay judges thousands of commits in one
process with trees that share a memo (aigov.tree.Tree.memoised); these tests share one the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.check import check_tree, run_check
from aigov.check.authority import resolve_authority
from aigov.check.options import CheckOptions
from aigov.config import BundleRequest
from aigov.errors import AigovError
from aigov.tree import CommitTree
from conftest import CLOCK, make_feature, write
from pack_helpers import copy_pack
from repo_helpers import commit_all, init_repo

MODEL = "acme.homegrown-llm"  # the shipped registry does not approve it; the bundle's does


def approving_bundle(folder: Path) -> Path:
    """The platform team's pack: the shipped one, with the feature's model approved for every tier."""
    pack = copy_pack(folder)
    registry = pack / "data" / "registry.yaml"
    approved = f"  - {{id: {MODEL}, provider: self-hosted, status: approved, approvedTiers: [low, medium, high]}}\n"
    registry.write_text(registry.read_text().replace("models:\n", "models:\n" + approved, 1))
    return pack


def judged_by(result: Any) -> tuple[str, bool, tuple[str, ...]]:
    """What a user sees of a check's authority: the source that decided, whether the model finding
    came up, and which severities block."""
    return result.sources[0].role, "AIGOV-MODEL-001" in {f.id for f in result.findings}, result.block


def test_a_check_with_a_bundle_then_one_without_each_judge_by_their_own(tmp_path: Path) -> None:
    """Through run_check (a work tree). This did not leak before Authority either (each check loaded
    its org config afresh): a regression guard for the value the check now resolves once."""
    repo = make_feature(tmp_path / "repo", model=MODEL, provider="self-hosted")
    bundle = approving_bundle(tmp_path / "platform-pack")
    given = CheckOptions(now=CLOCK, repository_root=repo, policy_bundle=BundleRequest(str(bundle)), fail_on=("medium",))
    plain = CheckOptions(now=CLOCK, repository_root=repo)
    assert judged_by(run_check(repo, given)) == ("policy-bundle", False, ("critical", "high", "medium"))
    assert judged_by(run_check(repo, plain)) == ("policy-pack", True, ("critical", "high"))
    assert judged_by(run_check(repo, given)) == ("policy-bundle", False, ("critical", "high", "medium"))


def test_checks_of_trees_that_share_a_memo_each_judge_by_their_own(tmp_path: Path) -> None:
    """Trees that share a memo (an evidence replay's): the org config was memoised there, and the
    first check's --policy-bundle and --fail-on were written into it, so the second check, given
    neither, was judged by the bundle and blocked on medium findings."""
    repo = make_feature(tmp_path / "repo", model=MODEL, provider="self-hosted")
    init_repo(repo)
    head = commit_all(repo, "feature")
    bundle = approving_bundle(tmp_path / "platform-pack")
    memo: dict[Any, Any] = {}
    given = CheckOptions(now=CLOCK, policy_bundle=BundleRequest(str(bundle)), fail_on=("medium",), facts_in_background=False)
    plain = CheckOptions(now=CLOCK, facts_in_background=False)
    assert judged_by(check_tree(CommitTree(repo, head, memo=memo), given)) == ("policy-bundle", False, ("critical", "high", "medium"))
    assert judged_by(check_tree(CommitTree(repo, head, memo=memo), plain)) == ("policy-pack", True, ("critical", "high"))


def test_a_refused_exclude_is_reported_once_however_often_the_repository_is_judged(tmp_path: Path) -> None:
    """The repository's config is memoised across an evidence replay's commits; the refusal of an
    exclude that hides a feature was appended to that shared config on every check, so each later
    decision carried one more copy in input.repository_config (and another input digest than
    `aigov check` of the same commit)."""
    repo = make_feature(tmp_path / "repo" / "svc", repo=tmp_path / "repo").parent
    write(repo / ".aigov/config.yaml", "exclude:\n  - svc\n")
    init_repo(repo)
    head = commit_all(repo, "feature")
    memo: dict[Any, Any] = {}
    options = CheckOptions(now=CLOCK, facts_in_background=False)
    results = [check_tree(CommitTree(repo, head, memo=memo), options) for _ in range(3)]
    refused = [[r["key"] for r in result.inputs[0]["repository_config"]["refused"]] for result in results]
    assert refused == [["exclude"]] * 3
    assert len({result.digests["input"] for result in results}) == 1


def test_an_authority_judges_only_the_repository_it_was_resolved_for(tmp_path: Path) -> None:
    """It refused the org config, registry and bundle paths inside its own repository: used for another
    one, a path inside that one would pass unrefused, so the check refuses it instead."""
    mine = make_feature(tmp_path / "mine")
    other = make_feature(tmp_path / "other")
    for repo in (mine, other):
        init_repo(repo)
        commit_all(repo, "feature")
    options = CheckOptions(now=CLOCK, facts_in_background=False)
    authority = resolve_authority(options, mine.resolve())
    assert check_tree(CommitTree(mine, "HEAD"), options, authority=authority).verdict == "pass"
    with pytest.raises(AigovError, match="authority was resolved for another repository"):
        check_tree(CommitTree(other, "HEAD"), options, authority=authority)
