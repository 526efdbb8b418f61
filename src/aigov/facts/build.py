"""Build the input document the policies judge: one per feature, described by schemas/input.schema.json."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov import __version__
from aigov.facts.discovery import FeatureLocation
from aigov.facts.manifest import Manifest, load_manifest
from aigov.facts.model_calls import ModelIndex, model_index
from aigov.facts.model_card import collect_documents, collect_model_card, document_paths
from aigov.facts.model_refs import collect_model_references, declared_model_facts
from aigov.policy.watchdog import Worker
from aigov.tree import Reads, Tree

ANSWERS_FILE = ".copier-answers.yml"
# promptfoo's declarative config file names (promptfoo looks for these when no -c is given). Its
# .js/.ts configs are code, read as code: a file that runs is never an eval config's data.
PROMPTFOO_CONFIG = re.compile(r"(?:^|/)promptfooconfig\.(?:ya?ml|json)$")
EVAL_CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class RepoContext:
    """What every feature's collectors share: the repository, the registry, and facts computed once."""

    tree: Tree
    registry: dict[str, Any]
    now: str
    model_index: ModelIndex = field(init=False)  # the registry's spellings and provider patterns, for the code's references
    cache: dict[Hashable, tuple[Any, Reads]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # data.aigov.settings, for collectors' knobs
    trusted_root: Path | None = None  # a private Sigstore instance's trusted_root.json (--trusted-root)
    release: str | None = None  # why this check judges a release (--release, a tag), or None
    # What each feature's facts were read from, by feature folder (filled by build_inputs).
    reads: dict[str, Reads] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The index remembers what it found in each file's text: an evidence replay keeps one for all its commits.
        if self.tree.remembers:
            self.model_index = self.memoised(("model index",), lambda: model_index(self.registry, incremental=True))
        else:
            self.model_index = model_index(self.registry)

    def once(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Repository-wide facts (such as parsed workflows) computed once for all features; what
        they were read from counts as read by every feature that uses them."""
        if key not in self.cache:
            # Not memoised across an evidence replay's commits (Tree.memoised): a repository-wide
            # fact may be built from another one in hand, or be a cache the check fills as it goes.
            # The collectors that use them are memoised, with these reads among theirs.
            with self.tree.recording() as reads:
                value = compute()
            self.cache[key] = (value, reads)
        value, reads = self.cache[key]
        self.tree.note(reads)
        return value

    def memoised(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()``, or its value for an earlier commit of an evidence replay where it read the
        same files (:meth:`aigov.tree.Tree.memoised`) with the same registry and settings."""
        registry, settings = self.registry, self.settings
        # The memo keeps registry and settings alive with the value, so their ids name them alone.
        value, _, _ = self.tree.memoised((*key, id(registry), id(settings), str(self.trusted_root)),
                                         lambda: (compute(), registry, settings))
        return value


# A collector adds one fragment of facts for a feature. Later collectors (evals, workflows,
# artefacts, SBOM) register here; each imports its heavy dependencies only when it has work.
Collector = Callable[[RepoContext, Manifest, FeatureLocation], dict[str, Any]]
COLLECTORS: list[Collector] = []


def collector(func: Collector) -> Collector:
    COLLECTORS.append(func)
    return func


# Modules that register more collectors with @collector. Each keeps its heavy imports (sigstore,
# cyclonedx, ...) inside the functions that need them, so registering them costs nothing.
COLLECTOR_MODULES: tuple[str, ...] = ("aigov.facts.evals", "aigov.facts.release_signing", "aigov.facts.template")
# Collectors that run in a forked child, for every feature, while this process runs the others:
# the SBOM's (CycloneDX schema validation, the dependency pins) and the signed artefacts' (RE2,
# Sigstore verification once a release is built) are half of the facts' cost, and their modules
# then never load here. They read nothing other collectors compute.
BACKGROUND_COLLECTOR_MODULES: tuple[str, ...] = ("aigov.facts.signatures", "aigov.facts.sbom")
BACKGROUND_TIMEOUT_S = 600.0  # a hang reading facts is exit 2 too, never a stuck check


def _collectors(background: bool) -> list[Collector]:
    """The background collectors, or all the others (importing the modules that register them)."""
    for name in BACKGROUND_COLLECTOR_MODULES if background else COLLECTOR_MODULES:
        importlib.import_module(name)
    return [collect for collect in COLLECTORS if (collect.__module__ in BACKGROUND_COLLECTOR_MODULES) == background]


def build_inputs(ctx: RepoContext, locations: list[FeatureLocation], in_background: bool = True) -> list[dict[str, Any]]:
    """The input document of each feature: manifests first (one bad manifest fails the check), then
    the collectors, the background ones in a child meanwhile (``in_background``; else here, after
    the others: for a large process running many checks, such as an evidence replay, where a fork
    per check costs more than it saves). In a large repository a second child scans the code of
    about half the features for model references: that scan is most of a monorepo's facts, and
    a CI runner has two cores."""
    manifests = [_manifest(ctx, location) for location in locations]
    features = list(zip(manifests, locations, strict=True))
    if not features:
        return []
    if not in_background:
        collectors = [*_collectors(background=False), *_collectors(background=True)]
        return [_feature_input(ctx, manifest, location, collectors) for manifest, location in features]
    scanned_apart = _scanned_apart([location for _, location in features])
    # Each child with the features it reads for: the background collectors for all, the scans for some.
    children = [(Worker(lambda _step: _collected(ctx, features, _collectors(background=True)), "reading facts", requests=1),
                 list(range(len(features))))]
    if scanned_apart:
        children.append((Worker(lambda _step: _collected(ctx, [features[i] for i in scanned_apart], SCANS), "scanning code",
                                requests=1), scanned_apart))
    try:
        collectors = _collectors(background=False)
        here = [collect for collect in collectors if collect not in SCANS]
        inputs = [_feature_input(ctx, manifest, location, here if i in scanned_apart else collectors)
                  for i, (manifest, location) in enumerate(features)]
        for worker, indices in children:
            for i, (facts, reads) in zip(indices, worker.call(None, BACKGROUND_TIMEOUT_S), strict=True):
                inputs[i]["feature"].update(facts)
                ctx.reads[locations[i].dir].add(Reads(set(reads["paths"]), set(reads["folders"])))
    finally:
        for worker, _ in children:
            worker.close()
    return inputs


# A repository whose features hold fewer files than this is scanned in one process: a fork costs
# more than it saves there (the one-feature check is the common case and measured in benchmarks/).
SCAN_APART_FILES = 500


def _scanned_apart(locations: list[FeatureLocation]) -> list[int]:
    """The features (by index, in order) whose code a second child scans: about half the files,
    the largest features shared out first; none for one feature or a small repository."""
    sizes = [len(location.files) for location in locations]
    if len(locations) < 2 or sum(sizes) < SCAN_APART_FILES:
        return []
    here = apart = 0
    chosen = []
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        if apart < here:
            chosen.append(i)
            apart += sizes[i]
        else:
            here += sizes[i]
    return sorted(chosen)


def _manifest(ctx: RepoContext, location: FeatureLocation) -> Manifest:
    """The feature's manifest, read as the first of its reads; the feature's files are read too (as a
    listing: a file added to its folder changes what the collectors scan)."""
    with ctx.tree.recording() as reads:
        manifest = ctx.memoised(("manifest", location.manifest_path, location.dir),
                                lambda: load_manifest(ctx.tree, location.manifest_path, location.dir))
    reads.folders.add(location.dir)
    ctx.reads[location.dir] = reads
    return manifest


def _collected(ctx: RepoContext, features: list[tuple[Manifest, FeatureLocation]], collectors: Sequence[Collector]) -> Callable[..., Any]:
    """In the child: every feature's facts from ``collectors`` and what they were read from, computed
    now and handed over on request."""
    out = []
    for manifest, location in features:
        feature: dict[str, Any] = {}
        with ctx.tree.recording() as reads:
            for collect in collectors:
                feature.update(collect(ctx, manifest, location))
        out.append((feature, reads.as_fact()))
    return lambda _request, _report_step: out


def _feature_input(ctx: RepoContext, manifest: Manifest, location: FeatureLocation, collectors: list[Collector]) -> dict[str, Any]:
    feature: dict[str, Any] = {
        "name": manifest.name,
        "dir": location.dir,
        "manifest_path": manifest.path,
        "manifest": manifest.data,
        "lines": manifest.doc.lines,
    }
    given = Reads(set(ctx.reads[location.dir].paths), set(ctx.reads[location.dir].folders))  # the manifest, the feature's files
    with ctx.tree.recording() as reads:
        for collect in collectors:
            feature.update(_facts_of(ctx, collect, manifest, location, given))
    ctx.reads[location.dir].add(reads)
    return {"now": ctx.now, "aigov": {"version": __version__}, "release": {"active": ctx.release is not None, "why": ctx.release},
            "feature": feature}


def _facts_of(ctx: RepoContext, collect: Collector, manifest: Manifest, location: FeatureLocation, given: Reads) -> dict[str, Any]:
    """One collector's facts, memoised (in an evidence replay) on what it read and was given."""
    def compute() -> dict[str, Any]:
        ctx.tree.note(given)
        return collect(ctx, manifest, location)

    return ctx.memoised(("facts", location.dir, collect.__module__, collect.__qualname__), compute)


@collector
def _model_card(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    return {"model_card": collect_model_card(ctx.tree, manifest.feature_path(manifest.spec["modelCard"])),
            "documents": collect_documents(ctx.tree, document_paths(manifest.spec, manifest.feature_path))}


@collector
def _model_references(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    spec = manifest.spec
    # Files that declare models rather than call them: the manifest, the card, the SBOM, and
    # copier's record of the answers a feature was generated with.
    declared_files = {manifest.path, manifest.feature_path(spec["modelCard"]), manifest.feature_path(ANSWERS_FILE)}
    if isinstance(spec.get("sbom"), str):
        declared_files.add(manifest.feature_path(spec["sbom"]))
    # Eval configs (the manifest's, and promptfoo's by name) name the models the evals run and grade
    # with: models the feature's eval data goes to, not models its code calls.
    eval_files = {rel for rel in location.files if PROMPTFOO_CONFIG.search(rel)}
    config = (spec.get("evals") or {}).get("config")
    # Only a data file: a manifest that names its code as the eval config leaves that code's calls calls.
    if isinstance(config, str) and "://" not in config and config.lower().endswith(EVAL_CONFIG_SUFFIXES):
        eval_files.add(manifest.feature_path(config))
    prompts = manifest.feature_path(spec.get("prompts", "prompts"))
    facts = collect_model_references(ctx.tree, location.files, ctx.model_index, declared_files, prompts, location.dir,
                                     frozenset(eval_files))
    facts["declared_models"] = declared_model_facts(spec.get("models") or [], ctx.model_index)
    return facts


# The collectors that read every file of a feature: in a large repository a second child runs them for some features.
SCANS: tuple[Collector, ...] = (_model_references,)


@collector
def _declared_paths(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    """Whether each repository path the manifest names is there: a regular file inside the repository
    (the prompts folder: a folder). URLs are not paths; a symlink out of the repository is not there."""
    spec = manifest.spec
    files = [spec.get("modelCard"), spec.get("sbom"), (spec.get("evals") or {}).get("config"),
             (spec.get("oversight") or {}).get("riskAssessment")]
    paths = {value: ctx.tree.is_file(manifest.feature_path(value)) for value in files if value and "://" not in value}
    if spec.get("prompts"):
        paths[spec["prompts"]] = ctx.tree.is_folder(manifest.feature_path(spec["prompts"]))
    return {"paths": paths}
