"""``aigov new``: start an AI feature from a paved-road template, compliant as generated."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from aigov.commandline import PathArg, fails_closed
from aigov.config import load_org_config
from aigov.errors import AigovError
from aigov.policy.loading import build_pack
from aigov.scaffold.catalog import bundled_template, bundled_templates
from aigov.scaffold.generate import NewRequest, approved_models, generate, identity_defaults, registry_id
from aigov.scaffold.interrupts import Terminated
from aigov.words import counted

TIERS = ("low", "medium", "high")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")


@click.command("new")
@click.argument("name", required=False)
@click.option("-t", "--template", help="Paved road to start from (see `aigov templates`).")
@click.option("--tier", type=click.Choice(TIERS), help="Risk tier of the feature.")
@click.option("--owner", help="Owning team (GitHub team slug).")
@click.option("--model", "models", multiple=True, metavar="ID",
              help="Model from the approved-model registry, by its id or an alias, of the kind the template's role needs; "
              "repeat for fallbacks (primary first). Default: the template's suggestion.")
@click.option("--dest", type=PathArg, help="Folder to create (new or empty). Default: ./NAME")
@click.option("--description", help="One sentence on what the feature does and for whom.")
@click.option("--data-classification", type=click.Choice(CLASSIFICATIONS), help="Most sensitive data handled. Default: internal")
@click.option("--incident-contact", help="On-call alias, channel or paging URL. Default: #NAME-oncall")
@click.option("--template-source", metavar="DIR|URL", help="An organisation's own template: a git repository with PEP 440 version tags.")
@click.option("--github-org", metavar="ORG", help="GitHub organisation of the repository: CODEOWNERS teams and the signing "
              "identity are in it. Required (asked on a terminal).")
@click.option("--repository", metavar="ORG/NAME", help="GitHub repository; the release signing identity names it. Default: ORG/NAME")
@click.option("--risk-reviewers", metavar="@ORG/TEAM", help="Who must also approve aigov.yaml, prompts, model card, evals, "
              "workflows and .aigov/ (CODEOWNERS). Default: @ORG/ai-risk-reviewers")
@click.option("--aigov-source", metavar="SOURCE", help="Where CI installs aigov from, pinned: OWNER/REPO@<commit>|v<version> (the "
              "aigov Action), a wheel URL with #sha256=, or git+https://...@<commit>. Default: ORG/aigov@v<this version>")
@click.option("--data", "extra", multiple=True, metavar="KEY=VALUE", help="Another template answer, e.g. human_oversight=human-in-command.")
@click.option("--registry", type=PathArg, help="Approved-model registry to use instead of the shipped/org one.")
@click.option("--config", "config_path", type=PathArg, envvar="AIGOV_CONFIG", help="The org config whose registry decides which models are offered (outside the repository).")
@click.option("--interactive/--no-interactive", default=None, help="Ask for what is missing. Default: only on a terminal.")
@fails_closed
def command(name: str | None, template: str | None, tier: str | None, owner: str | None, models: tuple[str, ...],
            dest: Path | None, description: str | None, data_classification: str | None, incident_contact: str | None,
            github_org: str | None, repository: str | None, risk_reviewers: str | None, aigov_source: str | None,
            template_source: str | None, extra: tuple[str, ...], registry: Path | None, config_path: Path | None,
            interactive: bool | None) -> None:
    """Create the repository of a new AI feature NAME from a paved-road template.

    The repository passes `aigov check` as generated: manifest, model card, versioned prompts,
    evals wired as a CI gate, SBOM, signed releases, CODEOWNERS and a runbook. Only models the
    approved-model registry allows for the tier are accepted. On a terminal aigov new asks for
    whatever is missing, including every answer that ends up in CODEOWNERS or the signing
    identity (--github-org, --repository, --risk-reviewers); elsewhere (CI) NAME, --template,
    --tier, --owner and --github-org are required (also as --data KEY=VALUE). The generated
    workflows install aigov from --aigov-source, pinned, never `pip install aigov` (that name
    on the public index is someone else's). Nothing is written unless the whole repository
    could be generated.

    \b
    Example:
      aigov new support-bot --template rag-service --tier medium --owner team-support --github-org acme
      aigov new triage --template agent --tier high --owner team-ops --github-org acme \\
        --model anthropic.claude-sonnet-4 --aigov-source acme/aigov@v0.1.0
    """
    registry_data, settings = _org_data(registry, config_path)
    ask = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    extra_answers = _pairs(extra)
    # Each answer (a str; the models a list) as the flags and --data give it, completed on a terminal;
    # any may be missing until _require has run.
    answers: dict[str, Any] = {
        "name": name, "template": template, "tier": tier, "owner": owner, "models": list(models),
        "description": description, "data_classification": data_classification,
        **_identity_flags(extra_answers, github_org=github_org, repository=repository,
                          risk_reviewers=risk_reviewers, aigov_source=aigov_source)}
    if ask:
        _ask_missing(answers, registry_data, template_source)
    _require(answers, template_source)
    request = NewRequest(
        name=answers["name"], template=answers["template"], tier=answers["tier"], owner=answers["owner"],
        dest=dest or Path(answers["name"]), models=answers["models"], template_source=template_source,
        description=answers["description"], data_classification=answers["data_classification"] or "internal",
        incident_contact=incident_contact, extra=extra_answers, github_org=answers["github_org"],
        repository=answers["repository"], risk_reviewers=answers["risk_reviewers"], aigov_source=answers["aigov_source"],
    )
    try:
        result = generate(request, registry_data)
    except Terminated as exc:  # nothing is left behind: generate cleaned up on its way out
        click.echo(f"aigov: terminated by signal {exc.signum}; nothing was written", err=True)
        sys.exit(128 + exc.signum)
    identity = request.identity_answers()
    click.echo(f"created {request.name} ({result.template} {result.version}, {request.tier} tier) in {result.path}")
    click.echo(f"  models: {', '.join(result.models)}")
    click.echo(f"  repository: {identity['repository']} (release signing identity); reviewers: {identity['risk_reviewers']}")
    click.echo(f"  CI installs aigov from: {identity['aigov_source']}")
    for line in review_notes(result, request.tier, settings):
        click.echo(line)
    click.echo("next:")
    if result.enclosing_repo is None:
        click.echo(f"  cd {result.path} && git init -b main && git add -A && git commit -m 'aigov new {request.name}'")
        click.echo("  aigov check .    # passes as generated; `aigov update` brings newer template versions")
        return
    folder = result.path.resolve().relative_to(result.enclosing_repo.resolve()).as_posix()
    click.echo(f"  it is inside the git repository {result.enclosing_repo}: GitHub runs workflows only from its root, so move")
    click.echo(f"  {folder}/.github/workflows/*.yml to .github/workflows/ there, with `working-directory: {folder}`")
    click.echo(f"  git add {folder} && git commit -m 'aigov new {request.name}' && aigov check .")


def _org_data(registry: Path | None, config_path: Path | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The approved-model registry and the settings (data.aigov.settings) the org config gives."""
    data = build_pack(load_org_config(config_path), registry).data["aigov"]
    return data["registry"], data["settings"]


def review_notes(result: Any, tier: str, settings: dict[str, Any]) -> list[str]:
    """What the new repository still needs from people: its drafts reviewed, its eval results re-recorded."""
    notes = []
    if result.drafts:
        drafts = settings.get("drafts") or {}
        days = drafts.get("grace_days", 0)
        when = (f"from {(dt.date.today() + dt.timedelta(days=days)).isoformat()} ({counted(days, 'day')}) they block at {tier} tier"
                if tier in drafts.get("blocking_tiers", []) else f"at {tier} tier they never block")
        notes += [f"  drafts: {', '.join(result.drafts)} (status: draft) hold the template's text, not your team's judgement;",
                  f"    aigov reports them now; {when} until a pull request that makes them final is approved",
                  f"    by a CODEOWNER{_required_reviewers(settings, 'draft', tier)}; last_reviewed is then that review's date"]
    if result.recorded:
        notes.append("  eval results recorded in evals/baseline.json: with every prompt or model change, re-run "
                     "`python -m evals.run --config evals/config.yaml --record` and commit it")
    return notes


def _required_reviewers(settings: dict[str, Any], kind: str, tier: str) -> str:
    """", the risk reviewers (@acme/ai-risk)" for each group org data requires for ``kind`` at ``tier``."""
    approvals = settings.get("approvals") or {}
    groups = ((approvals.get("required") or {}).get(kind) or {}).get(tier) or []
    named = approvals.get("reviewers") or {}
    return "".join(f" and the {group} reviewers ({named.get(group, 'not named in org data yet')})" for group in groups)


def _identity_flags(extra: dict[str, str], **flags: str | None) -> dict[str, str | None]:
    """The identity answers from their flags, or from --data KEY=VALUE (taken out of ``extra``)."""
    answers = {}
    for key, value in flags.items():
        given = extra.pop(key, None)
        if value and given and value != given:
            raise AigovError(f"--{key.replace('_', '-')} {value!r} and --data {key}={given!r} disagree; give one")
        answers[key] = value or given or None
    return answers


def _require(answers: dict[str, Any], template_source: str | None) -> None:
    needed = {"name": "NAME", "tier": "--tier", "owner": "--owner", "github_org": "--github-org"}
    if not template_source:
        needed["template"] = "--template"
    missing = [flag for key, flag in needed.items() if not answers[key]]
    if missing:
        raise AigovError(f"missing {', '.join(missing)}: not on a terminal, so aigov new asks for nothing and assumes "
                         "nothing that ends up in CODEOWNERS or signing identities; pass them as arguments")


def _pairs(extra: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AigovError(f"--data {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value
    return pairs


def _ask_missing(answers: dict[str, Any], registry: dict[str, Any], template_source: str | None) -> None:
    """Ask on the terminal for what the flags did not give, offering only valid choices."""
    if not answers["name"]:
        answers["name"] = prompt("Feature name (lowercase, dashes)")
    if not answers["template"] and not template_source:
        for offered in bundled_templates():
            click.echo(f"  {offered.name:<12} {offered.description}")
        answers["template"] = prompt("Template", type=click.Choice([t.name for t in bundled_templates()]))
    if not answers["tier"]:
        answers["tier"] = prompt("Risk tier", type=click.Choice(TIERS), default="medium")
    if not answers["owner"]:
        answers["owner"] = prompt("Owning team (GitHub team slug)")
    _ask_identity(answers)
    if not answers["data_classification"]:
        answers["data_classification"] = prompt("Data classification", type=click.Choice(CLASSIFICATIONS), default="internal")
    if not answers["models"]:
        info = bundled_template(answers["template"]) if answers["template"] else None
        kind = info.model_kinds.get("primary") if info else None  # the role every offered model could fill
        allowed = sorted(approved_models(registry, answers["tier"], dt.date.today(), kind))
        suggested = [m["id"] for m in info.suggested_models.get(answers["tier"], []) if m["id"] in allowed] if info else []
        answers["models"] = _ask_models(allowed, suggested, answers["tier"], kind, registry)


def _ask_models(allowed: list[str], suggested: list[str], tier: str, kind: str | None, registry: dict[str, Any]) -> list[str]:
    what = f"{kind} models" if kind else "models"
    if not allowed:
        raise AigovError(f"the approved-model registry allows no {what} at {tier} tier")
    click.echo(f"{what.capitalize()} approved for {tier} tier:")
    for number, model_id in enumerate(allowed, start=1):
        click.echo(f"  {number}. {model_id}")
    while True:
        reply = prompt("Models, primary first (numbers or ids, comma-separated)", default=", ".join(suggested) or None)
        chosen = [_model_choice(registry_id(registry, item.strip()), allowed) for item in reply.split(",") if item.strip()]
        if chosen and None not in chosen:
            return [c for c in chosen if c]
        click.echo(f"Choose from the list above ({', '.join(allowed)}).")


def _ask_identity(answers: dict[str, Any]) -> None:
    """Every answer that ends up in CODEOWNERS or a signing identity is asked, its default shown."""
    if not answers["github_org"]:
        answers["github_org"] = prompt("GitHub organisation (CODEOWNERS teams and the signing identity are in it)")
    defaults = identity_defaults(answers["name"], answers["github_org"])
    prompts = {"repository": "GitHub repository (the release signing identity)", "risk_reviewers": "Risk reviewers (CODEOWNERS)",
               "aigov_source": "Where CI installs aigov from (pinned)"}
    for key, text in prompts.items():
        if not answers[key]:
            answers[key] = prompt(text, default=defaults[key])


def prompt(text: str, **kwargs: Any) -> Any:
    """click.prompt, with end of input (Ctrl-D, or stdin closed) as a clear error instead of click's bare Abort."""
    try:
        return click.prompt(text, **kwargs)
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None  # Ctrl-C: handled like Ctrl-C anywhere else
        raise AigovError(f"end of input at the prompt {text.split(' (')[0]!r}; nothing was written "
                         "(give every answer as a flag to run without a terminal)") from None


def _model_choice(item: str, allowed: list[str]) -> str | None:
    if item.isdigit() and 1 <= int(item) <= len(allowed):
        return allowed[int(item) - 1]
    return item if item in allowed else None
