"""A policy pack: Rego modules, their METADATA and the data they are evaluated with.

The shipped pack (``policies/``, or a policy bundle that replaces it) is the base; the org config
adds folders and data on top, and a repository's own ``.aigov/config.yaml`` may add in its own
namespaces only (see aigov.config). Digests of the policies and the data go into every
decision record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from aigov.digests import canonical_digest, sha256_hex
from aigov.errors import AigovError
from aigov.files import read_text_file
from aigov.policy.metadata import ModuleInfo, RuleMeta, embedded_source, parse_module
from aigov.policy.rego_ast import reference_root

WAIVERS_PACKAGE = "aigov.waivers"
# The waiver policy's decision, evaluated once per check over every judged feature's findings.
WAIVER_DECISION = f"data.{WAIVERS_PACKAGE}.decision"
_REVISION_DIGEST = re.compile(r"\+sha256:[0-9a-f]{64}$")


@dataclass
class PolicyPack:
    modules: dict[str, str] = field(default_factory=dict)  # display path -> Rego source
    infos: dict[str, ModuleInfo] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    version: str = "unversioned"
    sources: list[Any] = field(default_factory=list)  # aigov.config.Source, in the order they were applied
    # What the org config, --registry or the repository added on top of the shipped pack or bundle,
    # as a person would name it: an OPA bundle built from the base alone does not hold it.
    additions: list[str] = field(default_factory=list)

    @property
    def rules(self) -> dict[str, RuleMeta]:
        """Rule METADATA by finding id."""
        return {meta.id: meta for info in self.infos.values() for meta in info.rules}

    def deny_packages(self) -> list[str]:
        """Packages with at least one ``deny`` rule, evaluated by ``aigov check`` for each feature.

        The waiver package is not among them: it judges every feature's findings at once, in a
        second evaluation (aigov.check.waivers.apply_waivers).
        """
        return sorted({info.package for info in self.infos.values() if info.rules} - {WAIVERS_PACKAGE})

    def policy_digest(self, paths: list[str] | None = None) -> str:
        """Digest of the modules (all, or those at ``paths``): of their sources, not of the names they
        are shown by, which depend on where the pack was read from (an org folder's path differs
        between runners and working directories). Evidence groups decisions by this digest, so the
        same rules must always give the same one."""
        chosen = self.modules.values() if paths is None else [self.modules[p] for p in paths]
        return canonical_digest(source_digests(chosen))

    def embedded_modules(self) -> dict[str, str]:
        """The modules as the embedded engine loads them: each deny rule's id written where the rule
        reads it from its METADATA (aigov.policy.metadata.embedded_source). Other engines get ``modules``."""
        return {path: embedded_source(source, self.infos[path]) for path, source in self.modules.items()}

    def data_digest(self) -> str:
        return canonical_digest(self.data)

    def revision(self) -> str:
        """The revision an OPA bundle holding exactly this pack carries (see :func:`bundle_revision`)."""
        return bundle_revision(release_of(self.version), self.modules.values(), self.data)

    def copy(self) -> PolicyPack:
        """A pack to add to that leaves this one as it is. What both hold is shared: nothing changes a
        module's source or METADATA once added, and data is merged into new mappings (merge_data)."""
        return PolicyPack(dict(self.modules), dict(self.infos), self.data, self.version, list(self.sources), list(self.additions))

    def add_module(self, path: str, source: str, info: ModuleInfo | None = None) -> None:
        """Add one module; see :meth:`add_modules`."""
        self.add_modules([(path, source, info)])

    def add_modules(self, modules: list[tuple[str, str, ModuleInfo | None]]) -> None:
        """Add modules read together (a folder, a bundle): (display path, source, its ModuleInfo
        already read, such as the shipped pack's index, else None to parse it here).

        A call a module leaves to its package must reach a function some module of that package
        defines, this folder's or one loaded before: anything else is a builtin the embedded engine
        does not have, refused here rather than failing (or, on another engine, deciding
        differently) only when the line is reached."""
        added = []
        for path, source, known in modules:
            info = known or parse_module(source, path)
            seen = dict(self.rules)
            for meta in info.rules:  # another module's rule, or an earlier one of this module
                other = seen.setdefault(meta.id, meta)
                if (other.path, other.line) != (meta.path, meta.line):
                    raise AigovError(f"finding id {meta.id} is already used at {other.path}:{other.line}", path, meta.line)
            self.modules[path] = source
            self.infos[path] = info
            added.append(path)
        for path in added:
            self._refuse_unresolved(path)

    def _refuse_unresolved(self, path: str) -> None:
        info = self.infos[path]
        if not info.unresolved:
            return
        defined = {name for other in self.infos.values() if other.package == info.package for name in other.defines}
        for name, line in info.unresolved:
            if reference_root(name) not in defined:
                raise AigovError(f"calls {name}, which is neither a function of package {info.package} nor a builtin "
                                 "the embedded engine implements (aigov refuses what one engine cannot evaluate)", path, line)

def bundle_revision(release: str, modules: Iterable[str], data: Any) -> str:
    """``<release>+sha256:<hex>``: the one notion of a pack's revision.

    `aigov policy build` writes it into the bundle's .manifest, and server mode requires the
    deployed bundle to report the revision of the pack aigov loaded. The digest covers what OPA
    evaluates with, the module sources and the data, and not the files' names: a module's
    path changes no decision, and the same pack is named differently when loaded from
    ``policies/``, from a tarball or from an org folder. The release is for people only.
    """
    return f"{release}+{canonical_digest({'data': data, 'modules': source_digests(modules)})}"


def source_digests(modules: Iterable[str]) -> list[str]:
    """The modules' sources as a multiset of sha256 digests: what a pack's digests cover, file names aside."""
    return sorted(sha256_hex(source) for source in modules)


def release_of(version: str) -> str:
    """The VERSION a pack was built from: a revision `aigov policy build` wrote, without its digest."""
    return _REVISION_DIGEST.sub("", version) or "unversioned"


def is_test_module(path: str) -> bool:
    """A policy test (``*_test.rego``): run by `aigov policy test`, never part of a check or a built bundle."""
    return PurePosixPath(path).name.removesuffix(".rego").endswith("_test")


KnownModule = Callable[[str, str], "ModuleInfo | None"]  # (display path, source) -> METADATA already read


def load_rego_dir(pack: PolicyPack, folder: Path, label: str, include_tests: bool = True,
                  known: KnownModule | None = None) -> list[str]:
    """Add every .rego file below ``folder``; display paths start with ``label``. Returns them."""
    found = read_rego_dir(folder, label, include_tests)
    pack.add_modules([(display, source, known(display, source) if known else None) for display, source in found])
    return [display for display, _ in found]

def read_rego_dir(folder: Path, label: str, include_tests: bool = True) -> list[tuple[str, str]]:
    """(display path, source) of every .rego file below ``folder``, regular files only, in order."""
    if not folder.is_dir():
        raise AigovError("is not a folder of .rego files" if folder.exists() else "policy folder not found", label)
    found = []
    for path in sorted(p for p in folder.rglob("*.rego") if p.is_file() and not p.is_symlink()):
        if not include_tests and is_test_module(path.name):
            continue
        display = f"{label}/{path.relative_to(folder).as_posix()}"
        found.append((display, read_text_file(path, display)))
    return found


def merge_data(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``extra`` into ``base``: mappings merge, anything else is replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_data(out[key], value)
        else:
            out[key] = value
    return out
