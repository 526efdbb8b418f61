"""``aigov init``: onboard an existing repository - draft its aigov.yaml, a model-card skeleton and an
eval config from what the code and CI already do, then say what ``aigov check`` still finds.

Everything drafted is justified by something read: the models are the ones the code calls (each
with the places, for the team to confirm), the eval config is the one the repository already has
(a promptfoo config) or runs the command a workflow already runs, the tier and owner are the team's answers (asked on a terminal, flags elsewhere). What aigov
cannot know - the card's prose, the review date, the eval datasets and thresholds - is left for
the team, and the check at the end names the findings that remain because of it. Nothing
existing is overwritten; nothing is written unless every draft can be.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from aigov.check import run_check
from aigov.check.authority import resolve_authority
from aigov.check.options import CheckOptions
from aigov.clock import utc_now
from aigov.commandline import PathArg, fails_closed
from aigov.commands.new import CLASSIFICATIONS, TIERS, prompt
from aigov.config import load_repository_config
from aigov.errors import AigovError
from aigov.facts.build import RepoContext
from aigov.facts.discovery import MANIFEST_NAME, FeatureLocation, is_manifest, parent
from aigov.facts.eval_commands import NATIVE_CONFIGS
from aigov.facts.evals import detect_runner, eval_config_facts, eval_gate_facts, eval_steps, runner_patterns
from aigov.facts.manifest import Manifest
from aigov.facts.model_refs import collect_model_references
from aigov.files import find_repository_root
from aigov.tree import WorkTree, join
from aigov.untrusted import line_text, visible
from aigov.words import counted
from aigov.yamlfile import parse_yaml

MANIFEST = "aigov.yaml"
CARD = "MODEL_CARD.md"
EVAL_CONFIGS = ("evals/config.yaml", "evals/aigov-evals.yaml")  # the first that is free (never named aigov.yaml: a manifest)
OVERSIGHT = ("human-in-the-loop", "human-on-the-loop", "human-in-command", "none")
MAX_PLACES = 3  # places shown beside each model; the check lists them all

# The tier questions: the first "yes" decides. The answers are the team's; aigov only asks.
TIER_QUESTIONS = (
    ("high", "Can its output decide or shape decisions about people (hiring, credit, housing, health, education, "
             "legal or public services), or act in the world without a person reviewing it first?"),
    ("medium", "Does its output reach customers or the public directly, or does it read confidential or restricted data?"),
)


@dataclass
class CalledModel:
    """A model the feature's code calls or configures, as the manifest will declare it."""

    id: str
    provider: str | None
    registered: bool
    places: list[str]  # feature-relative path:line


@dataclass
class EvalGate:
    """An eval the repository already has - an eval config aigov reads (a promptfoo config), or a
    command a workflow runs - and whether aigov finds it run on pull requests."""

    runner: str
    command: str  # as CI runs it; for an existing config, the command aigov reads from it
    workflow: str | None  # path:line of the step that runs it; None when no workflow does
    job: str | None
    gates: bool  # a pull-request job runs it and nothing found keeps its failure from failing the run
    config: str | None = None  # the existing eval config (feature-relative) that spec.evals.config names


@dataclass
class Survey:
    """What aigov found in the repository for the feature at ``feature_dir``."""

    root: Path
    feature_dir: str  # repository-relative, "." for the root
    models: list[CalledModel] = field(default_factory=list)
    unscanned: list[dict[str, Any]] = field(default_factory=list)
    evals: list[EvalGate] = field(default_factory=list)


@click.command("init")
@click.argument("path", type=PathArg, default=".")
@click.option("--name", help="Feature name (lowercase, dashes). Default: the folder's name.")
@click.option("--tier", type=click.Choice(TIERS), help="Risk tier. On a terminal aigov init asks questions that suggest one.")
@click.option("--owner", help="Owning team (GitHub team slug).")
@click.option("--description", help="One sentence on what the feature does and for whom.")
@click.option("--data-classification", type=click.Choice(CLASSIFICATIONS), help="Most sensitive data the feature handles.")
@click.option("--human-oversight", type=click.Choice(OVERSIGHT), help="High tier: how a person oversees the feature.")
@click.option("--incident-contact", help="High tier: on-call alias, channel or paging URL.")
@click.option("--model", "models", multiple=True, metavar="ID",
              help="A model the feature calls that aigov did not find in the code; repeat for more.")
@click.option("--registry", type=PathArg, help="Approved-model registry to use instead of the shipped/org one.")
@click.option("--config", "config_path", type=PathArg, envvar="AIGOV_CONFIG", help="The org config (outside the repository).")
@click.option("--interactive/--no-interactive", default=None, help="Ask for what is missing. Default: only on a terminal.")
@click.option("--dry-run", is_flag=True, help="Print the drafts; write nothing.")
@fails_closed
def command(path: Path, name: str | None, tier: str | None, owner: str | None, description: str | None,
            data_classification: str | None, human_oversight: str | None, incident_contact: str | None,
            models: tuple[str, ...], registry: Path | None, config_path: Path | None, interactive: bool | None,
            dry_run: bool) -> None:
    """Draft aigov.yaml, a model card and an eval config for the existing code in PATH.

    The models are the ones the code calls (each with where, for the team to confirm); the eval
    config is the one already there (a promptfoo config) or runs the eval command a workflow runs
    (in a step, through make, npm, tox..., or an eval action), wired as the gate when it is one. The tier,
    owner and data classification are the team's: asked on a terminal, --tier, --owner and
    --data-classification elsewhere (CI). Nothing existing is overwritten. At the end aigov check
    runs and every finding that remains is listed with its fix - the card's prose and review
    date, the eval datasets and thresholds are for the team to write.

    \b
    Example:
      aigov init .                                   # on a terminal: answers a few questions
      aigov init services/bot --tier medium --owner team-bot --data-classification internal
    """
    folder = path.resolve()
    if not folder.is_dir():
        raise AigovError("is not a directory", str(path))
    survey = survey_repository(folder, registry, config_path)
    ask = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    answers = {"name": name or _default_name(folder), "tier": tier, "owner": owner, "description": description,
               "data_classification": data_classification, "human_oversight": human_oversight,
               "incident_contact": incident_contact}
    if ask:
        _ask_missing(answers)
    _require(answers)
    for extra in models:
        if not any(model.id == extra for model in survey.models):
            survey.models.append(CalledModel(extra, None, False, []))
    if not survey.models:
        raise AigovError("found no model the code calls (it reads Python, JavaScript/TypeScript, notebooks and config); "
                         "name each model it calls with --model ID: aigov init declares no model it did not find", str(path))
    drafts = draft_files(survey, answers, folder)
    if dry_run:
        for rel, text in drafts.items():
            click.echo(f"--- {rel}\n{text}")
        return
    write_all(folder, drafts)
    _report(survey, answers, drafts, folder, registry, config_path)


# --- What is there -------------------------------------------------------------------------------


def survey_repository(folder: Path, registry_path: Path | None, config_path: Path | None) -> Survey:
    """The models the code at ``folder`` calls and the eval commands CI runs, read as aigov check reads them."""
    root = find_repository_root(folder)
    tree = WorkTree(root)
    feature_dir = tree.rel(folder)
    manifest = os.path.join(folder, MANIFEST)
    if os.path.lexists(manifest):
        raise AigovError(f"already has {MANIFEST}; aigov init never overwrites (aigov check judges it)", str(folder))
    # Read as a check reads it: the same authority (org config, bundle, registry), then what the repository's own config adds.
    authority = resolve_authority(CheckOptions(config_path=config_path, registry_path=registry_path), root)
    pack = authority.pack_for(load_repository_config(tree), tree)
    ctx = RepoContext(tree=tree, registry=pack.data["aigov"]["registry"], now=utc_now(), settings=pack.data["aigov"]["settings"])
    try:
        location = _location(tree, feature_dir)
        survey = Survey(root, feature_dir)
        survey.models, survey.unscanned = called_models(ctx, location)
        survey.evals = eval_gates(ctx, location)
    finally:
        tree.close()
    return survey


def _location(tree: Any, feature_dir: str) -> FeatureLocation:
    """The files the new feature would own: those under its folder that no feature inside it owns."""
    prefix = "" if feature_dir == "." else feature_dir + "/"
    under = [rel for rel in tree.files if rel.startswith(prefix)]
    inner = {parent(rel) + "/" for rel in under if is_manifest(rel)}
    own = [rel for rel in under if not any(rel.startswith(folder) for folder in inner)]
    return FeatureLocation(dir=feature_dir, manifest_path=prefix + MANIFEST_NAME, files=own)


def called_models(ctx: RepoContext, location: FeatureLocation) -> tuple[list[CalledModel], list[dict[str, Any]]]:
    """Each model the code calls or configures (the references that would decide AIGOV-MODEL-009/010/012),
    by registry id when registered, with its places; and the files that could not be read for them."""
    facts = collect_model_references(ctx.tree, location.files, ctx.model_index, set(), join(location.dir, "prompts"), location.dir)
    registry = {model["id"]: model for model in ctx.registry.get("models", [])}
    prefix = "" if location.dir == "." else location.dir + "/"
    found: dict[str, CalledModel] = {}
    for ref in facts["model_references"]:
        if ref["how"] == "mention":
            continue
        model = found.setdefault(ref["model"], CalledModel(
            ref["model"], registry[ref["model"]]["provider"] if ref["registered"] else ref.get("provider"), ref["registered"], []))
        place = f"{ref['path'][len(prefix):] if ref['path'].startswith(prefix) else ref['path']}:{ref['line']}"
        if place not in model.places:
            model.places.append(place)
    return sorted(found.values(), key=lambda model: model.places[0]), facts["unscanned_files"]


def eval_gates(ctx: RepoContext, location: FeatureLocation) -> list[EvalGate]:
    """The evals the repository already has, found as the eval collector finds them (facts/evals.py
    eval_steps: commands of `run:` scripts and of the make, npm, tox... scripts they run; eval actions),
    each checked as the gate it would be with the collector's own facts: first the eval configs aigov
    reads (a promptfoo config a step evaluates or the feature's folder holds), then the commands CI runs."""
    settings = ctx.settings.get("evals") or {}
    manifest = Manifest(location.manifest_path, location.dir, parse_yaml("spec: {}\n", location.manifest_path))
    steps = eval_steps(ctx, settings)
    gates = [gate for config in _eval_configs(location, steps) if (gate := _config_gate(ctx, manifest, location, config, settings))]
    read = {join(location.dir, gate.config) for gate in gates if gate.config}
    draft = join(location.dir, EVAL_CONFIGS[0])
    runners = runner_patterns(settings)
    for step in steps:
        command = step["command"]
        if not command or read.intersection(step["configs"]) or any(gate.command == command for gate in gates):
            continue
        facts = eval_gate_facts(ctx, manifest, location, {"command": command, "path": draft, "suites": []}, settings)
        gates.append(_gate(facts, location.dir, detect_runner(command, runners) or "custom", step))
    # A gate first; among equals, a config aigov reads, then a command that says it runs evals (pytest also runs unit tests).
    return sorted(gates, key=lambda gate: (not gate.gates, gate.config is None, "eval" not in gate.command.lower()))


def _eval_configs(location: FeatureLocation, steps: list[dict[str, Any]]) -> list[str]:
    """The feature's files that may be an eval config: the runner configs CI evaluates, those a runner
    reads by default in the feature's folder, and the files aigov init would draft."""
    defaults = [name for _, _, names in NATIVE_CONFIGS.values() for name in names] + list(EVAL_CONFIGS)
    candidates = [config for step in steps for config in step["configs"]] + [join(location.dir, name) for name in defaults]
    owned = set(location.files)
    return [config for config in dict.fromkeys(candidates) if config in owned]


def _config_gate(ctx: RepoContext, manifest: Manifest, location: FeatureLocation, config: str,
                 settings: dict[str, Any]) -> EvalGate | None:
    """An existing file as spec.evals.config: read as aigov check reads it, and where CI runs it; None
    when aigov does not read it as a valid eval config (init then drafts one beside it)."""
    declared = config if location.dir == "." else config[len(location.dir) + 1:]
    try:
        evals = eval_config_facts(ctx.tree, manifest, declared, settings, location.dir)
    except AigovError:  # too large, not UTF-8: not an eval config aigov reads
        return None
    if not evals["valid"]:
        return None
    facts = eval_gate_facts(ctx, manifest, location, evals, settings)
    return _gate(facts, location.dir, evals["runner"] or "custom", None, declared)


def _gate(facts: dict[str, Any], feature_dir: str, runner: str, step: dict[str, Any] | None, config: str | None = None) -> EvalGate:
    """The gate the collector's facts describe, shown at the step that gates (else one that runs it)."""
    gating = [run for run in facts["runs"] if _gates(run, facts, feature_dir)]
    shown = (gating or facts["runs"] or [None])[0]
    where = {"path": shown["path"], "line": shown["step_line"], "job": shown["job"]} if shown else step
    return EvalGate(runner, facts["command"], f"{where['path']}:{where['line']}" if where else None, where["job"] if where else None,
                    bool(gating), config)


def _gates(run: dict[str, Any], facts: dict[str, Any], feature_dir: str) -> bool:
    """A job of a workflow that pull requests to the default branch trigger runs the command in the
    feature's folder, and the collector found nothing on the way that keeps its failure from failing
    the run. The folder as the eval policy counts it (here_folder in policies/aigov/evals.rego): a
    command CI runs in another folder (working-directory: platform) is not this feature's gate."""
    triggers = facts["workflows"][run["workflow"]]["triggers"]
    return (any(t["event"] in ("pull_request", "pull_request_target") and t["targets_default_branch"] and not t["runs_base_workflow"]
                for t in triggers) and not run["defeats"] and _runs_in(run, feature_dir, facts["command"]))


def _runs_in(run: dict[str, Any], feature_dir: str, command: str) -> bool:
    folders = run["directories"]
    return feature_dir in folders or ("." in folders and f"{feature_dir}/" in command)


# --- The team's answers --------------------------------------------------------------------------


def _default_name(folder: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")[:63].strip("-")
    return name or "feature"


def _ask_missing(answers: dict[str, Any]) -> None:
    if not answers["tier"]:
        suggested = "low"
        for tier, question in TIER_QUESTIONS:
            if prompt(f"{question} [y/N]", type=click.BOOL, default=False, show_default=False):
                suggested = tier
                break
        answers["tier"] = prompt("Risk tier", type=click.Choice(TIERS), default=suggested)
    if not answers["owner"]:
        answers["owner"] = prompt("Owning team (GitHub team slug)")
    if not answers["data_classification"]:
        answers["data_classification"] = prompt("Most sensitive data it handles", type=click.Choice(CLASSIFICATIONS),
                                                 default="internal")
    if answers["description"] is None:
        answers["description"] = prompt("What it does and for whom (one sentence, empty to skip)", default="",
                                         show_default=False) or None
    if answers["tier"] == "high":
        if not answers["human_oversight"]:
            answers["human_oversight"] = prompt("How a person oversees it", type=click.Choice(OVERSIGHT))
        if not answers["incident_contact"]:
            answers["incident_contact"] = prompt("Incident contact (on-call alias, channel or paging URL)")


def _require(answers: dict[str, Any]) -> None:
    needed = {"tier": "--tier", "owner": "--owner", "data_classification": "--data-classification"}
    missing = [flag for key, flag in needed.items() if not answers[key]]
    if missing:
        raise AigovError(f"missing {', '.join(missing)}: not on a terminal, so aigov init asks nothing and assumes "
                         "nothing about the feature's risk or its owner; pass them as arguments")
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", answers["name"]):
        raise AigovError(f"--name {answers['name']!r}: use lowercase letters, digits and dashes (at most 63)")


# --- The drafts ----------------------------------------------------------------------------------


def draft_files(survey: Survey, answers: dict[str, Any], folder: Path) -> dict[str, str]:
    """Feature-relative path -> text of each file to write: the manifest, the card unless one exists,
    an eval config when CI already runs an eval command and the feature has no eval config aigov reads."""
    card_exists = os.path.lexists(folder / CARD)
    gate = survey.evals[0] if survey.evals else None
    eval_config = None
    if gate is not None:
        eval_config = gate.config or next((rel for rel in EVAL_CONFIGS if not os.path.lexists(folder / rel)), None)
    drafts = {MANIFEST: _manifest(survey, answers, eval_config)}
    if not card_exists:
        drafts[CARD] = _card(survey, answers)
    if gate is not None and gate.config is None and eval_config is not None:
        drafts[eval_config] = _eval_config(gate)
    return drafts


def _manifest(survey: Survey, answers: dict[str, Any], eval_config: str | None) -> str:
    lines = [
        "# Drafted by `aigov init` from the code and CI of this repository: confirm every line.",
        "apiVersion: aigov.dev/v1",
        "kind: AIFeature",
        "metadata:",
        f"  name: {answers['name']}",
        f"  owner: {_scalar(answers['owner'])}",
    ]
    if answers.get("description"):
        lines.append(f"  description: {_scalar(answers['description'])}")
    lines += [
        "spec:",
        f"  riskTier: {answers['tier']}",
        f"  dataClassification: {answers['data_classification']}",
        "  models:",
        "    # The models the code calls or configures, each with where (aigov read the code; it ran nothing).",
    ]
    for model in survey.models:
        lines.append(f"    - id: {_scalar(model.id)}  # {_places(model)}")
        if model.provider:
            lines.append(f"      provider: {_scalar(model.provider)}")
    lines.append(f"  modelCard: {CARD}")
    if eval_config is not None:
        gate = survey.evals[0]
        what = f"the {gate.runner} eval config there" if gate.config else "the command"
        lines.append(f"  evals: {{config: {_scalar(eval_config)}}}  # {_comment(what)}, {_comment(_run_by(gate))}")
    if answers["tier"] == "high" and (answers.get("human_oversight") or answers.get("incident_contact")):
        lines.append("  oversight:")
        if answers.get("human_oversight"):
            lines.append(f"    humanOversight: {answers['human_oversight']}")
        if answers.get("incident_contact"):
            lines.append(f"    incidentContact: {_scalar(answers['incident_contact'])}")
    return "\n".join(lines) + "\n"


def _places(model: CalledModel) -> str:
    if not model.places:
        return "named with --model; aigov did not find it in the code"
    shown = ", ".join(_comment(place) for place in model.places[:MAX_PLACES])
    more = len(model.places) - MAX_PLACES
    return shown + (f" and {more} more" if more > 0 else "") + ("" if model.registered else "; not in the registry")


def _card(survey: Survey, answers: dict[str, Any]) -> str:
    ids = ", ".join(_scalar(model.id) for model in survey.models)
    return (
        "---\n"
        f"models: [{ids}]\n"
        f"owners: [{_scalar(answers['owner'])}]\n"
        "# last_reviewed: YYYY-MM-DD  - the date the team reviews this card; aigov init reviewed nothing\n"
        "---\n\n"
        f"# {answers['name']}\n\n"
        "Drafted by `aigov init`: the team writes each section.\n\n"
        "## Intended use\n\n"
        "<!-- Who uses it, for what, and what it must not be used for. -->\n\n"
        "## Limitations and risks\n\n"
        "<!-- Where it fails, whom a failure harms, what guards against it. -->\n\n"
        "## Evaluation\n\n"
        "<!-- The eval suites, their datasets and the thresholds that gate a merge. -->\n"
    )


def _run_by(gate: EvalGate) -> str:
    """Where CI runs the eval, as the drafts and the report say it."""
    if gate.workflow is None:
        return "which no workflow runs"
    return f"run by {gate.workflow} (job {gate.job})" + (" on pull requests" if gate.gates else "; aigov finds no pull-request job that gates on it")


def _eval_config(gate: EvalGate) -> str:
    return (
        f"# Drafted by `aigov init`: this command, {_comment(_run_by(gate))}.\n"
        f"# aigov recognises the runner ({_comment(gate.runner)}), not what it tests: confirm this command runs the evals.\n"
        f"runner: {_scalar(gate.runner)}\n"
        f"command: {_scalar(gate.command)}\n"
        "# Name each dataset the command reads and the threshold under which it fails; aigov cannot tell them.\n"
        "suites:\n"
        "#  - name: golden\n"
        "#    dataset: evals/golden.jsonl\n"
        "#    metrics:\n"
        "#      - {name: accuracy, threshold: 0.9}\n"
    )


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@+-]*")


def _scalar(value: str) -> str:
    """A YAML scalar for ``value``: as it is when plain, else double-quoted (JSON strings are YAML)."""
    return value if _PLAIN.fullmatch(value) and value.lower() not in {"yes", "no", "true", "false", "null", "on", "off"} \
        else json.dumps(value)


def _comment(text: str) -> str:
    """Repository text (paths, job names) inside a YAML comment: one line, whatever it holds."""

    return visible(text)


# --- Writing -------------------------------------------------------------------------------------


def write_all(folder: Path, drafts: dict[str, str]) -> None:
    """Every draft or none: each target must not exist (not even as a link) and must stay inside
    ``folder``; each is created exclusively, and what was written is removed if one fails."""
    real = os.path.realpath(folder)
    for rel in drafts:
        target = folder / rel
        if os.path.lexists(target):
            raise AigovError("already exists; aigov init never overwrites", str(target))
        existing = target.parent
        while not os.path.lexists(existing):
            existing = existing.parent
        if os.path.commonpath([real, os.path.realpath(existing)]) != real:
            raise AigovError("is a link out of the feature's folder; aigov init writes nothing there", str(existing))
    written: list[Path] = []
    try:
        for rel, text in drafts.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "x", encoding="utf-8") as out:
                written.append(target)
                out.write(text)
    except BaseException:
        for target in written:
            target.unlink(missing_ok=True)
        raise


# --- What remains --------------------------------------------------------------------------------


def _report(survey: Survey, answers: dict[str, Any], drafts: dict[str, str], folder: Path, registry: Path | None,
            config_path: Path | None) -> None:
    where = survey.feature_dir
    click.echo(f"drafted {answers['name']} ({answers['tier']} tier) in {line_text(where)}:")
    click.echo(f"  {MANIFEST}: {counted(len(survey.models), 'model')} the code calls, each with where - confirm them")
    if CARD in drafts:
        click.echo(f"  {CARD}: a skeleton for the team to write")
    else:
        click.echo(f"  {CARD}: already there, used as it is")
    gate = survey.evals[0] if survey.evals else None
    drafted = next((rel for rel in drafts if rel not in (MANIFEST, CARD)), None)
    if gate is not None and gate.config:
        click.echo(line_text(f"  {gate.config}: the {gate.runner} eval config already there, {_run_by(gate)}"))
    elif gate is not None and drafted:
        state = "the pull-request gate" if gate.gates else "not a pull-request gate yet"
        click.echo(f"  {drafted}: runs `{line_text(gate.command)}` as {line_text(gate.workflow or '')} does ({state})")
    elif gate is not None:
        click.echo(f"  no eval config: {' and '.join(EVAL_CONFIGS)} are taken by files that are not eval configs aigov reads")
    else:
        click.echo("  no eval config: the folder holds none aigov reads, and no workflow runs an eval command aigov recognises")
    result = run_check(folder, CheckOptions(config_path=config_path, registry_path=registry, repository_root=survey.root))
    blocking = [f for f in result.findings if f.blocking and not f.waived and f.feature == answers["name"]]
    if not blocking:
        click.echo("aigov check: pass")
        return
    click.echo(f"aigov check: {counted(len(blocking), 'blocking finding')} left for the team to resolve:")
    for finding in blocking:
        click.echo(line_text(f"  {finding.id} {finding.path}:{finding.line or 1}: {finding.message}"))
        if finding.remediation:
            click.echo(line_text(f"    fix: {finding.remediation}"))
