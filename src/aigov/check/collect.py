"""What a check judges: the repository's features, each as one input document, and the pack to judge them by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov.check.authority import Authority, resolve_authority
from aigov.check.diff import change_under_review
from aigov.check.options import CheckOptions
from aigov.clock import utc_now
from aigov.config import Refusal, RepositoryConfig, blocking_severities, load_repository_config
from aigov.errors import AigovError
from aigov.facts.build import RepoContext, build_inputs
from aigov.facts.change import add_change_facts
from aigov.facts.discovery import FeatureLocation, discover_features, excluded
from aigov.facts.scope import candidates, ignore_files, touched
from aigov.files import find_repository_root
from aigov.policy.engine import Engine
from aigov.policy.pack import PolicyPack
from aigov.tree import Reads, Tree, WorkTree

if TYPE_CHECKING:  # diff-aware checks only (aigov.check.diff says why)
    from aigov.facts.change import Change

# Files every feature's verdict depends on besides what its collectors read: the waivers (decided
# over every judged feature's findings) and CODEOWNERS (who approves a change).
REPOSITORY_WIDE_FILES = (".aigov/waivers.yaml", ".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass
class CheckInputs:
    """Everything a check evaluates: the repository, who decides, the pack and one input per feature."""

    tree: Tree
    authority: Authority
    repository: RepositoryConfig
    pack: PolicyPack
    inputs: list[dict[str, Any]]
    change: Change | None = None
    scope: str = "."  # the folder judged, repository-relative ("." for the whole repository)
    engine: Engine | None = None  # with_engine: already loading the pack while the facts were collected
    # What each judged feature's facts were read from (by feature folder), the repository's own
    # config, rules and waivers included: diff scope and incremental evidence compare changes with it.
    reads: dict[str, Reads] = field(default_factory=dict)
    removed: list[dict[str, Any]] = field(default_factory=list)  # features a change removed (input documents)
    now: str = ""  # the clock the policies see

    @property
    def block(self) -> tuple[str, ...]:
        return blocking_severities(self.authority.org, self.repository)

    def close(self) -> None:
        """End every process the collection started: the engine's child, git readers."""
        if self.engine is not None:
            self.engine.close()
        if self.change is not None and "base_tree" in self.change.__dict__:
            self.change.base_tree.close()
        self.tree.close()


def open_work_tree(path: Path, repository_root: Path | None, exclude_outputs: Iterable[Path] = ()) -> WorkTree:
    """The work tree of the repository ``path`` is in (``repository_root``: --root), already listing its files.

    ``exclude_outputs``: this run's own report files, which must not be judged if they land in the tree.
    """
    if not path.is_dir():
        raise AigovError("is not a directory", str(path))
    tree = WorkTree(_repository_root(path, repository_root))
    tree.list_files_early()
    for output in exclude_outputs:
        tree.ignore(output)
    return tree


def collect_inputs(path: Path, options: CheckOptions) -> CheckInputs:
    """The inputs of the features under ``path`` in the work tree, without an engine (``aigov facts``)."""
    tree = open_work_tree(path, options.repository_root)
    try:
        return collect_tree_inputs(tree, tree.rel(path.resolve()), resolve_authority(options, tree.root), options)
    except BaseException:  # git must not outlive a failed collection
        tree.stop_listing()
        raise


def collect_tree_inputs(tree: Tree, scope: str, authority: Authority, options: CheckOptions, with_engine: bool = False,
                        only: set[str] | None = None) -> CheckInputs:
    """The check's inputs for the features under ``scope`` of ``tree`` (the work tree, or a commit read
    from git objects: the same rules either way), judged by ``authority``; ``only``: just the features in these folders.

    ``with_engine``: choose the engine and start it once the features are known, so that it loads
    the pack while the facts are collected (CheckInputs.close ends it).
    """
    if tree.root != authority.root:  # it refused what lies inside its own repository, not inside this one
        raise AigovError(f"the check's authority was resolved for another repository ({authority.root})", tree.label)
    engine: Engine | None = None
    try:
        change = change_under_review(tree, options.change)
        # Memoised where the tree keeps a memo (an evidence replay judges thousands of commits): the
        # repository's own config and rules and the feature list are the same wherever what they read is the same.
        with tree.recording() as repository_reads:  # the repository's own config and rules feed every feature
            repository, pack = tree.memoised(("repository pack", authority), lambda: _repository_pack(tree, authority))
        repository_reads.paths.update(REPOSITORY_WIDE_FILES)
        locations = tree.memoised(("features", scope, authority.org.exclude), lambda: _features(tree, scope, authority.org.exclude))
        may_remove = change is not None and change.touches_manifests()  # a removed feature is judged too
        if not locations and not may_remove:  # a change may remove the last one
            raise AigovError("no aigov.yaml found; nothing to check (run 'aigov new' to start a feature, "
                             "or 'aigov init' for existing code)", tree.label if scope == "." else scope)
        refused = [*repository.refused, *excludes_that_hide_features(repository, locations)]
        if only is not None:
            locations = [loc for loc in locations if loc.dir in only]
        ctx = RepoContext(tree=tree, registry=authority.registry, now=options.now or utc_now(),
                          settings=authority.settings, trusted_root=options.trusted_root, release=options.release)
        everything, bounds = locations, None
        if change is not None:
            locations, bounds = candidates(ctx, change, locations, repository_reads)
        engine = (options.engine or authority.engine.start()) if with_engine else None
        if engine is not None and (locations or may_remove):  # a change that touches no feature contacts no server
            engine.prepare(pack)  # it loads the pack while the facts are collected
        inputs = build_inputs(ctx, locations, options.facts_in_background)
        reads = {loc.dir: _feature_reads(ctx, loc.dir, repository_reads) for loc in locations}
        if bounds is not None and not all(bounds.holds(folder, read) for folder, read in reads.items()):
            # A feature read where no bound foresaw: judge the change against every feature, never miss one.
            rest = [loc for loc in everything if loc.dir not in reads]
            if rest and engine is not None and not locations:
                engine.prepare(pack)
            inputs += build_inputs(ctx, rest, options.facts_in_background)
            reads.update({loc.dir: _feature_reads(ctx, loc.dir, repository_reads) for loc in rest})
        collected = CheckInputs(tree, authority, repository, pack, inputs, change, scope, engine, reads, now=ctx.now)
        repository_facts = {"path": repository.path, "refused": [r.as_fact() for r in refused]}
        for doc in inputs:
            doc["repository_config"] = repository_facts
        _refuse_duplicate_names(inputs)
        if change is not None:
            collected.inputs = touched(collected.inputs, reads, change)
            reviewers = (authority.settings.get("approvals") or {}).get("reviewers") or {}
            collected.removed = add_change_facts(collected, options.github_token, sorted(reviewers.values()))
        return collected
    except BaseException:  # the engine's child may not outlive a failed collection
        if engine is not None:
            engine.close()
        raise


def _repository_pack(tree: Tree, authority: Authority) -> tuple[RepositoryConfig, PolicyPack]:
    repository = load_repository_config(tree)
    return repository, authority.pack_for(repository, tree)


def _features(tree: Tree, scope: str, exclude: tuple[str, ...]) -> list[FeatureLocation]:
    tree.note(Reads(folders={"."}))  # the features and the files each owns come from the whole listing
    return discover_features(tree, scope, list(exclude))


def _feature_reads(ctx: RepoContext, folder: str, repository_reads: Reads) -> Reads:
    """What a feature's verdict was read from: its collectors' reads, the repository's own config,
    rules and waivers, and the ignore files of the folders around it (they decide which files are
    its own in a work tree)."""
    reads = Reads()
    reads.add(ctx.reads.get(folder, Reads()))
    reads.add(repository_reads)
    reads.paths.update(ignore_files(folder))
    return reads


def _repository_root(path: Path, given: Path | None) -> Path:
    if given is None:
        return find_repository_root(path)
    root = given.resolve()
    if not root.is_dir():
        raise AigovError("--root is not a directory", str(given))
    if path.resolve() != root and root not in path.resolve().parents:
        raise AigovError(f"is not inside --root {given}", str(path))
    return root


def excludes_that_hide_features(repository: RepositoryConfig, locations: list[FeatureLocation]) -> list[Refusal]:
    """The repository may not exclude a folder that holds a feature or its files: it would hide what is judged.

    Returned, not added to ``repository``: an evidence replay shares one RepositoryConfig between the
    commits that hold the same config (aigov.tree.Tree.memoised)."""
    refused = []
    for pattern, line in repository.exclude:
        hidden = [loc.dir for loc in locations if any(excluded(rel, [pattern]) for rel in [loc.manifest_path, *loc.files])]
        if hidden:
            refused.append(Refusal("exclude", f"exclude {pattern!r}, which holds the feature in {hidden[0]}", repository.path or "", line))
    return refused


def _refuse_duplicate_names(inputs: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for doc in inputs:
        feature = doc["feature"]
        if feature["name"] in seen:
            raise AigovError(
                f"metadata.name '{feature['name']}' is already used by {seen[feature['name']]}; feature names must be unique",
                feature["manifest_path"], feature["lines"].get("metadata.name"),
            )
        seen[feature["name"]] = feature["manifest_path"]
