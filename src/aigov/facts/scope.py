"""Which features a change touches: those whose facts were read from a path the change changed.

What a feature's facts were read from is recorded by the reader while they are collected
(:class:`aigov.tree.Reads`). Collecting every feature of a 200-feature monorepo for a one-file pull
request would cost seconds, so a bound comes first: what a feature *can* read, without collecting
it. That is its own folder; what every feature reads (the workflows and the actions and workflows
they use, the scripts their steps run through make, npm, tox, nox or docker compose and the configs
of eval actions, ``.github/``, ``.aigov/``, the repository's own rules and data, CODEOWNERS); and the ignore
files of the folders around it. A feature can read outside that only through a link in its folder,
or a path with ``..`` (or an escape that could spell one) in its manifest or eval config: such a
feature is always collected, and its recorded reads decide.

Features the change cannot reach are not collected. The others are, and are judged when their
recorded reads meet the change. If a collected feature's reads ever leave its bound, the bound is
wrong somewhere: every feature is then collected (never a missed feature), and the test suite holds
the bound to the recorded reads on generated repositories.

The reads at the base need no collection: a collector decides what to read only from what it has
read, so when nothing it read at the head changed, it read the very same paths at the base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aigov.errors import AigovError
from aigov.facts.evals import gate_reads
from aigov.facts.workflows import repository_workflows
from aigov.tree import MISSING, Reads, Tree, join
from aigov.yamlfile import safe_load

if TYPE_CHECKING:
    from aigov.facts.build import RepoContext
    from aigov.facts.change import Change
    from aigov.facts.discovery import FeatureLocation

SHARED_FOLDERS = (".github", ".aigov")
PEEK_BYTES = 1024 * 1024  # a manifest or eval config larger than this is collected, not peeked at


@dataclass
class Bounds:
    """What the features may read, as far as can be told without collecting them."""

    shared: Reads
    own: dict[str, Reads] = field(default_factory=dict)  # feature folder -> its folder and ignore files
    open_ended: set[str] = field(default_factory=set)  # feature folders that can read anywhere

    def holds(self, folder: str, reads: Reads) -> bool:
        """Whether recorded ``reads`` stay within what was foreseen for the feature in ``folder``."""
        if folder in self.open_ended:
            return True
        allowed = Reads(set(self.shared.paths), set(self.shared.folders))
        allowed.add(self.own[folder])
        return all(allowed.meets([path]) for path in reads.paths) and all(
            allowed.meets([f"{f}/x"]) or f in allowed.folders for f in reads.folders)


def candidates(ctx: RepoContext, change: Change, locations: list[FeatureLocation], repository_reads: Reads) -> tuple[list[FeatureLocation], Bounds]:
    """The features the change may touch (to be collected), and the bounds their reads must keep."""
    changed = change.paths
    bounds = Bounds(shared=_shared_reads(ctx, repository_reads))
    for loc in locations:
        bounds.own[loc.dir] = Reads(paths=set(ignore_files(loc.dir)), folders={loc.dir})
    if bounds.shared.meets(changed):
        return locations, bounds
    out = []
    for loc in locations:
        if bounds.own[loc.dir].meets(changed):
            out.append(loc)
        elif _may_read_outside(ctx.tree, loc):
            bounds.open_ended.add(loc.dir)
            out.append(loc)
    return out, bounds


def touched(inputs: list[dict[str, Any]], reads: dict[str, Reads], change: Change) -> list[dict[str, Any]]:
    """The collected features whose recorded reads meet the change: the ones judged."""
    return [doc for doc in inputs if reads[doc["feature"]["dir"]].meets(change.paths)]


def ignore_files(folder: str) -> list[str]:
    """The .gitignore files of the folders around ``folder`` (the ones inside it are in it)."""
    parts = [] if folder == "." else folder.split("/")
    return ["/".join([*parts[:i], ".gitignore"]) for i in range(len(parts))]


def _shared_reads(ctx: RepoContext, repository_reads: Reads) -> Reads:
    """What every feature may read: shared folders, the repository's own config and rules, and the
    workflows with every local action and reusable workflow they use (recorded while loading them)."""
    shared = Reads(set(repository_reads.paths), set(repository_reads.folders) | set(SHARED_FOLDERS))

    try:
        with ctx.tree.recording() as reads:
            repository_workflows(ctx)
            gate_reads(ctx)  # the Makefiles, package.json... that steps run scripts from
    except AigovError:
        shared.folders.add(".")  # broken workflows: every feature is collected, and says so
        return shared
    shared.add(reads)
    return shared


def _may_read_outside(tree: Tree, loc: FeatureLocation) -> bool:
    """Whether the feature can read a path outside its folder: a link in it, or a path in its manifest or
    eval config that could leave it (``..``, or a backslash that could escape one)."""
    prefix = "" if loc.dir == "." else loc.dir + "/"
    if any(link.startswith(prefix) for link in tree.links):
        return True
    manifest = _peek(tree, loc.manifest_path)
    if manifest is None or _could_leave(manifest):
        return True
    parsed, config = _eval_config(manifest)
    if not parsed:
        return True  # a manifest aigov cannot read this way: collect it and let the collectors say
    if config is None:
        return False
    text = _peek(tree, join(loc.dir, config))
    return text is not None and _could_leave(text)


def _could_leave(text: bytes) -> bool:
    return b".." in text or b"\\" in text


def _peek(tree: Tree, rel: str) -> bytes | None:
    """A small file's bytes; None when it is missing; b".." (so: collect the feature) when unreadable."""
    try:
        return tree.read_bytes(rel, PEEK_BYTES)
    except AigovError:
        return None if tree.kind(rel) == MISSING else b".."


# spec.evals.config written the plain way (`evals: {config: PATH}`, or `config: PATH` on a line of its
# own), read without a YAML parse (a fifth of a millisecond per manifest, which 200 features feel).
# Used only when the manifest has exactly one `config:` key; anything else is parsed.
_CONFIG_KEY = re.compile(rb"(?<![\w\"'-])config\s*:")
_EVALS_KEY = re.compile(rb"(?<![\w\"'-])evals\s*:")
_PLAIN_CONFIG = re.compile(rb"(?m)^[ ]*evals[ ]*:[ ]*(?:\{[ ]*config[ ]*:[ ]*([A-Za-z0-9_./-]+)[ ]*\}|\n[ ]+config[ ]*:[ ]*([A-Za-z0-9_./-]+))[ ]*(?:#.*)?$")


def _eval_config(manifest: bytes) -> tuple[bool, str | None]:
    """(whether the manifest could be read this way, spec.evals.config as it states it or None)."""
    if len(_CONFIG_KEY.findall(manifest)) == 1 and len(_EVALS_KEY.findall(manifest)) == 1:
        found = _PLAIN_CONFIG.search(manifest)
        if found:
            return True, (found.group(1) or found.group(2)).decode()
    return _parsed_eval_config(manifest)


def _parsed_eval_config(manifest: bytes) -> tuple[bool, str | None]:
    try:
        data = safe_load(manifest.decode("utf-8-sig"))
        evals = data["spec"].get("evals") if isinstance(data, dict) and isinstance(data.get("spec"), dict) else None
    except Exception:  # any parse failure: the collectors report it properly
        return False, None
    config = evals.get("config") if isinstance(evals, dict) else None
    if config is None:
        return True, None
    return (True, config) if isinstance(config, str) and "://" not in config else (False, None)
