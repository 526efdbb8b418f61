"""Policy-pack helpers shared by test modules: a copy of the shipped pack, and `aigov policy build`."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO_ROOT, run_cli

POLICIES = REPO_ROOT / "policies"


def build(folder: Path, out: Path) -> Path:
    result = run_cli("policy", "build", str(folder), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


def copy_pack(dest: Path) -> Path:
    """A folder laid out like policies/: what a platform team keeps in its own repository."""
    for name in ("aigov", "data", "VERSION"):
        source = POLICIES / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, dest / name)
    return dest
