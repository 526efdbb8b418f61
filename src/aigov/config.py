"""Who decides: the org config (authority) and the repository's own ``.aigov/config.yaml`` (additions).

The checked repository is input to be judged, never authority over the judgement. Authority
comes from the shipped pack and from an org config given from outside the checked tree
(``--config``, ``AIGOV_CONFIG``, the Action's ``config`` input). The repository's own config may
only add: its own rule packages, data under its own top-level keys, and severities that also
block. Whatever it asks beyond that is *refused*: recorded with its file and line, and turned
into a blocking finding (AIGOV-CONFIG-001) by the policy, because such a repository is simply
non-compliant.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.digests import content_digest
from aigov.errors import AigovError
from aigov.files import read_config_file
from aigov.model import ALWAYS_BLOCK
from aigov.tree import MISSING, Tree, inside
from aigov.validation import validate_document
from aigov.yamlfile import YamlDocument, parse_yaml

CONFIG_PATH = ".aigov/config.yaml"
DEFAULT_EVALUATION_TIMEOUT_S = 60.0
# Keys of the config schema that only the org config may set.
ORG_ONLY = {
    "registry": "replace the approved-model registry",
    "extraRegistries": "add models to the approved-model registry",
    "evaluationTimeoutSeconds": "change the policy evaluation time limit",
    "policyBundle": "replace the policy pack with a bundle",
    "engine": "choose the policy engine",
    "opa": "choose the OPA server that decides",
}


_PIN = re.compile(r"^(?P<source>.+)#sha256=(?P<hex>[0-9a-fA-F]{64})$")  # a source pinned by its SHA-256


@dataclass(frozen=True)
class BundleRequest:
    """What the org asked for: ``--policy-bundle`` (or ``policyBundle:``) and how to verify it."""

    source: str  # a directory, a tarball or a URL, optionally with #sha256=<hex>
    public_key: Path | None = None  # PEM key that verifies OPA's .signatures.json
    offline: bool = False
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/aigov/bundles
    # Sigstore: the tarball must be signed by this identity through this OIDC issuer. The Sigstore
    # bundle is ``signature`` (a path or URL), by default the source with .sigstore.json appended.
    identity: str | None = None
    issuer: str | None = None
    signature: str | None = None
    trusted_root: Path | None = None  # a private Sigstore instance; default: the production root, offline

    @property
    def location(self) -> str:
        match = _PIN.match(self.source)
        return match.group("source") if match else self.source

    @property
    def pin(self) -> str | None:
        match = _PIN.match(self.source)
        return match.group("hex").lower() if match else None


@dataclass
class Refusal:
    """Something the repository's own config asked for that only the org config may do."""

    key: str
    what: str
    path: str
    line: int | None

    def as_fact(self) -> dict[str, Any]:
        return {"key": self.key, "what": self.what, "path": self.path, "line": self.line or 1}


@dataclass(frozen=True)
class OrgConfig:
    """Authority: the org config given from outside the checked repository (or none: the shipped pack alone).

    A value: what a check's flags change (--policy-bundle, --fail-on) makes another one
    (aigov.check.authority), so the next check in the process starts from the config as given.
    """

    path: str | None = None
    digest: str | None = None
    policies: tuple[Path, ...] = ()  # folders of .rego files, beside the org config
    data: tuple[Path, ...] = ()  # data files, beside the org config
    registry: Path | None = None
    extra_registries: tuple[Path, ...] = ()
    block: tuple[str, ...] = ALWAYS_BLOCK
    exclude: tuple[str, ...] = ()
    evaluation_timeout_s: float = DEFAULT_EVALUATION_TIMEOUT_S
    # A policy bundle that replaces the shipped pack (policyBundle:, or --policy-bundle, which wins).
    policy_bundle: BundleRequest | None = None
    engine: str | None = None  # engine: (None: the embedded default, unless --engine says otherwise)
    opa: dict[str, Any] = field(default_factory=dict)  # opa: url, mode, ca_bundle, timeout_s (the --opa-* options win)


@dataclass
class RepositoryConfig:
    """The checked repository's own ``.aigov/config.yaml``: additions only."""

    path: str | None = None
    digest: str | None = None
    policies: list[str] = field(default_factory=list)  # repository-relative folders of .rego files
    data: list[str] = field(default_factory=list)  # repository-relative data files
    block: tuple[str, ...] = ()
    exclude: list[tuple[str, int | None]] = field(default_factory=list)  # checked against the features found
    refused: list[Refusal] = field(default_factory=list)


def load_org_config(path: Path | None, repo_root: Path | None = None) -> OrgConfig:
    """The org config at ``path`` (from --config or AIGOV_CONFIG); it must not lie in the checked repository."""
    if path is None:
        return OrgConfig()
    if repo_root is not None:
        refuse_inside(path, repo_root, "--config")
    name = str(path)
    text = read_config_file(path, name)
    doc = parse_yaml(text, name)
    if doc.data is None:
        return OrgConfig(path=name, digest=content_digest(text))
    validate_document(doc, "config", name)
    data = doc.data
    base = path.resolve().parent

    def resolve(value: str) -> Path:
        return (base / value).resolve()

    return OrgConfig(
        path=name,
        digest=content_digest(text),
        policies=tuple(resolve(p) for p in data.get("policies", [])),
        data=tuple(resolve(p) for p in data.get("data", [])),
        registry=resolve(data["registry"]) if "registry" in data else None,
        extra_registries=tuple(resolve(p) for p in data.get("extraRegistries", [])),
        block=_with_always_block(data.get("block", [])),
        exclude=tuple(data.get("exclude", [])),
        evaluation_timeout_s=float(data.get("evaluationTimeoutSeconds", DEFAULT_EVALUATION_TIMEOUT_S)),
        policy_bundle=_bundle_request(data["policyBundle"], base) if "policyBundle" in data else None,
        engine=data.get("engine"),
        opa=_opa_section(data.get("opa", {}), resolve),
    )


def _bundle_request(value: str | dict[str, str], base: Path) -> BundleRequest:
    """policyBundle: a source string, or {source, publicKey, identity, issuer, signature}; local
    paths are relative to the org config."""
    spec = {"source": value} if isinstance(value, str) else value

    def local(name: str | None) -> str | None:
        return name if name is None or "://" in name else str(base / name)

    key = spec.get("publicKey")
    return BundleRequest(source=local(spec["source"]) or "", public_key=(base / key).resolve() if key else None,
                         identity=spec.get("identity"), issuer=spec.get("issuer"), signature=local(spec.get("signature")))


def _opa_section(section: dict[str, Any], resolve: Any) -> dict[str, Any]:
    """The org config's ``opa:`` under the names of the --opa-* options (paths resolved beside the config)."""
    names = {"url": "url", "mode": "mode", "caBundle": "ca_bundle", "timeoutSeconds": "timeout_s"}
    settings = {names[key]: value for key, value in section.items()}
    if "ca_bundle" in settings:
        settings["ca_bundle"] = str(resolve(settings["ca_bundle"]))
    return settings


def refuse_inside(path: Path, repo_root: Path, option: str) -> None:
    """Authority given by flag must come from outside the judged tree: the tree cannot vouch for itself."""
    real = path.resolve()
    if real == repo_root or repo_root in real.parents:
        raise AigovError(
            f"{option} points inside the checked repository; org config and registries must come from outside it "
            "(the repository's own .aigov/config.yaml is read anyway, and may only add rules)",
            str(path),
        )


def load_repository_config(tree: Tree) -> RepositoryConfig:
    """The repository's ``.aigov/config.yaml`` at its root, if any; what it may not do is refused, not applied."""
    if tree.kind(CONFIG_PATH) == MISSING:
        return RepositoryConfig()
    text = tree.read_text(CONFIG_PATH)
    doc = parse_yaml(text, CONFIG_PATH)
    config = RepositoryConfig(path=CONFIG_PATH, digest=content_digest(text))
    if doc.data is None:
        return config
    validate_document(doc, "config", CONFIG_PATH)
    for key, what in ORG_ONLY.items():
        if key in doc.data:
            config.refused.append(Refusal(key, what, CONFIG_PATH, doc.line_of(key)))
    config.policies = [_inside(doc, "policies", p) for p in doc.data.get("policies", [])]
    config.data = [_inside(doc, "data", p) for p in doc.data.get("data", [])]
    config.block = tuple(doc.data.get("block", []))
    config.exclude = [(p, doc.line_of(f"exclude[{i}]")) for i, p in enumerate(doc.data.get("exclude", []))]
    return config


def _inside(doc: YamlDocument, key: str, value: str) -> str:
    """A path the repository config names, relative to the repository root (where the config says it is)."""
    if not inside(value):
        raise AigovError(f"{key}: {value!r} points outside the repository", CONFIG_PATH, doc.line_of(key))

    return posixpath.normpath(value)


def _with_always_block(severities: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*ALWAYS_BLOCK, *severities]))


def blocking_severities(org: OrgConfig, repository: RepositoryConfig) -> tuple[str, ...]:
    """The org's blocking severities plus any the repository adds (it can only tighten)."""
    return tuple(dict.fromkeys([*org.block, *repository.block]))
