"""``aigov update``: bring a generated repository to a newer template version with copier's 3-way merge.

The repository's edits stay, new template files arrive, and where both changed the same lines
copier leaves conflict blocks; they are found and summarised here, file by file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from aigov.errors import AigovError
from aigov.facts.template import DESCRIBED_VERSION
from aigov.scaffold.aigov_source import default_aigov_source
from aigov.scaffold.answers import ANSWERS_FILE, read_answers, read_answers_document
from aigov.scaffold.catalog import TemplateInfo, bundled_templates
from aigov.scaffold.generate import write_sbom
from aigov.scaffold.source import cache_path, git, materialise, version_tags

if TYPE_CHECKING:
    from packaging.version import Version

CONFLICT_START = "<<<<<<< before updating"


@dataclass
class UpdateStatus:
    template: str
    current: str  # the version recorded in the answers file
    latest: str | None  # the newest version the source offers
    source: str
    bundled: TemplateInfo | None = None
    tags: list[str] = field(default_factory=list)  # the source's version tags, when it was asked

    @property
    def available(self) -> bool:
        return self.latest is not None and version_key(self.latest) > version_key(self.current)


@dataclass
class Conflict:
    path: str  # relative to the project
    blocks: int
    first_line: int


@dataclass
class UpdateResult:
    status: UpdateStatus
    changed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    sbom: bool = False


def version_key(version: str) -> tuple[Version, int]:
    """Order versions as PEP 440 does; copier's ``1.0.0-3-gabc`` (3 commits after 1.0.0) sorts after 1.0.0."""
    described = DESCRIBED_VERSION.match(version)
    base, extra = (described["tag"], int(described["count"])) if described else (version, 0)
    try:
        return (Version(base), extra)
    except InvalidVersion:
        raise AigovError(f"template version {version!r} is not a PEP 440 version") from None


def update_status(project: Path) -> UpdateStatus:
    doc = read_answers_document(project)
    answers, path = doc.data, str(project / ANSWERS_FILE)
    source, current = answers.get("_src_path"), answers.get("_commit")
    if not source or not current:
        missing = [key for key in ("_src_path", "_commit") if not answers.get(key)]
        raise AigovError(f"records no template {' or '.join(missing)} (as aigov new wrote it); restore it from git history", path)
    if not isinstance(source, str) or not isinstance(current, str):
        raise AigovError("_src_path and _commit must be strings", path, doc.line_of("_commit"))
    try:
        version_key(current)
    except AigovError:
        raise AigovError(f"_commit {current!r} is not a template version (a PEP 440 tag such as 1.2.0, or "
                         "<tag>-<n>-g<hash>); restore it from git history", path, doc.line_of("_commit")) from None
    name = str(answers.get("_aigov_template") or Path(str(source)).name.removesuffix(".git"))
    bundled = _bundled_source(str(source), name)
    if bundled is not None:
        return UpdateStatus(name, str(current), bundled.version, str(source), bundled)
    tags = version_tags(str(source))
    return UpdateStatus(name, str(current), tags[-1] if tags else None, str(source), tags=tags)


def run_update(project: Path) -> UpdateResult:
    status = update_status(project)
    if not status.available:
        return UpdateResult(status)
    _require_clean_git(project)
    if status.bundled is not None:
        status.tags = version_tags(str(materialise(status.bundled)))
    _require_base_version(status)
    _copier_update(project, status)
    result = UpdateResult(status, changed=_changed_files(project), conflicts=find_conflicts(project))
    if not result.conflicts and (project / "sbom.cdx.json").exists():
        write_sbom(project)  # the new template version may have changed dependencies
        result.sbom = True
    return result


def find_conflicts(project: Path) -> list[Conflict]:
    """Files copier left with conflict blocks (unmerged in the index, or holding the markers)."""
    unmerged = set(_lines(git("diff", "--name-only", "--diff-filter=U", "--relative", "--", ".", cwd=project)))
    conflicts = []
    for rel in sorted(unmerged | _files_with_markers(project)):
        lines = _read_lines(project / rel)
        starts = [i + 1 for i, line in enumerate(lines) if line.rstrip() == CONFLICT_START]
        conflicts.append(Conflict(rel, len(starts), starts[0] if starts else 1))
    return conflicts


def _bundled_source(source: str, name: str) -> TemplateInfo | None:
    """The bundled road when ``source`` is aigov's template cache for it."""
    templates = {t.name: t for t in bundled_templates()}
    if name not in templates:
        return None
    recorded = Path(source).expanduser()
    if recorded.resolve() == cache_path(name).resolve():
        return templates[name]
    if not recorded.exists() and recorded.parent.name == "templates" and recorded.parent.parent.name == "aigov":
        raise AigovError(
            f"the template source recorded in {ANSWERS_FILE} ({source}) is aigov's template cache on another "
            f"machine; run aigov update where the repository was generated, or set XDG_CACHE_HOME so that "
            f"{cache_path(name)} is that cache. For updates anywhere, host the templates in a git repository "
            "and generate with --template-source"
        )
    return None


def _require_base_version(status: UpdateStatus) -> None:
    """The 3-way merge renders the version the repository was generated from: the source must still have it."""
    base = DESCRIBED_VERSION.match(status.current)
    tag = base["tag"] if base else status.current
    if tag not in status.tags:
        raise AigovError(
            f"{status.template} {status.current}, the version this repository was generated from, is not in its template "
            f"source ({status.source} has {', '.join(status.tags) or 'no version tags'}); the 3-way merge needs it"
        )


def _require_clean_git(project: Path) -> None:
    inside = git("rev-parse", "--is-inside-work-tree", cwd=project, check=False).strip()
    if inside != "true":
        raise AigovError("is not in a git repository; commit the generated repository first (aigov update merges against it)", str(project))
    dirty = git("status", "--porcelain", "--", ".", cwd=project).strip()
    if dirty:
        raise AigovError("has uncommitted changes; commit or stash them first, so the update can be reviewed as its own diff", str(project))


def _copier_update(project: Path, status: UpdateStatus) -> None:
    import copier  # lazy: copier ~0.5 s, only when a template is rendered
    from copier.errors import CopierError  # lazy: copier ~0.5 s, only when a template is rendered
    from jinja2 import TemplateError  # lazy: with copier
    from plumbum import ProcessExecutionError  # lazy: with copier (~40 ms)

    try:
        copier.run_update(project, data=_answers_new_versions_ask(project), vcs_ref=status.latest, defaults=True,
                          overwrite=True, skip_answered=True, quiet=True, unsafe=False, conflict="inline")
    except (CopierError, TemplateError) as exc:
        raise AigovError(f"copier could not update: {type(exc).__name__}: {exc}", str(project)) from None
    except ProcessExecutionError as exc:  # a git command inside copier failed
        detail = (exc.stderr or "").strip().splitlines()
        raise AigovError(f"copier could not update: git failed: {detail[-1] if detail else exc}", str(project)) from None


def _answers_new_versions_ask(project: Path) -> dict[str, str]:
    """Answers newer template versions ask for that older ones never recorded, derived as aigov new derives them."""
    answers = read_answers(project)
    if not answers.get("aigov_source") and answers.get("github_org"):  # templates before 1.1.0 ran `pip install aigov`
        return {"aigov_source": default_aigov_source(str(answers["github_org"]))}
    return {}


def _files_with_markers(project: Path) -> set[str]:
    tracked = _lines(git("ls-files", "--", ".", cwd=project))
    return {rel for rel in tracked if CONFLICT_START in "\n".join(_read_lines(project / rel))}


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _changed_files(project: Path) -> list[str]:
    """Files the update changed or added, relative to the project (git prints them relative to the cwd)."""
    changed = _lines(git("diff", "--name-only", "--relative", "HEAD", "--", ".", cwd=project))
    added = _lines(git("ls-files", "--others", "--exclude-standard", "--", ".", cwd=project))
    return sorted(set(changed) | set(added))


def _lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip()]
