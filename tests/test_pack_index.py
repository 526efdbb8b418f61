"""policies/index.json: the shipped pack read ahead (METADATA, data files) so each check starts faster.

It may only ever make a check slower, never different: an entry is used only for the very text
it was built from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aigov.config import OrgConfig
from aigov.policy import loading
from aigov.policy.index import INDEX_FILE, render_index
from aigov.policy.metadata import parse_module
from aigov.resources import policies_dir


def test_the_committed_index_is_current() -> None:
    committed = (policies_dir() / INDEX_FILE).read_text(encoding="utf-8")
    assert committed == render_index(policies_dir()), "policies changed: run `python -m aigov.policy.index` and commit policies/index.json"


def test_a_pack_read_through_the_index_equals_one_read_from_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    indexed = loading.build_pack(OrgConfig(), include_tests=True)
    unindexed_copy = tmp_path / "policies"
    shutil.copytree(policies_dir(), unindexed_copy)
    (unindexed_copy / INDEX_FILE).unlink()
    monkeypatch.setattr(loading, "policies_dir", lambda: unindexed_copy)
    parsed = loading.build_pack(OrgConfig(), include_tests=True)
    assert indexed.infos == parsed.infos
    assert indexed.data == parsed.data
    assert indexed.policy_digest() == parsed.policy_digest() and indexed.data_digest() == parsed.data_digest()


def test_a_pack_edited_without_rebuilding_the_index_is_read_as_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stale index (an edited rule title, a model added to the registry) is ignored for the edited files."""
    stale = tmp_path / "policies"
    shutil.copytree(policies_dir(), stale)
    models = stale / "aigov/models.rego"
    models.write_text(models.read_text().replace("# title: Model is still in review", "# title: Edited Model is still in review"))
    registry = stale / "data/registry.yaml"
    registry.write_text(registry.read_text().replace("models:\n", "models:\n  - id: edited-model\n    provider: openai\n"
                                                     "    status: approved\n    approvedTiers: [low]\n", 1))
    monkeypatch.setattr(loading, "policies_dir", lambda: stale)
    pack = loading.build_pack(OrgConfig())
    titles = [rule.title for rule in pack.infos["policies/aigov/models.rego"].rules]
    assert sum(title.startswith("Edited ") for title in titles) == 1
    assert pack.data["aigov"]["registry"]["models"][0]["id"] == "edited-model"
    assert [rule.id for rule in pack.infos["policies/aigov/models.rego"].rules] == [
        rule.id for rule in parse_module(models.read_text(), "policies/aigov/models.rego").rules]


def test_a_stale_registry_is_still_checked_against_its_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aigov.errors import AigovError

    stale = tmp_path / "policies"
    shutil.copytree(policies_dir(), stale)
    registry = stale / "data/registry.yaml"
    registry.write_text(registry.read_text().replace("models:\n", "models:\n  - id: no-status\n", 1))
    monkeypatch.setattr(loading, "policies_dir", lambda: stale)
    with pytest.raises(AigovError, match="registry.yaml:11: models\\[0\\]: .provider. is a required property"):
        loading.build_pack(OrgConfig())
