"""``aigov evidence sign``: a keyless Sigstore signature over the bundle's manifest.json, stored in
the bundle as manifest.json.sigstore.json. The manifest holds every other file's hash, so the
signature covers the whole bundle; verify checks it offline."""

from __future__ import annotations

import zipfile
from pathlib import Path

from aigov.errors import AigovError
from aigov.evidence.bundle import MANIFEST, SIGNATURE
from aigov.evidence.verify import verify_bundle_file


def sign_bundle(path: Path, staging: bool = False) -> str:
    """Sign with the CI's ambient OIDC credential (GitHub Actions: `permissions: id-token: write`); returns the identity."""
    verdict = verify_bundle_file(path)
    if not verdict.ok:
        raise AigovError(f"refusing to sign a bundle that does not verify: {verdict.problems[0]}", str(path))
    manifest = manifest_bytes(path)
    from sigstore.models import ClientTrustConfig  # lazy: sigstore ~0.35 s, only evidence sign needs it
    from sigstore.oidc import IdentityError, IdentityToken, detect_credential  # lazy: sigstore ~0.35 s, only evidence sign needs it
    from sigstore.sign import SigningContext  # lazy: sigstore ~0.35 s, only evidence sign needs it

    try:
        credential = detect_credential()
    except IdentityError as exc:
        raise AigovError(f"cannot get an OIDC credential: {exc}") from None
    if credential is None:
        raise AigovError("no ambient OIDC credential: sign in CI (GitHub Actions with `permissions: id-token: write`)")
    token = IdentityToken(credential)
    config = ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
    try:
        with SigningContext.from_trust_config(config).signer(token) as signer:
            signature = signer.sign_artifact(manifest).to_json().encode("utf-8")
    except Exception as exc:  # sigstore raises many types for network and service failures
        raise AigovError(f"signing failed: {type(exc).__name__}: {exc}") from None
    add_signature(path, signature)
    return str(token.identity)


def manifest_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(MANIFEST)


def add_signature(path: Path, signature: bytes) -> None:
    """Rewrite the zip with the signature beside the manifest, entries still sorted and stamped as the manifest is."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist() if info.filename != SIGNATURE]
    stamp = next(info for info, _ in entries if info.filename == MANIFEST)
    signed = zipfile.ZipInfo(SIGNATURE, date_time=stamp.date_time)
    signed.compress_type, signed.create_system, signed.external_attr = stamp.compress_type, stamp.create_system, stamp.external_attr
    entries.append((signed, signature))
    tmp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(tmp, "w") as archive:
        for info, data in sorted(entries, key=lambda e: e[0].filename):
            archive.writestr(info, data, compresslevel=9)
    tmp.replace(path)
