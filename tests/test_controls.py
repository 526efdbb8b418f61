"""Control mappings: every id exists in its catalog, every shipped rule is mapped, and `aigov controls` shows gaps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from aigov.config import OrgConfig
from aigov.policy.controls import load_control_map
from aigov.policy.loading import build_pack
from aigov.resources import policies_dir
from conftest import check_json, make_feature, run_cli, write


def shipped_rule_ids() -> set[str]:
    return set(build_pack(OrgConfig()).rules)


def test_every_mapped_control_id_exists_in_its_catalog_as_spelt() -> None:
    control_map = load_control_map()
    unknown = [f"{rule}: {framework} {cid!r}" for rule, framework, cid in control_map.unknown]
    assert not unknown, "control ids that their catalog does not hold:\n" + "\n".join(unknown)


def test_every_catalog_id_matches_its_own_pattern() -> None:
    # The copies in policies/catalogs are facts with sources: a hand edit that breaks an id shows here.
    for path in sorted((policies_dir() / "catalogs").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["source"] and doc["retrieved"], path.name
        pattern = re.compile(doc["id_pattern"])
        bad = [c["id"] for c in doc["controls"] if not pattern.fullmatch(str(c["id"]))]
        assert not bad, (path.name, bad)


def test_every_shipped_rule_has_a_control_mapping() -> None:
    unmapped = sorted(shipped_rule_ids() - set(load_control_map().rules))
    assert not unmapped, (
        "shipped rules with no entry in policies/controls.yaml (add each under rules:): " + ", ".join(unmapped)
    )


def test_every_mapped_rule_exists_in_the_pack() -> None:
    stale = sorted(set(load_control_map().rules) - shipped_rule_ids())
    assert not stale, "policies/controls.yaml maps rules the pack does not have: " + ", ".join(stale)


def test_each_framework_carries_its_version_and_every_rule_maps_to_a_governance_framework() -> None:
    control_map = load_control_map()
    for framework in control_map.frameworks.values():
        assert framework.version and framework.catalog_source
    for rule_id, mapping in control_map.rules.items():
        assert {"NIST-AI-RMF", "ISO-42001"} & set(mapping), rule_id


def test_controls_command_lists_the_rules_behind_a_control_and_the_gaps() -> None:
    run = run_cli("controls", "--framework", "EU-AI-Act", "--format", "json")
    assert run.exit_code == 0, run.stderr
    (framework,) = run.json()["frameworks"]
    assert framework["version"]
    by_id = {c["id"]: c for c in framework["controls"]}
    assert "AIGOV-MANIFEST-001" in by_id["Art. 14"]["rules"]
    gaps = {g["id"] for g in framework["gaps"]}
    # Record-keeping is not something a repository check can evidence: it is an honest gap.
    assert "Art. 12" in gaps and "Art. 14" not in gaps
    # A heading whose points are listed is not itself a gap.
    assert "Annex IV(2)" not in gaps


def test_controls_text_names_each_framework_with_its_version() -> None:
    run = run_cli("controls")
    assert run.exit_code == 0
    assert "NIST AI RMF 1.0 (NIST-AI-RMF)" in run.stdout
    assert "GOVERN 1.6" in run.stdout and "not evidenced by any rule" in run.stdout


@pytest.mark.parametrize("spelt", ["eu-ai-act", "EU-AI-ACT", "Eu-Ai-Act"])
def test_controls_takes_a_framework_key_in_any_case(spelt: str) -> None:
    run = run_cli("controls", "--framework", spelt, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert [f["key"] for f in run.json()["frameworks"]] == ["EU-AI-Act"]


def test_controls_unknown_framework_is_a_clean_error() -> None:
    run = run_cli("controls", "--framework", "NIST")
    assert run.exit_code == 2
    assert "unknown framework 'NIST'" in run.stderr


def test_a_rule_names_its_controls_as_framework_and_catalog_id() -> None:
    from aigov.policy.controls import rule_control_labels

    labels = rule_control_labels("AIGOV-MANIFEST-001")
    assert "EU-AI-Act:Art. 14" in labels and "NIST-AI-RMF:GOVERN 3.2" in labels
    assert rule_control_labels("AIGOV-NO-SUCH-RULE") == []


def test_shipped_rules_take_their_controls_from_the_mapping_file_alone(tmp_path: Path) -> None:
    """One place: shipped METADATA names no controls; findings, SARIF and `policy list` read controls.yaml."""
    for rego in sorted((policies_dir() / "aigov").glob("*.rego")):
        assert "#   controls:" not in rego.read_text(encoding="utf-8"), rego.name
    root = make_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "registry: elsewhere.yaml\n")
    [finding] = check_json(root)["findings"]
    assert finding["id"] == "AIGOV-CONFIG-001"
    assert "SSDF:PO.3.2" in finding["controls"] and "NIST-AI-RMF:GOVERN 1.4" in finding["controls"]
