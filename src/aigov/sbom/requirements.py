"""The Python dependencies a feature pins, with the file and line of each pin.

Read from the feature directory: ``requirements*.txt`` and ``requirements/*.txt`` (pip format,
also ``requirements*.lock`` as rye and pip-tools write them), ``pyproject.toml`` (PEP 621
dependencies, optional dependencies, PEP 735 dependency groups, Poetry dependencies), and the
lock files ``uv.lock``, ``poetry.lock`` and ``pylock.toml`` (PEP 751). A pin is an exact version:
``name==1.2.3`` (or ``===``) in requirement syntax, or a lock file entry. Anything else (ranges,
URLs, editables) is recorded as unpinned; the SBOM rules compare only pins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from aigov.errors import AigovError
from aigov.tree import Tree, join

REQUIREMENT_GLOBS = ("requirements*.txt", "requirements/*.txt", "requirements*.lock")
TOML_FILES = ("pyproject.toml", "uv.lock", "poetry.lock", "pylock.toml")

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$")
_PIN = re.compile(r"^(===|==)\s*([^\s,;*]+)\s*$")
_COMMENT = re.compile(r"(^|\s)#.*$")

# One dependency a file declares: (requirement, its line, the exact version when the file gives it
# apart from the name, as a lock entry or Poetry's bare version does; else None: any pin is in the requirement).
Entry = tuple[str, int, str | None]


def normalize_name(name: str) -> str:
    """PEP 503: names compare case-insensitively, with runs of '-', '_' and '.' as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    name: str
    normalized: str
    version: str
    path: str
    line: int


@dataclass
class DependencyScan:
    pinned: list[Pin] = field(default_factory=list)
    unpinned: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_facts(self) -> dict[str, Any]:
        return {"pinned": [asdict(p) for p in self.pinned], "unpinned": self.unpinned, "sources": self.sources}


def dependency_files(tree: Tree, feature_dir: str) -> list[str]:
    """The dependency files directly in the feature directory (repository-relative), in a stable order."""
    found: list[str] = []
    for pattern in REQUIREMENT_GLOBS:
        found.extend(tree.glob(feature_dir, pattern))
    found.extend(rel for name in TOML_FILES if tree.is_file(rel := join(feature_dir, name)))
    return found


def scan_dependencies(files: list[str], read: Callable[[str], str]) -> DependencyScan:
    """Every pin in ``files`` (repository-relative paths); ``read`` returns a file's text."""
    scan = DependencyScan()
    for name in files:
        text = read(name)
        scan.sources.append(name)
        base = name.rpartition("/")[2]
        entries: Iterator[Entry]
        if base.endswith((".txt", ".lock")) and base not in TOML_FILES:
            entries = _requirements_file(text)
        elif base == "pyproject.toml":
            entries = _pyproject(text, name)
        else:
            entries = _toml_lock(text, name, "packages" if base == "pylock.toml" else "package")
        for requirement, line, exact_version in entries:
            _record(scan, requirement, line, name, exact_version)
    return scan


def _record(scan: DependencyScan, requirement: str, line: int, path: str, exact_version: str | None) -> None:
    if exact_version is not None:  # a lock entry: name and version given apart
        scan.pinned.append(Pin(requirement, normalize_name(requirement), exact_version, path, line))
        return
    match = _NAME.match(requirement)
    if not match:
        return
    name, _extras, rest = match.groups()
    spec = rest.split(";", 1)[0].strip()
    pin = _PIN.match(spec)
    if pin:
        scan.pinned.append(Pin(name, normalize_name(name), pin.group(2), path, line))
    else:
        scan.unpinned.append({"name": name, "normalized": normalize_name(name), "spec": spec, "path": path, "line": line})


def _requirements_file(text: str) -> Iterator[Entry]:
    """Requirement lines of a pip requirements file, joined across '\\' continuations."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw)
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical, pending = (pending + line).strip(), ""
        # Options (-r, -c, -e, --index-url, ...), bare URLs and paths (no name, so no pin), and
        # per-requirement options such as --hash.
        if not logical or logical.startswith(("-", ".", "/")) or re.match(r"^[\w+.-]+://", logical):
            continue
        yield logical.split(" --", 1)[0].strip(), start, None


def _load_toml(text: str, name: str) -> dict[str, Any]:
    import tomllib  # lazy: ~3 ms, only for a pyproject.toml

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message ends "(at line N, column M)"; the line goes where aigov puts lines.
        where = re.search(r"\s*\(at line (\d+), column \d+\)$", str(exc))
        message = str(exc)[: where.start()] if where else str(exc)
        raise AigovError(f"is not valid TOML: {message}", name, int(where.group(1)) if where else None) from None


def _pyproject(text: str, name: str) -> Iterator[Entry]:
    data = _load_toml(text, name)
    project = data.get("project") or {}
    requirements: list[Any] = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        requirements.extend(group or [])
    for group in (data.get("dependency-groups") or {}).values():
        requirements.extend(group or [])
    for requirement in requirements:
        if isinstance(requirement, str):
            yield requirement, _line_containing(text, requirement), None
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    for package, spec in poetry.items():
        version = spec.get("version") if isinstance(spec, dict) else spec
        if package.lower() == "python" or not isinstance(version, str):
            continue
        # Poetry reads a bare version as an exact pin.
        exact = version.strip() if re.fullmatch(r"\d[\w.!+-]*", version.strip()) else None
        line = _line_containing(text, f"{package} =") or _line_containing(text, package)
        yield (package, line, exact) if exact else (f"{package} {version}", line, None)


def _toml_lock(text: str, name: str, table: str) -> Iterator[Entry]:
    """Entries of uv.lock / poetry.lock ([[package]]) or pylock.toml ([[packages]])."""
    data = _load_toml(text, name)
    lines = text.splitlines()
    search_from = 0
    for entry in data.get(table) or []:
        package, version = entry.get("name"), entry.get("version")
        source = entry.get("source") or {}
        # The project itself (editable, virtual or local directory) is not a dependency.
        if not isinstance(package, str) or not isinstance(version, str) or any(k in source for k in ("editable", "virtual", "directory")):
            continue
        line, search_from = _entry_line(lines, package, search_from)
        yield package, line, version


def _entry_line(lines: list[str], package: str, start: int) -> tuple[int, int]:
    pattern = re.compile(rf'^\s*name\s*=\s*["\']{re.escape(package)}["\']')
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index + 1, index + 1
    return 1, start


def _line_containing(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1
