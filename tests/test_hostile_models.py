"""Model references and model cards as providers spell them and as an attacker would write them.

Every test builds a real feature repository, runs the real CLI and the real Rego pack, and checks
the finding id, file and line a user sees.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import CLOCK, MODEL_CARD, assert_clean_error, check, check_json, make_feature, run_cli, run_limited, write


def located(root: Path, rule: str) -> list[tuple[str, int | None]]:
    """(path, line) of each finding with id ``rule``."""
    return sorted((f["path"], f["line"]) for f in check_json(root)["findings"] if f["id"] == rule)


def findings_of(run_stdout: str, rule: str) -> list[dict]:
    return [f for f in json.loads(run_stdout)["findings"] if f["id"] == rule]


# --- provider spellings of registered models ---------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        'client.messages.create(model="claude-sonnet-4-20250514")',  # Anthropic API, dated
        'bedrock.invoke_model(modelId="anthropic.claude-sonnet-4-20250514-v1:0")',  # Bedrock
        'bedrock.converse(modelId="us.anthropic.claude-sonnet-4-20250514-v1:0")',  # cross-region profile
        'MODEL = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"',
        'vertex.generate(model="claude-sonnet-4@20250514")',  # Vertex AI
        'litellm.completion(model="bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0")',  # router prefix
        'Agent("anthropic/claude-sonnet-4")',  # OpenRouter
    ],
)
def test_provider_spelling_of_the_declared_model_is_approved_at_high_tier(tmp_path: Path, code: str) -> None:
    root = make_feature(tmp_path, tier="high")
    write(root / "src/app.py", code + "\n")
    found = check_json(root)["findings"]
    assert found and [f["id"] for f in found if not f["id"].startswith("AIGOV-MANIFEST-")] == []  # oversight only


def test_dated_and_routed_openai_ids_count_as_gpt_4o(tmp_path: Path) -> None:
    root = make_feature(tmp_path, tier="low", model="gpt-4o", provider="openai")
    write(
        root / "src/app.py",
        'a = "gpt-4o-2024-08-06"\nb = "openai/gpt-4o"\n'
        'URL = "https://acme.openai.azure.com/openai/deployments/gpt-4o/chat/completions"\n',
    )
    assert check_json(root)["findings"] == []


def test_undeclared_alias_in_code_names_the_registry_model(tmp_path: Path) -> None:
    root = make_feature(tmp_path)  # declares anthropic.claude-sonnet-4
    write(root / "src/app.py", "import os\n\nFALLBACK = 'gpt-4o-2024-08-06'\n")
    [finding] = [f for f in check_json(root)["findings"] if f["id"] == "AIGOV-MODEL-009"]
    assert (finding["path"], finding["line"]) == ("src/app.py", 3)
    assert finding["message"] == "gpt-4o-2024-08-06 (gpt-4o in the registry) is called but not declared in aigov.yaml (src/app.py:3)"
    assert check(root).exit_code == 1


def test_hugging_face_style_alias_is_found_whole(tmp_path: Path) -> None:
    """A spelling with a '/' in it is one id: "acme/sentiment-v2" is the banned model, not a path."""
    root = make_feature(tmp_path / "repo")
    own = write(
        tmp_path / "org-registry.yaml",
        "models:\n"
        "  - {id: anthropic.claude-sonnet-4, provider: bedrock, status: approved, approvedTiers: [medium]}\n"
        "  - {id: acme-sentiment, provider: huggingface, status: banned, approvedTiers: [], aliases: [acme/sentiment-v2]}\n"
        "providerPatterns: []\n",
    )
    write(root / "src/app.py", 'from transformers import pipeline\n\nclf = pipeline("text-classification", model="acme/sentiment-v2")\n')
    [finding] = [f for f in check_json(root, "--registry", str(own))["findings"] if f["id"] == "AIGOV-MODEL-012"]
    assert (finding["path"], finding["line"], finding["severity"]) == ("src/app.py", 3, "critical")
    assert finding["message"].startswith("acme/sentiment-v2 (acme-sentiment in the registry) is banned")


def test_azure_name_of_a_deprecated_model_is_that_model(tmp_path: Path) -> None:
    """Azure OpenAI spells gpt-3.5-turbo as gpt-35-turbo; declaring it is declaring the deprecated model."""
    root = make_feature(tmp_path, tier="low", model="gpt-35-turbo", provider="openai")
    [finding] = [f for f in check_json(root)["findings"] if f["id"] == "AIGOV-MODEL-004"]
    assert (finding["path"], finding["line"]) == ("aigov.yaml", 10)
    assert finding["message"] == "model gpt-35-turbo (gpt-3.5-turbo in the registry) is deprecated"


def test_alias_in_manifest_is_judged_for_the_tier_of_its_model(tmp_path: Path) -> None:
    low_only = make_feature(tmp_path / "a", tier="high", model="claude-3-5-haiku-20241022", provider="bedrock")
    assert located(low_only, "AIGOV-MODEL-005") == [("aigov.yaml", 10)]
    assert check(low_only).exit_code == 1
    approved = make_feature(tmp_path / "b", tier="medium", model="claude-3-5-haiku-20241022", provider="bedrock")
    assert check_json(approved)["findings"] == []


# --- models the registry has never heard of -----------------------------------------------------


def test_unregistered_provider_models_block_once_each_listing_their_places(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    write(root / "src/app.py", '"""App."""\n\nPRIMARY = "anthropic.claude-sonnet-4"\nDRAFTS = "gpt-5-mini"\n# gemini-3-pro was slower\n')
    write(root / "src/bedrock.ts", 'const id = "anthropic.claude-sonnet-4-5-20250929-v1:0";\n')
    write(root / "src/drafts.py", 'client.responses.create(model="gpt-5-mini", input=text)\n')
    write(root / "prompts/judge.yaml", "id: judge\nmodel: gemini-2.5-pro\n")
    write(root / "deploy/values.yml", "llm:\n  model: us.meta.llama4-maverick-17b-instruct-v1:0\n")
    result = check(root, "--format", "json")
    assert result.exit_code == 1
    found = {(f["path"], f["line"], f["message"]) for f in findings_of(result.stdout, "AIGOV-MODEL-010")}
    assert found == {
        ("src/app.py", 4, "gpt-5-mini is not in the approved-model registry (openai model id); the code calls it (src/app.py:4, src/drafts.py:1)"),
        ("src/bedrock.ts", 1, "anthropic.claude-sonnet-4-5-20250929-v1:0 is not in the approved-model registry (bedrock model id); "
                              "the code calls it (src/bedrock.ts:1)"),
        ("prompts/judge.yaml", 2, "gemini-2.5-pro is not in the approved-model registry (google model id); the code calls it (prompts/judge.yaml:2)"),
        ("deploy/values.yml", 2, "us.meta.llama4-maverick-17b-instruct-v1:0 is not in the approved-model registry (bedrock model id); "
                                 "the code calls it (deploy/values.yml:2)"),
    }
    assert all(f["severity"] == "high" for f in findings_of(result.stdout, "AIGOV-MODEL-010"))
    # The comment calls nothing: listed, not blocking.
    [mention] = findings_of(result.stdout, "AIGOV-MODEL-013")
    assert (mention["path"], mention["line"], mention["severity"], mention["blocking"]) == ("src/app.py", 5, "info", False)


def test_an_undated_snapshot_that_is_not_listed_is_unregistered(tmp_path: Path) -> None:
    """Only the snapshots the platform team listed as aliases count as the approved model."""
    root = make_feature(tmp_path, tier="low", model="gpt-4o", provider="openai")
    write(root / "src/app.py", 'MODEL = "gpt-4o-2024-05-13"\n')
    assert located(root, "AIGOV-MODEL-010") == [("src/app.py", 1)]


def test_words_that_only_look_like_model_ids_are_not_reported(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    write(
        root / "src/app.py",
        'RESULTS = open("results/gpt-4o.json")\n'  # a file named after a model
        'CLI = "npx @anthropic-ai/claude-code"\n'  # a package, not a model
        'x_gpt_4o = "xgpt-4o notgpt-5"\n'  # inside longer words
        "PRIMARY = 'anthropic.claude-sonnet-4'\n",
    )
    write(root / "package-lock.json", json.dumps({"packages": {"node_modules/gpt-4-tokenizer": {}}}))
    write(root / "docs/history.md", "We tried gpt-5 and claude-opus-4 last year.\n")  # prose outside prompts
    assert check_json(root)["findings"] == []


def test_shipped_patterns_apply_to_a_registry_without_patterns(tmp_path: Path) -> None:
    """Provider patterns name the ids written outside a call; a call is found by where it is, with or without them."""
    root = make_feature(tmp_path / "repo")  # an org registry comes from outside the repository
    write(root / "src/app.py", 'MODEL = "gpt-5"\n# gpt-4.1 was tried first\n')
    own = write(
        tmp_path / "org-registry.yaml",
        "models:\n  - {id: anthropic.claude-sonnet-4, provider: bedrock, status: approved, approvedTiers: [medium]}\n",
    )
    found = [(f["id"], f["path"], f["line"]) for f in check_json(root, "--registry", str(own))["findings"]]
    assert found == [("AIGOV-MODEL-010", "src/app.py", 1), ("AIGOV-MODEL-013", "src/app.py", 2)]
    write(own, own.read_text() + "providerPatterns: []\n")
    found = [(f["id"], f["path"], f["line"], f["message"]) for f in check_json(root, "--registry", str(own))["findings"]]
    assert found == [("AIGOV-MODEL-010", "src/app.py", 1, "gpt-5 is not in the approved-model registry; the code calls it (src/app.py:1)")]


def test_a_provider_s_bare_name_is_a_model_at_a_model_parameter_only(tmp_path: Path) -> None:
    """`names` in providerPatterns: whole ids that are plain words (Perplexity's "sonar" in the shipped
    registry). At a model parameter they are that provider's model; elsewhere they are words."""
    root = make_feature(tmp_path / "repo")
    write(root / "src/search.py", 'def ask(client, q):\n    return client.chat.completions.create(model="sonar", messages=q)\n')
    write(root / "src/lint.py", 'SCANNER = "sonar"\nTOOLS = {"type": "falcon"}\n')
    [finding] = [f for f in check_json(root)["findings"] if f["id"] == "AIGOV-MODEL-010"]
    assert (finding["path"], finding["line"]) == ("src/search.py", 2)
    assert finding["message"].startswith("sonar is not in the approved-model registry (perplexity model id); the code calls it")
    own = write(
        tmp_path / "org-registry.yaml",
        "models:\n  - {id: anthropic.claude-sonnet-4, provider: bedrock, status: approved, approvedTiers: [medium]}\n"
        "providerPatterns:\n  - {provider: acme, prefixes: [acme-], names: [falcon]}\n",
    )
    write(root / "src/search.py", 'def ask(client, q):\n    return client.chat(model="falcon", messages=q)\n')
    assert [(f["id"], f["path"], f["line"], f["message"].split(";")[0]) for f in check_json(root, "--registry", str(own))["findings"]] == [
        ("AIGOV-MODEL-010", "src/search.py", 2, "falcon is not in the approved-model registry (acme model id)")]


def test_registry_spelling_that_names_two_models_is_an_error(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")  # an org registry comes from outside the repository
    own = write(
        tmp_path / "org-registry.yaml",
        "models:\n"
        "  - {id: anthropic.claude-sonnet-4, provider: bedrock, status: approved, approvedTiers: [medium], aliases: [sonnet]}\n"
        "  - {id: gpt-4o, provider: openai, status: approved, approvedTiers: [low], aliases: [sonnet]}\n",
    )
    assert_clean_error(run_limited("check", str(root), "--now", CLOCK, "--registry", str(own)), "sonnet names both model")


def test_registry_patterns_are_literal_prefixes_not_regular_expressions(tmp_path: Path) -> None:
    """A prefix is matched as text, so a registry cannot make the scan backtrack; regex syntax is refused."""
    root = make_feature(tmp_path / "repo")  # an org registry comes from outside the repository
    own = write(
        tmp_path / "org-registry.yaml",
        "models:\n  - {id: anthropic.claude-sonnet-4, provider: bedrock, status: approved, approvedTiers: [medium]}\n"
        "providerPatterns:\n  - provider: evil\n    prefixes: ['(a+)+$']\n",
    )
    assert_clean_error(run_limited("check", str(root), "--now", CLOCK, "--registry", str(own)), "org-registry.yaml")


def test_pathological_text_does_not_hang(tmp_path: Path) -> None:
    """Five megabytes of words that start like model ids, in every shape that could make a scan slow.
    Nothing hangs. A file over the 1 MB aigov parses that holds model ids cannot be verified (and
    blocks); one long word holds none (no id starts inside a word), so there is nothing to verify."""
    root = make_feature(tmp_path)
    (root / "src").mkdir()
    (root / "src/one_word.py").write_text("x" + "gpt-4" * 900_000)
    (root / "src/colons.py").write_text("x" + "gpt-4:" * 800_000)
    (root / "src/many.py").write_text("".join(f"gpt-5-{i}\n" for i in range(400_000)))
    result = run_limited("check", str(root), "--now", CLOCK, "--format", "json", timeout=30)
    assert result.exit_code == 1, result.stderr
    found = findings_of(result.stdout, "AIGOV-MODEL-011")
    assert {f["path"] for f in found} == {"src/colons.py", "src/many.py"}
    assert all("too large to parse" in f["message"] or "s of CPU time" in f["message"] for f in found), found
    long_words = [f["message"] for f in findings_of(result.stdout, "AIGOV-MODEL-013") if len(f["message"]) >= 300]
    assert long_words == []


def test_a_file_choosing_among_thousands_of_unknown_models_blocks_as_one_finding(tmp_path: Path) -> None:
    """A 70 KB list of 5,000 unregistered ids would be 5,000 findings: the file cannot be verified
    instead, one finding. A registered model in it is still judged on its own: a banned one cannot
    hide there. (5,000 ids take ~0.2 s of CPU to read, 0.7 s under coverage's tracing: inside the 2 s
    per-file bound; 30,000 took 1.3 s, 2.2 s traced, and the file was then reported unverified twice.)"""
    root = make_feature(tmp_path)
    ids = ", ".join(f'"gpt-5-x{i}"' for i in range(5_000))
    write(root / "src/catalogue.py", f'FALLBACK_MODELS = [{ids}, "unvetted-community-7b"]\n')
    result = run_limited("check", str(root), "--now", CLOCK, "--format", "json", timeout=60)
    assert result.exit_code == 1, result.stderr
    [unverified] = findings_of(result.stdout, "AIGOV-MODEL-011")
    assert unverified["message"] == ("cannot verify which models src/catalogue.py calls: it chooses among 5000 model ids "
                                     "the registry does not know, more than the 1000 aigov reports one by one")
    assert findings_of(result.stdout, "AIGOV-MODEL-010") == []
    [banned] = findings_of(result.stdout, "AIGOV-MODEL-012")
    assert (banned["path"], banned["severity"]) == ("src/catalogue.py", "critical")


# --- a call cannot hide behind a folder name ---------------------------------------------------
#
# Folders named like docs, data or dev tooling are left out only at the top of a project, where a
# build leaves them out; inside a package they are its modules. Wherever they are, code there that
# calls a registered model the tier may not use blocks.

BANNED_CALL = 'def run(client, text):\n    return client.chat(model="unvetted-community-7b", input=text)\n'


def test_calls_nested_in_data_and_scripts_folders_of_a_package_block(tmp_path: Path) -> None:
    """The audit's repro: a banned model in src/myapp/data/ imported by main.py, an unregistered one in
    src/myapp/scripts/; both passed, and `aigov facts` listed no reference."""
    root = make_feature(tmp_path)
    write(root / "src/myapp/__init__.py", "")
    write(root / "src/myapp/data/pipeline.py", BANNED_CALL)
    write(root / "src/myapp/scripts/summarise.py", 'def summarise(client, text):\n    return client.chat(model="grok-4-fast", input=text)\n')
    write(root / "main.py", "from myapp.data.pipeline import run\n")
    result = check(root, "--format", "json")
    assert result.exit_code == 1
    [banned] = findings_of(result.stdout, "AIGOV-MODEL-012")
    assert (banned["path"], banned["line"], banned["severity"]) == ("src/myapp/data/pipeline.py", 2, "critical")
    assert banned["message"].startswith("unvetted-community-7b is banned (licence forbids commercial use); the code calls it")
    [unregistered] = findings_of(result.stdout, "AIGOV-MODEL-010")
    assert (unregistered["path"], unregistered["line"]) == ("src/myapp/scripts/summarise.py", 2)
    facts = json.loads(run_cli("facts", str(root), "--now", CLOCK).stdout)
    assert {(ref["spelled"], ref["how"]) for ref in facts[0]["feature"]["model_references"]} == {
        ("unvetted-community-7b", "call"), ("grok-4-fast", "call")}


@pytest.mark.parametrize("folder", ["data", "scripts", "samples", "output", "docs", "examples", "locales"])
@pytest.mark.parametrize("package", ["src/myapp", "myapp"])
def test_a_folder_named_like_tooling_inside_a_package_is_the_package_s_code(tmp_path: Path, folder: str, package: str) -> None:
    """With or without __init__.py in it (a namespace package imports the same), and whether or not
    the package is itself one (``src/myapp`` has none here)."""
    root = make_feature(tmp_path)
    if package == "myapp":
        write(root / "myapp/__init__.py", "")
    write(root / f"{package}/{folder}/pipeline.py", 'MODEL = "grok-4-fast"\n' + BANNED_CALL)
    assert located(root, "AIGOV-MODEL-012") == [(f"{package}/{folder}/pipeline.py", 3)]
    assert located(root, "AIGOV-MODEL-010") == [(f"{package}/{folder}/pipeline.py", 1)]


def test_dev_scripts_at_the_top_of_a_project_block_only_models_the_tier_may_not_use(tmp_path: Path) -> None:
    """A top-level scripts/ folder, or one at the top of a project in the feature (its own
    package.json), is not shipped: what it calls needs no declaration, an unregistered id there blocks
    nothing, nor a model approved for another tier (gpt-4o-mini: low); but a banned model it calls is
    still critical, and says where it is called. Tests are not judged at all."""
    root = make_feature(tmp_path)
    write(root / "scripts/backfill.py", 'def backfill(client):\n    return client.chat(model="grok-4-fast")\n')
    write(root / "web/package.json", '{"name": "web"}\n')
    write(root / "web/scripts/seed.ts", 'export const seed = () => generateText({ model: openai("gpt-4o-mini") });\n')
    write(root / "web/src/data/models.ts", 'export const models = () => generateText({ model: xai("grok-4-fast") });\n')
    assert located(root, "AIGOV-MODEL-010") == [("web/src/data/models.ts", 1)]
    assert located(root, "AIGOV-MODEL-009") == located(root, "AIGOV-MODEL-012") == []
    write(root / "scripts/eval_old.py", BANNED_CALL)
    write(root / "tests/test_app.py", BANNED_CALL)  # tests do not ship, in a package or not: not judged
    write(root / "myapp/__init__.py", "")
    write(root / "myapp/tests/helpers.py", BANNED_CALL)
    result = check(root, "--format", "json")
    assert result.exit_code == 1
    [banned] = findings_of(result.stdout, "AIGOV-MODEL-012")
    assert (banned["path"], banned["line"], banned["severity"]) == ("scripts/eval_old.py", 2, "critical")
    assert banned["message"] == ("unvetted-community-7b is banned (licence forbids commercial use); code the feature does not ship "
                                 "calls it (scripts/eval_old.py:2); use anthropic.claude-haiku-3-5 instead")


def test_a_dev_script_too_large_to_parse_cannot_hide_a_banned_model(tmp_path: Path) -> None:
    """A dev script past the parse bound, padded with mentions of every registered model before its
    call of a banned one: there a call cannot be told from a mention, so every registered model the
    file names counts, and the banned one blocks (it passed as a mention before)."""
    from aigov.facts.model_calls import MAX_PARSED_BYTES
    from aigov.resources import policies_dir
    from aigov.yamlfile import parse_yaml

    registry = parse_yaml((policies_dir() / "data" / "registry.yaml").read_text(encoding="utf-8"), "registry.yaml").data
    spellings = sorted({m["id"] for m in registry["models"]} | {a for m in registry["models"] for a in m.get("aliases", [])})
    spellings = [name for name in spellings if name != "unvetted-community-7b"]
    padding = "".join(f"# {name}\n" for name in spellings) + "#" * 200 + "\n"
    copies = MAX_PARSED_BYTES // len(padding) + 1
    root = make_feature(tmp_path)
    write(root / "scripts/backfill.py", padding * copies + BANNED_CALL)
    assert ("scripts/backfill.py", padding.count("\n") * copies + 2) in located(root, "AIGOV-MODEL-012")


def test_migrations_are_history_where_only_models_no_feature_may_use_block(tmp_path: Path) -> None:
    """A Django app's migrations live in its package and are never edited: the model a data
    migration once set (khoj-ai/khoj src/khoj/database/migrations/0034_*.py) is not a call of the
    code, but a banned or deprecated model there blocks as anywhere."""
    root = make_feature(tmp_path)
    write(root / "myapp/__init__.py", "")
    write(root / "myapp/migrations/0034_chat_model.py", 'def forwards(option):\n    option.chat_model = "grok-4-fast"\n')
    assert check_json(root)["findings"] == []
    write(root / "myapp/migrations/0035_chat_model.py", 'def forwards(option):\n    option.chat_model = "gpt-3.5-turbo"\n')
    assert located(root, "AIGOV-MODEL-012") == [("myapp/migrations/0035_chat_model.py", 2)]


def test_a_project_manifest_inside_a_package_does_not_make_its_folders_tooling(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    write(root / "myapp/__init__.py", "")
    write(root / "myapp/ui/package.json", '{"name": "ui"}\n')
    write(root / "myapp/ui/scripts/build.py", 'MODEL = "grok-4-fast"\n')
    assert located(root, "AIGOV-MODEL-010") == [("myapp/ui/scripts/build.py", 1)]


# --- files that cannot be checked ---------------------------------------------------------------


def cannot_verify(root: Path, timeout: float = 60, launcher: Sequence[str] = ()) -> list[tuple[str, int | None, str]]:
    result = run_limited("check", str(root), "--now", CLOCK, "--format", "json", timeout=timeout, launcher=launcher)
    assert result.exit_code == 1, (result.stdout[-1000:], result.stderr[-1000:])
    return [(f["path"], f["line"], f["message"]) for f in findings_of(result.stdout, "AIGOV-MODEL-011")]


def test_undecodable_source_cannot_be_verified_at_the_bad_line(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    (root / "src").mkdir()
    (root / "src/legacy.py").write_bytes(b"# ok\nNAME = 'caf\xe9'\nMODEL = 'gpt-5'\n")
    assert cannot_verify(root) == [("src/legacy.py", 2, "cannot verify which models src/legacy.py calls: it is not UTF-8 text")]


def test_utf16_config_cannot_be_verified(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    (root / "config").mkdir()
    (root / "config/llm.json").write_bytes('{"model": "gpt-5"}'.encode("utf-16"))
    [(path, _line, message)] = cannot_verify(root)
    assert path == "config/llm.json" and message.endswith("is not UTF-8 text")


def test_oversized_source_cannot_be_verified(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    (root / "src").mkdir()
    (root / "src/bundle.js").write_bytes(b"// generated\n" + b" " * (5 * 1024 * 1024))
    [(path, line, message)] = cannot_verify(root)
    assert (path, line) == ("src/bundle.js", 1)
    assert "over the 5242880-byte limit" in message


def test_unreadable_source_cannot_be_verified(tmp_path: Path, unprivileged: Sequence[str]) -> None:
    """aigov runs where file modes bind, root included (conftest's unprivileged fixture)."""
    root = make_feature(tmp_path)
    secret = write(root / "src/app.py", 'MODEL = "gpt-5"\n')
    secret.chmod(0)
    assert cannot_verify(root, launcher=unprivileged) == [
        ("src/app.py", 1, "cannot verify which models src/app.py calls: it cannot be read: permission denied")]


@pytest.mark.parametrize("in_git", [False, True])
def test_links_out_of_the_repository_cannot_be_verified(tmp_path: Path, in_git: bool) -> None:
    outside = tmp_path / "outside"
    write(outside / "client.py", 'MODEL = "gpt-5"\n')
    root = make_feature(tmp_path / "repo")
    if in_git:  # git lists a link, file or folder, as one entry
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "src").mkdir()
    (root / "src/client.py").symlink_to(outside / "client.py")
    (root / "src/vendor").symlink_to(outside, target_is_directory=True)
    found = {(path, line) for path, line, _ in cannot_verify(root)}
    assert found == {("src/client.py", 1), ("src/vendor", 1)}


def test_links_inside_the_repository_are_followed_or_judged_where_they_point(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = make_feature(repo / "svc", repo=repo)
    write(repo / "shared/llm.py", 'MODEL = "gpt-5"\n')  # in no feature: judged where it lives
    (root / "src").mkdir()
    (root / "src/llm.py").symlink_to(repo / "shared/llm.py")
    (root / "src/shared").symlink_to(repo / "shared", target_is_directory=True)
    assert located(repo, "AIGOV-MODEL-010") == [("svc/src/llm.py", 1)]
    assert located(repo, "AIGOV-MODEL-011") == []


def test_unreadable_file_that_git_ignores_is_not_judged(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write(root / ".gitignore", "dist/\n")
    (root / "dist").mkdir()
    (root / "dist/bundle.js").write_bytes(b"\xff" * 100)
    (root / "src").mkdir()
    (root / "src/app.js").write_bytes(b"\xff" * 100)
    assert located(root, "AIGOV-MODEL-011") == [("src/app.js", 1)]


def test_dangling_link_cannot_be_verified(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    (root / "src").mkdir()
    (root / "src/models.py").symlink_to(root / "generated/models.py")
    assert cannot_verify(root) == [("src/models.py", 1, "cannot verify which models src/models.py calls: it is a symlink to a file that does not exist")]


@pytest.mark.parametrize("name", ["config/models.yaml", "prompts/system"])
def test_named_pipe_cannot_be_verified_and_does_not_hang(tmp_path: Path, name: str) -> None:
    root = make_feature(tmp_path)
    (root / name).parent.mkdir()
    os.mkfifo(root / name)
    [(path, _line, message)] = cannot_verify(root, timeout=30)
    assert path == name and "not a regular file" in message


def test_binary_files_in_the_prompts_folder_are_skipped(tmp_path: Path) -> None:
    """By suffix (an image for a multimodal prompt) or, without a text suffix, by a NUL byte."""
    root = make_feature(tmp_path)
    (root / "prompts").mkdir()
    (root / "prompts/diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe gpt-5")
    (root / "prompts/embedding.vec").write_bytes(b"\x00\x01\xff\xfe" * 100)
    write(root / "prompts/answer.prompt", "Answer briefly.\n")
    assert check_json(root)["findings"] == []


def test_nul_byte_does_not_hide_a_source_file(tmp_path: Path) -> None:
    """JavaScript runs around a NUL byte in a comment; the file is still scanned."""
    root = make_feature(tmp_path)
    (root / "src").mkdir()
    (root / "src/app.js").write_bytes(b"// \x00\nconst model = 'gpt-4o';\n")
    assert located(root, "AIGOV-MODEL-009") == [("src/app.js", 2)]


def test_byte_order_mark_in_source_is_read(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    (root / "src").mkdir()
    (root / "src/app.py").write_bytes(b"\xef\xbb\xbfMODEL = 'gpt-4o'\n")
    assert located(root, "AIGOV-MODEL-009") == [("src/app.py", 1)]
    assert located(root, "AIGOV-MODEL-011") == []


# --- model card -------------------------------------------------------------------------------


def test_model_card_with_byte_order_mark_passes(feature: Path) -> None:
    card = feature / "MODEL_CARD.md"
    card.write_bytes(b"\xef\xbb\xbf" + card.read_bytes())
    result = check(feature)
    assert result.exit_code == 0, result.stdout
    assert check_json(feature)["findings"] == []


def test_model_card_may_name_the_declared_model_by_a_provider_spelling(tmp_path: Path) -> None:
    root = make_feature(tmp_path)  # declares anthropic.claude-sonnet-4
    card = MODEL_CARD.format(name="support-summarize", model="anthropic.claude-sonnet-4-20250514-v1:0")
    write(root / "MODEL_CARD.md", card)
    assert check_json(root)["findings"] == []
    write(root / "MODEL_CARD.md", card.replace("anthropic.claude-sonnet-4-20250514-v1:0", "claude-opus-4-1"))
    assert located(root, "AIGOV-CARD-004") == [("MODEL_CARD.md", 2)]


@pytest.mark.parametrize(
    ("reviewed", "blocks"),
    [("2026-11-25", True), ("2099-01-01", True), ("2026-11-24", False), ("2026-11-23", False)],
)
def test_model_card_reviewed_in_the_future_blocks(tmp_path: Path, reviewed: str, blocks: bool) -> None:
    """The clock is 2026-11-23T12:00Z: the 24th is already today east of UTC+12, the 25th is nowhere yet."""
    root = make_feature(tmp_path)
    card = MODEL_CARD.format(name="support-summarize", model="anthropic.claude-sonnet-4")
    write(root / "MODEL_CARD.md", card.replace("last_reviewed: 2026-10-01", f"last_reviewed: {reviewed}"))
    result = check(root, "--format", "json")
    found = [(f["path"], f["line"], f["severity"]) for f in findings_of(result.stdout, "AIGOV-CARD-006")]
    assert found == ([("MODEL_CARD.md", 4, "high")] if blocks else [])
    assert result.exit_code == (1 if blocks else 0)
