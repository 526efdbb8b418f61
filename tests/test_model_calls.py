"""The call-site model finder (facts/model_calls.py) on small files written for each pattern.

Every fixture is our own few lines reproducing a pattern seen in a real application; the comment
above it names the repository and path that showed it. The registry is the shipped one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aigov.facts.model_calls import (
    ASIDE,
    CALL,
    CONFIG,
    MAX_PARSED_BYTES,
    MENTION,
    NOT_SHIPPED,
    SHIPPED,
    FileReferences,
    Reference,
    find_model_references,
    model_index,
    placement,
    project_tops,
    split_prefixes,
)
from aigov.resources import policies_dir
from aigov.yamlfile import parse_yaml
from conftest import REPO_ROOT


@pytest.fixture(scope="module")
def index():
    registry = parse_yaml((policies_dir() / "data" / "registry.yaml").read_text(encoding="utf-8"), "registry.yaml").data
    return model_index(registry)


def refs(index, path: str, text: str) -> list[tuple[str, int, str]]:
    return [(ref.spelled, ref.line, ref.how) for ref in find_model_references(path, text, index).references]


def only(index, path: str, text: str, spelled: str) -> Reference:
    [ref] = [ref for ref in find_model_references(path, text, index).references if ref.spelled == spelled]
    return ref


# --- Python ---------------------------------------------------------------------------------------


def test_python_keyword_argument_is_a_call_and_comments_and_docstrings_are_mentions(index) -> None:
    # Pattern: anthropics/courses real_world_prompting/*.ipynb (messages.create(model=...)), with prose around it.
    source = (
        'def summarise(client, text):\n'
        '    """Uses gpt-4o-mini for speed."""\n'
        '    # claude-3-opus-20240229 was too slow\n'
        '    return client.messages.create(model="claude-3-haiku-20240307", messages=[text])\n'
    )
    assert refs(index, "app/summarise.py", source) == [
        ("gpt-4o-mini", 2, MENTION),
        ("claude-3-opus-20240229", 3, MENTION),
        ("claude-3-haiku-20240307", 4, CALL),
    ]


def test_module_constant_flows_into_the_call_and_env_default_is_config(index) -> None:
    # Patterns: assafelovic/gpt-researcher backend/report_type/deep_research/example.py (GPT4_MODEL -> model=),
    # gpt_researcher/memory/embeddings.py (os.environ.get("OPENAI_EMBEDDING_MODEL", ...)).
    source = (
        'import os\n'
        'FAST = "o3-mini"\n'
        'EMBEDDING = os.environ.get("OPENAI_EMBEDDING_MODEL", "text-embedding-3-small")\n'
        'def ask(llm, q):\n'
        '    return llm(q, model=FAST)\n'
    )
    assert refs(index, "agent/run.py", source) == [
        ("o3-mini", 2, CALL),
        ("text-embedding-3-small", 3, CONFIG),
    ]


def test_init_chat_model_provider_prefix_is_split(index) -> None:
    # Pattern: langchain-ai/chat-langchain agent.py and src/agent/config.py (init_chat_model "provider:model").
    ref = only(index, "agent.py", 'llm = init_chat_model("anthropic:claude-haiku-4-5-20251001")\n',
               "anthropic:claude-haiku-4-5-20251001")
    assert (ref.how, ref.provider, ref.bare, ref.registered) == (CALL, "anthropic", "claude-haiku-4-5-20251001", False)


@pytest.mark.parametrize(
    ("source", "spelled", "provider"),
    [
        pytest.param('resp = client.chat.completions.create(model="sonar-pro", messages=messages)\n', "sonar-pro", "perplexity",
                     id="perplexity"),
        pytest.param('result = vo.embed(texts, model="voyage-3-large", input_type="document")\n', "voyage-3-large", "voyage",
                     id="voyage"),
        pytest.param('options = PrerecordedOptions(model="nova-3", smart_format=True)\n', "nova-3", "deepgram", id="deepgram"),
        pytest.param('vectors = co.embed(texts=texts, model="embed-english-v3.0", input_type="search_document")\n',
                     "embed-english-v3.0", "cohere", id="cohere-embed"),
        pytest.param('ranked = co.rerank(query=q, documents=docs, model="rerank-english-v3.0", top_n=5)\n', "rerank-english-v3.0",
                     "cohere", id="cohere-rerank"),
        pytest.param('encoder = SentenceTransformer("BAAI/bge-small-en-v1.5")\n', "BAAI/bge-small-en-v1.5", "huggingface", id="bge"),
        pytest.param('embeddings = HuggingFaceEmbeddings(model_name="sentence-transformers/all-MiniLM-L6-v2")\n',
                     "sentence-transformers/all-MiniLM-L6-v2", "huggingface", id="sentence-transformers"),
        # Bare ids without a digit or a separator, which the registry's providerPatterns name exactly.
        pytest.param('resp = client.chat.completions.create(model="sonar", messages=messages)\n', "sonar", "perplexity",
                     id="perplexity-bare"),
        # Pattern: pinecone-io/canopy src/canopy/llm/cohere.py (model_name: str = "command").
        pytest.param('def __init__(self, model_name: str = "command"):\n    self.model_name = model_name\n', "command", "cohere",
                     id="cohere-bare"),
    ],
)
def test_provider_families_of_the_shipped_registry_are_found_at_a_call(index, source: str, spelled: str, provider: str) -> None:
    ref = only(index, "app/llm.py", source, spelled)
    assert (ref.how, ref.provider, ref.registered) == (CALL, provider, False)


def test_a_bare_provider_name_is_a_model_only_where_a_model_goes(index) -> None:
    """"sonar" and "command" are words too: in a comment, a config value of another key or an argument
    of another name they are no model, nor in a mention."""
    source = ('# sonar scans this file\nTOOLS = {"type": "command"}\nrun(mode="command")\nanalyzer = "sonar"\n'
              'resp = client.chat(model="command", input=text)\n')
    assert refs(index, "app/tools.py", source) == [("command", 5, CALL)]
    assert refs(index, "config.yaml", "shell:\n  type: command\nllm:\n  model: sonar\n") == [("sonar", 4, CONFIG)]


def test_router_id_resolves_to_the_registered_model(index) -> None:
    # Pattern: OpenInterpreter/open-interpreter profiles (LiteLLM ids "groq/...", "bedrock/...").
    ref = only(index, "profile.py", 'interpreter.llm.model = "openrouter/anthropic/claude-sonnet-4"\n',
               "openrouter/anthropic/claude-sonnet-4")
    assert (ref.how, ref.router, ref.provider, ref.model, ref.registered) == (
        CALL, "openrouter", "anthropic", "anthropic.claude-sonnet-4", True)
    assert split_prefixes("anthropic:messages:claude-3-haiku-20240307") == (None, "anthropic", "claude-3-haiku-20240307")
    assert split_prefixes("accounts/fireworks/models/llama-v3p3-70b-instruct") == ("fireworks", None, "llama-v3p3-70b-instruct")


def test_price_tables_and_capability_lists_are_mentions_and_default_lists_are_config(index) -> None:
    # Patterns: khoj-ai/khoj src/khoj/utils/constants.py (default_*_chat_models, a price table),
    # assafelovic/gpt-researcher gpt_researcher/llm_provider/generic/base.py (reasoning-model sets).
    source = (
        'default_openai_chat_models = ["gpt-4o-mini", "o4-mini"]\n'
        'REASONING_MODELS = ["o3", "o1-mini"]\n'
        'model_to_cost = {"gpt-4.1": {"input": 2.0}}\n'
    )
    assert refs(index, "utils/constants.py", source) == [
        ("gpt-4o-mini", 1, CONFIG), ("o4-mini", 1, CONFIG),
        ("o1-mini", 2, MENTION),  # a bare "o3" matches no provider pattern (it would in every base64 blob)
        ("gpt-4.1", 3, MENTION),
    ]


def test_database_models_and_tokenizers_are_not_model_calls(index) -> None:
    # Patterns: khoj-ai/khoj src/khoj/database/migrations/ (model_name="agent"),
    # pinecone-io/canopy src/canopy/tokenizer/openai.py (a tokenizer's model_name default).
    source = (
        'ops = [migrations.AlterField(model_name="agent", name="style")]\n'
        'class OpenAITokenizer:\n'
        '    def __init__(self, model_name: str = "gpt-3.5-turbo"):\n'
        '        pass\n'
    )
    assert refs(index, "app/migrate.py", source) == [("gpt-3.5-turbo", 3, MENTION)]


def test_an_id_after_a_hundred_id_catalogue_is_still_found_as_a_call(index) -> None:
    # Issue 16: after 20 unregistered ids today's scanner stopped reading the file, hiding this call.
    catalogue = "".join(f'    "gpt-4o-catalogue-{i}": {{"input": {i}}},\n' for i in range(100))
    source = f"PRICES = {{\n{catalogue}}}\nclient.chat.completions.create(model=\"unvetted-community-7b\")\n"
    result = find_model_references("app/llm.py", source, index)
    [call] = [ref for ref in result.references if ref.how == CALL]
    assert (call.spelled, call.line, call.model, call.registered) == ("unvetted-community-7b", 103, "unvetted-community-7b", True)
    assert sum(ref.how == MENTION for ref in result.references) == 100
    assert result.complete


# --- JavaScript / TypeScript ----------------------------------------------------------------------


def test_vercel_ai_sdk_and_gateway_calls(index) -> None:
    # Patterns: vercel/ai-chatbot lib/ai/providers.ts (gateway.languageModel("provider/model")) and the AI SDK's
    # streamText({ model: openai("gpt-4o") }).
    source = (
        'import { openai } from "@ai-sdk/openai";\n'
        'const title = gateway.languageModel("xai/grok-4-fast");\n'
        'const result = streamText({ model: openai("gpt-4o"), prompt });\n'
        'const fallback = process.env.CHAT_MODEL ?? "gpt-4o-mini";\n'
    )
    assert refs(index, "lib/ai/providers.ts", source) == [
        ("xai/grok-4-fast", 2, CALL),
        ("gpt-4o", 3, CALL),
        ("gpt-4o-mini", 4, CONFIG),
    ]
    assert only(index, "lib/ai/providers.ts", source, "xai/grok-4-fast").provider == "xai"


def test_model_catalogue_entries_are_config(index) -> None:
    # Pattern: langchain-ai/open-canvas packages/shared/src/models.ts (name: of each selectable model) and
    # vercel/ai-chatbot lib/ai/models.ts (id: "provider/model").
    source = (
        'const FIREWORKS_MODELS = [\n'
        '  { name: "accounts/fireworks/models/llama-v3p3-70b-instruct", label: "Llama 3.3" },\n'
        '];\n'
        'export const chatModels = [{ id: "anthropic/claude-haiku-4.5", name: "Claude Haiku 4.5" }];\n'
        'const team = { name: "platform-2" };\n'
    )
    assert refs(index, "packages/shared/src/models.tsx", source) == [
        ("accounts/fireworks/models/llama-v3p3-70b-instruct", 2, CONFIG),
        ("anthropic/claude-haiku-4.5", 4, CONFIG),
    ]


def test_typescript_constructor_option(index) -> None:
    # Pattern: langchain-ai/open-canvas apps/agents/src/reflection/index.ts (new ChatAnthropic({ model })).
    assert refs(index, "src/reflect.ts", 'const m = new ChatAnthropic({ model: "claude-3-5-sonnet-latest" });\n') == [
        ("claude-3-5-sonnet-latest", 1, CALL)]


# --- Notebooks ------------------------------------------------------------------------------------


def test_notebook_code_cells_are_code_markdown_is_a_mention_and_outputs_are_not_read(index) -> None:
    # Pattern: anthropics/courses tool_use/*.ipynb (MODEL_NAME in a code cell, model names in markdown and outputs).
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["We compare claude-3-opus-20240229 here.\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1,
             "source": ["import anthropic\n", "MODEL_NAME = \"claude-3-haiku-20240307\"\n"],
             "outputs": [{"output_type": "stream", "name": "stdout", "text": ["answered by claude-3-5-sonnet-20240620\n"]}]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    text = json.dumps(notebook, indent=1)
    found = refs(index, "lessons/tools.ipynb", text)
    code_line = next(i for i, line in enumerate(text.splitlines(), 1) if "MODEL_NAME" in line)
    assert ("claude-3-haiku-20240307", code_line, CONFIG) in found
    # What a run printed (the output naming claude-3-5-sonnet) calls nothing and is not read.
    assert {(spelled, how) for spelled, _, how in found if spelled != "claude-3-haiku-20240307"} == {
        ("claude-3-opus-20240229", MENTION)}


# --- Config files ---------------------------------------------------------------------------------


def test_promptfoo_providers_are_config(index) -> None:
    # Pattern: anthropics/courses prompt_evaluations/*/promptfooconfig.yaml.
    source = (
        "providers:\n"
        "  - anthropic:messages:claude-3-haiku-20240307\n"
        "  - id: openai:gpt-4o-mini\n"
        "defaultTest:\n"
        "  options:\n"
        "    provider: anthropic:messages:claude-3-opus-20240229\n"
        "description: compare to gpt-4o\n"
    )
    assert refs(index, "evals/promptfooconfig.yaml", source) == [
        ("anthropic:messages:claude-3-haiku-20240307", 2, CONFIG),
        ("openai:gpt-4o-mini", 3, CONFIG),
        ("anthropic:messages:claude-3-opus-20240229", 6, CONFIG),
        ("gpt-4o", 7, MENTION),
    ]


def test_yaml_catalogue_toml_and_json_config(index) -> None:
    # Patterns: arc53/DocsGPT application/core/models/*.yaml (models: - id:), assafelovic/gpt-researcher
    # multi_agents/task.json ("model"), a pyproject-style TOML tool table.
    assert refs(index, "app/models/groq.yaml", "provider: groq\nmodels:\n  - id: llama-3.3-70b-versatile\n"
                "    display_name: Llama\n") == [("llama-3.3-70b-versatile", 3, CONFIG)]
    assert refs(index, "agents/task.json", '{"query": "q", "model": "gpt-5.4"}\n') == [("gpt-5.4", 1, CONFIG)]
    assert refs(index, "config/app.toml", '[llm]\nmodel = "mistral-large-latest"\n') == [("mistral-large-latest", 2, CONFIG)]


def test_compose_defaults_and_env_example_are_config(index) -> None:
    # Patterns: assafelovic/gpt-researcher docker-compose.yml (${IMAGE_GENERATION_MODEL:-...}),
    # Cinnamon/kotaemon .env.example (LOCAL_MODEL=qwen2.5:7b).
    compose = "services:\n  app:\n    environment:\n      LLM: ${CHAT_MODEL:-gemini-2.0-flash}\n"
    assert refs(index, "docker-compose.yml", compose) == [("gemini-2.0-flash", 4, CONFIG)]
    env = "OPENAI_API_KEY=<your key>\nLOCAL_MODEL=qwen2.5:7b\n# OTHER_MODEL=gpt-4o\n"
    assert refs(index, ".env.example", env) == [("qwen2.5:7b", 2, CONFIG), ("gpt-4o", 3, MENTION)]


def test_yaml_template_with_example_suffix_is_read_as_yaml(index) -> None:
    # Pattern: Cinnamon/kotaemon settings.yaml.example (GraphRAG settings the app copies).
    assert refs(index, "settings.yaml.example", "llm:\n  model: qwen2\n  api_key: x\n") == [("qwen2", 2, CONFIG)]


def test_tests_docs_and_data_only_mention(index) -> None:
    # Patterns: arc53/DocsGPT tests/ (model_id="gpt-4"), assafelovic/gpt-researcher benchmark result dumps.
    assert refs(index, "tests/test_agent.py", 'agent = Agent(model_id="gpt-4")\n') == [("gpt-4", 1, MENTION)]
    assert refs(index, "deep_agents/benchmark_results/run.json", '{"model": "openai:gpt-5.4"}\n') == [
        ("openai:gpt-5.4", 1, MENTION)]
    assert refs(index, "README.md", "Set `model: gpt-4o`.\n") == [("gpt-4o", 1, MENTION)]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        # A package's modules, whatever their folder is called.
        ("interpreter/core/computer/docs/docs.py", SHIPPED),  # OpenInterpreter/open-interpreter
        ("private_gpt/components/migrations/runner.py", ASIDE),  # zylon-ai/private-gpt: a migrations folder is history
        ("frontend/src/locale/i18n.ts", SHIPPED),  # arc53/DocsGPT
        ("packages/evals/src/data/codegen.ts", SHIPPED),  # langchain-ai/open-canvas
        # Beside the code at the top of a project: the feature's, or one with its own package.json.
        ("scripts/ingest.py", ASIDE),
        ("apps/agents/scripts/check-dev-server.ts", ASIDE),  # langchain-ai/open-canvas
        ("docs/snippets/quickstart.ipynb", ASIDE),
        # Not code in such a folder, wherever it is; tests wherever they are.
        ("frontend/src/locale/de.json", NOT_SHIPPED),  # arc53/DocsGPT
        ("application/core/models/examples/mistral.yaml.example", NOT_SHIPPED),  # arc53/DocsGPT
        ("scripts/config.yaml", NOT_SHIPPED),
        ("myapp/tests/helpers.py", NOT_SHIPPED),
    ],
)
def test_where_a_file_is_by_its_folder_and_the_project_around_it(path: str, where: str) -> None:
    files = ["apps/agents/package.json", "packages/evals/package.json", "interpreter/__init__.py", "myapp/__init__.py",
             "interpreter/core/computer/docs/package.json", "frontend/package.json"]
    assert placement(path, project_tops(files)) == where


def test_a_package_is_no_project_top_and_nothing_inside_it_is() -> None:
    assert project_tops(["web/package.json", "app/__init__.py", "app/ui/package.json", "lib/pyproject.toml"]) == {"", "web", "lib"}
    assert project_tops(["__init__.py", "web/package.json"]) == set()  # the feature's folder is itself a package


# --- Patterns of the real applications that made false blocking findings -------------------------


def test_a_display_name_beside_the_file_or_id_it_names_is_no_model(index) -> None:
    # Pattern: OpenInterpreter/open-interpreter interpreter/terminal_interface/local_setup.py (a menu of
    # llamafiles: "name" is shown, "file_name" is downloaded and run).
    source = (
        'model_list = [\n'
        '    {"name": "Phi-9-mini", "file_name": "phi-9-mini.Q4.llamafile", "size": 2.4},\n'
        '    {"name": "Acme-13B", "url": "https://example.com/acme-13b.llamafile"},\n'
        ']\n'
        'fallback_models = [{"name": "acme-chat-7b"}]\n'
    )
    assert refs(index, "app/local_setup.py", source) == [("acme-chat-7b", 5, CONFIG)]


def test_a_placeholder_default_is_no_model(index) -> None:
    # Pattern: OpenInterpreter/open-interpreter interpreter/core/async_core.py (an OpenAI-compatible
    # request schema whose model field defaults to a placeholder the server ignores).
    source = 'class CompletionRequest(BaseModel):\n    model: str = "default-model"\n    llm: str = "acme-llm-7b"\n'
    assert refs(index, "app/server.py", source) == [("acme-llm-7b", 3, CALL)]


def test_the_model_an_api_response_names_is_no_call(index) -> None:
    # Pattern: OpenInterpreter/open-interpreter interpreter/core/async_core.py (the chunks its
    # OpenAI-compatible endpoint streams back name the server as their model).
    source = (
        'def chunk(i, text):\n'
        '    return {"id": i, "object": "chat.completion.chunk", "model": "acme-server-1", "choices": [text]}\n'
        'def ask(client):\n'
        '    return client.create(**{"model": "acme-chat-7b", "messages": []})\n'
    )
    assert refs(index, "app/server.py", source) == [("acme-chat-7b", 4, CONFIG)]


def test_a_table_read_only_at_constant_keys_chooses_only_those_entries(index) -> None:
    # Patterns: OpenInterpreter/open-interpreter interpreter/computer_use/loop.py (read only at
    # [APIProvider.ANTHROPIC]) and anthropics/anthropic-quickstarts computer-use-demo/computer_use_demo/streamlit.py
    # (read at the provider the user picks: every entry can be chosen).
    table = (
        'PROVIDER_TO_DEFAULT_MODEL_NAME: dict[APIProvider, str] = {\n'
        '    APIProvider.ANTHROPIC: "claude-3-5-sonnet-20241022",\n'
        '    APIProvider.BEDROCK: "anthropic.claude-3-5-sonnet-20241022-v2:0",\n'
        '}\n'
    )
    constant = table + 'def main():\n    model = PROVIDER_TO_DEFAULT_MODEL_NAME[APIProvider.ANTHROPIC]\n'
    assert [(spelled, how) for spelled, _, how in refs(index, "app/loop.py", constant)] == [
        ("claude-3-5-sonnet-20241022", CONFIG), ("anthropic.claude-3-5-sonnet-20241022-v2:0", MENTION)]
    chosen = table + 'def main(provider):\n    model = PROVIDER_TO_DEFAULT_MODEL_NAME[provider]\n'
    assert [how for _, _, how in refs(index, "app/loop.py", chosen)] == [CONFIG, CONFIG]


def test_examples_are_not_the_application(index) -> None:
    # Pattern: arc53/DocsGPT application/core/models/examples/mistral.yaml.example (a catalogue to copy,
    # "NOT loaded by the registry").
    catalogue = "models:\n  - id: mistral-large-latest\n"
    assert refs(index, "app/models/examples/mistral.yaml.example", catalogue) == [("mistral-large-latest", 2, MENTION)]
    assert refs(index, "app/models/mistral.yaml", catalogue) == [("mistral-large-latest", 2, CONFIG)]


def test_a_constant_or_config_value_that_is_wholly_a_known_id_is_config(index) -> None:
    # A model cannot hide in a constant that is not named like one: FALLBACK = "gpt-4o" configures a model.
    assert refs(index, "app/llm.py", 'FALLBACK = "gpt-4o"\nSTREAMING_MODELS = ["gpt-4o-mini"]\n') == [
        ("gpt-4o", 1, CONFIG), ("gpt-4o-mini", 2, MENTION)]
    assert refs(index, "config.yml", "fallback: gpt-4o\ndeprecated: [gpt-3.5-turbo]\n") == [
        ("gpt-4o", 1, CONFIG), ("gpt-3.5-turbo", 2, MENTION)]


def test_an_unknown_id_in_a_constant_that_reaches_a_model_parameter_is_a_call(index) -> None:
    # Pattern: assafelovic/gpt-researcher backend/report_type/deep_research/example.py (a constant passed as
    # model=), with an id no provider pattern knows: only where it flows says it is a model.
    source = 'FAST = "acme-chat-7b"\n\ndef ask(llm, q):\n    return llm.invoke(q, model=FAST)\n'
    assert refs(index, "agent/run.py", source) == [("acme-chat-7b", 1, CALL)]


def test_a_catalogue_of_unknown_ids_opened_on_its_own_line_is_config(index) -> None:
    # Pattern: langchain-ai/open-canvas packages/shared/src/models.ts (an exported list of selectable models).
    source = 'export const ACME_MODELS: ModelConfig[] = [\n  {\n    name: "acme-chat-7b",\n    label: "Acme",\n  },\n];\n'
    assert refs(index, "src/models.ts", source) == [("acme-chat-7b", 3, CONFIG)]


def test_notebook_cells_run_as_one_module(index) -> None:
    # Pattern: anthropics/courses tool_use/06_chatbot_with_multiple_tools.ipynb (MODEL_NAME set in one
    # cell, passed as model= in a later one).
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1, "source": ['MODEL_NAME = "acme-chat-7b"\n']},
        {"cell_type": "markdown", "metadata": {}, "source": ["Now call it.\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2,
         "source": ["response = client.messages.create(\n", "    model=MODEL_NAME,\n", "    messages=[])\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(notebook, indent=1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "MODEL_NAME = " in row)
    assert refs(index, "lessons/chat.ipynb", text) == [("acme-chat-7b", line, CALL)]


def test_a_notebook_that_is_not_json_cannot_be_verified(index) -> None:
    result = find_model_references("lessons/broken.ipynb", '{"cells": [', index)
    assert not result.complete and "not valid JSON" in (result.reason or "")


def test_an_unlisted_bedrock_arn_names_the_model_after_its_resource_type(index) -> None:
    ref = only(index, "app/bedrock.py",
               'MODEL = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"\n',
               "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0")
    assert (ref.how, ref.router, ref.model, ref.registered) == (CONFIG, "bedrock", "anthropic.claude-sonnet-4", True)


def test_a_model_id_followed_by_a_url_path_is_the_model(index) -> None:
    # Azure OpenAI deployments are named after the model: ".../deployments/gpt-4o/chat/completions".
    url = 'URL = "https://acme.openai.azure.com/openai/deployments/gpt-4o/chat/completions"\n'
    assert refs(index, "app/azure.py", url) == [("gpt-4o", 1, MENTION)]


# --- Bounds ---------------------------------------------------------------------------------------


def test_a_file_too_large_to_parse_is_reported_incomplete_with_its_ids_still_listed(index) -> None:
    filler = "x = 1\n" * (MAX_PARSED_BYTES // 6 + 10)
    result = find_model_references("app/huge.py", filler + 'llm(model="gpt-4o")\n', index)
    assert isinstance(result, FileReferences)
    assert not result.complete and "too large to parse" in (result.reason or "")
    assert [(ref.spelled, ref.how) for ref in result.references] == [("gpt-4o", MENTION)]


def test_grammars_load_on_first_use_only() -> None:
    code = ("import sys, aigov.facts.model_calls; "
            "print(sorted(m for m in sys.modules if m.startswith('tree_sitter')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


STRING_EDGE_CASES = {
    "python": b'a = "gpt-4o"\nb = f"{t[\'claude-3-5-haiku\']}"\nc = """o3-mini"""\nd = r\'x-1\'\ne = "gpt\\x2d4o"\n'
              b'f = "it\'s-1" + \'say "hi-2"\'\ng = "a-1""b-2"\nh = ["m-1","m-2"]\ni = "m-3\\r"\nj = f"m-4{x}"\n',
    "typescript": b'const a = "gpt-4o", b = \'o3\', c = `claude-3`, d = `m-${v}`;\nconst e = "gpt\\x2d4o";\n'
                  b'f(["m-1","m-2"]); g("it\'s-1"); h(\'say "hi-2"\'); i(`a\'b-3`); j({"k-1": "v-1"});\n',
}


@pytest.mark.parametrize("language", ["python", "typescript"])
def test_string_literals_found_by_bytes_are_the_ones_the_grammar_query_finds(language: str) -> None:
    """aigov finds the string literals that could hold a model id by their bytes (a tree-sitter query
    costs 4-16 ms to compile on every check). The oracle is the grammar's own query for every string:
    on edge cases (escapes, nested f-strings, adjacent literals, template substitutions) and on
    aigov's own source and tests, both pick the same literals."""
    from tree_sitter import Query, QueryCursor

    from aigov.facts import model_calls

    quotes, kinds, value = {"python": ("'\"", model_calls._PY_STRINGS, model_calls._python_string),
                            "typescript": ("'\"`", model_calls._JS_STRINGS, model_calls._js_string_value)}[language]
    query = Query(model_calls._language_object(language), "[" + " ".join(f"({kind})" for kind in sorted(kinds)) + "] @s")

    class Everything:
        def known(self, _value: str) -> bool:
            return True

    def could_be_ids(nodes: list, source: bytes) -> list[tuple[int, str]]:
        kept = []
        for node in nodes:
            text = value(node, source) if model_calls._id_sized(node, source) else None
            if text is not None and model_calls._may_be_id(text, Everything()):
                kept.append((node.start_byte, text))
        return kept

    sources = [STRING_EDGE_CASES[language]]
    if language == "python":
        sources += [path.read_bytes() for folder in ("src", "tests") for path in sorted((REPO_ROOT / folder).rglob("*.py"))]
    found_any = 0
    for source in sources:
        root = model_calls._parser(language).parse(source).root_node
        by_query = sorted((node for nodes in QueryCursor(query).captures(root).values() for node in nodes), key=lambda n: n.start_byte)
        by_bytes = model_calls._string_literals(root, source, quotes, kinds)
        assert could_be_ids(by_bytes, source) == could_be_ids(by_query, source)
        found_any += len(could_be_ids(by_bytes, source))
    assert found_any > (1000 if language == "python" else 5)


def test_a_literal_type_of_a_model_field_lists_the_models_it_accepts(index) -> None:
    # Pattern: reworkd/AgentGPT platform/reworkd_platform/schemas/agent.py (LLM_Model = Literal[...] types
    # ModelSettings.model, which pydantic checks: every member is a model a request may choose).
    source = (
        'from typing import Literal, Optional\n'
        'LLM_Model = Literal["gpt-3.5-turbo", "gpt-4"]\n'
        'Loop_Step = Literal["start", "chat-4"]\n'
        'class ModelSettings(BaseModel):\n'
        '    model: LLM_Model = Field(default="gpt-3.5-turbo")\n'
        '    embedding_model: Optional[Literal["text-embedding-3-small"]] = None\n'
        'def rerank(docs, model: typing.Literal["rerank-v3.5"] = "rerank-v3.5", mode: Literal["gpt-4o"] = "x"): ...\n'
    )
    assert refs(index, "app/schemas.py", source) == [
        ("gpt-3.5-turbo", 2, CONFIG), ("gpt-4", 2, CONFIG),
        ("gpt-3.5-turbo", 5, MENTION),  # a Field(default=...) is read from the Literal above
        ("text-embedding-3-small", 6, CONFIG),
        ("gpt-4o", 7, MENTION), ("rerank-v3.5", 7, CALL),
    ]


def test_the_model_of_a_transformers_pipeline_is_its_second_argument(index) -> None:
    # Pattern: mckaywrigley/chatbot-ui lib/generate-local-embedding.ts (transformers.js
    # pipeline("feature-extraction", "Xenova/all-MiniLM-L6-v2")); Hugging Face's Python pipeline alike.
    typescript = 'export async function embed(text) {\n  const run = await pipeline("feature-extraction", "Xenova/all-MiniLM-L6-v2")\n  return run(text)\n}\n'
    assert refs(index, "lib/embed.ts", typescript) == [("Xenova/all-MiniLM-L6-v2", 2, CALL), ("all-MiniLM-L6-v2", 2, MENTION)]
    python = 'from transformers import pipeline\nsummarise = pipeline("summarization", "acme/bart-large-7b", device=0)\nflags = pipeline("a-1", "b-2")\n'
    assert refs(index, "app/nlp.py", python) == [("acme/bart-large-7b", 2, CALL), ("b-2", 3, CALL)]


def test_a_model_name_beside_the_model_id_is_its_display_name(index) -> None:
    # Pattern: mckaywrigley/chatbot-ui lib/models/llm/groq-llm-list.ts ({modelId: "llama3-8b-8192",
    # modelName: "LLaMA3-8b-chat", ...}: the id is sent, the name is shown).
    source = (
        'const LLaMA3_8B: LLM = {\n  modelId: "llama3-8b-8192",\n  modelName: "LLaMA3-8b-chat",\n  provider: "groq"\n}\n'
        'const local = { model_name: "acme-chat-7b", temperature: 0 }\n'
    )
    assert refs(index, "lib/groq-list.ts", source) == [("llama3-8b-8192", 2, CONFIG), ("acme-chat-7b", 6, CONFIG)]


def test_schema_examples_and_the_server_s_own_responses_name_no_model_it_calls(index) -> None:
    # Pattern: zylon-ai/private-gpt private_gpt/server/embeddings/embeddings_router.py and ingest_router.py
    # (pydantic json_schema_extra examples, FastAPI responses= examples, IngestResponse(object="list",
    # model="private-gpt", ...)) and fern/openapi/openapi.json (the OpenAPI document of that API).
    source = (
        'class EmbeddingsBody(BaseModel):\n'
        '    model_config = {"json_schema_extra": {"examples": [{"model": "custom-embedding-model", "input": "x"}]}}\n'
        '    result: dict = Field(examples=[{"task": "t", "model": "acme-llm-7b"}])\n'
        '@router.post("/ingest", responses={200: {"content": {"application/json": {"example": {"model": "acme-srv-2"}}}}})\n'
        'def ingest(body):\n'
        '    return IngestResponse(object="list", model="private-gpt", data=[])\n'
        'def embed(client, texts):\n'
        '    return client.embeddings.create(model="acme-embed-3", input=texts)\n'
    )
    assert refs(index, "app/router.py", source) == [("acme-embed-3", 8, CALL)]
    openapi = json.dumps({"openapi": "3.1.0", "paths": {"/v1/embeddings": {"post": {"requestBody": {"content": {
        "application/json": {"example": {"model": "acme-embed-3"}, "examples": {"one": {"value": {"model": "acme-llm-7b"}}}}}}}}}},
        indent=1)
    assert refs(index, "fern/openapi/openapi.json", openapi) == []
    response = (
        'class EmbeddingsResponse(BaseModel):\n'
        '    object: Literal["list"] = Field(default="list")\n'
        '    model: Literal["private-gpt"] = Field(default="private-gpt")\n'
        '    llm: str = "acme-server-2"\n'
        'class EmbeddingsRequest(BaseModel):\n'
        '    model: Literal["acme-embed-3"]\n'
    )
    assert refs(index, "app/schemas.py", response) == [("acme-embed-3", 6, CONFIG)]



def test_a_real_call_cannot_hide_behind_the_example_and_response_exemptions(index) -> None:
    """The checked repository is untrusted: object="list" beside a client call's model=, or the call written
    as the value of an "examples" key, is still the call it is."""
    source = (
        'def ask(client, text):\n'
        '    return litellm.completion(model="acme-llm-7b", object="list", messages=text)\n'
        'def hidden(client):\n'
        '    return {"examples": [client.embeddings.create(model="acme-embed-3", input="x")]}\n'
    )
    assert refs(index, "app/hide.py", source) == [("acme-llm-7b", 2, CALL), ("acme-embed-3", 4, CALL)]
    script = 'const shown = { example: openai.chat.completions.create({ model: "acme-llm-7b" }) }\n'
    assert refs(index, "app/hide.ts", script) == [("acme-llm-7b", 1, CALL)]


def _nodes(tree) -> list[tuple[str, int, int, tuple[int, int], tuple[int, int], bool]]:
    """Every node of a tree with where it is (in bytes and in rows and columns), in document order."""
    out, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        out.append((node.type, node.start_byte, node.end_byte, tuple(node.start_point), tuple(node.end_point), node.has_error))
        stack.extend(reversed(node.children))
    return out


def _edited(rng, text: bytes) -> bytes:
    """``text`` with one random edit: a line put in, a span taken out or replaced (multi-byte UTF-8 and CRLF among what goes in)."""
    start = rng.randrange(len(text) + 1)
    end = min(len(text), start + rng.choice((0, 0, 1, 7, 40, 300)))
    put = rng.choice((b"", b'\nmodel = "gpt-4o"\n', b"x", b"\r\n", "é→ü".encode(), b'client.chat(model="claude-3-haiku")\n',
                      b"{", b'"', b"  # tail\n"))
    return text[:start] + put + text[end:]


@pytest.mark.parametrize("language", ["python", "typescript", "json", "yaml"])
def test_an_incremental_parse_gives_the_tree_a_full_parse_gives(language: str) -> None:
    """An evidence replay parses each file's next version from its last tree (tree-sitter's
    incremental parse). Over chains of random edits of real files, every node of that tree, with
    its place in bytes and in rows and columns, is the node a parse from nothing gives."""
    import random

    from aigov.facts import model_calls

    samples = {"python": sorted((REPO_ROOT / "src" / "aigov" / "facts").glob("*.py"))[:6],
               "json": sorted((REPO_ROOT / "tests" / "data" / "cyclonedx").rglob("*.json"))[:6],
               "yaml": sorted((REPO_ROOT / "tests" / "data" / "workflows").rglob("*.y*ml"))[:6]}
    texts = [path.read_bytes()[:20_000] for path in samples.get(language, [])]
    texts += [STRING_EDGE_CASES[language]] if language in STRING_EDGE_CASES else []
    assert texts
    rng = random.Random(7)
    parses = model_calls.LastParses()
    for number, text in enumerate(texts):
        for _ in range(25):
            text = _edited(rng, text)
            incremental = parses.parse(f"file-{number}", language, text)
            assert _nodes(incremental) == _nodes(model_calls._parser(language).parse(text))


def test_a_replay_finds_the_references_a_check_finds_in_every_version_of_a_file() -> None:
    """The model references of each version of a file read through an evidence replay's index
    (incremental parses) are those a check's index finds (full parses)."""
    import random


    registry = parse_yaml((policies_dir() / "data" / "registry.yaml").read_text(encoding="utf-8"), "registry.yaml").data
    replay_index, rng = model_index(registry, incremental=True), random.Random(11)
    text = (REPO_ROOT / "benchmarks" / "bench_check.py").read_bytes()
    found = 0
    for _ in range(60):
        text = _edited(rng, text)
        source = text.decode("utf-8", "replace")
        fresh = find_model_references("app/main.py", source, model_index(registry)).references
        assert find_model_references("app/main.py", source, replay_index).references == fresh
        found += len(fresh)
    assert found > 60
    assert replay_index.parses is not None and model_index(registry).parses is None


def test_the_trees_kept_for_incremental_parses_are_bounded() -> None:
    from aigov.facts import model_calls

    parses = model_calls.LastParses()
    for number in range(100):
        parses.parse(f"m{number}.py", "python", b"x = 1\n" * 2000)  # 12 KB each
    assert parses._bytes <= model_calls.LastParses.MAX_SOURCE_BYTES
    assert len(parses._trees) == model_calls.LastParses.MAX_SOURCE_BYTES // 12_000
