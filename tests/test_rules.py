"""The shipped rules, end to end: real feature folders on disk, real Rego in the embedded engine."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import add_sbom, check, check_json, finding_ids, make_feature, org_config, write

HF_CARD = """\
---
license: apache-2.0
base_model: meta-llama/Llama-3-8B
models: [anthropic.claude-sonnet-4]
owners: [team-support]
last_reviewed: 2026-10-01
model-index:
  - name: support-summarize
    results: []
---

# Model Card for support-summarize

## Model Details

### Model Description

Summarises support tickets.

## Uses

### Direct Use

Agents read the summary before replying.

### Out-of-Scope Use

[More Information Needed]

## Bias, Risks, and Limitations

Long threads lose detail.

## Evaluation

### Testing Data, Factors & Metrics

Forty golden tickets.
"""


def test_model_not_approved_for_tier_names_line_and_alternatives(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="medium", model="gpt-4o-mini", provider="openai")
    doc = check_json(root)
    assert doc["verdict"] == "fail"
    [finding] = [f for f in doc["findings"] if f["id"] == "AIGOV-MODEL-005"]
    assert finding["path"] == "aigov.yaml"
    assert finding["line"] == 10
    assert finding["severity"] == "high" and finding["blocking"]
    assert "anthropic.claude-sonnet-4" in finding["remediation"]
    assert check(root).exit_code == 1


def test_banned_model_is_critical_and_names_replacement(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="low", model="unvetted-community-7b", provider="huggingface")
    [finding] = [f for f in check_json(root)["findings"] if f["id"] == "AIGOV-MODEL-003"]
    assert finding["severity"] == "critical"
    assert "use anthropic.claude-haiku-3-5 instead" in finding["remediation"]


def test_sunset_is_judged_by_the_given_clock(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="low", model="gpt-4o", provider="openai")
    assert finding_ids(root) == []
    assert finding_ids(root, "--now", "2027-02-01T00:00:00Z") == ["AIGOV-MODEL-007"]
    warned = check(root, "--now", "2027-02-01T00:00:00Z")
    assert warned.exit_code == 0, "a sunset warning must not block"
    assert "MEDIUM (1, not blocking)" in warned.stdout
    assert "AIGOV-MODEL-006" in finding_ids(root, "--now", "2027-04-01T00:00:00Z")


def test_shadow_model_in_code_and_prompts(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    write(root / "src/app.py", 'PRIMARY = "anthropic.claude-sonnet-4"\nFALLBACK = "gpt-4o"\n')
    write(root / "prompts/answer.yaml", "model: gpt-4o\ntemplate: Summarise the ticket.\n")
    write(root / "prompts/answer.md", "Uses gpt-4o-mini for drafts.\n")  # prose: a mention
    write(root / "docs/history.md", "We moved off gpt-3.5-turbo last year.\n")  # docs are not read
    write(root / "src/notes.py", "# anthropic.claude-sonnet-4-5 is a different model id\n")  # a comment: a mention
    findings = [(f["id"], f["path"], f["line"], f["message"]) for f in check_json(root)["findings"] if f["id"].startswith("AIGOV-MODEL")]
    assert findings == [
        ("AIGOV-MODEL-009", "prompts/answer.yaml", 1, "gpt-4o is called but not declared in aigov.yaml (prompts/answer.yaml:1, src/app.py:2)"),
        ("AIGOV-MODEL-013", "prompts/answer.md", 1, "gpt-4o-mini is named but never called (prompts/answer.md:1)"),
        ("AIGOV-MODEL-013", "src/notes.py", 1, "anthropic.claude-sonnet-4-5 is named but never called (src/notes.py:1)"),
    ]


def test_hugging_face_model_card_is_accepted(feature: Path) -> None:
    write(feature / "MODEL_CARD.md", HF_CARD)
    assert check_json(feature)["findings"] == []


def test_model_card_problems_point_into_the_card(feature: Path) -> None:
    write(
        feature / "MODEL_CARD.md",
        "---\nmodels: [gpt-4o]\nowners: []\nlast_reviewed: 2025-01-01\n---\n\n## Intended use\n\nTBD\n\n## Evaluation\n\nGolden set.\n",
    )
    found = {(f["id"], f["line"]) for f in check_json(feature)["findings"]}
    assert ("AIGOV-CARD-003", 3) in found  # owners must not be empty
    assert ("AIGOV-CARD-004", 2) in found  # does not cover the declared model
    assert ("AIGOV-CARD-005", 4) in found  # review overdue
    assert ("AIGOV-CARD-007", 1) in found  # no limitations section
    assert ("AIGOV-CARD-008", 7) in found  # intended use is only a placeholder


def test_missing_model_card(feature: Path) -> None:
    (feature / "MODEL_CARD.md").unlink()
    [finding] = check_json(feature)["findings"]
    assert (finding["id"], finding["path"], finding["line"]) == ("AIGOV-CARD-001", "aigov.yaml", 13)


def test_high_tier_needs_oversight(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="high")
    assert set(finding_ids(root)) == {"AIGOV-MANIFEST-001", "AIGOV-MANIFEST-002", "AIGOV-MANIFEST-003"}
    text = (root / "aigov.yaml").read_text() + (
        "  oversight:\n    humanOversight: human-in-the-loop\n    incidentContact: '#oncall'\n    riskAssessment: docs/risk.md\n"
    )
    (root / "aigov.yaml").write_text(text)
    assert finding_ids(root) == ["AIGOV-MANIFEST-004"]
    write(root / "docs/risk.md", "# Risk assessment\n")
    assert finding_ids(root) == []


def test_monorepo_judges_every_feature(tmp_path: Path) -> None:
    make_feature(tmp_path / "services/a", name="feature-a", repo=tmp_path)
    make_feature(tmp_path / "services/b", name="feature-b", tier="high", repo=tmp_path)
    make_feature(tmp_path / "services/b/nested", name="feature-c", model="mystery-model", repo=tmp_path)
    write(tmp_path / "node_modules/pkg/aigov.yaml", "not: a feature\n")
    doc = check_json(tmp_path)
    assert doc["features"] == ["feature-a", "feature-b", "feature-c"]
    by_feature = {(f["feature"], f["id"]) for f in doc["findings"]}
    assert ("feature-c", "AIGOV-MODEL-001") in by_feature
    assert ("feature-b", "AIGOV-MANIFEST-001") in by_feature
    assert not any(f["feature"] == "feature-a" for f in doc["findings"])
    paths = {f["path"] for f in doc["findings"] if f["feature"] == "feature-c"}
    assert paths == {"services/b/nested/aigov.yaml"}


def test_nested_feature_code_belongs_to_the_nested_feature(tmp_path: Path) -> None:
    make_feature(tmp_path, name="outer")
    make_feature(tmp_path / "inner", name="inner", model="gpt-4o", provider="openai", repo=tmp_path)
    write(tmp_path / "inner/app.py", 'MODEL = "gpt-4o"\n')
    assert check_json(tmp_path)["findings"] == []


def test_org_config_makes_medium_block(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="low", model="gpt-4o", provider="openai")
    assert check(root, "--now", "2027-02-01T00:00:00Z").exit_code == 0
    write(root / ".aigov/config.yaml", "block: [medium]\n")
    result = check(root, "--now", "2027-02-01T00:00:00Z")
    assert result.exit_code == 1
    assert "MEDIUM (1, blocking)" in result.stdout


def test_org_config_cannot_unblock_high(feature: Path) -> None:
    write(feature / ".aigov/config.yaml", "block: [low]\n")
    text = (feature / "aigov.yaml").read_text().replace("anthropic.claude-sonnet-4", "mystery")
    (feature / "aigov.yaml").write_text(text)
    doc = check_json(feature)
    assert set(doc["block"]) == {"critical", "high", "low"}
    assert doc["verdict"] == "fail"


def test_org_policy_adds_a_rule_with_metadata(feature: Path) -> None:
    write(feature / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
    write(
        feature / ".aigov/policies/owners.rego",
        """\
        package acme.owners

        import rego.v1

        # METADATA
        # title: Owner must be a team
        # custom:
        #   id: ACME-OWNER-001
        #   severity: high
        #   remediation: Use a team-* owner.
        #   controls: [SOC2:CC1.3]
        deny contains f if {
        \tnot startswith(input.feature.manifest.metadata.owner, "team-platform")
        \tf := {"id": "ACME-OWNER-001", "msg": "owner is not the platform team", "path": input.feature.manifest_path, "line": input.feature.lines["metadata.owner"]}
        }
        """,
    )
    doc = check_json(feature)
    [finding] = doc["findings"]
    assert finding["id"] == "ACME-OWNER-001"
    assert (finding["line"], finding["title"], finding["controls"]) == (5, "Owner must be a team", ["SOC2:CC1.3"])
    assert finding["remediation"] == "Use a team-* owner."


def test_registry_replacement_and_extension(feature: Path, tmp_path: Path) -> None:
    text = (feature / "aigov.yaml").read_text().replace("anthropic.claude-sonnet-4", "acme-internal-llm").replace("bedrock", "acme")
    (feature / "aigov.yaml").write_text(text)
    write(feature / "MODEL_CARD.md", (feature / "MODEL_CARD.md").read_text().replace("anthropic.claude-sonnet-4", "acme-internal-llm"))
    add_sbom(feature)
    assert finding_ids(feature) == ["AIGOV-MODEL-001"]
    extra = "models:\n  - id: acme-internal-llm\n    provider: acme\n    status: approved\n    approvedTiers: [medium]\n"
    write(tmp_path / "mine.yaml", extra)
    assert finding_ids(feature, "--registry", str(tmp_path / "mine.yaml")) == []
    org = org_config(tmp_path / "org", "extraRegistries: [registry-extra.yaml]\n", {"registry-extra.yaml": extra})
    assert finding_ids(feature, "--config", str(org)) == []


def test_org_data_overrides_settings(feature: Path, tmp_path: Path) -> None:
    org = org_config(tmp_path / "org", "data: [data.yaml]\n",
                     {"data.yaml": "aigov:\n  settings:\n    model_card:\n      max_review_age_days: {low: 30, medium: 30, high: 30}\n"})
    assert finding_ids(feature, "--config", str(org)) == ["AIGOV-CARD-005"]


def test_json_document_shape(tmp_path: Path) -> None:
    root = make_feature(tmp_path, model="mystery")
    doc = check_json(root)
    assert doc["version"] == "1"
    assert doc["verdict"] == "fail"
    assert doc["summary"]["blocking"] == len([f for f in doc["findings"] if f["blocking"]]) > 0
    finding = doc["findings"][0]
    assert set(finding) >= {"id", "severity", "title", "message", "path", "line", "feature", "remediation", "controls"}
    assert doc["policy"]["rules"] >= 20


def test_input_digest_changes_with_the_repository(feature: Path) -> None:
    before = check_json(feature)["digests"]
    (feature / "MODEL_CARD.md").write_text((feature / "MODEL_CARD.md").read_text() + "\n## Training data\n\nNone.\n")
    after = check_json(feature)["digests"]
    assert before["policies"] == after["policies"] and before["input"] != after["input"]


def test_text_report_is_grouped_and_readable(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="high", model="unvetted-community-7b", provider="huggingface")
    out = check(root).stdout
    assert out.startswith("FAIL  1 feature checked, ")
    assert out.index("CRITICAL (") < out.index("HIGH (")
    assert "    aigov.yaml:10: model unvetted-community-7b is banned" in out
    assert "    fix: " in out


def test_report_written_to_file(feature: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = check(feature, "--format", "json", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["verdict"] == "pass"


def test_copier_answers_file_is_a_record_not_a_model_call(feature: Path) -> None:
    """A team that drops a model after `aigov new` must not be told the answers file calls it."""
    write(feature / ".copier-answers.yml", "_src_path: gh:acme/templates\n_commit: 1.0.0\nmodels: [gpt-4o]\n")
    write(feature / "config.yml", "fallback: gpt-4o\n")
    findings = [(f["id"], f["path"]) for f in check_json(feature)["findings"]]
    assert findings == [("AIGOV-MODEL-009", "config.yml")]


def test_manifest_findings_come_first_within_a_severity(feature: Path) -> None:
    """Swapping in an unapproved model: the cause (the manifest) is listed before its echoes."""
    text = (feature / "aigov.yaml").read_text().replace("anthropic.claude-sonnet-4", "mystery-model")
    (feature / "aigov.yaml").write_text(text)
    high = [f["path"] for f in check_json(feature)["findings"] if f["severity"] == "high"]
    assert high[0] == "aigov.yaml" and len(set(high)) > 1
