"""Where a generated repository's CI gets aigov from: a source the platform controls, pinned.

On the public package index the name ``aigov`` belongs to an unrelated project, so a workflow that
runs ``pip install aigov`` fails, and runs a stranger's code (dependency confusion). The template
answer ``aigov_source`` is one of:

- the aigov GitHub Action, ``OWNER/REPO@<40-hex commit>`` or ``OWNER/REPO@v<version>``: the
  workflow's ``uses:`` step runs ``aigov check`` and leaves ``aigov`` installed for later steps;
- a wheel URL pinned by digest, ``https://HOST/PATH/aigov-....whl#sha256=<64 hex>`` (pip checks it);
- a git ref pinned to a commit, ``git+https://HOST/PATH@<40-hex commit>``.

The default is the Action in the repository's own GitHub organisation at this aigov's version,
``<github_org>/aigov@v<version>``: only that organisation can create that repository, so the
default never resolves to someone else's code; where the platform team has not mirrored aigov
there the workflow fails (closed) instead.
"""

from __future__ import annotations

import re

from aigov import __version__
from aigov.errors import AigovError

_ACTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}@(?:[0-9a-f]{40}|v\d+(?:\.\d+)*)")
_WHEEL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d+)?/[A-Za-z0-9._~%/+-]*\.whl#sha256=[0-9a-f]{64}")
_GIT = re.compile(r"git\+https://[A-Za-z0-9.-]+(?::\d+)?/[A-Za-z0-9._~%/-]+@[0-9a-f]{40}")

FORMS = ("OWNER/REPO@<40-hex commit>", "OWNER/REPO@v<version>", "https://.../aigov-<version>-py3-none-any.whl#sha256=<64 hex>",
         "git+https://HOST/PATH@<40-hex commit>")


def default_aigov_source(github_org: str) -> str:
    return f"{github_org}/aigov@v{__version__}"


def validate_aigov_source(source: str) -> str:
    """``source`` when it is pinned and of a known form; otherwise AigovError saying what is accepted."""
    if _ACTION.fullmatch(source) or _WHEEL.fullmatch(source) or _GIT.fullmatch(source):
        return source
    raise AigovError(f"--aigov-source {source!r} is not a pinned source aigov can install from; {_why_not(source)}. "
                     f"Use one of: {', '.join(FORMS)}")


def _why_not(source: str) -> str:
    if re.fullmatch(r"aigov\b.*", source, flags=re.IGNORECASE):
        return "a package name installs from the public index, where 'aigov' is an unrelated project"
    if source.startswith("http://") or source.startswith("git+http://"):
        return "plain HTTP can be altered in transit"
    if source.startswith("https://"):
        return "a wheel URL needs its digest (#sha256=<64 hex>) and must name a .whl file"
    if source.startswith("git+"):
        return "a git ref must be a full 40-hex commit over https (a branch or tag can move)"
    if "@" in source:
        return "an Action must be pinned to a full 40-hex commit or a version tag v<version>"
    return "it names no version or digest"
