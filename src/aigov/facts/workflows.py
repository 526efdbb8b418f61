"""The repository's GitHub Actions workflows, read the way GitHub reads them. Nothing is ever executed.

``load_workflows`` parses every ``.github/workflows/*.yml|yaml`` at the repository root, keeps the
line of every job and step, and follows local reusable workflows (``jobs.x.uses: ./.github/...``) and
local composite actions (``uses: ./path``) with cycle protection. ``expand`` then lists each job as
it actually runs from a triggering workflow, through reusable-workflow calls and composite actions,
so the eval-gate and release-signing collectors can ask which job runs what and what keeps its
failure from failing the run. Those answers are observations; the policies decide what they mean.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.facts.expressions import ExpressionTooLarge, Prefix, Symbol, Unknown, evaluate, interpolate, names, parse_check, truth
from aigov.facts.shell import Shell, resolve_shell
from aigov.tree import FILE, FOLDER, Tree
from aigov.yamlfile import YamlDocument, parse_yaml

WORKFLOW_DIR = ".github/workflows"
PR_EVENTS = ("pull_request", "pull_request_target", "merge_group")
# GitHub refuses a matrix that expands to more jobs than this ("Using a matrix for your jobs").
MAX_MATRIX_JOBS = 256
# aigov never expands more combinations than this, even when `exclude` might bring them under the cap.
MAX_MATRIX_EXPANSION = 1024
# State a pull request opts into (labels, who opened it, inputs, variables, branch names): a job or step
# whose `if:` depends on it is skipped on pull requests that do not opt in, and GitHub reports a skipped
# required check as a success, so such a job is no gate.
OPT_IN_STATE = (
    "github.event.pull_request.labels", "github.event.label", "github.event.action", "github.actor",
    "github.triggering_actor", "github.event.sender", "github.event.pull_request.user", "github.head_ref",
    "github.event.pull_request.head", "github.event.pull_request.title", "github.event.pull_request.body",
    "inputs", "vars",
)
# Values computed while the workflow runs: a job's or a step's outputs, outcome or result (a changed-files
# filter's output, a cache hit). aigov cannot know them, so a job or step that runs only for some of them
# is a gate it cannot verify, and a skipped required check reports success.
RUNTIME_STATE = ("needs", "steps")
# Where a pull request's head comes from: a branch of the repository itself, or a fork. Not opt-in state:
# every pull request from a fork has it, and there the repository's secrets are empty (GitHub, "Using
# secrets in GitHub Actions": secrets other than GITHUB_TOKEN are not passed to workflows triggered by a
# pull request from a fork).
FORK_STATE = "github.event.pull_request.head.repo"
_REPOSITORY, _OWNER = Symbol("github.repository"), Symbol("github.repository_owner")
_FORK_REPOSITORY, _FORK_OWNER = Symbol("the fork's repository"), Symbol("the fork's owner")
# Status functions that let a job run although a job it needs was skipped or failed.
_STATUS_OVERRIDE = re.compile(r"\b(always|failure|cancelled)\s*\(", re.I)
_BLOCK_SCALAR = re.compile(r"\brun\s*:\s*[|>]")


@dataclass
class Step:
    path: str  # the file that holds the step: a workflow or an action.yml
    line: int
    field: str  # its field path in that file, such as jobs.evals.steps[2]
    data: dict[str, Any]
    lines: dict[str, int]
    run_first_line: int = 0  # the file line of the script's first line
    action: Action | None = None  # a local composite action the step uses, resolved
    unresolved: str | None = None  # why a local `uses:` could not be followed

    @property
    def run(self) -> str | None:
        return _text(self.data, "run")

    @property
    def uses(self) -> str | None:
        return _text(self.data, "uses")

    def line_of(self, key: str) -> int:
        return self.lines.get(f"{self.field}.{key}", self.line)


@dataclass
class Action:
    path: str  # action.yml, repository-relative
    using: str
    steps: list[Step] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)  # the declared `inputs:`, with their defaults


@dataclass
class Job:
    id: str
    path: str
    line: int
    data: dict[str, Any]
    lines: dict[str, int]
    steps: list[Step] = field(default_factory=list)
    called: Workflow | None = None  # the local reusable workflow this job calls, resolved
    unresolved: str | None = None

    @property
    def needs(self) -> list[str]:
        needs = self.data.get("needs")
        return [str(n) for n in needs] if isinstance(needs, list) else ([str(needs)] if needs else [])

    @property
    def uses(self) -> str | None:
        return _text(self.data, "uses")

    def line_of(self, key: str) -> int:
        return self.lines.get(f"jobs.{self.id}.{key}", self.line)

    @property
    def windows(self) -> bool:
        return "windows" in str(self.data.get("runs-on", "")).lower()


@dataclass
class Trigger:
    event: str
    line: int
    config: dict[str, Any]
    lines: dict[str, int]  # filter key -> line (branches, branches-ignore, paths, paths-ignore, types)


@dataclass
class Workflow:
    path: str
    data: dict[str, Any]
    lines: dict[str, int]
    on_line: int
    triggers: dict[str, Trigger]
    jobs: dict[str, Job] = field(default_factory=dict)
    # What makes GitHub refuse to run the workflow at all, as (line, detail).
    invalid: list[tuple[int, str]] = field(default_factory=list)
    # never_running() per (event, branch): asked once per job and feature, it walks every job.
    _never: dict[tuple[str, str, str], set[str]] = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


@dataclass
class Workflows:
    """Every workflow of the repository, by repository-relative path."""

    by_path: dict[str, Workflow] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Workflow]:
        return iter(self.by_path.values())


def load_workflows(tree: Tree) -> Workflows:
    """Parse ``.github/workflows`` at the repository root; malformed YAML is an AigovError at its line."""
    workflows = Workflows()
    folder = tree.resolve(WORKFLOW_DIR)
    if folder.kind != FOLDER:
        return workflows
    for rel in tree.files_under(folder.path):
        name = rel[len(folder.path) + 1:]
        if "/" not in name and name.endswith((".yml", ".yaml")) and tree.kind(rel) == FILE:
            workflows.by_path[rel] = _parse_workflow(tree.read_text(rel), rel)
    resolver = _Resolver(tree, workflows)
    for workflow in workflows:
        resolver.resolve_workflow(workflow)
    return workflows


def _parse_workflow(text: str, path: str) -> Workflow:
    doc = parse_yaml(text, path)
    data = doc.data
    if not isinstance(data, dict):
        raise AigovError("a workflow must be a YAML mapping with `on` and `jobs`", path, _line(doc, ""))
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true; GitHub means the event list.
    on = data["on"] if "on" in data else data.get("True")
    if on is None:
        raise AigovError("workflow has no `on:` (the events that trigger it)", path, 1)
    workflow = Workflow(path, data, doc.lines, _line(doc, "on"), _triggers(on, doc, path))
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise AigovError("`jobs` must be a mapping of job ids to jobs", path, _line(doc, "jobs"))
    lines = _text_lines(text)
    for job_id, job_data in jobs.items():
        workflow.jobs[job_id] = _parse_job(job_id, job_data, doc, path, lines)
    workflow.invalid = _invalid(workflow)
    return workflow


def _invalid(workflow: Workflow) -> list[tuple[int, str]]:
    """What GitHub rejects in a workflow: jobs without a runner, unknown or circular `needs`, a matrix over
    the job cap, expressions nested too deep. Such a workflow never runs, so it gates nothing."""
    found: list[tuple[int, str]] = []
    for job in workflow.jobs.values():
        if "runs-on" not in job.data and "uses" not in job.data:
            found.append((job.line, f"job '{job.id}' has no `runs-on` (and is not a reusable-workflow `uses:` call)"))
        for need in job.needs:
            if need not in workflow.jobs:
                found.append((job.line_of("needs"), f"job '{job.id}' needs '{need}', which is not a job of this workflow"))
        size = matrix_size(job)
        if size is not None and size > MAX_MATRIX_JOBS:
            found.append((job.line_of("strategy.matrix"), f"the matrix of job '{job.id}' expands to at least {size} jobs; GitHub allows at most {MAX_MATRIX_JOBS}"))
        found.extend(_deep_expressions(job))
        found.extend(_secrets_in_conditions(job))
    found.extend(_needs_cycles(workflow))
    return found


def _secrets_in_conditions(job: Job) -> list[tuple[int, str]]:
    """GitHub rejects a workflow whose job or step `if:` reads `secrets` (not available in `if:`; the
    documented way is a secret in `env:`, tested as `env.NAME`)."""
    places = [(job.data, job.line_of, "job")] + [(step.data, step.line_of, "step") for step in job.steps]
    return [(line_of("if"), f"{what} `if: {_show(data['if'])}` reads secrets, which GitHub does not allow in if: conditions; it rejects the workflow")
            for data, line_of, what in places
            if "if" in data and any(n == "secrets" or n.startswith("secrets.") for n in names(data["if"]))]


def _deep_expressions(job: Job) -> list[tuple[int, str]]:
    found = []
    places = [(job.data, job.line_of, "job")] + [(step.data, step.line_of, "step") for step in job.steps]
    for data, line_of, what in places:
        for key in ("if", "continue-on-error"):
            if key in data and isinstance(data[key], str):
                try:
                    parse_check(data[key])
                except ExpressionTooLarge as exc:
                    found.append((line_of(key), f"{what} `{key}:` {exc}; GitHub rejects the workflow"))
    return found


def _needs_cycles(workflow: Workflow) -> list[tuple[int, str]]:
    """Each cycle of `needs:`, reported at the `needs:` of the job that closes it (iterative: no recursion
    limit to hit on a long chain of jobs)."""
    done: set[str] = set()
    found: list[tuple[int, str]] = []
    for root in workflow.jobs:
        if root in done:
            continue
        path: list[str] = [root]
        pending: list[list[str]] = [[n for n in workflow.jobs[root].needs if n in workflow.jobs]]
        while path:
            if not pending[-1]:
                done.add(path.pop())
                pending.pop()
                continue
            need = pending[-1].pop()
            if need in path:
                cycle = [*path[path.index(need):], need]
                found.append((workflow.jobs[path[-1]].line_of("needs"), f"jobs {' -> '.join(cycle)} need each other in a cycle"))
            elif need not in done:
                path.append(need)
                pending.append([n for n in workflow.jobs[need].needs if n in workflow.jobs])
    return found


def _line(doc: YamlDocument, key: str) -> int:
    """The line of ``key`` or of its nearest enclosing field: a workflow is a mapping, so its root has one."""
    return doc.line_of(key) or 1


def _text_lines(text: str) -> list[str]:
    return text.split("\n")


def _triggers(on: Any, doc: YamlDocument, path: str) -> dict[str, Trigger]:
    line = _line(doc, "on")
    if isinstance(on, str):
        return {on: Trigger(on, line, {}, {})}
    if isinstance(on, list) and all(isinstance(e, str) for e in on):
        return {e: Trigger(e, _line(doc, f"on[{i}]"), {}, {}) for i, e in enumerate(on)}
    if isinstance(on, dict):
        triggers = {}
        for event, config in on.items():
            config = config if isinstance(config, dict) else {}
            keys = {k: _line(doc, f"on.{event}.{k}") for k in config}
            triggers[event] = Trigger(event, _line(doc, f"on.{event}"), config, keys)
        return triggers
    raise AigovError("`on` must be an event name, a list of event names or a mapping of events", path, line)


def _parse_job(job_id: str, data: Any, doc: YamlDocument, path: str, text_lines: list[str]) -> Job:
    prefix = f"jobs.{job_id}"
    if not isinstance(data, dict):
        raise AigovError(f"job '{job_id}' must be a mapping", path, _line(doc, prefix))
    job = Job(job_id, path, _line(doc, prefix), data, doc.lines)
    steps = data.get("steps", [])
    if not isinstance(steps, list):
        raise AigovError(f"job '{job_id}': `steps` must be a list", path, _line(doc, f"{prefix}.steps"))
    job.steps = _parse_steps(steps, f"{prefix}.steps", doc, path, text_lines)
    return job


def _parse_steps(steps: list[Any], prefix: str, doc: YamlDocument, path: str, text_lines: list[str]) -> list[Step]:
    parsed = []
    for index, data in enumerate(steps):
        where = f"{prefix}[{index}]"
        if not isinstance(data, dict):
            raise AigovError("a step must be a mapping with `run` or `uses`", path, _line(doc, where))
        # GitHub rejects such a workflow outright; reading past it would judge a workflow that never runs.
        for key in ("run", "uses"):
            if key in data and not isinstance(data[key], str):
                raise AigovError(f"a step's `{key}` must be a string", path, _line(doc, f"{where}.{key}"))
        step = Step(path, _line(doc, where), where, data, doc.lines)
        if "run" in data:
            run_line = _line(doc, f"{where}.run")
            block = 0 < run_line <= len(text_lines) and _BLOCK_SCALAR.search(text_lines[run_line - 1])
            step.run_first_line = run_line + 1 if block else run_line
        parsed.append(step)
    return parsed


class _Resolver:
    """Follows local reusable workflows and local composite actions, once each, never in circles."""

    def __init__(self, tree: Tree, workflows: Workflows) -> None:
        self.tree = tree
        self.workflows = workflows
        self.actions: dict[str, Action | str] = {}  # path -> action, or why it cannot be used
        self.loading: set[str] = set()

    def resolve_workflow(self, workflow: Workflow) -> None:
        for job in workflow.jobs.values():
            if job.uses:
                self._resolve_call(job)
            for step in job.steps:
                self._resolve_step(step)

    def _resolve_call(self, job: Job) -> None:
        target = _local(job.uses or "")
        if target is None:
            job.unresolved = f"{job.uses} is not in this repository; aigov does not fetch it"
        elif target in self.workflows.by_path:
            job.called = self.workflows.by_path[target]
        else:
            job.unresolved = f"{target} does not exist"

    def _resolve_step(self, step: Step) -> None:
        target = _local(step.uses or "")
        if target is None:
            return
        found = self._action(target)
        if isinstance(found, Action):
            step.action = found
        else:
            step.unresolved = found

    def _action(self, folder: str) -> Action | str:
        if folder in self.loading:
            return f"{folder} uses itself through its own steps (a cycle); aigov does not follow it"
        if folder not in self.actions:
            self.loading.add(folder)
            try:
                self.actions[folder] = self._load_action(folder)
            finally:
                self.loading.discard(folder)
        return self.actions[folder]

    def _load_action(self, folder: str) -> Action | str:
        for name in ("action.yml", "action.yaml"):
            rel = name if folder == "." else f"{folder}/{name}"
            if self.tree.kind(rel) == FILE:
                text = self.tree.read_text(rel)
                doc = parse_yaml(text, rel)
                runs = doc.data.get("runs") if isinstance(doc.data, dict) else None
                if not isinstance(runs, dict):
                    raise AigovError("an action needs a `runs` mapping", rel, _line(doc, "runs"))
                declared = doc.data.get("inputs")
                action = Action(rel, str(runs.get("using", "")), inputs=declared if isinstance(declared, dict) else {})
                if action.using == "composite":
                    steps = runs.get("steps", [])
                    if not isinstance(steps, list):
                        raise AigovError("`runs.steps` must be a list", rel, _line(doc, "runs.steps"))
                    action.steps = _parse_steps(steps, "runs.steps", doc, rel, _text_lines(text))
                    for step in action.steps:
                        self._resolve_step(step)
                return action
        return f"{folder} has no action.yml or action.yaml"


def _local(uses: str) -> str | None:
    """The repository path of a local `uses: ./path`, normalised; None for anything remote."""
    if not uses.startswith("./"):
        return None
    parts = [p for p in uses[2:].split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts) or "."


# --- Jobs as they run ----------------------------------------------------------------------------


@dataclass
class StepRun:
    """A step as it runs: the composite-action `uses:` steps around it first, the step itself last."""

    chain: list[Step]
    shell: Shell

    @property
    def step(self) -> Step:
        return self.chain[-1]


@dataclass
class JobRun:
    """A job as it runs from ``workflow``'s triggers: caller jobs first, the job with the steps last."""

    workflow: Workflow
    chain: list[tuple[Workflow, Job]]

    @property
    def job(self) -> Job:
        return self.chain[-1][1]

    @property
    def name(self) -> str:
        return "/".join(job.id for _, job in self.chain)

    def steps(self) -> list[StepRun]:
        owner, job = self.chain[-1]
        default = default_run(job.data, "shell") or default_run(owner.data, "shell")
        out: list[StepRun] = []
        for step in job.steps:
            _walk_step([step], default, job.windows, out, job)
        return out


def repository_workflows(ctx: Any) -> tuple[Workflows, list[JobRun], list[tuple[JobRun, StepRun]]]:
    """The repository's workflows, their jobs as they run, and every step, parsed once per check.

    ``ctx`` is the collectors' RepoContext; every feature shares what it caches.
    """
    workflows = ctx.once("workflows", lambda: load_workflows(ctx.tree))
    jobs = ctx.once("workflow_jobs", lambda: expand(workflows))
    steps = ctx.once("workflow_steps", lambda: [(job, step) for job in jobs for step in job.steps()])
    return workflows, jobs, steps


def expand(workflows: Workflows) -> list[JobRun]:
    """Every job of every workflow, each local reusable-workflow call replaced by the jobs it runs."""
    runs: list[JobRun] = []
    for workflow in workflows:
        for job in workflow.jobs.values():
            _walk_job(workflow, [(workflow, job)], runs)
    return runs


def _walk_job(top: Workflow, chain: list[tuple[Workflow, Job]], out: list[JobRun]) -> None:
    job = chain[-1][1]
    callee = job.called
    if callee is None:
        out.append(JobRun(top, chain))
        return
    if any(owner is callee for owner, _ in chain):
        return  # GitHub refuses a workflow that calls itself; there is nothing more to run
    for inner in callee.jobs.values():
        _walk_job(top, [*chain, (callee, inner)], out)


def _walk_step(chain: list[Step], default_shell: str | None, windows: bool, out: list[StepRun], job: Job | None = None) -> None:
    """``job``: the job whose own steps these are (an action's steps have no matrix of their own)."""
    step = chain[-1]
    if step.action is not None and step.action.steps:
        for inner in step.action.steps:
            _walk_step([*chain, inner], None, windows, out)
        return
    shell = step.data.get("shell", default_shell)
    if shell is not None and job is not None:
        shell = _on_every_leg(str(shell), job)
    out.append(StepRun(chain, resolve_shell(None if shell is None else str(shell), windows)))


def _on_every_leg(text: str, job: Job) -> str:
    """A setting written as an expression (`shell: ${{ matrix.shell }}`): the one text it has on every leg
    of the job's matrix; as written when the legs differ or aigov cannot tell."""
    if "${{" not in text:
        return text
    values = [evaluate(text, leg) for leg in matrix_legs(job)]
    first = values[0]
    return first if isinstance(first, str) and all(v == first for v in values) else text


def default_run(data: dict[str, Any], key: str) -> str | None:
    """A `defaults.run` setting (shell, working-directory) of a workflow or job."""
    defaults = data.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return _text(run, key) if isinstance(run, dict) else None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


# --- What can stop a job or step from failing the run ---------------------------------------------


def event_context(event: str, default_branch: str, fork: bool = False) -> dict[str, Any]:
    """The `github` context values known for a pull request to the default branch, by event; ``fork``: for a
    pull request whose head is in a fork (otherwise in a branch of the repository itself)."""
    ctx: dict[str, Any] = {"github.event_name": event, "github.repository": _REPOSITORY, "github.repository_owner": _OWNER}
    if event == "pull_request":
        ctx.update({"github.ref": Prefix("refs/pull/"), "github.base_ref": default_branch})
    elif event == "pull_request_target":  # runs in the context of the base branch
        ctx.update({"github.ref": f"refs/heads/{default_branch}", "github.ref_name": default_branch,
                    "github.base_ref": default_branch})
    elif event == "merge_group":
        ctx.update({"github.ref": Prefix("refs/heads/gh-readonly-queue/")})
    if event != "merge_group":
        ctx["github.event.pull_request.base.ref"] = default_branch
    head = {"fork": fork, "full_name": _FORK_REPOSITORY if fork else _REPOSITORY, "owner.login": _FORK_OWNER if fork else _OWNER}
    # A merge group's event carries no pull request: those values are null there.
    ctx.update({f"{FORK_STATE}.{key}": (None if event == "merge_group" else value) for key, value in head.items()})
    return ctx


def _situations(event: str, branch: str) -> dict[str, dict[str, Any]]:
    """The contexts a job can run in on ``event``: a pull request from a fork differs from one from a branch."""
    if event == "pull_request":
        return {"same": event_context(event, branch), "fork": event_context(event, branch, fork=True)}
    return {"same": event_context(event, branch)}


def _env_context(env: dict[str, Any], fork: bool, base: dict[str, Any]) -> dict[str, Any]:
    """`env.<name>` for the values known in ``base``: literals and, on a fork's pull request, the secrets
    they are built from, which are empty there."""
    known: dict[str, Any] = {}
    for name, value in env.items():
        if isinstance(value, str) and "${{" in value:
            context = dict(base)
            if fork:
                context.update({n: "" for part in re.findall(r"\$\{\{(.*?)\}\}", value, re.S) for n in names(part)
                                if n.startswith("secrets.") and n != "secrets.github_token"})
            value = interpolate(value, context)
        if isinstance(value, bool):
            value = "true" if value else "false"  # env values are strings
        if value is not None and not isinstance(value, dict | list):
            known[f"env.{str(name).lower()}"] = value if isinstance(value, str) else str(value)
    return known


def matrix_legs(job: Job) -> list[dict[str, Any]]:
    """The matrix combinations as `matrix.<key>` context values; one empty leg when there is no matrix
    aigov can read, or one GitHub refuses (over its job cap, reported by ``_invalid``)."""
    matrix = _matrix(job)
    size = matrix_size(job)
    if matrix is None or size is None or size > MAX_MATRIX_JOBS:
        return [{}]
    return [_matrix_context(leg) for leg in _expand(matrix)] or [{}]


def _matrix(job: Job) -> dict[str, Any] | None:
    strategy = job.data.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict) or not all(isinstance(v, list) for v in _axes(matrix).values()):
        return None
    return matrix


def _axes(matrix: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in matrix.items() if k not in ("include", "exclude")}


def matrix_size(job: Job) -> int | None:
    """How many jobs the matrix runs, or a lower bound when that is over the cap; None without a matrix.

    Counted before expanding: 8 keys of 10 values are 10^8 combinations, which must never be built.
    Each `exclude` entry removes at most the combinations of the axes it does not name.
    """
    matrix = _matrix(job)
    if matrix is None:
        return None
    sizes = {k: len(v) for k, v in _axes(matrix).items()}
    product = math.prod(sizes.values()) if sizes else 0
    excludes, includes = _entries(matrix.get("exclude")), _entries(matrix.get("include"))
    removable = sum(product // math.prod(sizes[k] or 1 for k in entry if k in sizes) for entry in excludes)
    if product - removable > MAX_MATRIX_JOBS:
        return product - removable
    if product > MAX_MATRIX_EXPANSION or len(includes) > MAX_MATRIX_EXPANSION:
        return MAX_MATRIX_EXPANSION + 1
    return len(_expand(matrix))


def _expand(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """The combinations, as GitHub forms them; only called once ``matrix_size`` has bounded them."""
    axes = _axes(matrix)
    legs = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())] if axes else []
    for excluded in _entries(matrix.get("exclude")):
        legs = [leg for leg in legs if any(leg.get(k) != v for k, v in excluded.items())]
    # An include entry extends the combinations of the axes it agrees with; one that extends none is a
    # leg of its own, which later include entries never extend.
    added: list[dict[str, Any]] = []
    for extra in _entries(matrix.get("include")):
        matching = [leg for leg in legs if all(leg.get(k, v) == v for k, v in extra.items() if k in axes)]
        for leg in matching:
            leg.update({k: v for k, v in extra.items() if k not in axes})
        if not matching:
            added.append(dict(extra))
    return legs + added


def _entries(value: Any) -> list[dict[str, Any]]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _matrix_context(leg: dict[str, Any], prefix: str = "matrix") -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    for key, value in leg.items():
        name = f"{prefix}.{str(key).lower()}"
        if isinstance(value, dict):
            ctx.update(_matrix_context(value, name))
        elif not (isinstance(value, str) and "${{" in value):
            ctx[name] = value
    return ctx


@dataclass
class Blocker:
    """Something that keeps a failing job or step from failing the run, on some pull-request events."""

    kind: str  # if_false | needs_skipped | continue_on_error
    path: str
    line: int
    detail: str
    events: list[str]

    def as_fact(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "line": self.line, "detail": self.detail, "events": self.events}


def blockers(run: JobRun, step: StepRun, default_branch: str, legs: list[dict[str, Any]] | None = None) -> list[Blocker]:
    """Every `if:`, `needs:` and `continue-on-error:` along the way that stops a failure failing the run.

    ``legs`` narrows the matrix to some of its legs (those that run in one folder); default all of them.
    """
    found: list[Blocker] = []
    legs = legs or matrix_legs(run.job)
    inputs: dict[str, Any] = {}
    for index, (owner, job) in enumerate(run.chain):
        if index:  # a called workflow's `inputs` are what its caller job passes `with:`, or their defaults
            call = owner.triggers.get("workflow_call")
            inputs = _inputs(run.chain[index - 1][1].data.get("with"), call.config.get("inputs") if call else None)
        found.extend(_skipped_by_needs(owner, job, default_branch))
        found.extend(_condition(job.data, job.path, job.line_of("if"), "job", [{}], default_branch, inputs))
        job_legs = legs if job is run.job else [{}]
        found.extend(_continue_on_error(job.data, job.path, job.line_of("continue-on-error"), "job", job_legs, default_branch))
    owner, job = run.chain[-1]
    env = {**_mapping(owner.data.get("env")), **_mapping(job.data.get("env"))}
    for index, item in enumerate(step.chain):
        if index:  # a composite action's `inputs` come from the step that uses it
            user = step.chain[index - 1]
            inputs = _inputs(user.data.get("with"), user.action.inputs if user.action else None)
        env = {**env, **_mapping(item.data.get("env"))}
        found.extend(_condition(item.data, item.path, item.line_of("if"), "step", legs, default_branch, inputs, env))
        found.extend(_continue_on_error(item.data, item.path, item.line_of("continue-on-error"), "step", legs, default_branch))
    return found


def _inputs(given: Any, declared: Any) -> dict[str, Any]:
    """Input values by name: those given `with:`, else the declared defaults."""
    values = {str(k).lower(): spec.get("default") for k, spec in declared.items() if isinstance(spec, dict) and "default" in spec} if isinstance(declared, dict) else {}
    if isinstance(given, dict):
        values.update({str(k).lower(): v for k, v in given.items()})
    return values


def _input_context(inputs: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """`inputs.<name>` for the values known under ``context``: literals, and expressions it decides."""
    known = {}
    for name, value in inputs.items():
        value = evaluate(value, context) if isinstance(value, str) and "${{" in value else value
        if not isinstance(value, Unknown):
            known[f"inputs.{name}"] = value
    return known


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _condition(data: dict[str, Any], path: str, line: int, what: str, legs: list[dict[str, Any]], branch: str,
               inputs: dict[str, Any], env: dict[str, Any] | None = None) -> list[Blocker]:
    if "if" not in data:
        return []
    shown = f"{what} `if: {_show(data['if'])}`"
    truths: dict[str, dict[str, list[bool | None]]] = {}
    for event in PR_EVENTS:
        truths[event] = {}
        for variant, ctx in _situations(event, branch).items():
            ctx = {**ctx, **_input_context(inputs, ctx), **_env_context(env or {}, variant == "fork", ctx)}
            truths[event][variant] = [truth(data["if"], {**ctx, **leg}) for leg in legs]
    never = [e for e in PR_EVENTS if all(t is False for variant in truths[e].values() for t in variant)]
    found = []
    if never:
        found.append(Blocker("if_false", path, line, f"{shown} is never true on {', '.join(never)}, so the {what} is skipped", never))
    pr = truths["pull_request"]
    if "pull_request" not in never and all(t is False for t in pr["fork"]):
        detail = (f"{shown} is false on pull requests from forks (their head is another repository, and the repository's "
                  f"secrets are empty there), so the {what} is skipped for them and the check reports success")
        found.append(Blocker("if_fork", path, line, detail, ["pull_request"]))
    elif "pull_request" not in never and all(t is False for t in pr["same"]):
        found.append(Blocker("if_false", path, line, f"{shown} is false on pull requests from the repository's own branches, so the {what} is skipped", ["pull_request"]))
    opt_in = _opt_in(data["if"])
    # Opt-in state the condition reads but aigov could not resolve (inputs given by a caller are resolved).
    maybe = [e for e in PR_EVENTS if e not in never and None in truths[e]["same"]] if opt_in else []
    if maybe and opt_in:
        skipped = (f"a value computed while the workflow runs that aigov cannot know, so the {what} may be skipped on a pull request"
                   if opt_in.split(".")[0] in RUNTIME_STATE else f"so the {what} is skipped on pull requests that do not opt in")
        detail = f"{shown} depends on {opt_in}, {skipped}, and a skipped required check reports success"
        found.append(Blocker("if_opt_in", path, line, detail, maybe))
    return found


def _opt_in(condition: Any) -> str | None:
    """The opt-in state (labels, actor, inputs, vars...) a condition reads, or the value computed while the
    workflow runs (``needs.<job>.outputs.<name>``) it reads; None when it reads neither."""
    for name in names(condition):
        if name == FORK_STATE or name.startswith(FORK_STATE + "."):
            continue  # where the head comes from is known for each kind of pull request: not opt-in
        for state in OPT_IN_STATE:
            if name == state or name.startswith(state + "."):
                return state
        if name.split(".")[0] in RUNTIME_STATE and "." in name:
            return name
    return None


def _continue_on_error(data: dict[str, Any], path: str, line: int, what: str, legs: list[dict[str, Any]], branch: str) -> list[Blocker]:
    value = data.get("continue-on-error")
    if value is None or value is False:
        return []
    # The failure is kept only on legs where continue-on-error is known to be false.
    events = [e for e in PR_EVENTS if not any(truth(value, {**event_context(e, branch), **leg}) is False for leg in legs)]
    if not events:
        return []
    certain = all(truth(value, {**event_context(e, branch), **leg}) is True for e in events for leg in legs)
    how = "lets the run pass when it fails" if certain else "may be true, and then lets the run pass when it fails"
    return [Blocker("continue_on_error", path, line, f"{what} `continue-on-error: {_show(value)}` {how}", events)]


def _skipped_by_needs(owner: Workflow, job: Job, branch: str) -> list[Blocker]:
    """A job is skipped when a job it needs never runs, unless its `if:` uses always()/failure()/cancelled()."""
    if _STATUS_OVERRIDE.search(str(job.data.get("if", ""))):
        return []
    by_need: dict[str, list[str]] = {}
    forks: list[str] = []
    for event in PR_EVENTS:
        variants = {variant: never_running(owner, event, branch, variant) for variant in _situations(event, branch)}
        never = set.intersection(*variants.values())
        need = next((n for n in job.needs if n in never), None)
        if need is not None:
            by_need.setdefault(need, []).append(event)
        elif "fork" in variants:
            forks += [n for n in job.needs if n in variants["fork"]][:1]
    found = [
        Blocker("needs_skipped", job.path, job.line_of("needs"),
                f"job '{job.id}' needs '{need}', which is skipped on {', '.join(events)} (always, or unless the pull request opts in), so '{job.id}' is skipped too", events)
        for need, events in by_need.items()
    ]
    found += [Blocker("if_fork", job.path, job.line_of("needs"),
                      f"job '{job.id}' needs '{need}', which is skipped on pull requests from forks, so '{job.id}' is skipped for them and the check reports success",
                      ["pull_request"]) for need in forks]
    return found


def never_running(workflow: Workflow, event: str, branch: str, variant: str = "same") -> set[str]:
    """Jobs of ``workflow`` that are skipped on every run for ``event``, or unless the pull request opts in
    (``variant``: on a pull request from a branch of the repository, "same", or from a fork, "fork")."""
    key = (event, branch, variant)
    if key not in workflow._never:
        workflow._never[key] = _never_running(workflow, _situations(event, branch)[variant])
    return workflow._never[key]


def _never_running(workflow: Workflow, context: dict[str, Any]) -> set[str]:
    never = {j.id for j in workflow.jobs.values() if "if" in j.data and _skipped(j.data["if"], context)}
    changed = True
    while changed:
        changed = False
        for job in workflow.jobs.values():
            if job.id not in never and any(n in never for n in job.needs) and not _STATUS_OVERRIDE.search(str(job.data.get("if", ""))):
                never.add(job.id)
                changed = True
    return never


def _skipped(condition: Any, context: dict[str, Any]) -> bool:
    """Skipped on every pull request, or on every one that does not opt in."""
    known = truth(condition, context)
    return known is False or (known is None and _opt_in(condition) is not None)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


# --- Permissions and the default branch -----------------------------------------------------------


def grants_id_token(run: JobRun) -> tuple[bool, str, int]:
    """Whether every level of the job grants `id-token: write`, and the file and line that decides it.

    A job's `permissions` replace the workflow's; a called workflow can only keep or narrow what its
    caller job grants, and GitHub's default token never includes `id-token: write`.
    """
    granted = False
    where = (run.job.path, run.job.line)
    for owner, job in run.chain:
        perms, path, line = _effective_permissions(owner, job)
        if perms is None:
            continue
        where = (path, line)
        granted = perms == "write-all" or (isinstance(perms, dict) and perms.get("id-token") == "write")
        if not granted:
            return False, path, line
    return granted, where[0], where[1]


def _effective_permissions(owner: Workflow, job: Job) -> tuple[Any, str, int]:
    if "permissions" in job.data:
        return job.data["permissions"], job.path, job.line_of("permissions")
    if "permissions" in owner.data:
        return owner.data["permissions"], owner.path, owner.line_of("permissions")
    return None, job.path, job.line


def default_branch(root: Path, settings: dict[str, Any]) -> tuple[str, str]:
    """The repository's default branch and where it came from: settings, git, or the fallback.

    Read from the files under .git (no git process, no gitpython): refs/remotes/origin/HEAD when a
    clone recorded it, else the only local branch of a repository that has just one. A checked-out
    feature branch is never taken for the default branch.
    """
    configured = settings.get("default_branch")
    if configured:
        return str(configured), "settings"
    git_dir = _git_dir(root)
    if git_dir is not None:
        found = _origin_head(git_dir) or _only_branch(git_dir)
        if found:
            return found, "git"
    return str(settings.get("fallback_default_branch") or "main"), "fallback"


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            dot_git = (root / text[len("gitdir:"):].strip()).resolve()
    if not dot_git.is_dir():
        return None
    common = dot_git / "commondir"
    if common.is_file():
        dot_git = (dot_git / common.read_text(encoding="utf-8").strip()).resolve()
    return dot_git


def _origin_head(git_dir: Path) -> str | None:
    head = git_dir / "refs" / "remotes" / "origin" / "HEAD"
    text = head.read_text(encoding="utf-8", errors="replace").strip() if head.is_file() else ""
    prefix = "ref: refs/remotes/origin/"
    return text[len(prefix):] if text.startswith(prefix) else None


def _only_branch(git_dir: Path) -> str | None:
    heads = git_dir / "refs" / "heads"
    branches = {p.relative_to(heads).as_posix() for p in heads.rglob("*") if p.is_file()} if heads.is_dir() else set()
    packed = git_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
            ref = line.partition(" ")[2]
            if ref.startswith("refs/heads/"):
                branches.add(ref[len("refs/heads/"):])
    head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip() if (git_dir / "HEAD").is_file() else ""
    current = head[len("ref: refs/heads/"):] if head.startswith("ref: refs/heads/") else None
    if current and branches <= {current}:
        return current  # one branch (or a fresh repository whose first branch has no commit yet)
    return None
