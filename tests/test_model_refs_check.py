"""`aigov check` on small repositories of each shape real applications have (a Python app, a TypeScript
app, notebooks, a monorepo): the exact blocking findings the model rules give, one per model.

Each repository is our own few files reproducing patterns of the real applications in
benchmarks/real_repos (named in comments); the real CLI, the real collectors and the real Rego pack
judge them with the shipped registry.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import check_json, make_feature, write


def blocking(root: Path) -> list[tuple[str, str, int, str]]:
    """(rule, path, line, message) of every blocking model finding, in report order."""
    return [(f["id"], f["path"], f["line"], f["message"]) for f in check_json(root)["findings"]
            if f["blocking"] and f["id"].startswith("AIGOV-MODEL")]


def listed(root: Path) -> list[tuple[str, str, int]]:
    """(rule, path, line) of the non-blocking model findings: what is only named, never called."""
    return [(f["id"], f["path"], f["line"]) for f in check_json(root)["findings"]
            if not f["blocking"] and f["id"].startswith("AIGOV-MODEL")]


def test_python_app(tmp_path: Path) -> None:
    root = make_feature(tmp_path)  # medium tier, declares anthropic.claude-sonnet-4 through Bedrock
    # Pattern: assafelovic/gpt-researcher gpt_researcher/config/ (env-var defaults) read by the LLM module.
    write(root / "app/settings.py", 'import os\n\nSMART_LLM = os.getenv("SMART_LLM", "gpt-4o")\nEMBEDDING = "text-embedding-3-small"\n')
    write(root / "app/llm.py", (
        "from app import settings\n\n"
        "# claude-3-opus-20240229 was tried first: too slow\n"
        "def answer(client, q):\n"
        "    return client.chat.completions.create(model=settings.SMART_LLM, messages=[q])\n\n"
        "def embed(client, texts):\n"
        '    return client.embeddings.create(model="text-embedding-3-small", input=texts)\n'))
    # Pattern: Cinnamon/kotaemon libs/kotaemon/kotaemon/rerankings/cohere.py (a reranker's model= default).
    write(root / "app/rerank.py", 'def rerank(co, docs, model_name: str = "rerank-v3.5"):\n    return co.rerank(model=model_name, documents=docs)\n')
    write(root / "app/summarise.py",
          'MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"\n')
    # Tests and docs name models they do not ship.
    write(root / "tests/test_llm.py", 'def test_answer():\n    assert run(model="gpt-5-mini")\n')
    write(root / "docs/models.md", "We compared gpt-4.1 and claude-3-opus-20240229.\n")
    assert blocking(root) == [
        ("AIGOV-MODEL-009", "app/llm.py", 8,
         "text-embedding-3-small is called but not declared in aigov.yaml (app/llm.py:8, app/settings.py:4)"),
        ("AIGOV-MODEL-010", "app/rerank.py", 1,
         "rerank-v3.5 is not in the approved-model registry (cohere model id); the code calls it (app/rerank.py:1)"),
        ("AIGOV-MODEL-009", "app/settings.py", 3, "gpt-4o is called but not declared in aigov.yaml (app/settings.py:3)"),
    ]
    assert listed(root) == [("AIGOV-MODEL-013", "app/llm.py", 3)]  # the comment


def test_typescript_app(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    # Pattern: vercel/ai-chatbot lib/ai/models.ts and lib/ai/providers.ts (a catalogue of gateway ids).
    write(root / "lib/ai/models.ts", (
        "export const chatModels: ChatModel[] = [\n"
        '  { id: "anthropic/claude-sonnet-4", name: "Claude Sonnet 4" },\n'
        '  { id: "xai/grok-4-fast", name: "Grok 4 Fast" },\n'
        "];\n"))
    write(root / "lib/ai/providers.ts", 'export const titleModel = gateway.languageModel("openai/gpt-4o-mini");\n')
    # Pattern: the AI SDK's streamText({ model: openai("...") }) in a route handler.
    write(root / "app/api/chat/route.ts", 'const result = streamText({ model: openai("gpt-3.5-turbo"), messages });\n')
    write(root / "tests/e2e/chat.test.ts", 'test("chat", () => pick("gpt-5"));\n')
    assert blocking(root) == [
        ("AIGOV-MODEL-012", "app/api/chat/route.ts", 1,
         "gpt-3.5-turbo is past its sunset (2026-09-30); the code calls it (app/api/chat/route.ts:1); "
         "use one approved for medium tier: anthropic.claude-haiku-3-5, anthropic.claude-sonnet-4, gpt-4o"),
        ("AIGOV-MODEL-012", "lib/ai/providers.ts", 1,
         "openai/gpt-4o-mini (gpt-4o-mini in the registry) is approved for tiers [low], not for medium; "
         "the code calls it (lib/ai/providers.ts:1); use one approved for medium tier: anthropic.claude-haiku-3-5, "
         "anthropic.claude-sonnet-4, gpt-4o"),  # chat models, as the one called: no embedding model
        ("AIGOV-MODEL-010", "lib/ai/models.ts", 3,
         "xai/grok-4-fast is not in the approved-model registry (xai model id); the code calls it (lib/ai/models.ts:3)"),
    ]


def test_notebooks(tmp_path: Path) -> None:
    root = make_feature(tmp_path)
    # Pattern: anthropics/courses tool_use/*.ipynb (MODEL_NAME in one code cell, model=MODEL_NAME in a later
    # one, model names in markdown and in outputs).
    notebook = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Tools\n", "We compare with gpt-4o here.\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["import anthropic\n", 'MODEL_NAME = "claude-3-5-haiku-20241022"\n']},
        {"cell_type": "code", "metadata": {}, "execution_count": 2,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["routed to unvetted-community-7b\n"]}],
         "source": ["response = client.messages.create(\n", "    model=MODEL_NAME,\n", "    messages=messages)\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(notebook, indent=1)
    write(root / "notebooks/tools.ipynb", text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "MODEL_NAME = " in row)
    assert blocking(root) == [
        ("AIGOV-MODEL-009", "notebooks/tools.ipynb", line, "claude-3-5-haiku-20241022 (anthropic.claude-haiku-3-5 in the "
         f"registry) is called but not declared in aigov.yaml (notebooks/tools.ipynb:{line})"),
    ]
    markdown = next(i for i, row in enumerate(text.splitlines(), 1) if "gpt-4o here" in row)
    assert listed(root) == [("AIGOV-MODEL-013", "notebooks/tools.ipynb", markdown)]  # the output is not read


def test_monorepo(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    # services/search declares a router spelling of the model its code calls bare; services/triage is medium
    # tier and calls a model approved for low tier only (declared, so the manifest says so too).
    search = make_feature(repo / "services/search", name="search", tier="low", model="openrouter/openai/gpt-4o-mini",
                          provider="openai", repo=repo)
    triage = make_feature(repo / "services/triage", name="triage", tier="medium", model="gpt-4o-mini", provider="openai",
                          repo=repo)
    write(search / "search/llm.py", 'def ask(client, q):\n    return client.responses.create(model="gpt-4o-mini", input=q)\n')
    write(triage / "triage/llm.py", 'DEFAULT_MODEL = "gpt-4o-mini"\n')
    # Pattern: a shared library outside every feature (khoj-ai/khoj's src/ beside its apps): no feature's files.
    write(repo / "libs/common/llm.py", 'MODEL = "unvetted-community-7b"\n')
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    found = [(f["feature"], f["id"], f["path"], f["line"]) for f in check_json(repo)["findings"] if f["blocking"]]
    assert found == [
        ("triage", "AIGOV-MODEL-012", "services/triage/triage/llm.py", 1),
        ("triage", "AIGOV-MODEL-005", "services/triage/aigov.yaml", 10),
    ]


def test_a_banned_model_called_beside_a_waived_catalogue_still_blocks(tmp_path: Path) -> None:
    """Issue 16's case: after 20 unregistered ids the old scanner stopped reading a file, so with the
    catalogue's findings waived a banned model called below it passed. Now every call is read, and a
    model the code may not use is critical: no waiver covers it."""
    from waiver_helpers import commit_all, git, merged_waiver

    root = make_feature(tmp_path / "repo")
    catalogue = "".join(f'    "gpt-5-catalogue-{i}",\n' for i in range(21))
    write(root / "src/catalogue.py", f"FALLBACK_MODELS = [\n{catalogue}]\n"
          'reply = client.chat.completions.create(model="unvetted-community-7b", messages=[])\n')
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    waiver = ("  - rule: {rule}\n    feature: support-summarize\n    path: src/catalogue.py\n    reason: trial of the catalogue\n"
              "    ticket: GOV-17\n    approver: alice\n    created: 2026-11-20\n    expires: 2026-12-20\n")
    merged_waiver(root, "waivers:\n" + waiver.format(rule="AIGOV-MODEL-010") + waiver.format(rule="AIGOV-MODEL-012"))
    doc = check_json(root)
    catalogued = [f for f in doc["findings"] if f["id"] == "AIGOV-MODEL-010"]
    assert len(catalogued) == 21 and all(f["waived"] for f in catalogued)
    [banned] = [f for f in doc["findings"] if f["id"] == "AIGOV-MODEL-012"]
    assert (banned["path"], banned["line"], banned["severity"], banned["waived"]) == ("src/catalogue.py", 24, "critical", False)
    [refused] = [f for f in doc["findings"] if f["id"] == "AIGOV-WAIVER-005"]
    assert refused["message"] == "waiver for AIGOV-MODEL-012 (GOV-17): AIGOV-MODEL-012 cannot be waived (its METADATA says waivable: false)"
    assert doc["verdict"] == "fail"


def test_a_large_monorepo_scanned_by_two_processes_gives_the_facts_of_one(tmp_path: Path, monkeypatch) -> None:
    """A repository with many files has about half its features' code scanned by a second child
    (a CI runner has two cores). Each feature's facts and what they were read from are those a
    single process reads, and a call in a feature scanned apart blocks as it would anywhere."""
    from aigov.check.collect import collect_inputs
    from aigov.check.options import CheckOptions
    from aigov.facts import build

    repo = tmp_path / "mono"
    for number, model in enumerate(["unvetted-community-7b", "gpt-4o-mini", "grok-4-fast"]):
        feature = make_feature(repo / f"services/s{number}", name=f"s{number}", tier="low", model="gpt-4o-mini", provider="openai", repo=repo)
        for module in range(200 * (number + 1)):  # three features of different sizes
            write(feature / f"pkg/m{module}.py", f"def f{module}():\n    return {module}\n")
        write(feature / "pkg/llm.py", f'def ask(client, q):\n    return client.responses.create(model="{model}", input=q)\n')
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)

    def facts() -> tuple[str, dict]:
        collected = collect_inputs(repo, CheckOptions(now="2026-12-01T00:00:00Z"))
        try:
            reads = {folder: (sorted(r.paths), sorted(r.folders)) for folder, r in collected.reads.items()}
            return json.dumps(collected.inputs, sort_keys=True), reads
        finally:
            collected.close()

    apart = build._scanned_apart
    shared: list[list[int]] = []
    monkeypatch.setattr(build, "_scanned_apart", lambda locations: shared.append(apart(locations)) or shared[-1])
    two = facts()
    assert shared == [[0, 1]]  # s0 and s1 (200 + 400 files) apart, s2 (600) here
    monkeypatch.setattr(build, "_scanned_apart", lambda locations: [])
    assert facts() == two
    monkeypatch.undo()
    found = {(f["feature"], f["id"], f["path"]) for f in check_json(repo)["findings"] if f["blocking"] and f["id"].startswith("AIGOV-MODEL")}
    assert ("s0", "AIGOV-MODEL-012", "services/s0/pkg/llm.py") in found
    assert ("s2", "AIGOV-MODEL-010", "services/s2/pkg/llm.py") in found
    assert not any(feature == "s1" for feature, _, _ in found), found
