"""``aigov evidence verify``: every hash, the manifest, and the manifest's signature where there is one.

Tampering - a changed byte, a file added or removed, a manifest edited - is a finding (exit 1),
each named; a file that is not a readable bundle is an error (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.evidence.bundle import MANIFEST, SIGNATURE
from aigov.evidence.decision import canonical_json
from aigov.sigstore_bundles import identity_policy, load_verifier, verify_bundle
from aigov.validation import schema_errors

MAX_ENTRIES = 200_000
MAX_TOTAL_BYTES = 2 * 1024**3  # a bundle that claims more is refused before anything is inflated
MAX_MANIFEST_BYTES = 64 * 1024**2


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    files: int = 0
    signed_by: str | None = None
    signature_unchecked: bool = False  # it carries a signature nobody asked to check (no identity given)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle_file(path: Path, identity: str | None = None, issuer: str | None = None,
                       trusted_root: Path | None = None, unasked_signature_ok: bool = False) -> Verdict:
    """``unasked_signature_ok``: a signature with no --identity/--issuer to check it against is
    noted in the verdict instead of being an error (a merge checks signatures only when asked)."""
    if identity and not issuer or issuer and not identity:
        raise AigovError("give --identity and --issuer together")
    archive = open_bundle(path)
    with archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        verdict = Verdict()
        duplicates = sorted({n for n in names if names.count(n) > 1}) if len(names) != len(set(names)) else []
        verdict.problems += [f"{n}: appears more than once in the zip" for n in duplicates]
        if MANIFEST not in names:
            verdict.problems.append(f"{MANIFEST}: missing (removed, or not an aigov evidence bundle)")
            return verdict
        manifest_bytes = read_entry(archive, MANIFEST, path, MAX_MANIFEST_BYTES)
        manifest = _manifest(manifest_bytes, verdict)
        if manifest is None:
            return verdict
        verdict.manifest = manifest
        listed: dict[str, str] = manifest["files"]
        present = set(names) - {MANIFEST, SIGNATURE}
        verdict.problems += [f"{n}: removed (listed in the manifest, not in the zip)" for n in sorted(set(listed) - present)]
        verdict.problems += [f"{n}: added (in the zip, not in the manifest)" for n in sorted(present - set(listed))]
        for name in sorted(present & set(listed)):
            if _hash(archive, name, path) != listed[name]:
                verdict.problems.append(f"{name}: changed (its sha256 differs from the manifest)")
        verdict.files = len(present & set(listed))
        if "controls.json" in present and not any(p.startswith("controls.json") for p in verdict.problems):
            _cross_check(manifest, read_entry(archive, "controls.json", path, MAX_MANIFEST_BYTES), verdict)
        if SIGNATURE in names and not identity and unasked_signature_ok:
            verdict.signature_unchecked = True
        else:
            _signature(archive, path, manifest_bytes, identity, issuer, trusted_root, names, verdict)
    return verdict


def open_bundle(path: Path) -> zipfile.ZipFile:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise AigovError(f"cannot be read: {exc.strerror}", str(path)) from None
    if not stat.S_ISREG(mode):
        raise AigovError("is not a regular file", str(path))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise AigovError(f"is not a readable zip (truncated, or not an evidence bundle): {exc}", str(path)) from None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        archive.close()
        raise AigovError("claims more entries or bytes than any evidence bundle holds; refusing to inflate it", str(path))
    return archive


def read_entry(archive: zipfile.ZipFile, name: str, path: Path, limit: int) -> bytes:
    try:
        with archive.open(name) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError) as exc:
        raise AigovError(f"entry {name} cannot be read (truncated or corrupt zip): {exc}", str(path)) from None
    if len(data) > limit:
        raise AigovError(f"entry {name} is larger than {limit} bytes", str(path))
    return data


def _hash(archive: zipfile.ZipFile, name: str, path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with archive.open(name) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise AigovError(f"entry {name} cannot be read (truncated or corrupt zip): {exc}", str(path)) from None
    return "sha256:" + digest.hexdigest()


def _manifest(data: bytes, verdict: Verdict) -> dict[str, Any] | None:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        verdict.problems.append(f"{MANIFEST}: edited (not valid JSON)")
        return None
    errors = schema_errors(manifest, "evidence-manifest")
    if errors:
        where, message = errors[0]
        verdict.problems.append(f"{MANIFEST}: edited (does not match the manifest schema at {where or '(top)'}: {message[:160]})")
        return None
    if (canonical_json(manifest) + "\n").encode("utf-8") != data:
        verdict.problems.append(f"{MANIFEST}: edited (not in the canonical form aigov writes)")
    return manifest


def _cross_check(manifest: dict[str, Any], controls_bytes: bytes, verdict: Verdict) -> None:
    """The manifest's header must say what the hashed controls.json says: an edited period, version
    or repository list is caught even where the hashes were left alone."""
    try:
        controls = json.loads(controls_bytes)
    except ValueError:
        verdict.problems.append("controls.json: not valid JSON")
        return
    for key in ("aigov_version", "period", "repositories"):
        if controls.get(key) != manifest.get(key):
            verdict.problems.append(f"{MANIFEST}: edited ({key} differs from controls.json)")


def _signature(archive: zipfile.ZipFile, path: Path, manifest_bytes: bytes, identity: str | None, issuer: str | None,
               trusted_root: Path | None, names: list[str], verdict: Verdict) -> None:
    if SIGNATURE not in names:
        if identity:
            verdict.problems.append(f"{SIGNATURE}: missing, but --identity asks for a signed manifest")
        return
    if not identity or not issuer:
        raise AigovError(f"the bundle carries {SIGNATURE}; give --identity and --issuer to check who signed it", str(path))

    signature = read_entry(archive, SIGNATURE, path, MAX_MANIFEST_BYTES)
    result = verify_bundle(load_verifier(trusted_root), hashlib.sha256(manifest_bytes).digest(), signature,
                           identity_policy(issuer, identity, None))
    if result.verified:
        verdict.signed_by = result.identity
    else:
        verdict.problems.append(f"{SIGNATURE}: the manifest's signature does not verify ({result.failure}: {result.error})")
