"""Bad input gets one clear line naming the file (and line) and exit code 2: never a traceback, never a pass."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import CLOCK, check, make_feature, run_cli, run_limited, run_process, write
from conftest import assert_clean_error as assert_error


def add_org_policy(feature: Path, source: str) -> None:
    """An org config with one extra policy folder holding ``org.rego``."""
    write(feature / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
    write(feature / ".aigov/policies/org.rego", source)


@pytest.mark.parametrize(
    "old, new, fragments",
    [
        pytest.param("  riskTier: medium", "  riskTier: [medium", ("aigov.yaml:", "invalid YAML"), id="malformed-yaml"),
        pytest.param("  riskTier: medium", "  riskTier: medium: oops", ("aigov.yaml:7:", "invalid YAML"), id="yaml-error-at-its-line"),
        pytest.param("  riskTier: medium\n", "  riskTier: medium\n  riskTeir: low\n", ("aigov.yaml:8:", "unknown key 'riskTeir'"), id="unknown-key"),
        pytest.param("riskTier: medium", "riskTier: extreme", ("aigov.yaml:7:", "'extreme' is not one of low, medium, high"), id="bad-enum"),
        pytest.param("name: support-summarize", "name: Support_Summarize", ("aigov.yaml:4:", "lowercase"), id="bad-name"),
        pytest.param("  owner: team-support\n", "  owner: team-support\n  owner: team-other\n", ("aigov.yaml:6:", "duplicate key 'owner'"), id="duplicate-key"),
        pytest.param("  modelCard: MODEL_CARD.md", "  modelCard: 42", ("aigov.yaml:", "spec.modelCard", "not of type 'string'"), id="wrong-type"),
    ],
)
def test_manifest_mistake_is_exit_2_at_its_line(feature: Path, old: str, new: str, fragments: tuple[str, ...]) -> None:
    text = (feature / "aigov.yaml").read_text()
    assert old in text
    (feature / "aigov.yaml").write_text(text.replace(old, new, 1))
    assert_error(check(feature), *fragments)


def test_models_of_the_wrong_type(feature: Path) -> None:
    text = (feature / "aigov.yaml").read_text()
    head, _, rest = text.partition("  models:\n")
    (feature / "aigov.yaml").write_text(head + "  models: 3\n" + rest[rest.index("  modelCard:"):])
    assert_error(check(feature), "aigov.yaml:", "spec.models", "not of type 'array'")


def test_manifest_that_is_not_a_mapping(tmp_path: Path) -> None:
    write(tmp_path / "aigov.yaml", "- just\n- a list\n")
    assert_error(check(tmp_path), "aigov.yaml:1:", "must be a YAML mapping")


def test_no_manifest_at_all_is_an_error_not_a_pass(tmp_path: Path) -> None:
    write(tmp_path / "README.md", "nothing here\n")
    assert_error(check(tmp_path), "no aigov.yaml found")


def test_missing_path_argument(tmp_path: Path) -> None:
    assert_error(check(tmp_path / "nope"), "is not a directory")


def test_non_utf8_manifest(feature: Path) -> None:
    text = (feature / "aigov.yaml").read_bytes()
    (feature / "aigov.yaml").write_bytes(text + b"# caf\xe9\n")
    line = len(text.splitlines()) + 1
    assert_error(check(feature), f"aigov.yaml:{line}:", "not UTF-8")


def test_non_utf8_model_card(feature: Path) -> None:
    (feature / "MODEL_CARD.md").write_bytes(b"---\nmodels: [x]\n---\n\xff\xfe\n")
    assert_error(check(feature), "MODEL_CARD.md:4:", "not UTF-8")


def test_very_large_manifest_is_refused(feature: Path) -> None:
    with (feature / "aigov.yaml").open("a") as fh:
        fh.write("#" + "x" * (2 * 1024 * 1024) + "\n")
    assert_error(check(feature), "aigov.yaml", "over the")


def test_manifest_symlink_outside_repo_is_refused(tmp_path: Path) -> None:
    outside = make_feature(tmp_path / "outside")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "aigov.yaml").symlink_to(outside / "aigov.yaml")
    assert_error(check(repo), "aigov.yaml", "outside the repository")


def test_model_card_symlink_outside_repo_is_refused(feature: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.md", "---\nmodels: [x]\n---\n")
    (feature / "MODEL_CARD.md").unlink()
    (feature / "MODEL_CARD.md").symlink_to(secret)
    assert_error(check(feature), "MODEL_CARD.md", "outside the repository")


def test_symlink_inside_repo_is_followed(feature: Path) -> None:
    (feature / "docs").mkdir()
    (feature / "MODEL_CARD.md").rename(feature / "docs" / "card.md")
    (feature / "MODEL_CARD.md").symlink_to(feature / "docs" / "card.md")
    assert check(feature).exit_code == 0


def test_model_card_front_matter_never_closed(feature: Path) -> None:
    write(feature / "MODEL_CARD.md", "---\nmodels: [x]\n# Title\n")
    assert_error(check(feature), "MODEL_CARD.md:1:", "never closed")


def test_malformed_model_card_yaml(feature: Path) -> None:
    write(feature / "MODEL_CARD.md", "---\nmodels: [x\nowners: [a]\n---\n# T\n")
    assert_error(check(feature), "MODEL_CARD.md:", "invalid YAML")


def test_org_policy_syntax_error_names_file_and_line(feature: Path) -> None:
    add_org_policy(
        feature,
        "package org.extra\n\nimport rego.v1\n\n# METADATA\n# custom:\n#   id: ORG-1\n#   severity: low\n"
        "deny contains x if {\n  x := \n}\n",
    )
    assert_error(check(feature), " .aigov/policies/org.rego:10:", "Rego:", "expecting")


def test_org_rule_without_metadata_is_refused(feature: Path) -> None:
    add_org_policy(feature, 'package org.extra\n\nimport rego.v1\n\ndeny contains {"id": "ORG-1", "msg": "x"} if true\n')
    assert_error(check(feature), "org.rego:5:", "no METADATA")


def test_finding_id_without_metadata_is_refused(feature: Path) -> None:
    add_org_policy(
        feature,
        "package org.extra\n\nimport rego.v1\n\n# METADATA\n# title: T\n# custom:\n#   id: ORG-1\n#   severity: low\n"
        'deny contains {"id": "ORG-2", "msg": "typo in id"} if true\n',
    )
    assert_error(check(feature), "finding id ORG-2", "no rule's METADATA declares")


def test_bad_severity_in_metadata(feature: Path) -> None:
    add_org_policy(
        feature,
        "package org.extra\n\nimport rego.v1\n\n# METADATA\n# custom:\n#   id: ORG-1\n#   severity: urgent\n"
        'deny contains {"id": "ORG-1", "msg": "x"} if true\n',
    )
    assert_error(check(feature), "org.rego:9:", "severity 'urgent'")


def test_config_with_unknown_key(feature: Path) -> None:
    write(feature / ".aigov/config.yaml", "polices: [x]\n")
    assert_error(check(feature), ".aigov/config.yaml:1:", "unknown key 'polices'")


def test_config_pointing_outside_repo(feature: Path) -> None:
    write(feature / ".aigov/config.yaml", "policies: [../../elsewhere]\n")
    assert_error(check(feature), ".aigov/config.yaml:1:", "outside the repository")


def test_registry_file_missing(feature: Path, tmp_path: Path) -> None:
    assert_error(check(feature, "--registry", str(tmp_path / "nope.yaml")), "nope.yaml", "file not found")


def test_registry_with_wrong_status(feature: Path, tmp_path: Path) -> None:
    reg = write(tmp_path / "reg.yaml", "models:\n  - id: x\n    provider: p\n    status: maybe\n    approvedTiers: [low]\n")
    assert_error(check(feature, "--registry", str(reg)), "reg.yaml:4:", "'maybe' is not one of")


def test_bad_clock(feature: Path) -> None:
    assert_error(check(feature.parent, "--now", "yesterday"), "not an RFC 3339 timestamp")


def test_duplicate_feature_names_in_monorepo(tmp_path: Path) -> None:
    make_feature(tmp_path / "a")
    make_feature(tmp_path / "b")
    assert_error(check(tmp_path), "b/aigov.yaml:4:", "already used by a/aigov.yaml")


def test_json_format_reports_error_verdict_on_stdout(tmp_path: Path) -> None:
    result = check(tmp_path, "--format", "json")
    assert result.exit_code == 2
    assert result.json()["verdict"] == "error"


def test_unreadable_manifest(feature: Path, unprivileged: Sequence[str]) -> None:
    """aigov runs where file modes bind, root included (conftest's unprivileged fixture)."""
    (feature / "aigov.yaml").chmod(0)
    assert_error(run_limited("check", str(feature), "--now", CLOCK, launcher=unprivileged), "aigov.yaml", "permission denied")


def test_manifest_is_a_directory(tmp_path: Path) -> None:
    write(tmp_path / "svc/aigov.yaml/spec.yaml", "")
    assert_error(check(tmp_path), "svc/aigov.yaml: is a directory")


def test_policy_test_on_a_file_says_so(tmp_path: Path) -> None:
    rule = write(tmp_path / "one.rego", "package x\n")
    assert_error(run_cli("policy", "test", str(rule)), "one.rego: is not a folder of .rego files")


def test_errors_in_a_fresh_process_have_no_traceback(feature: Path) -> None:
    (feature / "aigov.yaml").write_text("apiVersion: [\n")
    result = run_process("check", str(feature))
    assert_error(result, "aigov.yaml:", "invalid YAML")


ORG_RULE_HEAD = "package org.extra\n\nimport rego.v1\n\n# METADATA\n# custom:\n#   id: ORG-1\n#   severity: low\n"


def test_org_rule_runtime_error_is_exit_2(feature: Path) -> None:
    add_org_policy(feature, ORG_RULE_HEAD + 'deny contains {"id": "ORG-1", "msg": "x"} if {\n  to_number("abc") > 1\n}\n')
    assert_error(check(feature), "org.rego:10:", "Rego:")


def test_org_rule_with_malformed_finding_is_exit_2(feature: Path) -> None:
    add_org_policy(feature, ORG_RULE_HEAD + 'deny contains {"id": "ORG-1"} if true\n')
    assert_error(check(feature), "package org.extra", "expected an object with string 'id' and 'msg'")
