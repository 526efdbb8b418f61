"""``aigov new``: validate the request, render the template with copier, move the result into place.

Everything that can be wrong with the request is checked before anything is written. The
repository is rendered into a temporary folder beside the destination and moved into place
only when it is complete (with its SBOM), so a failure, or an interrupt (interrupts.py), leaves
nothing behind.
"""

from __future__ import annotations

import datetime as dt
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.facts.model_card import DOCUMENTS, collect_documents, document_paths
from aigov.sbom.generate import generate_ml_bom
from aigov.scaffold.aigov_source import default_aigov_source, validate_aigov_source
from aigov.scaffold.answers import read_answers
from aigov.scaffold.catalog import TemplateInfo, bundled_template, computed_values, read_template_config, template_info
from aigov.scaffold.interrupts import signals_deferred, signals_raise
from aigov.scaffold.source import git, is_git_source, materialise
from aigov.tree import WorkTree
from aigov.yamlfile import parse_yaml

# A feature name also names the Python package (dashes become underscores), so it starts with a letter.
NAME_PATTERN = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
# What ends up in CODEOWNERS and in the release workflow's signing identity: GitHub's own name rules.
GITHUB_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
TEAM_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
CODE_OWNER = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]{0,38}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?")
TIERS = ("low", "medium", "high")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")


@dataclass
class NewRequest:
    name: str
    template: str | None
    tier: str
    owner: str
    dest: Path
    models: list[str] = field(default_factory=list)  # empty: the template's suggestion for the tier
    template_source: str | None = None
    description: str | None = None
    data_classification: str = "internal"
    incident_contact: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more copier answers (--data KEY=VALUE)
    # Identity answers (CODEOWNERS, the signing identity, where CI installs aigov from). Only
    # github_org has no default: the others are derived from it and from the name.
    github_org: str = ""
    repository: str | None = None  # default: GITHUB_ORG/NAME
    risk_reviewers: str | None = None  # default: @GITHUB_ORG/ai-risk-reviewers
    aigov_source: str | None = None  # default: GITHUB_ORG/aigov@v<this aigov's version>

    def identity_answers(self) -> dict[str, str]:
        """The answers that end up in CODEOWNERS, signing identities and CI, defaults filled in."""
        defaults = identity_defaults(self.name, self.github_org)
        return {
            "github_org": self.github_org,
            "repository": self.repository or defaults["repository"],
            "risk_reviewers": self.risk_reviewers or defaults["risk_reviewers"],
            "aigov_source": self.aigov_source or defaults["aigov_source"],
        }


def identity_defaults(name: str, github_org: str) -> dict[str, str]:
    """What the identity answers other than github_org default to: derived, shown, never a stranger's name."""
    return {"repository": f"{github_org}/{name}", "risk_reviewers": f"@{github_org}/ai-risk-reviewers",
            "aigov_source": default_aigov_source(github_org)}


@dataclass
class NewResult:
    path: Path
    template: str
    version: str
    models: list[str]
    enclosing_repo: Path | None = None  # a git repository the new one was generated inside (a monorepo)
    recorded: bool = False  # the initial eval results record (evals/baseline.json) was written
    drafts: list[str] = field(default_factory=list)  # generated documents that are drafts (status: draft)


def approved_models(registry: dict[str, Any], tier: str, today: dt.date, kind: str | None = None) -> dict[str, dict[str, Any]]:
    """The registry's models a feature of ``tier`` may use today, by id; with ``kind``, only those of that kind."""
    allowed = {}
    for model in registry.get("models", []):
        sunset = model.get("sunset")
        usable = model.get("status") == "approved" and tier in model.get("approvedTiers", []) and kind in (None, model.get("kind"))
        if usable and (not sunset or dt.date.fromisoformat(str(sunset)) >= today):
            allowed[model["id"]] = model
    return allowed


def registry_id(registry: dict[str, Any], name: str) -> str:
    """The registry id of a model given by its id or one of its aliases (``name`` itself if unknown):
    an alias counts as its model, as it does in code and in the manifest."""
    for model in registry.get("models", []):
        if name == model["id"] or name in model.get("aliases", []):
            return str(model["id"])
    return name


def role_of(position: int) -> str:
    """The role of the model at ``position`` in spec.models: the first is the primary, the rest fallbacks."""
    return "primary" if position == 0 else "fallback"


def validate_request(request: NewRequest, registry: dict[str, Any], today: dt.date) -> tuple[TemplateInfo | None, list[dict[str, str]]]:
    """The template (None for a remote source) and the models as {id, provider}; AigovError if anything is off."""
    _check_name(request.name)
    if request.tier not in TIERS:
        raise AigovError(f"invalid tier {request.tier!r}; choose one of: {', '.join(TIERS)}")
    if not TEAM_SLUG.fullmatch(request.owner):
        raise AigovError(f"invalid --owner {request.owner!r}: name the owning team by its GitHub team slug (e.g. team-support)")
    _check_identity(request.identity_answers())
    if request.data_classification not in CLASSIFICATIONS:
        raise AigovError(f"invalid data classification {request.data_classification!r}; choose one of: {', '.join(CLASSIFICATIONS)}")
    if request.tier == "low" and request.data_classification in ("confidential", "restricted"):
        raise AigovError(f"{request.data_classification} data needs tier medium or high, not low")
    info = _template_for(request)
    models = _models_for(request, info, approved_models(registry, request.tier, today), registry)
    _check_destination(request.dest)
    return info, models


def _check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise AigovError(f"invalid feature name {name!r}: use lowercase letters, digits and dashes, starting with a "
                         "letter and ending with a letter or digit (at most 63 characters); it also names the Python package")
    package = name.replace("-", "_")
    if keyword.iskeyword(package) or package in sys.stdlib_module_names:
        raise AigovError(f"invalid feature name {name!r}: its Python package {package!r} would shadow Python's own "
                         f"{'keyword' if keyword.iskeyword(package) else 'module'}; choose another name, e.g. {name}-service")


def _check_identity(answers: dict[str, str]) -> None:
    checks = [("github_org", GITHUB_ORG, "a GitHub organisation name"),
              ("repository", REPOSITORY, "ORG/NAME, the GitHub repository"),
              ("risk_reviewers", CODE_OWNER, "one @ORG/TEAM (or @user) for CODEOWNERS")]
    for key, pattern, what in checks:
        if not pattern.fullmatch(answers[key]):
            raise AigovError(f"invalid --{key.replace('_', '-')} {answers[key]!r}: expected {what}")
    validate_aigov_source(answers["aigov_source"])


def _check_extra(extra: dict[str, str], own_options: set[str], info: TemplateInfo | None) -> None:
    """--data may add answers, not replace checked ones (name=123) or what the template computes (package=json)."""
    for key in sorted(extra.keys() & own_options):
        raise AigovError(f"--data {key}=...: give it with its own option or argument, where it is checked")
    computed = computed_values(read_template_config(info.path)) if info else set()
    for key in sorted(extra.keys() & computed):
        raise AigovError(f"--data {key}=...: the template computes {key} from the other answers")


def generate(request: NewRequest, registry: dict[str, Any], today: dt.date | None = None) -> NewResult:
    today = today or dt.date.today()
    info, models = validate_request(request, registry, today)
    answers: dict[str, Any] = {
        "name": request.name,
        "owner": request.owner,
        "tier": request.tier,
        "data_classification": request.data_classification,
        "models": models,
        "generated_on": today.isoformat(),
        **request.identity_answers(),
        **({"description": request.description} if request.description else {}),
        **({"incident_contact": request.incident_contact} if request.incident_contact else {}),
    }
    _check_extra(request.extra, {*answers, "description", "incident_contact"}, info)
    answers.update(request.extra)
    source, ref = _source_for(request, info)
    staging: Path | None = None
    with signals_raise():
        try:
            with signals_deferred():  # the folder exists only once `staging` names it, so finally removes it
                staging = Path(tempfile.mkdtemp(prefix=".aigov-new-", dir=_existing_ancestor(request.dest)))
            project = staging / request.name
            version = _render(source, ref, project, answers)
            # Only aigov's own templates' code is run here: copier renders others without running
            # anything of theirs (unsafe=False), and so does aigov.
            recorded = request.template_source is None and info is not None and bool(info.eval_results_record)
            if recorded:
                record_eval_results(project)
            write_sbom(project)
            with signals_deferred():  # all of the move or none of it
                _move_into_place(project, request.dest)
        finally:
            with signals_deferred():
                if staging is not None:
                    shutil.rmtree(staging, ignore_errors=True)
    return NewResult(request.dest, info.name if info else source, version, [m["id"] for m in models],
                     _enclosing_repository(request.dest), recorded, drafts_in(request.dest))


def _template_for(request: NewRequest) -> TemplateInfo | None:
    if request.template_source:
        source = request.template_source
        if not is_git_source(source):
            raise AigovError("--template-source must be a git repository (local folder or URL) with PEP 440 version tags", source)
        local = Path(source)
        return template_info(local) if local.is_dir() else None
    if not request.template:
        raise AigovError("--template is required (see `aigov templates`)")
    return bundled_template(request.template)


def _models_for(request: NewRequest, info: TemplateInfo | None, allowed: dict[str, dict[str, Any]],
                registry: dict[str, Any]) -> list[dict[str, str]]:
    known = {m["id"]: m for m in registry.get("models", [])}
    if request.models:
        ids = list(dict.fromkeys(registry_id(registry, m) for m in request.models))
    elif info and info.suggested_models.get(request.tier):
        ids = [m["id"] for m in info.suggested_models[request.tier]]
    else:
        raise AigovError("--model is required: this template suggests no model for the tier")
    kinds = info.model_kinds if info else {}
    for position, model_id in enumerate(ids):
        needed = kinds.get(role_of(position))
        of_kind = {i: m for i, m in allowed.items() if needed in (None, m.get("kind"))}
        choices = ", ".join(sorted(of_kind)) or "none"
        what = f"{needed} models" if needed else "models"
        if model_id not in allowed:
            reason = _why_not(known.get(model_id), request.tier)
            raise AigovError(f"model {model_id} {reason}; approved {what} for {request.tier} tier: {choices}")
        if model_id not in of_kind:
            assert info is not None
            raise AigovError(f"model {model_id} is {_kind_phrase(allowed[model_id].get('kind'))}; the {info.name} template's "
                             f"{role_of(position)} model must be a {needed} model; approved {what} for {request.tier} tier: {choices}")
    return [{"id": i, "provider": allowed[i].get("provider", "")} for i in ids]


def _kind_phrase(kind: str | None) -> str:
    if not kind:
        return "a model whose kind the registry does not give"
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} model"


def _why_not(model: dict[str, Any] | None, tier: str) -> str:
    if model is None:
        return "is not in the approved-model registry"
    if model.get("status") != "approved":
        return f"is {model.get('status')}, not approved"
    if tier not in model.get("approvedTiers", []):
        return f"is approved for tiers [{', '.join(model.get('approvedTiers', []))}], not for {tier}"
    return f"was sunset on {model.get('sunset')}"


def _check_destination(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise AigovError("destination exists and is not a folder", str(dest))
    if dest.is_dir() and any(dest.iterdir()):
        raise AigovError("destination folder is not empty; aigov new only writes into a new or empty folder", str(dest))
    # A file where a parent folder must go (--dest notes.txt/feature) surfaced only after rendering,
    # as an internal FileExistsError from mkdir.
    parent = next(p for p in dest.absolute().parents if p.exists() or p.is_symlink() or p == p.parent)
    if not parent.is_dir():
        raise AigovError(f"cannot create the destination folder: {parent} is not a folder", str(dest))


def _source_for(request: NewRequest, info: TemplateInfo | None) -> tuple[str, str | None]:
    """The git source copier renders from, and the tag to use (None: the latest)."""
    if request.template_source:
        source = request.template_source
        return (str(Path(source).resolve()) if Path(source).is_dir() else source), None
    assert info is not None
    return str(materialise(info)), info.version


def _render(source: str, ref: str | None, project: Path, answers: dict[str, Any]) -> str:
    import copier  # lazy: copier ~0.5 s; aigov init and new --help load this module
    from copier.errors import CopierError  # lazy: copier ~0.5 s; aigov init and new --help load this module
    from jinja2 import TemplateError  # lazy: with copier

    try:
        copier.run_copy(source, project, data=answers, vcs_ref=ref, defaults=True, quiet=True, unsafe=False)
    except (CopierError, TemplateError) as exc:
        raise AigovError(f"the template could not be rendered: {type(exc).__name__}: {exc}", source) from None
    except ValueError as exc:  # copier reports answers its validators reject as ValueError
        raise AigovError(f"invalid answer: {exc}", source) from None
    return read_answers(project).get("_commit", "unversioned")


EVAL_RUNNER = "evals/run.py"
RECORD_TIMEOUT_S = 300.0


def record_eval_results(project: Path) -> None:
    """The initial results record (evals/baseline.json): the generated repository's own eval runner,
    offline (its deterministic baseline), run by this Python in a clean environment. The record names
    the digests of the prompts, the models, the config and datasets it ran on, so the first pull
    request that changes a prompt must record again."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing but the record is left in the new repository
    try:
        proc = subprocess.run([sys.executable, "-m", "evals.run", "--config", "evals/config.yaml", "--record"], cwd=project,
                              env=env, capture_output=True, text=True, timeout=RECORD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise AigovError(f"the template's eval runner did not finish within {RECORD_TIMEOUT_S:.0f} s", EVAL_RUNNER) from None
    if proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise AigovError(f"the template's eval runner could not record the initial results (exit {proc.returncode}): {said[0]}",
                         EVAL_RUNNER)


def drafts_in(project: Path) -> list[str]:
    """The governed documents the template generated as drafts, as aigov reads them."""
    tree = WorkTree(project)
    try:
        spec = parse_yaml(tree.read_text("aigov.yaml"), "aigov.yaml").data["spec"]
        found = collect_documents(tree, document_paths(spec, lambda rel: rel))
    finally:
        tree.close()
    order = [key for key, _ in DOCUMENTS]
    return [d["path"] for d in sorted(found, key=lambda d: order.index(d["key"])) if d["status"] == "draft"]


def write_sbom(project: Path) -> None:
    """The generated repository's SBOM, so it passes the SBOM rules as generated (an error if it cannot be written)."""
    (project / "sbom.cdx.json").write_text(generate_ml_bom(project), encoding="utf-8")


def _move_into_place(project: Path, dest: Path) -> None:
    if dest.is_dir():
        dest.rmdir()  # empty, checked before rendering
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(project, dest)


def _enclosing_repository(dest: Path) -> Path | None:
    top = git("rev-parse", "--show-toplevel", cwd=dest.resolve().parent, check=False).strip()
    return Path(top) if top else None


def _existing_ancestor(path: Path) -> Path:
    """The nearest existing folder above ``path``: staging there keeps the final move a rename."""
    current = path.absolute().parent
    while not current.is_dir():
        current = current.parent
    return current
