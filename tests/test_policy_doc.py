"""`aigov policy doc`: the Markdown rule reference the platform team publishes, from METADATA."""

from __future__ import annotations

import re
from pathlib import Path

from aigov.config import OrgConfig
from aigov.policy.controls import rule_control_labels
from aigov.policy.loading import build_pack
from conftest import org_config, run_cli


def test_every_shipped_rule_appears_with_its_severity_and_controls(tmp_path: Path) -> None:
    out = tmp_path / "rules.md"
    result = run_cli("policy", "doc", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    rules = build_pack(OrgConfig()).rules
    assert rules
    for rule in rules.values():
        section = text.split(f"### {rule.id}: ", 1)[1].split("\n### ", 1)[0]
        assert f"- **Severity:** {rule.severity}\n" in section, rule.id
        assert rule.remediation.split()[0] in section, rule.id
        for label in rule_control_labels(rule.id):
            assert label in section, (rule.id, label)
    assert len(re.findall(r"^### AIGOV-", text, re.MULTILINE)) == len(rules)


def test_rules_are_grouped_by_package_in_order_and_the_output_is_deterministic() -> None:
    first, second = run_cli("policy", "doc"), run_cli("policy", "doc")
    assert first.exit_code == 0 and first.stdout == second.stdout
    packages = re.findall(r"^## `([^`]+)`$", first.stdout, re.MULTILINE)
    assert packages == sorted(packages) and "aigov.models" in packages
    models = first.stdout.split("## `aigov.models`", 1)[1].split("\n## ", 1)[0]
    assert "AIGOV-MODEL-001" in models and "AIGOV-SBOM-" not in models


def test_an_org_rule_is_documented_with_its_own_controls(tmp_path: Path) -> None:
    rule = """\
        package acme.prompts

        # METADATA
        # title: Prompts live in files
        # description: Inline prompts cannot be reviewed.
        # custom:
        #   id: ACME-PROMPT-001
        #   severity: medium
        #   remediation: Move the prompt to prompts/.
        #   controls: ["ACME:P-1"]
        deny contains {"id": "ACME-PROMPT-001", "msg": "inline prompt"} if { false }
        """
    config = org_config(tmp_path / "org", "policies: [rules]\n", {"rules/prompts.rego": rule})
    result = run_cli("policy", "doc", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    section = result.stdout.split("### ACME-PROMPT-001: Prompts live in files", 1)[1]
    assert "- **Severity:** medium" in section and "ACME:P-1" in section and "Move the prompt to prompts/." in section
