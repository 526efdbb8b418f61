"""Versioned git sources for copier.

copier records a template's version and can 3-way merge updates only when the template is a git
repository with PEP 440 tags. The bundled templates ship as plain files inside the wheel, so each
road is materialised (``_common`` overlaid by the road's own folder) into a cache repository,
``$XDG_CACHE_HOME/aigov/templates/<name>``, with one commit and tag per template VERSION. The cache
keeps earlier versions' commits and tags, which is what the 3-way merge of ``aigov update`` needs.

An organisation's own template repository (``--template-source DIR|URL``) is used as it is.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packaging.version import InvalidVersion, Version

from aigov import gitcli
from aigov.errors import AigovError
from aigov.gitcli import GitFailed
from aigov.resources import templates_dir
from aigov.scaffold.catalog import COMMON, TemplateInfo

# Identity and signing settings for the cache's own commits, independent of the user's git config.
_GIT_CONFIG = ("-c", "user.name=aigov", "-c", "user.email=aigov@localhost", "-c", "commit.gpgsign=false",
               "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main")
_DIGEST_FILE = "aigov-source-digest"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


def git(*args: str, cwd: Path | None = None, check: bool = True) -> str:
    """Run git as :mod:`aigov.gitcli` runs it (no hooks, no pager, no ``ext::`` transport, no prompt),
    as the cache's own committer; a failure is an AigovError with git's own message, or, with
    ``check=False``, no output."""
    try:
        return gitcli.git(cwd or Path.cwd(), *_GIT_CONFIG, *args).decode("utf-8", "replace")
    except GitFailed as exc:
        if not check:
            return ""
        raise AigovError(f"git {args[0]} failed: {exc.last}", str(cwd or "")) from None


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aigov" / "templates"


def cache_path(name: str) -> Path:
    return cache_root() / name


def materialise(info: TemplateInfo) -> Path:
    """The cache repository for a bundled road, with its current VERSION committed and tagged."""
    if not info.version:
        raise AigovError("template has no VERSION file", str(info.path))
    repo = cache_path(info.name)
    digest = _source_digest(info)
    with _locked(repo.with_name(repo.name + ".lock")):
        if _is_current(repo, info.version, digest):
            return repo
        if not (repo / ".git").is_dir():
            repo.mkdir(parents=True, exist_ok=True)
            git("init", "-q", cwd=repo)
        # Only this process works in the cache while it holds the lock, so an index lock is stale:
        # left by a git that was killed with an interrupted aigov new. It would fail every later run.
        (repo / ".git" / "index.lock").unlink(missing_ok=True)
        _replace_worktree(repo, [templates_dir() / COMMON, info.path])
        git("add", "-A", cwd=repo)
        if git("status", "--porcelain", cwd=repo).strip() or not _has_head(repo):
            git("commit", "-q", "--allow-empty", "-m", f"{info.name} {info.version}", cwd=repo)
        # A moved tag only happens while developing a template without bumping VERSION.
        git("tag", "-f", info.version, cwd=repo)
        (repo / ".git" / _DIGEST_FILE).write_text(f"{info.version} {digest}\n", encoding="utf-8")
    return repo


def version_tags(source: str) -> list[str]:
    """The PEP 440 tags of a template source (a local repository or a URL), oldest first."""
    out = git("ls-remote", "--tags", "--refs", "--", source)
    tags = []
    for line in out.splitlines():
        tag = line.partition("\t")[2].removeprefix("refs/tags/")
        try:
            tags.append((Version(tag), tag))
        except InvalidVersion:
            continue
    return [tag for _, tag in sorted(tags)]


def is_git_source(source: str) -> bool:
    if "://" in source or source.startswith("git@") or source.endswith(".git"):
        return True
    path = Path(source)
    return path.is_dir() and git("rev-parse", "--show-toplevel", cwd=path, check=False).strip() == str(path.resolve())


def _is_current(repo: Path, version: str, digest: str) -> bool:
    stamp = repo / ".git" / _DIGEST_FILE
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == f"{version} {digest}"


def _has_head(repo: Path) -> bool:
    return bool(git("rev-parse", "--verify", "-q", "HEAD", cwd=repo, check=False).strip())


def _replace_worktree(repo: Path, layers: list[Path]) -> None:
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for layer in layers:
        shutil.copytree(layer, repo, dirs_exist_ok=True, ignore=_IGNORED)


def _source_digest(info: TemplateInfo) -> str:
    """A digest of every file that goes into the materialised road, to skip work when nothing changed."""
    sha = hashlib.sha256()
    for layer in (templates_dir() / COMMON, info.path):
        for path in sorted(p for p in layer.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            sha.update(path.relative_to(layer).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise concurrent ``aigov new`` runs on the same cache (POSIX; elsewhere best effort)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:
            pass
        yield
