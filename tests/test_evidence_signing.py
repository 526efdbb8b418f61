"""A signed evidence bundle: the manifest's Sigstore signature is checked offline, with the expected identity.

Signatures come from the throw-away Sigstore instance the signing tests use (tests/sigstore_fixture.py).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from conftest import run_cli, run_limited
from evidence_helpers import EVIDENCE_IDENTITY, feature_repo, signed_copy
from sigstore_fixture import GITHUB_ISSUER, SigstoreInstance

# The same throw-away instance and trusted root as the artefact-signing tests.


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("signing")
    repo = feature_repo(root / "svc-repo")
    out = root / "bundle.zip"
    assert run_cli("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(out)).exit_code == 0
    return out


def verify(path: Path, trusted_root: Path, identity: str = EVIDENCE_IDENTITY) -> object:
    return run_cli("evidence", "verify", str(path), "--identity", identity, "--issuer", GITHUB_ISSUER, "--trusted-root", str(trusted_root))


def test_a_signed_manifest_verifies_with_the_expected_identity(unsigned: Path, instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    run = verify(signed_copy(unsigned, instance, tmp_path), trusted_root)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert f"manifest signed by {EVIDENCE_IDENTITY}" in run.stdout


def test_another_signer_is_rejected(unsigned: Path, instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    path = signed_copy(unsigned, instance, tmp_path, identity="https://github.com/mallory/x/.github/workflows/e.yml@refs/heads/main")
    run = verify(path, trusted_root)
    assert run.exit_code == 1 and "manifest.json.sigstore.json: the manifest's signature does not verify" in run.stdout


def test_a_manifest_edited_after_signing_is_caught_even_with_consistent_hashes(
    unsigned: Path, instance: SigstoreInstance, trusted_root: Path, tmp_path: Path,
) -> None:
    path = signed_copy(unsigned, instance, tmp_path)
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    # Rewrite report.md and put its new hash into the manifest: only the signature can tell.
    import hashlib

    files["report.md"] = b"# every control held\n"
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["report.md"] = "sha256:" + hashlib.sha256(files["report.md"]).hexdigest()
    files["manifest.json"] = (json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    run = verify(forged, trusted_root)
    assert run.exit_code == 1 and "signature does not verify" in run.stdout


def test_a_signed_bundle_needs_an_identity_to_verify_and_an_unsigned_one_fails_when_one_is_asked(
    unsigned: Path, instance: SigstoreInstance, trusted_root: Path, tmp_path: Path,
) -> None:
    run = run_cli("evidence", "verify", str(signed_copy(unsigned, instance, tmp_path)))
    assert run.exit_code == 2 and "give --identity and --issuer" in run.stderr
    run = verify(unsigned, trusted_root)
    assert run.exit_code == 1 and "missing, but --identity asks for a signed manifest" in run.stdout


def test_signing_outside_ci_is_a_clean_error(unsigned: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b.zip"
    copy.write_bytes(unsigned.read_bytes())
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("ACTIONS_", "GITHUB_", "SIGSTORE_"))}
    run = run_limited("evidence", "sign", str(copy), env=env)
    assert run.exit_code == 2 and "no ambient OIDC credential" in run.stderr and "Traceback" not in run.stderr
    assert copy.read_bytes() == unsigned.read_bytes()
