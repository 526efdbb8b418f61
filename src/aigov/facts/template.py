"""Which paved-road template, at which version, a feature was generated from.

``aigov new`` (copier) records it in the feature's ``.copier-answers.yml``: ``_aigov_template``
(the road), ``_src_path`` (the template source) and ``_commit`` (the template version: a PEP 440
tag, or ``<tag>-<n>-g<hash>`` for n commits after it). Rego compares the version with the
minimum the platform supports (data.aigov.templates); nothing is decided here.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from aigov.errors import AigovError
from aigov.facts.build import ANSWERS_FILE, RepoContext, collector
from aigov.facts.discovery import FeatureLocation
from aigov.facts.manifest import Manifest
from aigov.tree import MISSING
from aigov.yamlfile import parse_yaml

# The release part of a PEP 440 version (optional "v", epoch not supported), then anything.
_RELEASE = re.compile(r"^v?(\d+(?:\.\d+)*)")
# copier records `git describe --tags`: "<tag>-<commits since>-g<hash>" when not on a tag.
DESCRIBED_VERSION = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g[0-9a-f]+$")


@collector
def _template_facts(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    return {"template": collect_template(ctx, manifest.feature_path(ANSWERS_FILE))}


def collect_template(ctx: RepoContext, path: str) -> dict[str, Any] | None:
    """``None`` when the feature was not generated from a template."""
    if ctx.tree.kind(path) == MISSING:
        return None
    doc = parse_yaml(ctx.tree.read_text(path, max_bytes=256 * 1024), path)
    if not isinstance(doc.data, dict):
        raise AigovError("copier answers file must be a YAML mapping", path, doc.line_of(""))
    answers = doc.data
    source = str(answers.get("_src_path") or "")
    commit = str(answers.get("_commit") or "")
    name = answers.get("_aigov_template") or PurePosixPath(source.rstrip("/")).name.removesuffix(".git") or None
    version, release = parse_template_version(commit)
    return {
        "path": path,
        "name": name,
        "source": source or None,
        "commit": commit or None,
        "version": version,
        "release": release,
        "line": doc.line_of("_commit") or 1,
    }


def parse_template_version(commit: str) -> tuple[str | None, list[int] | None]:
    """``1.2.0-3-gabc`` -> (``1.2.0``, [1, 2, 0]); a bare commit hash or nothing -> (None, None).

    The release is padded or cut to three numbers, so Rego can compare it element by element.
    """
    described = DESCRIBED_VERSION.match(commit)
    tag = described["tag"] if described else commit
    match = _RELEASE.match(tag)
    if not match or (not described and re.fullmatch(r"[0-9a-f]{7,40}", commit) and "." not in commit):
        return None, None
    numbers = [int(part) for part in match.group(1).split(".")]
    return tag, (numbers + [0, 0, 0])[:3]
