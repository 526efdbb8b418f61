"""What a check was asked to do: the options of ``aigov check``, and of the commands that run one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov.config import BundleRequest
from aigov.policy.engine import Engine

if TYPE_CHECKING:  # diff-aware checks only (aigov.check.diff says why)
    from aigov.facts.change import ChangeRequest


@dataclass
class CheckOptions:
    config_path: Path | None = None
    registry_path: Path | None = None
    now: str | None = None
    trusted_root: Path | None = None
    repository_root: Path | None = None  # --root; default: the git top level of the checked path
    # A diff-aware check (--base/--head/--pr): judge only the features the change touches, with
    # input.change; --new-only blocks only on findings the change introduced.
    change: ChangeRequest | None = None
    new_only: bool = False
    github_token: str | None = None
    # Off only for the base side of --new-only: waiver findings are always the change's own (their
    # approval is already judged against the base), so the base must not offer them as debt.
    apply_waivers: bool = True
    fail_on: tuple[str, ...] = ()  # --fail-on: severities that also block (critical and high always do)
    policy_bundle: BundleRequest | None = None  # --policy-bundle: replaces the org config's policyBundle:
    offline: bool = False  # --offline: a URL policy bundle comes from the cache only
    # --engine and the --opa-* options given (OpaSettings' field names); they win over the org config's.
    engine_name: str | None = None
    opa: dict[str, Any] = field(default_factory=dict)
    facts_in_background: bool = True  # off for evidence replays: see aigov.facts.build.build_inputs
    # A release (--release, or a tag in GitHub Actions): why, or None. Every declared artefact must then be there.
    release: str | None = None
    # An engine the caller keeps across checks (an evidence replay's, which remembers answers); the
    # check prepares it with its pack and leaves it running (its close() is the caller's to make real).
    engine: Engine | None = None
