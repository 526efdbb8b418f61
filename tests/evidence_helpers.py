"""Real git repositories with dated commits, for the evidence tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aigov.evidence.sign import add_signature, manifest_bytes
from conftest import make_feature
from repo_helpers import commit_all, init_repo

# A model card reviewed on 2026-01-21: a medium-tier card is due every 180 days, so it goes
# stale on 2026-07-20 with nobody committing anything.
CARD_DATE = "2026-01-21"


def feature_repo(root: Path, name: str = "svc", features: tuple[str, ...] = ("svc",), owner: str | None = None) -> Path:
    """A repository whose features were committed before Q3 2026, with a card reviewed on CARD_DATE."""
    root.mkdir(parents=True)
    init_repo(root)
    for folder in features:
        make_feature(root / folder, name=folder, repo=root)
        card = root / folder / "MODEL_CARD.md"
        card.write_text(card.read_text().replace("2026-10-01", CARD_DATE), encoding="utf-8")
        if owner:
            manifest = root / folder / "aigov.yaml"
            manifest.write_text(manifest.read_text().replace("team-support", owner), encoding="utf-8")
    commit_all(root, "start", "2026-06-01T09:00:00Z")
    return root


EVIDENCE_IDENTITY = "https://github.com/acme/platform/.github/workflows/evidence.yml@refs/heads/main"


def signed_copy(unsigned: Path, instance: Any, tmp_path: Path, identity: str = EVIDENCE_IDENTITY) -> Path:
    path = tmp_path / "signed.zip"
    path.write_bytes(unsigned.read_bytes())
    add_signature(path, json.dumps(instance.sign(manifest_bytes(path), identity=identity)).encode())
    return path
