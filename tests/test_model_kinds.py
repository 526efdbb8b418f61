"""Models by purpose: the registry gives each model its kind, a feature declares the kind each role needs.

`aigov new` refuses a model of the wrong kind for the template's role (naming the approved models of
the right kind for the tier) and takes a model by any of its aliases; the manifest rule
(AIGOV-MANIFEST-006) refuses the same in an existing feature, and AIGOV-MODEL-005 offers only
alternatives of the same kind. Real CLI, real copier, real Rego on the shipped registry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import check_json, make_feature, run_cli

pytestmark = pytest.mark.usefixtures("template_cache")


def new(tmp_path: Path, template: str, tier: str, *models: str) -> tuple[int, str, Path]:
    dest = tmp_path / "out"
    args = [arg for model in models for arg in ("--model", model)]
    run = run_cli("new", "demo", "--template", template, "--tier", tier, "--owner", "team-demo", "--github-org", "acme",
                  "--dest", str(dest), "--no-interactive", *args)
    return run.exit_code, run.stderr, dest


@pytest.mark.parametrize("template, tier, model, message", [
    ("agent", "low", "sklearn-gradient-boosting",
     "model sklearn-gradient-boosting is a classic-ml model; the agent template's primary model must be a chat model; "
     "approved chat models for low tier: anthropic.claude-haiku-3-5, anthropic.claude-sonnet-4, gpt-4o, gpt-4o-mini"),
    ("rag-service", "medium", "text-embedding-3-small",
     "model text-embedding-3-small is an embedding model; the rag-service template's primary model must be a chat model; "
     "approved chat models for medium tier: anthropic.claude-haiku-3-5, anthropic.claude-sonnet-4, gpt-4o"),
    ("classic-ml", "low", "gpt-4o-mini",
     "model gpt-4o-mini is a chat model; the classic-ml template's primary model must be a classic-ml model; "
     "approved classic-ml models for low tier: sklearn-gradient-boosting"),
])
def test_new_refuses_a_model_of_the_wrong_kind_for_the_role(tmp_path: Path, template: str, tier: str, model: str,
                                                           message: str) -> None:
    code, stderr, dest = new(tmp_path, template, tier, model)
    assert code == 2 and message in stderr and "Traceback" not in stderr
    assert not dest.exists()


def test_a_fallback_of_the_wrong_kind_is_refused_too(tmp_path: Path) -> None:
    code, stderr, _ = new(tmp_path, "rag-service", "low", "gpt-4o-mini", "text-embedding-3-small")
    assert code == 2 and "the rag-service template's fallback model must be a chat model" in stderr


def test_new_takes_a_model_by_its_alias_and_declares_the_kind_of_each_role(tmp_path: Path) -> None:
    code, stderr, dest = new(tmp_path, "agent", "high", "claude-sonnet-4-20250514")
    assert code == 0, stderr
    models = yaml.safe_load((dest / "aigov.yaml").read_text())["spec"]["models"]
    assert [(m["id"], m["kind"], m["role"]) for m in models] == [("anthropic.claude-sonnet-4", "chat", "primary")]


def test_on_a_terminal_an_alias_is_taken_as_its_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aigov.cli import main

    dest = tmp_path / "asked"
    result = CliRunner().invoke(main, ["new", "asked", "--template", "agent", "--tier", "high", "--owner", "team-ask",
                                       "--github-org", "acme", "--data-classification", "internal", "--dest", str(dest),
                                       "--interactive"], input="\n\n\nclaude-sonnet-4-0\n")
    assert result.exit_code == 0, result.output
    assert [m["id"] for m in yaml.safe_load((dest / "aigov.yaml").read_text())["spec"]["models"]] == ["anthropic.claude-sonnet-4"]


def test_an_alias_of_a_model_not_approved_for_the_tier_is_refused_as_that_model(tmp_path: Path) -> None:
    code, stderr, _ = new(tmp_path, "agent", "high", "gpt-4o-2024-08-06")
    assert code == 2 and "model gpt-4o is approved for tiers [low, medium], not for high" in stderr


# --- The manifest rule and MODEL-005 on the shipped registry ---------------------------------------


def declare(feature: Path, old: str, new: str) -> None:
    manifest = feature / "aigov.yaml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))


def test_an_embedding_model_as_the_chat_model_is_refused_with_the_chat_models_of_the_tier(tmp_path: Path) -> None:
    feature = make_feature(tmp_path / "repo", model="text-embedding-3-small", provider="openai")
    declare(feature, "      purpose: summarization\n", "      purpose: summarization\n      kind: chat\n")
    doc = check_json(feature)
    finding = next(f for f in doc["findings"] if f["id"] == "AIGOV-MANIFEST-006")
    assert finding["message"] == "model text-embedding-3-small is an embedding model, but spec.models[0] needs a chat model"
    assert finding["remediation"] == "Use a chat model approved for medium tier: anthropic.claude-haiku-3-5, anthropic.claude-sonnet-4, gpt-4o"
    assert (finding["path"], finding["line"], finding["blocking"]) == ("aigov.yaml", 10, True)


def test_the_declared_kind_holds_for_an_alias_of_the_right_kind(tmp_path: Path) -> None:
    feature = make_feature(tmp_path / "repo", model="claude-sonnet-4-20250514")
    declare(feature, "      purpose: summarization\n", "      purpose: summarization\n      kind: chat\n")
    assert "AIGOV-MANIFEST-006" not in [f["id"] for f in check_json(feature)["findings"]]


def test_model_005_offers_only_alternatives_of_the_same_kind(tmp_path: Path) -> None:
    """gpt-4o (chat) at high tier: the approved alternatives are chat models, not the embedding or classic-ml ones."""
    feature = make_feature(tmp_path / "repo", tier="high", model="gpt-4o", provider="openai")
    finding = next(f for f in check_json(feature)["findings"] if f["id"] == "AIGOV-MODEL-005")
    assert finding["remediation"].startswith("Use a chat model approved for high tier (anthropic.claude-sonnet-4), or request")
    assert "text-embedding-3-small" not in finding["remediation"] and "sklearn" not in finding["remediation"]
