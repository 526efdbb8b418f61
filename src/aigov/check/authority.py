"""Where a check's judgement comes from: everything given from outside the checked repository, resolved once.

The checked repository is input to be judged, never authority over the judgement (see aigov.config).
A check starts by resolving its :class:`Authority` from its options: the org config (--config), the
severities that block (the org's block: and --fail-on), the policy bundle (--policy-bundle, else the
org config's policyBundle:), the pack they make with the model registry (--registry, else the org's,
the bundle's or the shipped one), each source named with its digest, and the engine settings
(--engine and --opa-*, over the org config's). A path among them that points inside the checked
repository is refused here, before anything is read from it.

The value is frozen and passed down: nothing later changes it, so two checks in one process (with a
bundle and without, say) are each judged by their own authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aigov.check.options import CheckOptions
from aigov.config import BundleRequest, OrgConfig, RepositoryConfig, load_org_config, refuse_inside
from aigov.errors import AigovError
from aigov.policy.engine import Engine, make_engine
from aigov.policy.loading import add_repository_additions, authoritative_pack
from aigov.policy.pack import PolicyPack
from aigov.tree import Tree

DEFAULT_ENGINE = "regorus"


@dataclass(frozen=True)
class EngineSettings:
    """The engine that evaluates, as the flags or the org config name it; never the repository's choice."""

    name: str
    timeout_s: float  # the org config's evaluationTimeoutSeconds
    opa: Mapping[str, Any]  # OpaSettings' fields: the --opa-* options over the org config's opa:

    def start(self) -> Engine:
        return make_engine(self.name, self.timeout_s, dict(self.opa))


@dataclass(frozen=True, eq=False)  # eq=False: each resolution is its own authority (memo keys name it by identity)
class Authority:
    """Who decides a check, resolved once at its start (:func:`resolve_authority`) and passed down."""

    root: Path  # the checked repository, which none of this may come from
    org: OrgConfig  # as given, with --policy-bundle, --offline and --fail-on applied
    pack: PolicyPack  # shipped or bundle rules, the org's rules and data, the registry (never changed: see pack_for)
    engine: EngineSettings

    @property
    def registry(self) -> dict[str, Any]:
        """The approved-model registry the rules read (data.aigov.registry)."""
        registry: dict[str, Any] = self.pack.data["aigov"]["registry"]
        return registry

    @property
    def settings(self) -> dict[str, Any]:
        """data.aigov.settings: the collectors' knobs and the approvals the change rules ask for."""
        settings: dict[str, Any] = self.pack.data["aigov"]["settings"]
        return settings

    def pack_for(self, repository: RepositoryConfig, tree: Tree) -> PolicyPack:
        """The pack a check of ``tree`` evaluates: this authority's, then what the repository's own
        config may add (its refusals recorded in ``repository``). A copy: the authority's stays as it is."""
        pack = self.pack.copy()
        add_repository_additions(pack, repository, tree)
        return pack


def resolve_authority(options: CheckOptions, root: Path) -> Authority:
    """The authority of a check of the repository at ``root``; an AigovError naming the file for a bad or refused source."""
    org = load_org_config(options.config_path, root)
    org = replace(org, block=tuple(dict.fromkeys([*org.block, *options.fail_on])), policy_bundle=_bundle(org, options))
    engine = _engine_settings(org, options, root)
    return Authority(root=root, org=org, pack=authoritative_pack(org, options.registry_path, root=root), engine=engine)


def _bundle(org: OrgConfig, options: CheckOptions) -> BundleRequest | None:
    """--policy-bundle wins over the org config's policyBundle:; --offline and --trusted-root apply to whichever is used."""
    request = options.policy_bundle or org.policy_bundle
    if request is None:
        return None
    return replace(request, offline=options.offline or request.offline, trusted_root=request.trusted_root or options.trusted_root)


def _engine_settings(org: OrgConfig, options: CheckOptions, root: Path) -> EngineSettings:
    name = options.engine_name or org.engine or DEFAULT_ENGINE
    if name != "opa" and options.opa.get("url"):
        raise AigovError("--opa-url needs --engine opa (or engine: opa in the org config)")
    opa = {**org.opa, **options.opa}
    if name == "opa" and opa.get("ca_bundle"):
        refuse_inside(Path(opa["ca_bundle"]), root, "--opa-ca-bundle")
    return EngineSettings(name, org.evaluation_timeout_s, opa)
