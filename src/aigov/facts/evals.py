"""Facts about a feature's evals: the eval config and its datasets, and where CI runs the eval command.

``input.feature.evals`` describes the config (``spec.evals.config``, aigov's format or a promptfoo
config): whether it exists and is valid, its suites with dataset case counts and metric thresholds,
the command, the models a promptfoo config evaluates. ``input.feature.eval_gate`` lists every
workflow job that runs that command - in a `run:` step, through the scripts it runs (make, npm,
tox, nox, compose, script files: facts/eval_wrappers.py), or with an eval action
(facts/eval_actions.py) - with the pull-request triggers of its workflow and everything found along
the way that keeps a failing eval from failing the run (each with its file and line). Whether the
gate holds is for policies/aigov/evals.rego to decide, not for this module.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import AigovError
from aigov.facts.build import RepoContext, collector
from aigov.facts.datasets import MAX_DATASET_BYTES, case_set, is_promptfoo_config
from aigov.facts.discovery import FeatureLocation
from aigov.facts.eval_actions import (
    EvalAction,
    action_of,
    action_run,
    config_dependencies,
    eval_actions,
    pass_rate_problem,
    skipped_paths,
)
from aigov.facts.eval_commands import Invocation, canonical, configs_run, join_folder, mentions_wrapper
from aigov.facts.expressions import interpolate
from aigov.facts.filters import as_patterns, included
from aigov.facts.manifest import Manifest
from aigov.facts.shell import NOTHING, CommandSpec, Script, Swallow, command_spec, find_uses, is_noop
from aigov.facts.workflows import (
    PR_EVENTS,
    JobRun,
    StepRun,
    Workflow,
    blockers,
    default_branch,
    default_run,
    matrix_legs,
    repository_workflows,
)
from aigov.patterns import compile_user_regex
from aigov.tree import FILE, Tree
from aigov.validation import schema_errors
from aigov.yamlfile import field_path, parse_yaml

MAX_CONFIG_BYTES = 1024 * 1024
DEFAULT_RANGE = [0, 1]
MAX_FOLLOWED = 1000  # wrapper commands followed in one step when reading what the gate can reach


@collector
def collect_evals(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    settings = ctx.settings.get("evals") or {}
    declared = (manifest.spec.get("evals") or {}).get("config")
    if not declared:
        return {"evals": {"declared": False}}
    evals = eval_config_facts(ctx.tree, manifest, declared, settings, location.dir)
    facts: dict[str, Any] = {"evals": evals}
    if evals["valid"]:
        facts["eval_gate"] = eval_gate_facts(ctx, manifest, location, evals, settings)
    return facts


# --- The eval config and its datasets ------------------------------------------------------------


def eval_config_facts(tree: Tree, manifest: Manifest, declared: str, settings: dict[str, Any], feature_dir: str = ".") -> dict[str, Any]:
    """The eval config's facts: aigov's own format (schemas/eval-config.schema.json), or a promptfoo
    config read as one (facts/promptfoo.py: its command, its tests as the one suite, its models)."""
    path = manifest.feature_path(declared)
    facts: dict[str, Any] = {
        "declared": True, "config": declared, "path": path, "exists": False, "valid": False, "errors": [],
        "format": "aigov", "suites": [], "models": [], "command": None, "command_line": 1, "runner": None,
        "runner_line": 1, "runner_known": True, "runner_detected": None, "command_noop": False,
    }
    if tree.kind(path) != FILE:
        return facts
    facts["exists"] = True
    try:
        doc = parse_yaml(tree.read_text(path, MAX_CONFIG_BYTES), path)
    except AigovError as exc:
        facts["errors"] = [{"msg": exc.message, "line": exc.line or 1}]
        return facts
    if is_promptfoo_config(doc.data):
        from aigov.facts.promptfoo import config_facts  # lazy: ~2 ms, only for a promptfoo config

        facts.update({"valid": True, **config_facts(tree, doc, path, feature_dir)})
        return facts
    problems = schema_errors(doc.data, "eval-config") or [(f, "must be a finite number, not NaN or infinity") for f in non_finite(doc.data)]
    if problems:
        facts["errors"] = [{"msg": f"{field}: {msg}" if field else msg, "line": doc.line_of(field) or 1} for field, msg in problems]
        return facts
    data = doc.data
    runners = runner_patterns(settings)
    facts.update({
        "valid": True,
        "command": " ".join(data["command"].split()),
        "command_line": doc.line_of("command"),
        "runner": data.get("runner"),
        "runner_line": doc.line_of("runner") if "runner" in data else doc.line_of("command"),
        "runner_known": data.get("runner") in (None, "custom") or data.get("runner") in runners,
        "runner_detected": detect_runner(data["command"], runners),
        "command_noop": is_noop(data["command"]),
    })
    facts["suites"] = [_suite_facts(tree, manifest, suite, i, doc.line_of) for i, suite in enumerate(data["suites"])]
    return facts


def non_finite(data: Any, path: tuple[Any, ...] = ()) -> list[str]:
    """Field paths of NaN and infinite numbers (YAML's .nan, .inf): JSON cannot carry them to the policies,
    and a NaN threshold compares false with every score."""
    if isinstance(data, float) and not math.isfinite(data):
        return [field_path(list(path))]
    if isinstance(data, dict):
        return [f for key, value in data.items() for f in non_finite(value, (*path, key))]
    if isinstance(data, list):
        return [f for i, value in enumerate(data) for f in non_finite(value, (*path, i))]
    return []


def _suite_facts(tree: Tree, manifest: Manifest, suite: dict[str, Any], index: int, line_of: Any) -> dict[str, Any]:
    where = f"suites[{index}]"
    dataset = manifest.feature_path(suite["dataset"])
    metrics = []
    for m, metric in enumerate(suite["metrics"]):
        at = f"{where}.metrics[{m}]"
        metrics.append({
            "name": metric["name"], "threshold": metric["threshold"], "goal": metric.get("goal", "min"),
            "range": metric.get("range", DEFAULT_RANGE), "line": line_of(at), "threshold_line": line_of(f"{at}.threshold"),
        })
    return {
        "name": suite["name"], "line": line_of(where),
        "dataset": {"path": dataset, "declared": suite["dataset"], "line": line_of(f"{where}.dataset"), **dataset_cases(tree, dataset)},
        "metrics": metrics,
    }


def dataset_cases(tree: Tree, path: str) -> dict[str, Any]:
    """Whether the dataset exists and how many cases it holds; a file aigov cannot count is an error fact."""
    if tree.kind(path) != FILE:
        return {"exists": False, "cases": None, "error": None, "error_line": None}
    try:
        cases = len(_cases(tree, path))
    except RecursionError:  # a case nested thousands of levels deep: no golden case looks like that
        return {"exists": True, "cases": None, "error": "a case nests too deeply to read", "error_line": 1}
    except AigovError as exc:
        return {"exists": True, "cases": None, "error": exc.message, "error_line": exc.line or 1}
    return {"exists": True, "cases": cases, "error": None, "error_line": None}


def _cases(tree: Tree, path: str) -> set[str]:
    """The distinct cases of a dataset file; a promptfoo config given as a dataset counts its tests."""
    text = tree.read_text(path, MAX_DATASET_BYTES)
    if path.rsplit(".", 1)[-1].lower() in ("yaml", "yml", "json"):
        doc = parse_yaml(text, path)
        if is_promptfoo_config(doc.data):
            from aigov.facts.promptfoo import dataset_cases as promptfoo_cases  # lazy: ~2 ms, only for a promptfoo config

            return promptfoo_cases(tree, doc, path)
    return case_set(text, path)


def runner_patterns(settings: dict[str, Any]) -> dict[str, list[Any]]:
    """The recognised eval runners (settings: evals.runners), compiled by RE2 like every pattern
    that matches repository text (aigov.patterns); a bad pattern is exit 2."""
    return {name: [compile_user_regex(p, f"settings evals.runners.{name}") for p in as_patterns(patterns)]
            for name, patterns in (settings.get("runners") or {}).items()}


def detect_runner(command: str, runners: dict[str, list[Any]]) -> str | None:
    text = " ".join(command.split())
    return next((name for name, patterns in runners.items() if any(p.search(text) for p in patterns)), None)


def runner_run(invocation: Invocation, runners: dict[str, list[Any]]) -> str | None:
    """The recognised runner a command runs: its program, read through runners such as `uv run` and
    `python -m` (facts/eval_commands.py), is the runner - not an argument that names it (`uv pip show
    pytest`, `pip install ragas`)."""
    text = " ".join(invocation.words)
    return next((name for name, patterns in runners.items() if any(p.match(text) for p in patterns)), None)


# --- Where CI runs the eval command ---------------------------------------------------------------


def eval_gate_facts(
    ctx: RepoContext, manifest: Manifest, location: FeatureLocation, evals: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    all_workflows, jobs, steps = repository_workflows(ctx)
    branch, source = ctx.once("default_branch", lambda: default_branch(ctx.tree.root, settings))
    native = evals["path"] if evals.get("format") == "promptfoo" else None
    spec = command_spec(evals["command"], native, location.dir if native else ".")
    protected = protected_paths(manifest, location, evals)
    # Every feature asks about the same steps; in a monorepo many share one command, so the runs of a
    # command are found once (and what finding them read counts for each feature that asks).
    found = ctx.once(("eval_script_runs", spec, branch), lambda: _script_runs(ctx, steps, spec, branch))
    actions = eval_actions(settings)
    action_steps = ctx.once("eval_action_steps", lambda: [(j, s, a) for j, s in steps if (a := action_of(s.step.uses, actions))])
    runs = [*found.runs, *(run for job, step, action in action_steps
                           for run in _action_runs(ctx.tree, job, step, action, spec, evals["path"], location.dir, branch, protected))]
    workflows = {job.workflow.path: job.workflow for job, _ in steps}
    used = {run["workflow"]: workflows[run["workflow"]] for run in runs}
    return {
        "command": evals["command"],
        "default_branch": branch,
        "default_branch_source": source,
        "protected_paths": protected,
        "runs": runs,
        "workflows": {path: trigger_facts(wf, branch, protected) for path, wf in used.items()},
        # Hints for when nothing runs the command: what runs instead, what aigov could not read.
        "other_eval_steps": _other_eval_steps(ctx, settings) if not runs else [],
        "unresolved": (_unresolved(jobs, steps) + found.notes)[:10] if not runs else [],
        # Where the gate belongs when no job that pull requests run runs the command: the workflows they run.
        "pull_request_workflows": _pull_request_workflows(all_workflows, branch),
    }


def _pull_request_workflows(workflows: Any, branch: str) -> list[dict[str, Any]]:
    """The workflows that run on every change to a pull request aimed at ``branch``, with their `on:` line."""
    out = []
    for workflow in workflows:
        triggers = trigger_facts(workflow, branch, [])["triggers"]
        if any(t["targets_default_branch"] and t["runs_on_updates"] and not t["runs_base_workflow"] for t in triggers):
            out.append({"path": workflow.path, "line": workflow.on_line})
    return sorted(out, key=lambda w: w["path"])


def gate_reads(ctx: RepoContext) -> None:
    """Read every file the workflows' steps reach through the scripts they run (Makefiles, package.json,
    tox and nox files, compose files) and the configs of eval actions: what any feature's eval gate can
    read beyond the workflows, so a pull request that changes only a Makefile re-judges the features
    whose gate runs through it (facts/scope.py counts these reads in every feature's bound)."""
    _, _, steps = repository_workflows(ctx)
    wrappers = _wrappers(ctx, steps)
    actions = eval_actions(ctx.settings.get("evals") or {})
    for job, step in steps:
        if step.step.run is not None and wrappers is not None:
            for start in _start_folders(job, step):
                find_uses(Script(step.step.run, step.shell, start), NOTHING, wrappers, budget=MAX_FOLLOWED)
        elif (action := action_of(step.step.uses, actions)) is not None:
            for leg in matrix_legs(job.job):
                config_dependencies(ctx.tree, action_run(action, _inputs_given(step), leg).config)


def _wrappers(ctx: RepoContext, steps: list[tuple[JobRun, StepRun]]) -> Any:
    """The reader of the scripts steps run through make, npm... (facts/eval_wrappers.py), loaded only when a
    step names one of those programs."""
    if not any(step.step.run and mentions_wrapper(step.step.run) for _, step in steps):
        return None
    from aigov.facts.eval_wrappers import Wrappers  # lazy: ~15 ms with the runners, only when a step runs make, npm...

    return ctx.once("eval_wrappers", lambda: Wrappers(ctx.tree))


@dataclass
class _Found:
    runs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


def _script_runs(ctx: RepoContext, steps: list[tuple[JobRun, StepRun]], spec: CommandSpec, branch: str) -> _Found:
    """Every `run:` step that runs the command, directly or through the scripts it runs (facts/eval_wrappers.py)."""
    wrappers = _wrappers(ctx, steps)
    found = _Found()
    for job, step in steps:
        if step.step.run is None:
            continue
        if wrappers is not None:
            wrappers.notes = []
        found.runs.extend(_step_runs(job, step, spec, branch, wrappers))
        found.notes.extend({"path": n.path, "line": n.line, "detail": n.detail} for n in (wrappers.notes if wrappers else []))
    found.notes = list({(n["path"], n["line"], n["detail"]): n for n in found.notes}.values())
    return found


@dataclass
class _Use:
    """One place a step runs the command, with the folders its matrix legs run it in."""

    line: int
    through: list[str]
    folders: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict)
    swallows: list[tuple[Swallow, str | None]] = field(default_factory=list)


def _step_runs(job: JobRun, step: StepRun, spec: CommandSpec, branch: str, wrappers: Any) -> list[dict[str, Any]]:
    script = step.step.run or ""
    uses: dict[int, _Use] = {}
    for start, legs in _start_folders(job, step).items():
        for use in find_uses(Script(script, step.shell, start), spec, wrappers):
            entry = uses.setdefault(use.line, _Use(use.line, use.through))
            entry.folders.setdefault(use.folder, []).extend(legs)
            entry.swallows.extend((swallow, use.folder) for swallow in use.swallows)
    facts = []
    for entry in uses.values():
        everywhere = list(entry.folders)
        defeats = _defeats_by_folder(job, step, branch, entry.folders) + _invalid_workflows(job, everywhere)
        defeats += _swallow_defeats(job, step, entry.swallows)
        facts.append(_run_fact(job, step, step.step.run_first_line + entry.line, everywhere, defeats, entry.through))
    return facts


def _run_fact(job: JobRun, step: StepRun, line: int, directories: list[str | None], defeats: list[dict[str, Any]],
              through: list[str], tool: str | None = None) -> dict[str, Any]:
    return {
        "workflow": job.workflow.path,
        "job": job.name,
        "job_line": job.chain[0][1].line,
        "path": step.step.path,
        "line": line,
        "step_line": step.step.line,
        "directories": directories,
        "via": [f"{j.path}:{j.line}" for _, j in job.chain[1:]] + [f"{s.path}:{s.line}" for s in step.chain[:-1]],
        "through": through,  # the files whose scripts run the command: a Makefile, package.json...
        "tool": tool,  # the eval action a `uses:` step runs, if any
        "defeats": defeats,
    }


def _swallow_defeats(job: JobRun, step: StepRun, swallows: list[tuple[Swallow, str | None]]) -> list[dict[str, Any]]:
    """What a script does with the command's failure, each with the folders where it does it."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for swallow, folder in swallows:
        if swallow.path:
            path, line = swallow.path, swallow.line or 1
        elif swallow.line is not None:
            path, line = step.step.path, step.step.run_first_line + swallow.line
        else:
            path, line = _shell_line(job, step)
        fact = found.setdefault((swallow.kind, path, line, swallow.detail), {
            "kind": swallow.kind, "path": path, "line": line, "detail": swallow.detail, "events": list(PR_EVENTS), "directories": []})
        if folder not in fact["directories"]:
            fact["directories"].append(folder)
    return list(found.values())


def _start_folders(job: JobRun, step: StepRun) -> dict[str | None, list[dict[str, Any]]]:
    """The repository folder a step starts in (working-directory), each with the matrix legs that start
    there; None stands for a folder aigov cannot know."""
    start = step.step.data.get("working-directory")
    own_step = len(step.chain) == 1
    if start is None and own_step:  # `defaults.run` does not reach into composite actions
        owner, inner = job.chain[-1]
        start = default_run(inner.data, "working-directory") or default_run(owner.data, "working-directory")
    folders: dict[str | None, list[dict[str, Any]]] = {}
    for leg in matrix_legs(job.job):
        # Steps inside a composite action are not given the matrix: `${{ matrix.x }}` there stays unknown.
        folders.setdefault(_start_folder(str(start or "."), leg if own_step else {}), []).append(leg)
    return folders


def _start_folder(start: str, matrix: dict[str, Any]) -> str | None:
    for prefix in ("${{ github.workspace }}", "$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}"):
        start = start.replace(prefix, ".", 1) if start.startswith(prefix) else start
    resolved = interpolate(start, matrix)  # `services/${{ matrix.name }}`; anything else stays unknown
    if resolved is None or "$" in resolved or resolved.startswith("/"):
        return None
    return join_folder(resolved, [])


def _action_runs(tree: Tree, job: JobRun, step: StepRun, action: EvalAction, spec: CommandSpec, config: str, feature_dir: str,
                 branch: str, protected: list[str]) -> list[dict[str, Any]]:
    """A `uses:` step of an eval action runs the eval when the config it evaluates is the feature's eval
    config, or when the command it runs is the eval command."""
    given = _inputs_given(step)
    own_step = len(step.chain) == 1
    folders: dict[str | None, list[dict[str, Any]]] = {}
    runs: dict[str | None, Any] = {}
    for leg in matrix_legs(job.job) if own_step else [{}]:
        run = action_run(action, given, leg)
        if run.config is not None and run.config == config:
            folder: str | None = feature_dir
        elif run.invocation is not None and spec.match(run.invocation, run.directory)[0]:
            folder = spec.match(run.invocation, run.directory)[1]
        else:
            continue
        folders.setdefault(folder, []).append(leg)
        runs.setdefault(folder, run)
    if not folders:
        return []
    everywhere = list(folders)
    defeats = _defeats_by_folder(job, step, branch, folders) + _invalid_workflows(job, everywhere)
    line = step.step.line_of("uses")
    for folder, run in runs.items():
        problem = pass_rate_problem(action, run)
        if problem:
            at = step.step.line_of(f"with.{action.pass_rate_input}")
            defeats.append({"kind": "errors_ignored", "path": step.step.path, "line": at, "detail": f"{action.name}: {problem}",
                            "events": list(PR_EVENTS), "directories": [folder]})
        skipped = skipped_paths(action, run, protected, tree)
        if skipped:
            at = step.step.line_of(f"with.{action.changed_files_input}")
            force = f" (set `{action.force_input}: true`)" if action.force_input else ""
            detail = (f"{action.name} evaluates a pull request only when it changes a file matching `{action.changed_files_input}`, "
                      f"the config or a file the config names, so a change to {', '.join(skipped)} alone passes without evaluating{force}")
            defeats.append({"kind": "skips_unchanged", "path": step.step.path, "line": at, "detail": detail,
                            "events": ["pull_request", "pull_request_target"], "directories": [folder]})
    return [_run_fact(job, step, line, everywhere, defeats, [], action.name)]


def _inputs_given(step: StepRun) -> dict[str, Any]:
    given = step.step.data.get("with")
    return given if isinstance(given, dict) else {}


def _defeats_by_folder(job: JobRun, step: StepRun, branch: str, folders: dict[str | None, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The blockers of the legs in each folder, each with the folders it defeats: a `continue-on-error`
    true only on the leg for services/b defeats the gate of services/b, not that of services/a."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for folder, legs in folders.items():
        for blocker in blockers(job, step, branch, legs):
            fact = blocker.as_fact()
            key = (fact["kind"], fact["path"], fact["line"], fact["detail"], tuple(fact["events"]))
            found.setdefault(key, {**fact, "directories": []})["directories"].append(folder)
    return list(found.values())


def _invalid_workflows(job: JobRun, folders: list[str | None]) -> list[dict[str, Any]]:
    """What makes GitHub refuse the workflow, or a reusable workflow it calls: then nothing in it runs."""
    owners = list(dict.fromkeys(owner.path for owner, _ in job.chain))
    by_path = {owner.path: owner for owner, _ in job.chain}
    return [
        {"kind": "invalid_workflow", "path": path, "line": line, "detail": f"GitHub refuses to run {path}: {detail}",
         "events": list(PR_EVENTS), "directories": folders}
        for path in owners for line, detail in by_path[path].invalid
    ]


def _shell_line(job: JobRun, step: StepRun) -> tuple[str, int]:
    """Where the shell that ignores failures is chosen: the step, the job's or the workflow's defaults."""
    if "shell" in step.step.data:
        return step.step.path, step.step.line_of("shell")
    owner, inner = job.chain[-1]
    for key, lines, path in ((f"jobs.{inner.id}.defaults.run.shell", inner.lines, inner.path),
                             ("defaults.run.shell", owner.lines, owner.path)):
        if key in lines:
            return path, lines[key]
    return step.step.path, step.step.line


def trigger_facts(workflow: Workflow, branch: str, protected: list[str]) -> dict[str, Any]:
    """The workflow's pull-request triggers: do they fire for PRs to ``branch``, and for changes to ``protected``?"""
    triggers = []
    for event in PR_EVENTS:
        trigger = workflow.triggers.get(event)
        if trigger is None:
            continue
        config = trigger.config
        branch_key = next((k for k in ("branches", "branches-ignore") if k in config), None)
        types = as_patterns(config.get("types"))
        update_type = "checks_requested" if event == "merge_group" else "synchronize"
        triggers.append({
            "event": event,
            "line": trigger.line,
            # pull_request_target runs the base branch's workflow on the base commit: the change is never run.
            "runs_base_workflow": event == "pull_request_target",
            "targets_default_branch": _branch_selected(config, branch),
            "branch_line": trigger.lines.get(branch_key, trigger.line) if branch_key else trigger.line,
            "runs_on_updates": not types or update_type in types,
            "types_line": trigger.lines.get("types", trigger.line),
            # GitHub applies no path filters to merge_group.
            "skipped_paths": [] if event == "merge_group" else _skipped_paths(trigger.config, trigger.lines, trigger.line, protected),
        })
    return {"path": workflow.path, "on_line": workflow.on_line, "events": sorted(workflow.triggers), "triggers": triggers}


def _branch_selected(config: dict[str, Any], branch: str) -> bool:
    if "branches" in config:
        return included(as_patterns(config["branches"]), branch)
    if "branches-ignore" in config:
        return not included(as_patterns(config["branches-ignore"]), branch)
    return True


def _skipped_paths(config: dict[str, Any], lines: dict[str, int], default: int, protected: list[str]) -> list[dict[str, Any]]:
    """Protected files whose change alone would not trigger the workflow."""
    skipped = []
    for path in protected:
        if "paths" in config and not included(as_patterns(config["paths"]), path):
            skipped.append({"path": path, "filter": "paths", "line": lines.get("paths", default)})
        elif "paths-ignore" in config and included(as_patterns(config["paths-ignore"]), path):
            skipped.append({"path": path, "filter": "paths-ignore", "line": lines.get("paths-ignore", default)})
    return skipped


def protected_paths(manifest: Manifest, location: FeatureLocation, evals: dict[str, Any]) -> list[str]:
    """Files whose change must re-run the evals: the manifest (models), prompts, the eval config, datasets,
    and the prompt files a promptfoo config names."""
    paths = [manifest.path, evals["path"], *(s["dataset"]["path"] for s in evals["suites"]), *evals.get("prompt_files", [])]
    prompts_declared = "prompts" in manifest.spec
    prompts = manifest.feature_path(manifest.spec.get("prompts", "prompts"))
    prompt_files = [f for f in location.files if f == prompts or f.startswith(prompts + "/")]
    if prompt_files:
        paths.extend(sorted(prompt_files))
    elif prompts_declared:
        paths.append(f"{prompts}/prompt.txt")  # no prompt files yet: stand in for the first one
    return list(dict.fromkeys(paths))


def _other_eval_steps(ctx: RepoContext, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps that run a recognised eval runner, when none runs the eval command: hints for the remediation."""
    hints = {(s["path"], s["line"], s["runner"]): {k: s[k] for k in ("path", "line", "runner", "job")} for s in eval_steps(ctx, settings)}
    return list(hints.values())[:5]


def eval_steps(ctx: RepoContext, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Every command CI runs with a recognised eval runner (settings evals.runners), found as the gate
    finds the eval command: in a `run:` script, in the scripts it runs (make, npm, tox...), or as an
    eval action. Each with its step (path, line, job), the runner, the command as written where it
    runs (None for an action that names none), the folder it runs in (None: unknown), and the runner
    configs it evaluates (promptfoo's -c files). What runs instead when a feature's command runs
    nowhere, and what `aigov init` offers as a feature's gate."""
    found: list[dict[str, Any]] = ctx.once("eval_steps", lambda: _eval_steps(ctx, settings))
    return found


class _AnyRunner:
    """The search (facts/shell.py) for every command that runs a recognised eval runner, wherever it runs."""

    def __init__(self, runners: dict[str, list[Any]]) -> None:
        self.runners = runners

    def mentioned_in(self, script: str) -> bool:
        return detect_runner(re.sub(r"[\"'\\]", "", script), self.runners) is not None

    def may_match(self, ci: Invocation) -> bool:
        return runner_run(ci, self.runners) is not None

    def match(self, ci: Invocation, folder: str | None) -> tuple[bool, str | None]:
        return self.may_match(ci), folder


def _eval_steps(ctx: RepoContext, settings: dict[str, Any]) -> list[dict[str, Any]]:
    import shlex  # lazy: a check whose eval commands all run never asks for these

    _, _, steps = repository_workflows(ctx)
    runners = runner_patterns(settings)
    search, wrappers, actions = _AnyRunner(runners), _wrappers(ctx, steps), eval_actions(settings)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add(job: JobRun, step: StepRun, runner: str | None, command: str | None, folder: str | None, configs: list[str]) -> None:
        fact = {"path": step.step.path, "line": step.step.line, "job": job.name, "runner": runner, "command": command,
                "folder": folder, "configs": configs}
        found.setdefault((fact["path"], fact["line"], command, folder, tuple(configs)), fact)

    for job, step in steps:
        if step.step.run is not None:
            for start in _start_folders(job, step):
                for use in find_uses(Script(step.step.run, step.shell, start), search, wrappers):
                    if use.words:  # a script too long to read names no command
                        invocation = canonical(use.words)
                        add(job, step, runner_run(invocation, runners), shlex.join(use.words), use.folder, configs_run(invocation, use.folder))
        elif (action := action_of(step.step.uses, actions)) is not None:
            for leg in matrix_legs(job.job) if len(step.chain) == 1 else [{}]:
                run = action_run(action, _inputs_given(step), leg)
                command = shlex.join(run.invocation.words) if run.invocation else None
                add(job, step, action.runner or action.name, command, run.directory, [run.config] if run.config else [])
    return list(found.values())


def _unresolved(jobs: list[JobRun], steps: list[tuple[JobRun, StepRun]]) -> list[dict[str, Any]]:
    """Reusable workflows and actions aigov could not read: the command may run there unseen."""
    found = {}
    for job in jobs:
        for _, j in job.chain:
            if j.unresolved:
                found[(j.path, j.line_of("uses"))] = j.unresolved
    for _, step in steps:
        for s in step.chain:
            if s.unresolved:
                found[(s.path, s.line_of("uses"))] = s.unresolved
    return [{"path": p, "line": line, "detail": d} for (p, line), d in sorted(found.items())]
