"""Assemble the policy pack for a check: shipped rules and data, then the organisation's additions."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from aigov.config import OrgConfig, Refusal, RepositoryConfig, refuse_inside
from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.files import read_config_file
from aigov.github_names import approver_problem
from aigov.model import Source
from aigov.policy.metadata import ModuleInfo, describe_module
from aigov.policy.pack import PolicyPack, is_test_module, load_rego_dir, merge_data
from aigov.policy.rego_ast import parse_rego

if TYPE_CHECKING:
    from aigov.policy.bundle import PolicyBundle
    from aigov.tree import Tree
from aigov.policy.index import MISSING, known_data, known_module
from aigov.resources import policies_dir
from aigov.tree import FOLDER
from aigov.validation import validate_document
from aigov.yamlfile import YamlDocument, parse_yaml

SHIPPED_LABEL = "policies"
# OPA keeps its own configuration under data.system (system.authz decides who may call the server,
# system.log masks decision logs): neither the repository's rules nor its data may go there.
OPA_RESERVED_ROOT = "system"
BUNDLE_LABEL = "policy-bundle"  # how a bundle's modules are named in reports: policy-bundle/aigov/models.rego
REGISTRY_FILE = "data/registry.yaml"
SETTINGS_FILE = "data/settings.yaml"
# The keys of an eval action in aigov.settings.evals.actions (aigov.facts.eval_actions.EvalAction).
ACTION_KEYS = ("runner", "config_input", "command", "directory_input", "pass_rate_input", "changed_files_input", "force_input")
TEMPLATES_FILE = "data/templates.yaml"


def build_pack(
    config: OrgConfig,
    registry_override: Path | None = None,
    include_tests: bool = False,
    tree: Tree | None = None,
    repository: RepositoryConfig | None = None,
) -> PolicyPack:
    """The authoritative pack (shipped rules and data, then the org's), then what the repository may add.

    ``tree``: the checked repository, so that its files are named relative to it, flags that carry
    authority are refused when they point inside it, and its own additions are read from it.
    """
    pack = authoritative_pack(config, registry_override, include_tests, tree.root if tree is not None else None)
    if repository is not None and tree is not None:
        add_repository_additions(pack, repository, tree, include_tests)
    return pack


def authoritative_pack(config: OrgConfig, registry_override: Path | None = None, include_tests: bool = False,
                       root: Path | None = None) -> PolicyPack:
    """What decides, from outside the checked repository: the shipped pack or the org's policy bundle,
    the org config's rules and data, and the registry (``registry_override``: --registry); each named
    in ``PolicyPack.sources`` with its digest.

    ``root``: the checked repository, so that paths are named relative to it and a bundle or
    registry given inside it is refused.
    """
    shipped = policies_dir()
    _display = functools.partial(display_path, root=root)
    bundle = _policy_bundle(config, root)
    if bundle is None:
        pack = PolicyPack(version=_pack_version(shipped))
        shipped_modules = load_rego_dir(pack, shipped / "aigov", f"{SHIPPED_LABEL}/aigov", include_tests=include_tests,
                                        known=functools.partial(_indexed_module, shipped))
        map_shipped_controls(pack, shipped_modules)
        pack.sources.append(Source("policy-pack", SHIPPED_LABEL, pack.policy_digest(), pack.version))
    else:
        pack = _bundle_pack(bundle, include_tests)
    if config.path is not None:
        pack.sources.append(Source("org-config", config.path, config.digest or ""))
    for folder in config.policies:
        added = load_rego_dir(pack, folder, _display(folder), include_tests=include_tests)
        pack.sources.append(Source("org-policies", _display(folder), pack.policy_digest(added)))
        pack.additions.append(f"the org config's policies {_display(folder)}")

    if bundle is None:
        data: dict[str, Any] = {"aigov": {"settings": _shipped_data(shipped, SETTINGS_FILE),
                                          "templates": _shipped_data(shipped, TEMPLATES_FILE)}}
    else:
        data = json.loads(json.dumps(bundle.data))  # a copy: org data merges into it
        check_settings(YamlDocument(data), bundle.label)
    for path in config.data:
        doc = _data_mapping(path, _display(path), pack)
        check_settings(doc, _display(path))
        data = merge_data(data, doc.data)
        pack.additions.append(f"the org config's data {_display(path)}")
    if registry_override is not None and root is not None:
        refuse_inside(registry_override, root, "--registry")
    pack.additions += _registry_additions(config, registry_override, _display)
    data["aigov"]["registry"] = load_registry(config, registry_override, root, pack.sources, bundle)
    pack.data = data
    return pack


def _policy_bundle(config: OrgConfig, root: Path | None) -> PolicyBundle | None:
    """The org's policy bundle, read and verified; a local one must lie outside the checked tree."""
    request = config.policy_bundle
    if request is None:
        return None
    from aigov.policy.bundle import load_bundle, source_kind  # lazy: ~8 ms; only --policy-bundle needs it

    if root is not None and source_kind(request.location) != "url":
        refuse_inside(Path(request.location), root, "--policy-bundle")
    return load_bundle(request)


def _bundle_pack(bundle: PolicyBundle, include_tests: bool) -> PolicyPack:
    """The pack a bundle replaces the shipped one with: its rules, named by the bundle, its revision as the version."""
    pack = PolicyPack(version=bundle.revision)
    shipped = policies_dir()
    modules = [(f"{BUNDLE_LABEL}/{name}", source) for name, source in bundle.modules if include_tests or not is_test_module(name)]
    pack.add_modules([(display, source, _indexed_module(shipped, display, source)) for display, source in modules])
    added = [display for display, _ in modules]
    # A bundle built from the shipped pack keeps its rules' mappings; rules of its own keep their METADATA's.
    map_shipped_controls(pack, added, keep_metadata=True)
    for key in ("settings", "templates"):
        if not isinstance(bundle.data.get("aigov", {}).get(key), dict):
            raise AigovError(f"the bundle has no data.aigov.{key}; a bundle replaces the whole shipped pack", bundle.label)
    pack.sources.append(Source("policy-bundle", bundle.label, bundle.digest, bundle.revision))
    return pack


def map_shipped_controls(pack: PolicyPack, paths: list[str], keep_metadata: bool = False) -> None:
    """The shipped rules' controls come from policies/controls.yaml, the one place mappings live
    (checked against the frameworks' catalogs); org rules keep the controls their METADATA names.
    ``keep_metadata``: a rule controls.yaml does not map keeps its METADATA's (a bundle's own rules).
    The mapping itself is read only when a rule's controls are asked for (RuleMeta.controls)."""
    source = "mapping-or-metadata" if keep_metadata else "mapping"
    for path in paths:
        info = pack.infos[path]
        info.rules = [dataclasses.replace(meta, controls_source=source) for meta in info.rules]


def add_repository_additions(pack: PolicyPack, repository: RepositoryConfig, tree: Tree, include_tests: bool = False) -> None:
    """The repository's own rules and data, each in a namespace nobody with authority uses.

    A package or data key under a protected root (``aigov``, or anything the org defines) could
    redefine what the authoritative rules read; it is refused, not loaded.
    """
    if repository.path is None:
        return
    pack.sources.append(Source("repository-config", repository.path, repository.digest or ""))
    protected = {info.package.split(".")[0] for info in pack.infos.values()} | set(pack.data) | {OPA_RESERVED_ROOT}
    for label in repository.policies:
        accepted: list[tuple[str, str, ModuleInfo | None]] = []
        for display, source in read_repository_rego(tree, label, include_tests):
            parsed = parse_rego(display, source)
            if parsed.package.split(".")[0] in protected:
                repository.refused.append(Refusal("policies", f"add rules to package {parsed.package}, {_owner(parsed.package)}",
                                                  display, parsed.package_line))
                continue
            accepted.append((display, source, describe_module(parsed, source, display)))
        pack.add_modules(accepted)
        accepted_paths = [display for display, _, _ in accepted]
        pack.sources.append(Source("repository-policies", label, pack.policy_digest(accepted_paths)))
        if accepted:
            pack.additions.append(f"the repository's policies {label} ({repository.path})")
    for name in repository.data:
        doc = _data_mapping_of(parse_data_document(tree.read_text(name), name), name, pack)
        extra = doc.data
        for key in sorted(set(extra) & protected):
            repository.refused.append(Refusal("data", f"change data.{key}, {_owner(key)}", name, doc.line_of(key)))
            del extra[key]
        pack.data = merge_data(pack.data, extra)
        if extra:
            pack.additions.append(f"the repository's data {name} ({repository.path})")


def _owner(name: str) -> str:
    """Why the repository may not add to ``name`` (a package or a data key)."""
    if name.split(".")[0] == OPA_RESERVED_ROOT:
        return "which OPA reserves for its own configuration"
    return "which the shipped pack or the org owns"


def package_line(source: str) -> int | None:
    """The line of a module's package declaration, for errors that name it."""
    return next((n for n, text in enumerate(source.splitlines(), 1) if text.lstrip().startswith("package")), None)


def _registry_additions(config: OrgConfig, override: Path | None, display: Callable[[Path], str]) -> list[str]:
    """How the registry differs from the one the shipped pack or the bundle carries, for PolicyPack.additions."""
    if override is not None:
        replaced = [f"--registry {display(override)}"]
    elif config.registry is not None:
        replaced = [f"the org config's registry {display(config.registry)}"]
    else:
        replaced = []
    return replaced + [f"the org config's extraRegistries {display(path)}" for path in config.extra_registries]


def _data_mapping(path: Path, name: str, pack: PolicyPack) -> YamlDocument:
    return _data_mapping_of(load_data_document(path, name), name, pack)


def _data_mapping_of(doc: YamlDocument, name: str, pack: PolicyPack) -> YamlDocument:
    """A data file (YAML or JSON) that must hold a mapping, with the lines of its keys (none for JSON)."""
    if not isinstance(doc.data, dict):
        raise AigovError("data file must hold a mapping", name)
    pack.sources.append(Source("data", name, content_digest(json.dumps(doc.data, sort_keys=True))))
    return doc


APPROVALS = "aigov.settings.approvals"
EVALS = "aigov.settings.evals"
# The kinds of change org data can require approvals for: a risk-relevant manifest change
# (AIGOV-CHANGE-003), a prompt change (AIGOV-CHANGE-005), a draft made final (AIGOV-CHANGE-006).
APPROVAL_KINDS = ("manifest", "prompt", "draft")
TIERS = ("low", "medium", "high")


def check_settings(doc: YamlDocument, name: str) -> None:
    """The settings of a data file that collectors and rules read, checked where they are written: a
    value of another type would compare false in Rego and let a finding pass, so it is an error naming
    the file and line."""
    check_approval_settings(doc, name)
    check_draft_settings(doc, name)
    check_eval_settings(doc, name)


def _settings(doc: YamlDocument, key: str) -> Any:
    aigov = doc.data.get("aigov") if isinstance(doc.data, dict) else None
    settings = aigov.get("settings") if isinstance(aigov, dict) else None
    return settings.get(key) if isinstance(settings, dict) else None


def _failing(doc: YamlDocument, name: str) -> Callable[[str, str], NoReturn]:
    def fail(key: str, problem: str) -> NoReturn:
        raise AigovError(f"{key}: {problem}", name, doc.line_of(key))

    return fail


def check_approval_settings(doc: YamlDocument, name: str) -> None:
    """``aigov.settings.approvals`` of an org data file as the change rules read it: reviewer groups
    that each name a GitHub login or @org/team (matched whole), and by kind of change and tier the
    lists of groups that must approve. Anything else is an error naming the file and line."""
    approvals = _settings(doc, "approvals")
    if approvals is None:
        return
    fail = _failing(doc, name)
    if not isinstance(approvals, dict):
        fail(APPROVALS, "must be a mapping with reviewers and required")
    reviewers = approvals.get("reviewers", {})
    if not isinstance(reviewers, dict):
        fail(f"{APPROVALS}.reviewers", "must map reviewer group names to a GitHub login or @org/team")
    for group, approver in reviewers.items():
        problem = approver_problem(approver)
        if problem:
            fail(f"{APPROVALS}.reviewers.{group}", problem)
    required = approvals.get("required", {})
    if not isinstance(required, dict):
        fail(f"{APPROVALS}.required", f"must map each kind of change ({', '.join(APPROVAL_KINDS)}) to risk tiers")
    for kind, tiers in required.items():
        if kind not in APPROVAL_KINDS:  # a misspelt kind would require nothing, silently
            fail(f"{APPROVALS}.required.{kind}", f"is not a kind of change the rules ask approvals for ({', '.join(APPROVAL_KINDS)})")
        if not isinstance(tiers, dict):
            fail(f"{APPROVALS}.required.{kind}", "must map risk tiers to lists of reviewer group names")
        for tier, groups in tiers.items():
            if tier not in TIERS:
                fail(f"{APPROVALS}.required.{kind}.{tier}", f"is not a risk tier ({', '.join(TIERS)})")
            if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
                fail(f"{APPROVALS}.required.{kind}.{tier}", "must be a list of reviewer group names")


def check_draft_settings(doc: YamlDocument, name: str) -> None:
    """``aigov.settings.drafts`` (the grace period of a draft) and a re-baseline's minimum case count
    (``aigov.settings.evals.rebaseline_min_cases``) as the review rules read them."""
    fail = _failing(doc, name)
    drafts = _settings(doc, "drafts")
    if drafts is not None:
        if not isinstance(drafts, dict):
            fail("aigov.settings.drafts", "must be a mapping with grace_days and blocking_tiers")
        if not _count(drafts.get("grace_days", 0)):
            fail("aigov.settings.drafts.grace_days", "must be a whole number of days (0 or more)")
        tiers = drafts.get("blocking_tiers", [])
        if not (isinstance(tiers, list) and all(t in TIERS for t in tiers)):
            fail("aigov.settings.drafts.blocking_tiers", f"must be a list of risk tiers ({', '.join(TIERS)})")
    evals = _settings(doc, "evals")
    minimum = evals.get("rebaseline_min_cases") if isinstance(evals, dict) else None
    if minimum is not None and not (isinstance(minimum, dict) and all(t in TIERS and _count(n) for t, n in minimum.items())):
        fail(f"{EVALS}.rebaseline_min_cases", "must map risk tiers to whole numbers of cases")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_eval_settings(doc: YamlDocument, name: str) -> None:
    """``aigov.settings.evals`` as the eval-gate collector reads it (facts/eval_actions.py): ``actions``
    maps an action's owner/repo[/path] to a mapping with ``config_input`` and optional string keys;
    ``runners`` maps names to regular expressions."""
    evals = _settings(doc, "evals")
    if evals is None:
        return
    fail = _failing(doc, name)
    if not isinstance(evals, dict):
        fail(EVALS, "must be a mapping")
    actions = evals.get("actions", {})
    if not isinstance(actions, dict):
        fail(f"{EVALS}.actions", "must map action names (owner/repo) to what each runs")
    for action, spec in actions.items():
        key = f"{EVALS}.actions.{action}"
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?", str(action)):
            fail(key, "must be an action's owner/repo (or owner/repo/path), as written before @ in uses:")
        if not isinstance(spec, dict) or "config_input" not in spec:
            fail(key, "must be a mapping with config_input: the input that names the eval config")
        for field_name, value in spec.items():
            if field_name not in ACTION_KEYS:
                fail(f"{key}.{field_name}", f"unknown key; expected one of {', '.join(ACTION_KEYS)}")
            if not isinstance(value, str) or not value.strip():
                fail(f"{key}.{field_name}", "must be a non-empty string")
    runners = evals.get("runners", {})
    if not isinstance(runners, dict):
        fail(f"{EVALS}.runners", "must map runner names to regular expressions")
    for runner, patterns in runners.items():
        if not all(isinstance(p, str) for p in (patterns if isinstance(patterns, list) else [patterns])):
            fail(f"{EVALS}.runners.{runner}", "must be a regular expression or a list of them")


def read_repository_rego(tree: Tree, folder: str, include_tests: bool) -> list[tuple[str, str]]:
    """(path, source) of every .rego file below a repository folder, read through the one reader."""
    node = tree.resolve(folder)
    if node.kind != FOLDER:
        raise AigovError("policy folder not found" if node.kind == "missing" else "is not a folder of .rego files", folder)
    found = []
    for path in tree.files_under(node.path):
        if path.endswith(".rego") and (include_tests or not is_test_module(path.rpartition("/")[2])):
            found.append((path, tree.read_text(path)))
    return found


def load_registry(
    config: OrgConfig, override: Path | None = None, root: Path | None = None, sources: list[Source] | None = None,
    bundle: PolicyBundle | None = None,
) -> dict[str, Any]:
    """The approved-model registry: --registry, else the org config's, else the bundle's or the shipped one; plus extensions."""
    source = override or config.registry
    if source is None and bundle is not None:
        registry = _bundle_registry(bundle)
    else:
        registry = _registry_file(source or policies_dir() / REGISTRY_FILE, root, sources)
    known = {m["id"] for m in registry["models"]}
    for extra_path in config.extra_registries:
        extra = _registry_file(extra_path, root, sources)
        for model in extra["models"]:
            if model["id"] in known:
                raise AigovError(
                    f"model {model['id']} is already in the registry; an extension may only add models",
                    display_path(extra_path, root),
                )
            registry["models"].append(model)
            known.add(model["id"])
    return registry


def _bundle_registry(bundle: PolicyBundle) -> dict[str, Any]:
    """The registry the bundle carries (data.aigov.registry), checked against the same schema as a file."""
    registry = bundle.data.get("aigov", {}).get("registry")
    if registry is None:
        raise AigovError("the bundle has no data.aigov.registry; a bundle replaces the whole shipped pack", bundle.label)
    validate_document(YamlDocument(registry), "registry", f"{bundle.label}: data.aigov.registry")
    return json.loads(json.dumps(registry))


def _registry_file(path: Path, root: Path | None, sources: list[Source] | None = None) -> dict[str, Any]:
    name = display_path(path, root)
    text = read_config_file(path, name)
    shipped = path == policies_dir() / REGISTRY_FILE
    registry: Any = known_data(policies_dir(), REGISTRY_FILE, text) if shipped else MISSING
    if registry is MISSING:
        registry = parse_registry(text, name)
    if sources is not None:
        sources.append(Source("registry", f"{SHIPPED_LABEL}/{REGISTRY_FILE}" if shipped else name, content_digest(text)))
    return registry


def parse_registry(text: str, name: str) -> dict[str, Any]:
    """A registry file's models, checked against schemas/registry.schema.json."""
    doc = parse_yaml(text, name)
    validate_document(doc, "registry", name)
    return doc.data


def _indexed_module(shipped: Path, display: str, source: str) -> ModuleInfo | None:
    """The module as the shipped pack's index read it, if the index holds this very source (under any
    name: a bundle built from the shipped pack carries the same modules)."""
    return known_module(shipped, source, display)


def _shipped_data(shipped: Path, name: str) -> Any:
    """A data file of the shipped pack (data/settings.yaml), from the index when it holds this very text."""
    label = f"{SHIPPED_LABEL}/{name}"
    text = read_config_file(shipped / name, label)
    value = known_data(shipped, name, text)
    return parse_yaml(text, label).data if value is MISSING else value


def load_data_file(path: Path, name: str) -> Any:
    return load_data_document(path, name).data


def load_data_document(path: Path, name: str) -> YamlDocument:
    return parse_data_document(read_config_file(path, name), name)


def parse_data_document(text: str, name: str) -> YamlDocument:
    """A data file's content: JSON by its suffix (no lines), YAML otherwise."""
    if name.endswith(".json"):
        try:
            return YamlDocument(json.loads(text))
        except json.JSONDecodeError as exc:
            raise AigovError(f"invalid JSON: {exc.msg}", name, exc.lineno) from None
    return parse_yaml(text, name)


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as a person would type it: relative to the repository, else to the working directory."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def _pack_version(shipped: Path) -> str:
    version_file = shipped / "VERSION"
    return version_file.read_text(encoding="utf-8").strip() if version_file.exists() else "unversioned"
