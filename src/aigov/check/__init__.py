"""``aigov check``: resolve who decides, collect the facts, evaluate the pack, decide the verdict.

A check's parts, in the order it runs them (their layers are a contract in pyproject.toml):

- :mod:`aigov.check.authority`: the org config, policy bundle, registry, pack and engine settings,
  resolved once from outside the checked repository (:class:`~aigov.check.authority.Authority`);
- :mod:`aigov.check.collect`: the features of a tree (the work tree or a commit), one input document each;
- :mod:`aigov.check.judge`: the engine's findings joined to METADATA (:mod:`aigov.check.findings`),
  the waivers applied (:mod:`aigov.check.waivers`), the verdict;
- :mod:`aigov.check.diff`: what a diff-aware check adds: the change, fingerprints, --new-only.

:func:`run_check` judges the work tree, :func:`check_tree` any tree: the one way to decide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from aigov.check.authority import Authority, resolve_authority
from aigov.check.collect import CheckInputs, collect_tree_inputs, open_work_tree
from aigov.check.diff import FindingKey, finding_keys
from aigov.check.judge import judge
from aigov.check.options import CheckOptions
from aigov.errors import AigovError
from aigov.model import CheckResult
from aigov.tree import Tree


def run_check(path: Path, options: CheckOptions | None = None, exclude_outputs: Iterable[Path] = ()) -> CheckResult:
    """``aigov check PATH``: the features under PATH in the work tree.

    ``exclude_outputs``: this run's own report files, which must not be judged if they land in the tree.
    """
    options = options or CheckOptions()
    tree = open_work_tree(path, options.repository_root, exclude_outputs)
    try:
        authority = resolve_authority(options, tree.root)
        collected = collect_tree_inputs(tree, tree.rel(path.resolve()), authority, options, with_engine=True)
    except BaseException:  # git must not outlive a failed collection
        tree.stop_listing()
        raise
    return _decide(collected, options)


def check_tree(tree: Tree, options: CheckOptions, scope: str = ".", authority: Authority | None = None) -> CheckResult:
    """The same check of ``tree`` (a commit read from git objects, say): the one way to decide.

    ``authority``: one already resolved for this repository (an evidence replay resolves it once for
    all its commits); by default it is resolved from ``options``.
    """
    authority = authority or resolve_authority(options, tree.root)
    return _decide(collect_tree_inputs(tree, scope, authority, options, with_engine=True), options)


def _decide(collected: CheckInputs, options: CheckOptions) -> CheckResult:
    try:
        debt = _base_findings(collected, options) if collected.change is not None and options.new_only else None
        return judge(collected, options, debt)
    finally:
        collected.close()


def _base_findings(collected: CheckInputs, options: CheckOptions) -> Counter[FindingKey]:
    """--new-only: the findings of the same features at the base commit; none when the base cannot be
    judged (every finding then counts as introduced).

    The base is read from git objects by the same reader as any check (the whole commit: its
    workflows, config, links and all) and judged by the same authority; a feature is itself at the
    base under the folder it had there (a moved feature is compared with its old self).
    """
    change = collected.change
    assert change is not None
    folders = {doc["change"]["base_feature"]["dir"] for doc in collected.inputs if doc["change"]["base_feature"]["exists"]}
    if not folders:
        return Counter()
    base_options = replace(options, change=None, new_only=False, apply_waivers=False)
    try:
        base = collect_tree_inputs(change.base_tree, ".", collected.authority, base_options, with_engine=True, only=folders)
        return finding_keys(_decide(base, base_options).findings)
    except AigovError:
        return Counter()
