"""`uses:` steps of actions that run evals: what they run, where, and what lets a failed eval pass.

Which actions run evals is data (``aigov.settings.evals.actions``), by ``owner/repo[/path]`` as
written before ``@`` in ``uses:``. Each entry says which input names the eval config
(``config_input``), and may give the command the action runs (``command``, with ``{input}``
placeholders), the input naming the folder it runs in (``directory_input``), and the inputs of its
failure semantics:

- ``pass_rate_input``: a pass percentage under which failed tests still fail the step; at 0 (or an
  expression aigov cannot know) failed tests may pass;
- ``changed_files_input`` and ``force_input``: when the first is set (and the second is not true), the
  action evaluates on pull requests only if a changed file matches those globs, the config, or a file
  the config names; otherwise it succeeds without evaluating.

The shipped entry is promptfoo's (promptfoo/promptfoo-action, read at its v1 tag, 1.3.x: src/main.ts
runs ``npx promptfoo@<version> eval -c <config>`` in ``working-directory``; fails the step when tests
fail unless ``fail-on-threshold`` or ``repeat-min-pass`` pass; skips unchanged pull requests when
``prompts`` is set and ``force-run`` is not). An action the org names is trusted to fail its step when
its evals fail.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from aigov.errors import AigovError
from aigov.facts.eval_commands import Invocation, canonical, join_folder
from aigov.facts.expressions import interpolate
from aigov.facts.filters import included
from aigov.policy.loading import ACTION_KEYS
from aigov.tree import FILE, Tree
from aigov.yamlfile import parse_yaml


class EvalAction(NamedTuple):
    name: str  # owner/repo[/path], lower case
    config_input: str
    runner: str | None = None
    command: str | None = None
    directory_input: str | None = None
    pass_rate_input: str | None = None
    changed_files_input: str | None = None
    force_input: str | None = None


def eval_actions(settings: dict[str, Any]) -> dict[str, EvalAction]:
    """The eval actions of the settings, by lower-case name (validated when the data was loaded)."""
    actions = settings.get("actions") or {}
    return {str(name).lower(): EvalAction(str(name).lower(), **{k: v for k, v in spec.items() if k in ACTION_KEYS})
            for name, spec in actions.items() if isinstance(spec, dict) and "config_input" in spec}


def action_of(uses: str | None, actions: dict[str, EvalAction]) -> EvalAction | None:
    if not uses or uses.startswith(("./", "docker://")):
        return None
    return actions.get(uses.split("@", 1)[0].strip().lower())


class ActionRun(NamedTuple):
    """What one leg's `uses:` step runs: the folder, the config file, the command, the inputs."""

    directory: str | None
    config: str | None  # repository path of the config the action evaluates
    invocation: Invocation | None
    inputs: dict[str, Any]


def action_run(action: EvalAction, given: dict[str, Any], leg: dict[str, Any]) -> ActionRun:
    """The action's run for one matrix leg: inputs given `with:` (expressions read as far as the matrix
    decides them), resolved to a folder, a config path and a command."""
    inputs = {str(k).lower(): _value(v, leg) for k, v in given.items()}
    folder_input = (action.directory_input or "").lower()
    written = inputs.get(folder_input, ".") if folder_input else "."
    directory = join_folder(".", [str(written) or "."]) if written is not None else None
    config_value = inputs.get(action.config_input.lower())
    config = join_folder(directory, [config_value]) if isinstance(config_value, str) and config_value else None
    invocation = None
    if action.command:
        filled = _fill(action.command, inputs)
        invocation = canonical(filled.split()) if filled is not None else None
    return ActionRun(directory, config, invocation, inputs)


def _value(value: Any, leg: dict[str, Any]) -> Any:
    if isinstance(value, str) and "${{" in value:
        return interpolate(value, leg)
    return value if not isinstance(value, bool) else str(value).lower()


def _fill(template: str, inputs: dict[str, Any]) -> str | None:
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        value = inputs.get(match.group(1).lower())
        if not isinstance(value, (str, int, float)) or value == "":
            missing = True
            return ""
        return str(value)

    filled = re.sub(r"\{([A-Za-z0-9_-]+)\}", replace, template)
    return None if missing else filled


def pass_rate_problem(action: EvalAction, run: ActionRun) -> str | None:
    """Why the pass-rate input may let failed tests pass, or None."""
    name = action.pass_rate_input
    if not name or name.lower() not in run.inputs:
        return None
    value = run.inputs[name.lower()]
    try:
        rate = float(str(value).strip()) if value is not None and str(value).strip() else None
    except ValueError:
        return f"`{name}: {value}` is not a number, so aigov cannot tell which failures it lets pass"
    if rate is None:
        return f"`{name}` is set from a value aigov cannot know, and may let every failed test pass"
    if rate <= 0:
        return f"`{name}: {value}` lets the step pass whatever share of the tests fails"
    return None


def skipped_paths(action: EvalAction, run: ActionRun, protected: list[str], tree: Tree) -> list[str] | None:
    """The protected files whose change alone the action would not evaluate (it succeeds without running);
    None when it evaluates every pull request."""
    name = action.changed_files_input
    if not name or not str(run.inputs.get(name.lower()) or "").strip():
        return None
    if action.force_input and str(run.inputs.get(action.force_input.lower(), "")).strip().lower() == "true":
        return None
    if run.directory is None:
        return list(protected)
    globs = [join_folder(run.directory, [g.strip()]) or g.strip() for g in str(run.inputs[name.lower()]).splitlines() if g.strip()]
    watched = set(config_dependencies(tree, run.config)) | ({run.config} if run.config else set())
    folders = tuple(f.rstrip("/") + "/" for f in watched)
    return [p for p in protected if p not in watched and not p.startswith(folders) and not included(globs, p)]


def config_dependencies(tree: Tree, config: str | None) -> list[str]:
    """The files a runner's config names with `file://` (prompts, tests, providers): the action watches them."""
    if not config or tree.kind(config) != FILE:
        return []
    try:
        data = parse_yaml(tree.read_text(config), config).data
    except AigovError:
        return []
    folder = config.rpartition("/")[0] or "."
    found: list[str] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and value.startswith("file://"):
            path = join_folder(folder, [value[len("file://"):].split(":", 1)[0]])
            if path:
                found.append(path)
    return found
