"""Facts about a feature's evals: the eval config and its datasets, and where CI runs the eval command.

``input.feature.evals`` describes the config (``spec.evals.config``): whether it exists and is valid,
its suites with dataset case counts and metric thresholds, the command. ``input.feature.eval_gate``
lists every workflow job that runs that command, with the pull-request triggers of its workflow and
everything found along the way that keeps a failing eval from failing the run (each with its file
and line). Whether the gate holds is for policies/aigov/evals.rego to decide, not for this module.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

from aigov.errors import AigovError
from aigov.facts.build import RepoContext, collector
from aigov.facts.discovery import FeatureLocation
from aigov.facts.expressions import interpolate
from aigov.facts.filters import as_patterns, included
from aigov.facts.manifest import Manifest
from aigov.facts.shell import CommandSpec, command_spec, find_command, is_noop
from aigov.facts.workflows import (
    PR_EVENTS, JobRun, StepRun, Workflow, blockers, default_branch, default_run, matrix_legs, repository_workflows,
)
from aigov.tree import FILE, Tree
from aigov.validation import schema_errors
from aigov.yamlfile import field_path, parse_yaml

MAX_CONFIG_BYTES = 1024 * 1024
MAX_DATASET_BYTES = 64 * 1024 * 1024  # datasets are data, larger than configuration may be
DEFAULT_RANGE = [0, 1]


@collector
def collect_evals(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    settings = ctx.settings.get("evals") or {}
    declared = (manifest.spec.get("evals") or {}).get("config")
    if not declared:
        return {"evals": {"declared": False}}
    evals = eval_config_facts(ctx.tree, manifest, declared, settings)
    facts: dict[str, Any] = {"evals": evals}
    if evals["valid"]:
        facts["eval_gate"] = eval_gate_facts(ctx, manifest, location, evals, settings)
    return facts


# --- The eval config and its datasets ------------------------------------------------------------


def eval_config_facts(tree: Tree, manifest: Manifest, declared: str, settings: dict[str, Any]) -> dict[str, Any]:
    path = manifest.feature_path(declared)
    facts: dict[str, Any] = {
        "declared": True, "config": declared, "path": path, "exists": False, "valid": False, "errors": [],
        "suites": [], "command": None, "command_line": 1, "runner": None, "runner_line": 1,
        "runner_known": True, "runner_detected": None, "command_noop": False,
    }
    if tree.kind(path) != FILE:
        return facts
    facts["exists"] = True
    try:
        doc = parse_yaml(tree.read_text(path, MAX_CONFIG_BYTES), path)
    except AigovError as exc:
        facts["errors"] = [{"msg": exc.message, "line": exc.line or 1}]
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
        cases = count_cases(tree.read_text(path, MAX_DATASET_BYTES), path)
    except RecursionError:  # a case nested thousands of levels deep: no golden case looks like that
        return {"exists": True, "cases": None, "error": "a case nests too deeply to read", "error_line": 1}
    except AigovError as exc:
        return {"exists": True, "cases": None, "error": exc.message, "error_line": exc.line or 1}
    return {"exists": True, "cases": cases, "error": None, "error_line": None}


def count_cases(text: str, path: str) -> int:
    """DISTINCT cases in a dataset (30 copies of one line are one case): .jsonl lines, a .json array,
    .csv rows after the header, a .yaml list. Cases compare as data, so key order and spacing do not count."""
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix == "jsonl":
        return len(_jsonl_cases(text, path))
    if suffix == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AigovError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
        return _distinct(data, path, "a JSON array of cases")
    if suffix == "csv":
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
        return len({tuple(cell.strip() for cell in row) for row in rows[1:]})
    return _distinct(parse_yaml(text, path).data, path, "a YAML list of cases")


def _jsonl_cases(text: str, path: str) -> set[str]:
    cases: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                cases.add(_canonical(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise AigovError(f"line is not a JSON value: {exc.msg}", path, number) from None
    return cases


def _distinct(data: Any, path: str, expected: str) -> int:
    if not isinstance(data, list):
        raise AigovError(f"must hold {expected}, found {type(data).__name__}", path, 1)
    return len({_canonical(case) for case in data})


def _canonical(case: Any) -> str:
    return json.dumps(case, sort_keys=True, separators=(",", ":"), default=str)


def runner_patterns(settings: dict[str, Any]) -> dict[str, list[Any]]:
    """The recognised eval runners (settings: evals.runners), compiled by RE2 like every pattern
    that matches repository text (aigov.patterns); a bad pattern is exit 2."""
    from aigov.patterns import compile_user_regex

    return {name: [compile_user_regex(p, f"settings evals.runners.{name}") for p in as_patterns(patterns)]
            for name, patterns in (settings.get("runners") or {}).items()}


def detect_runner(command: str, runners: dict[str, list[Any]]) -> str | None:
    text = " ".join(command.split())
    return next((name for name, patterns in runners.items() if any(p.search(text) for p in patterns)), None)


# --- Where CI runs the eval command ---------------------------------------------------------------


def eval_gate_facts(
    ctx: RepoContext, manifest: Manifest, location: FeatureLocation, evals: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    workflows, jobs, steps = repository_workflows(ctx)
    branch, source = ctx.once("default_branch", lambda: default_branch(ctx.tree.root, settings))
    spec = command_spec(evals["command"])
    protected = protected_paths(manifest, location, evals)
    runs, used = [], {}
    # Every feature asks about the same steps; in a monorepo many share one command.
    analysed = ctx.once("eval_command_runs", dict)
    for job, step in steps:
        key = (evals["command"], id(job), id(step))
        if key not in analysed:
            analysed[key] = _command_runs(job, step, spec, branch)
        for fact in analysed[key]:
            runs.append(fact)
            used.setdefault(job.workflow.path, job.workflow)
    return {
        "command": evals["command"],
        "default_branch": branch,
        "default_branch_source": source,
        "protected_paths": protected,
        "runs": runs,
        "workflows": {path: trigger_facts(wf, branch, protected) for path, wf in used.items()},
        # Hints for when nothing runs the command: what runs instead, what aigov could not read.
        "other_eval_steps": _other_eval_steps(steps, spec, runner_patterns(settings)) if not runs else [],
        "unresolved": _unresolved(jobs, steps) if not runs else [],
        # Where the gate belongs when no job that pull requests run runs the command: the workflows they run.
        "pull_request_workflows": _pull_request_workflows(workflows, branch),
    }


def _pull_request_workflows(workflows: Any, branch: str) -> list[dict[str, Any]]:
    """The workflows that run on every change to a pull request aimed at ``branch``, with their `on:` line."""
    out = []
    for workflow in workflows:
        triggers = trigger_facts(workflow, branch, [])["triggers"]
        if any(t["targets_default_branch"] and t["runs_on_updates"] and not t["runs_base_workflow"] for t in triggers):
            out.append({"path": workflow.path, "line": workflow.on_line})
    return sorted(out, key=lambda w: w["path"])


def _command_runs(job: JobRun, step: StepRun, spec: CommandSpec, branch: str) -> list[dict[str, Any]]:
    script = step.step.run
    if script is None:
        return []
    facts = []
    for use in find_command(script, spec, step.shell):
        folders = _folders(job, step, use.cd)
        everywhere = list(folders)
        defeats = _defeats_by_folder(job, step, branch, folders) + _invalid_workflows(job, everywhere)
        for swallow in use.swallows:
            path, line = (step.step.path, step.step.run_first_line + swallow.line) if swallow.line is not None else _shell_line(job, step)
            defeats.append({"kind": swallow.kind, "path": path, "line": line, "detail": swallow.detail,
                            "events": list(PR_EVENTS), "directories": everywhere})
        facts.append({
            "workflow": job.workflow.path,
            "job": job.name,
            "job_line": job.chain[0][1].line,
            "path": step.step.path,
            "line": step.step.run_first_line + use.line,
            "step_line": step.step.line,
            "directories": everywhere,
            "via": [f"{j.path}:{j.line}" for _, j in job.chain[1:]] + [f"{s.path}:{s.line}" for s in step.chain[:-1]],
            "defeats": defeats,
        })
    return facts


def _folders(job: JobRun, step: StepRun, cds: list[str] | None) -> dict[str | None, list[dict[str, Any]]]:
    """The repository folders the command runs in (working-directory, then any `cd`), each with the matrix
    legs that run it there; None stands for a folder aigov cannot know."""
    start = step.step.data.get("working-directory")
    own_step = len(step.chain) == 1
    if start is None and own_step:  # `defaults.run` does not reach into composite actions
        owner, inner = job.chain[-1]
        start = default_run(inner.data, "working-directory") or default_run(owner.data, "working-directory")
    folders: dict[str | None, list[dict[str, Any]]] = {}
    for leg in matrix_legs(job.job):
        # Steps inside a composite action are not given the matrix: `${{ matrix.x }}` there stays unknown.
        folder = None if cds is None else _join_folder(str(start or "."), cds, leg if own_step else {})
        folders.setdefault(folder, []).append(leg)
    return folders


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


def _join_folder(start: str, cds: list[str], matrix: dict[str, Any]) -> str | None:
    for prefix in ("${{ github.workspace }}", "$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}"):
        start = start.replace(prefix, ".", 1) if start.startswith(prefix) else start
    resolved = interpolate(start, matrix)  # `services/${{ matrix.name }}`; anything else stays unknown
    if resolved is None or "$" in resolved or resolved.startswith("/"):
        return None
    parts: list[str] = []
    for piece in [resolved, *cds]:
        if piece.startswith("/"):
            return None
        for part in piece.split("/"):
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
    return "/".join(parts) or "."


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
    """Files whose change must re-run the evals: the manifest (models), prompts, the eval config, datasets."""
    paths = [manifest.path, evals["path"], *(s["dataset"]["path"] for s in evals["suites"])]
    prompts_declared = "prompts" in manifest.spec
    prompts = manifest.feature_path(manifest.spec.get("prompts", "prompts"))
    prompt_files = [f for f in location.files if f == prompts or f.startswith(prompts + "/")]
    if prompt_files:
        paths.extend(sorted(prompt_files))
    elif prompts_declared:
        paths.append(f"{prompts}/prompt.txt")  # no prompt files yet: stand in for the first one
    return list(dict.fromkeys(paths))


def _other_eval_steps(steps: list[tuple[JobRun, StepRun]], command: CommandSpec, runners: dict[str, list[re.Pattern[str]]]) -> list[dict[str, Any]]:
    """Steps that run a recognised eval runner but not the declared command: hints for the remediation."""
    found = []
    for job, step in steps:
        script = " ".join((step.step.run or "").split())
        runner = detect_runner(script, runners) if script and not command.mentioned_in(script) else None
        if runner:
            found.append({"path": step.step.path, "line": step.step.line, "runner": runner, "job": job.name})
    return found[:5]


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
