"""Verify an artefact against its Sigstore bundle, fully offline: the one place aigov uses sigstore.

``aigov check`` (through the artefact collector) and ``aigov verify-artifact`` both call
:func:`verify_bundle`. sigstore costs 0.6-0.8 s to import, so it is imported only inside the
functions here that need it, and callers reach them only when there is an artefact to verify.

A verification never raises for a bad bundle: every malformed, tampered, mismatched or untrusted
bundle comes back as a :class:`Verification` with ``verified`` false, a ``failure`` category and
a one-line ``error``. Only a trust root that cannot be loaded is an :class:`AigovError` (exit 2).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from aigov.digests import sha256  # small payloads: no OpenSSL load
from aigov.errors import AigovError
from aigov.jsonfile import parse_json
from aigov.patterns import compile_user_regex

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPES = (
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
)
# Real bundles are a few kilobytes; anything this large is not one.
MAX_BUNDLE_BYTES = 4 * 1024 * 1024

# Failure categories, so rules can tell a tampered artefact from a wrong signer.
MALFORMED = "malformed"  # not a Sigstore bundle: bad JSON, wrong shape or media type
UNTRUSTED = "untrusted"  # certificate chain, SCT, log entry or signing time fail against the trust root
IDENTITY = "identity"  # signed by someone else
ISSUER = "issuer"  # signed through another OIDC issuer
ARTIFACT_MISMATCH = "artifact_mismatch"  # the bundle signs different bytes: the artefact was changed
SIGNATURE = "signature"  # the signature, envelope or log entry does not match the bundle's contents


@dataclass(frozen=True)
class IdentityPolicy:
    """Who must have signed: an exact identity or a full-match regex (RE2), and the OIDC issuer."""

    issuer: str
    identity: str | None = None
    pattern: str | None = None

    @functools.cached_property
    def _regex(self) -> Any:
        assert self.pattern is not None
        return compile_user_regex(self.pattern, "identity pattern")

    def identity_matches(self, identities: list[str]) -> bool:
        if self.identity is not None:
            return self.identity in identities
        return any(self._regex.fullmatch(seen) for seen in identities)

    def describe(self) -> str:
        return self.identity if self.identity is not None else f"an identity matching /{self.pattern}/"


def identity_policy(issuer: str, identity: str | None, pattern: str | None) -> IdentityPolicy:
    """Check the policy's shape; a ValueError says what is wrong with it (a pattern RE2 cannot
    run included: it is compiled here, once)."""
    if (identity is None) == (pattern is None):
        raise ValueError("give exactly one of an identity or an identity pattern")
    policy = IdentityPolicy(issuer=issuer, identity=identity, pattern=pattern)
    if pattern is not None:
        try:
            _ = policy._regex  # compiled now: a bad pattern is the caller's error, not a failed verification
        except AigovError as exc:
            raise ValueError(exc.message) from None
    return policy


@dataclass
class Verification:
    """The outcome of verifying one artefact against one bundle (facts, not a decision)."""

    verified: bool
    kind: str | None = None  # message_signature | dsse
    identity: str | None = None  # the certificate's identity (SAN), as claimed
    issuer: str | None = None  # the certificate's OIDC issuer, as claimed
    identity_matches: bool | None = None
    issuer_matches: bool | None = None
    predicate_type: str | None = None  # the in-toto predicate type of a DSSE attestation
    failure: str | None = None
    error: str | None = None

    def facts(self) -> dict[str, Any]:
        return asdict(self)


def rejected(failure: str, error: str, **known: Any) -> Verification:
    return Verification(verified=False, failure=failure, error=_one_line(error), **known)


def rejection_reason(facts: dict[str, Any], expected_identity: str, expected_issuer: str, trusted_root: Path | None) -> str | None:
    """Why a verification failed, in one line a person can act on; None when it was verified."""
    failure, error = facts.get("failure"), facts.get("error")
    if facts.get("verified"):
        return None
    if failure == IDENTITY:
        return f"signed by {facts.get('identity')}, expected {expected_identity}"
    if failure == ISSUER:
        return f"certificate issued for OIDC issuer {facts.get('issuer')}, expected {expected_issuer}"
    root = str(trusted_root) if trusted_root else "Sigstore's production root"
    prefix = {
        MALFORMED: "malformed bundle",
        UNTRUSTED: f"not trusted by {root}",
        ARTIFACT_MISMATCH: "the file does not match what was signed (tampered or wrong file)",
        SIGNATURE: "invalid signature",
    }.get(failure or "", "not verified")
    return f"{prefix}: {error}"


def file_sha256(path: Path) -> bytes:
    """SHA-256 of a file of any size (artefacts can be model weights), read in chunks: OpenSSL's
    SHA-256 (hashlib) is several times faster on gigabytes, and worth its ~3 ms load only here."""
    import hashlib  # lazy: ~3 ms, only to digest an artefact

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.digest()


def read_bundle_bytes(path: Path) -> bytes:
    """A bundle's bytes, never more than one byte over the limit (the verifier rejects that)."""
    with path.open("rb") as handle:
        return handle.read(MAX_BUNDLE_BYTES + 1)


def load_verifier(trusted_root: Path | None = None) -> Any:
    """A sigstore Verifier for the production trust root (offline) or a private instance's root."""
    import logging  # lazy: ~4 ms, with sigstore below

    # Offline mode logs a warning on every load; aigov reports its own outcome instead.
    logger = logging.getLogger("sigstore")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    from sigstore.errors import Error as SigstoreError  # lazy: sigstore ~0.4 s, only to verify a bundle
    from sigstore.models import ClientTrustConfig, TrustedRoot  # lazy: sigstore ~0.4 s, only to verify a bundle
    from sigstore.verify import Verifier  # lazy: sigstore ~0.4 s, only to verify a bundle

    if trusted_root is None:
        try:
            # Offline: the trust root shipped in the sigstore package (or the cached one under
            # $XDG_CACHE_HOME), never the network. A stale root fails closed on new keys.
            root = ClientTrustConfig.production(offline=True).trusted_root
            _close_timestamp_authority_validity(root)
            return Verifier(trusted_root=root)
        except (SigstoreError, OSError) as exc:
            raise AigovError(f"cannot load Sigstore's production trust root: {_one_line(str(exc))}") from None
    try:
        root = TrustedRoot.from_file(str(trusted_root))
        _close_timestamp_authority_validity(root)
        return Verifier(trusted_root=root)
    except FileNotFoundError:
        raise AigovError("trusted root file not found", str(trusted_root)) from None
    except IsADirectoryError:
        raise AigovError("trusted root is a directory, expected a trusted_root.json file", str(trusted_root)) from None
    except Exception as exc:  # pydantic, sigstore and OS errors alike: the root is unusable
        raise AigovError(f"is not a usable Sigstore trusted root: {_describe_load_error(exc)}", str(trusted_root)) from None


def _close_timestamp_authority_validity(root: Any) -> None:
    """Make each timestamp authority's validity end inclusive, as the trusted-root spec says.

    A trusted root's ``validFor`` is a closed interval, so a timestamp made exactly at a TSA's
    ``end`` is valid (conformance: trust-root-tsa-validity-end-inclusive). sigstore-python 4.5
    compares ``gen_time < end`` and rejects it. Python datetimes have microsecond resolution,
    so ``gen_time < end + 1 µs`` is exactly ``gen_time <= end``. The root's parsed form is
    sigstore-internal; should it change shape, ends stay exclusive (stricter, never looser).
    """
    for authority in getattr(getattr(root, "_inner", None), "timestamp_authorities", None) or []:
        valid_for = authority.valid_for
        if valid_for is not None and valid_for.end is not None:
            valid_for.end = valid_for.end + timedelta(microseconds=1)


def verify_bundle(verifier: Any, artifact_sha256: bytes, bundle_bytes: bytes, policy: IdentityPolicy) -> Verification:
    """Verify the artefact (by its SHA-256) against a bundle, offline, under the identity policy."""
    raw, problem = _parse_bundle_json(bundle_bytes)
    if raw is None:
        return rejected(MALFORMED, problem)
    kind = "dsse" if "dsseEnvelope" in raw else "message_signature"
    from sigstore.models import Bundle  # lazy: sigstore ~0.4 s, only to verify a bundle

    try:
        bundle = Bundle.from_json(bundle_bytes)
    except Exception as exc:  # InvalidBundle, and ValueError from certificate parsing
        return rejected(MALFORMED, f"not a valid Sigstore bundle: {_describe_load_error(exc)}", kind=kind)
    seen = _claimed_identity(bundle.signing_certificate, policy)
    seen["kind"] = kind
    stage = _PolicyStage(_sigstore_policy(policy))
    try:
        if kind == "dsse" and _logged_as(raw, "hashedrekord", "0.0.1"):
            payload_type, payload = _verify_dsse_as_hashedrekord(verifier, raw, stage)
        elif kind == "dsse" and _logged_as(raw, "intoto", "0.0.2"):
            payload_type, payload = _verify_dsse_as_intoto(verifier, raw, stage)
        elif kind == "dsse":
            payload_type, payload = verifier.verify_dsse(bundle, stage)
        else:
            verifier.verify_artifact(_hashed(artifact_sha256), bundle, stage)
    except Exception as exc:  # every sigstore failure is a rejection, never a traceback
        return rejected(_classify(stage, seen, raw, artifact_sha256), str(exc) or type(exc).__name__, **seen)
    if kind == "dsse":
        return _check_statement(payload_type, payload, artifact_sha256, seen)
    return Verification(verified=True, **seen)


def _parse_bundle_json(data: bytes) -> tuple[dict[str, Any] | None, str]:
    if len(data) > MAX_BUNDLE_BYTES:
        return None, f"bundle is larger than {MAX_BUNDLE_BYTES} bytes, too large for a Sigstore bundle"
    try:
        # Strict JSON: a repeated key (sigstore would silently take the last one), a lone
        # surrogate or deep nesting (a RecursionError) is a malformed bundle, not a crash.
        raw = parse_json(data.decode("utf-8"), "bundle")
    except UnicodeDecodeError:
        return None, "bundle is not UTF-8 JSON"
    except AigovError as exc:
        return None, str(exc)  # "bundle:LINE: what is wrong", as aigov names a place everywhere
    if not isinstance(raw, dict):
        return None, f"bundle must be a JSON object, not {type(raw).__name__}"
    media_type = raw.get("mediaType")
    if media_type not in BUNDLE_MEDIA_TYPES:
        return None, f"bundle media type {media_type!r} is not a Sigstore bundle (expected {BUNDLE_MEDIA_TYPES[0]})"
    return raw, ""


class _PolicyStage:
    """Wraps the identity policy so a failure can be placed: before, at, or after the policy check."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reached = False
        self.passed = False

    def verify(self, cert: Any) -> None:
        self.reached = True
        self.inner.verify(cert)
        self.passed = True


def _sigstore_policy(policy: IdentityPolicy) -> Any:
    from sigstore.verify import policy as sigstore_policy  # lazy: sigstore ~0.4 s, only to verify a bundle

    if policy.identity is not None:
        return sigstore_policy.Identity(identity=policy.identity, issuer=policy.issuer)
    return _PatternIdentity(policy)


class _PatternIdentity:
    """sigstore has no regex identity policy: match the SAN and the issuer extension here."""

    def __init__(self, policy: IdentityPolicy) -> None:
        self.policy = policy

    def verify(self, cert: Any) -> None:
        from sigstore.errors import VerificationError  # lazy: sigstore ~0.4 s, only to verify a bundle

        identities, issuer = certificate_identity(cert)
        if issuer != self.policy.issuer:
            raise VerificationError(f"certificate issuer {issuer!r} is not {self.policy.issuer!r}")
        if not self.policy.identity_matches(identities):
            raise VerificationError(f"certificate identity {', '.join(identities) or '(none)'} does not match {self.policy.describe()}")


_OIDC_ISSUER_OID = "1.3.6.1.4.1.57264.1.1"  # raw bytes (Fulcio, deprecated but still issued)
_OIDC_ISSUER_V2_OID = "1.3.6.1.4.1.57264.1.8"  # DER UTF8String
_OTHERNAME_OID = "1.3.6.1.4.1.57264.1.7"  # Sigstore's "other name" SAN (e.g. usernames)


def certificate_identity(cert: Any) -> tuple[list[str], str | None]:
    """The identities (SAN emails, URIs, Sigstore other names) and OIDC issuer a Fulcio cert claims."""
    from cryptography import x509  # lazy: with sigstore

    identities: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        identities += san.get_values_for_type(x509.RFC822Name)
        identities += san.get_values_for_type(x509.UniformResourceIdentifier)
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id.dotted_string == _OTHERNAME_OID:
                identities.append(_der_string(other.value) or other.value.decode(errors="replace"))
    except x509.ExtensionNotFound:
        pass
    return identities, _issuer_extension(cert)


def _issuer_extension(cert: Any) -> str | None:
    from cryptography import x509  # lazy: with sigstore

    for oid, decode in ((_OIDC_ISSUER_OID, lambda b: b.decode(errors="replace")), (_OIDC_ISSUER_V2_OID, _der_string)):
        try:
            value = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value.value
        except x509.ExtensionNotFound:
            continue
        return decode(value)
    return None


def _der_string(data: bytes) -> str | None:
    """Decode a DER UTF8String (tag 0x0c), the encoding of Fulcio's v2 extensions."""
    if len(data) < 2 or data[0] != 0x0C:
        return None
    length, start = data[1], 2
    if length & 0x80:
        width = length & 0x7F
        length, start = int.from_bytes(data[2 : 2 + width], "big"), 2 + width
    return data[start : start + length].decode(errors="replace")


def _claimed_identity(cert: Any, policy: IdentityPolicy) -> dict[str, Any]:
    identities, issuer = certificate_identity(cert)
    return {
        "identity": identities[0] if identities else None,
        "issuer": issuer,
        "identity_matches": policy.identity_matches(identities),
        "issuer_matches": issuer == policy.issuer,
    }


def _classify(stage: _PolicyStage, seen: dict[str, Any], raw: dict[str, Any], artifact_sha256: bytes) -> str:
    """Which step failed: sigstore checks trust, then the identity policy, then the signature."""
    if not stage.reached:
        return UNTRUSTED
    if not stage.passed:
        return IDENTITY if not seen["identity_matches"] else ISSUER
    signed_digest = ((raw.get("messageSignature") or {}).get("messageDigest") or {}).get("digest")
    if isinstance(signed_digest, str) and signed_digest != _b64(artifact_sha256):
        return ARTIFACT_MISMATCH
    return SIGNATURE


def _logged_as(raw: dict[str, Any], kind: str, version: str) -> bool:
    """Whether the bundle's (first) Rekor entry is of this kind and version."""
    entries = (raw.get("verificationMaterial") or {}).get("tlogEntries") or [{}]
    kind_version = entries[0].get("kindVersion") or {}  # the shape was checked by Bundle.from_json
    return (kind_version.get("kind"), kind_version.get("version")) == (kind, version)


def _verify_dsse_as_hashedrekord(verifier: Any, raw: dict[str, Any], stage: _PolicyStage) -> tuple[str, bytes]:
    """Verify a DSSE envelope whose Rekor v1 entry is a hashedrekord over its PAE bytes.

    The Sigstore client spec allows logging a DSSE envelope as a hashedrekord whose digest is
    SHA-256(PAE(payloadType, payload)) and whose signature is the envelope's signature, and the
    conformance suite expects it to verify (dsse-with-hashedrekord-*). sigstore-python 4.5
    accepts that only for Rekor v2 (hashedrekord/0.0.2) and rejects 0.0.1 as an unsupported DSSE
    entry. Such a bundle is exactly a message signature over the PAE bytes, so verify it as one:
    sigstore then checks the chain, SCT, log entry, timestamps, the signature over the PAE, and
    that the entry records this digest and signature (a swapped envelope or signature fails).
    """
    from sigstore.errors import VerificationError  # lazy: sigstore ~0.4 s, only to verify a bundle
    from sigstore.models import Bundle  # lazy: sigstore ~0.4 s, only to verify a bundle

    envelope = raw["dsseEnvelope"]
    signatures = envelope.get("signatures") or []
    if len(signatures) != 1:
        raise VerificationError("a DSSE envelope logged as a hashedrekord entry must carry exactly one signature")
    payload_type, payload = envelope["payloadType"], base64.b64decode(envelope["payload"])
    pae_digest = sha256(_pae(payload_type, payload)).digest()
    as_message = {key: value for key, value in raw.items() if key != "dsseEnvelope"}
    as_message["messageSignature"] = {
        "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(pae_digest)},
        "signature": signatures[0]["sig"],
    }
    verifier.verify_artifact(_hashed(pae_digest), Bundle.from_json(json.dumps(as_message)), stage)
    return payload_type, payload


def _verify_dsse_as_intoto(verifier: Any, raw: dict[str, Any], stage: _PolicyStage) -> tuple[str, bytes]:
    """Verify a DSSE envelope whose Rekor v1 entry is an ``intoto`` 0.0.2 entry.

    Rekor v1 logged attestations as intoto/0.0.2 before the dsse kind existed, and the
    conformance suite expects them to verify (intoto-with-custom-trust-root); sigstore-python
    4.5 rejects the kind. Its checks up to the entry body do not depend on the kind label: the
    signed entry timestamp covers (body, integratedTime, logID, logIndex) and the inclusion proof
    covers the body, neither covers kindVersion. So sigstore checks time, chain, SCT, identity
    policy, inclusion proof, checkpoint, SET and timely insertion (its steps 0-6) on a copy
    labelled dsse/0.0.1, and aigov then does the two steps that depend on the kind as sigstore
    does them for dsse entries: the envelope signature over its PAE with the certificate's key
    (ECDSA with SHA-256, as sigstore.dsse), and that the logged intoto body is this envelope.
    ``_verify_common_signing_cert`` is sigstore-internal; if it is gone, verification fails.
    """
    from sigstore.errors import VerificationError  # lazy: sigstore ~0.4 s, only to verify a bundle
    from sigstore.models import Bundle  # lazy: sigstore ~0.4 s, only to verify a bundle

    common_checks = getattr(verifier, "_verify_common_signing_cert", None)
    if common_checks is None:  # sigstore changed its internals: fail closed, never skip checks
        raise VerificationError("this sigstore version cannot verify intoto/0.0.2 log entries")
    relabelled = json.loads(json.dumps(raw))
    relabelled["verificationMaterial"]["tlogEntries"][0]["kindVersion"] = {"kind": "dsse", "version": "0.0.1"}
    bundle = Bundle.from_json(json.dumps(relabelled))
    common_checks(bundle, stage)

    envelope = raw["dsseEnvelope"]
    signatures = envelope.get("signatures") or []
    if len(signatures) != 1:
        raise VerificationError("a DSSE envelope logged as an intoto entry must carry exactly one signature")
    payload_type, payload = envelope["payloadType"], base64.b64decode(envelope["payload"])
    signature = base64.b64decode(signatures[0]["sig"])
    _verify_certificate_signature(bundle.signing_certificate, signature, _pae(payload_type, payload))
    _check_intoto_v002_body(bundle, payload_type, payload, signature)
    return payload_type, payload


def _verify_certificate_signature(cert: Any, signature: bytes, data: bytes) -> None:
    """The signature over ``data`` with the signing certificate's key (Fulcio issues ECDSA keys)."""
    from cryptography.exceptions import InvalidSignature  # lazy: with sigstore
    from cryptography.hazmat.primitives import hashes  # lazy: with sigstore
    from cryptography.hazmat.primitives.asymmetric import ec  # lazy: with sigstore
    from sigstore.errors import VerificationError  # lazy: sigstore ~0.4 s, only to verify a bundle

    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise VerificationError(f"unsupported signing key type {type(key).__name__} for a DSSE envelope")
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise VerificationError("Signature is invalid for input (the DSSE envelope's signature)") from None


def _check_intoto_v002_body(bundle: Any, payload_type: str, payload: bytes, signature: bytes) -> None:
    """The logged intoto/0.0.2 body records this envelope: payload type, payload hash (and the
    payload, when logged), the one signature and the signing certificate.

    Rekor stores the envelope's base64 fields base64-encoded once more (a field that does not
    decode twice does not record this envelope). The body's envelope ``hash`` covers the envelope
    JSON as submitted, which cannot be rebuilt, so, as sigstore-python does for dsse entries,
    the parts that can be rebuilt are compared.
    """
    from sigstore.errors import VerificationError  # lazy: sigstore ~0.4 s, only to verify a bundle

    mismatch = "transparency log entry is inconsistent with other materials"
    try:
        body = parse_json(bundle.log_entry._inner.canonicalized_body.decode("utf-8"), "intoto entry")
        content = body["spec"]["content"]
        logged = content["envelope"]
        [logged_signature] = logged["signatures"]
        logged_sig = _b64_twice(logged_signature["sig"])
        logged_pem = base64.b64decode(logged_signature["publicKey"], validate=True)
        logged_payload = logged.get("payload")
        payload_hash = content["payloadHash"]
    except Exception as exc:  # any other shape is not an intoto/0.0.2 entry for this envelope
        raise VerificationError(f"invalid intoto log entry: {_one_line(str(exc)) or type(exc).__name__}") from None
    if (body.get("kind"), body.get("apiVersion")) != ("intoto", "0.0.2") or logged.get("payloadType") != payload_type:
        raise VerificationError(f"{mismatch}: the entry is not an intoto/0.0.2 entry for this payload type")
    if payload_hash != {"algorithm": "sha256", "value": sha256(payload).hexdigest()}:
        raise VerificationError(f"{mismatch}: log entry payload hash does not match bundle")
    if logged_payload is not None and _b64_twice(logged_payload) != payload:
        raise VerificationError(f"{mismatch}: log entry payload does not match bundle")
    if logged_sig != signature:
        raise VerificationError(f"{mismatch}: log entry signature does not match bundle")
    if not _logged_key_matches(logged_pem, bundle.signing_certificate):
        raise VerificationError(f"{mismatch}: log entry certificate does not match bundle")


def _b64_twice(text: str) -> bytes | None:
    """A Rekor intoto field's bytes (base64 of the envelope's base64), or None if it is not that."""
    try:
        return base64.b64decode(base64.b64decode(text, validate=True), validate=True)
    except (binascii.Error, ValueError):
        return None


def _logged_key_matches(pem: bytes, cert: Any) -> bool:
    """Whether the PEM an entry logs (the signing certificate, or a bare public key) is this certificate's."""
    from cryptography import x509  # lazy: with sigstore
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key  # lazy: with sigstore

    try:
        if b"CERTIFICATE" in pem:
            return x509.load_pem_x509_certificate(pem) == cert
        spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return load_pem_public_key(pem).public_bytes(*spki) == cert.public_key().public_bytes(*spki)
    except (ValueError, TypeError):  # not a PEM certificate or key
        return False


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: the bytes a DSSE signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _check_statement(payload_type: str, payload: bytes, artifact_sha256: bytes, seen: dict[str, Any]) -> Verification:
    """A verified DSSE envelope vouches for the artefact only if its in-toto statement names its digest."""
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        return rejected(SIGNATURE, f"DSSE payload type {payload_type!r} is not an in-toto statement ({IN_TOTO_PAYLOAD_TYPE})", **seen)
    try:
        statement = json.loads(payload)
        subjects = statement["subject"]
        digests = {str(s["digest"]["sha256"]).lower() for s in subjects if "sha256" in s.get("digest", {})}
        predicate_type = statement.get("predicateType")
    except (ValueError, KeyError, TypeError, AttributeError):
        return rejected(SIGNATURE, "the DSSE payload is not a valid in-toto statement (subject digests missing)", **seen)
    seen = {**seen, "predicate_type": predicate_type if isinstance(predicate_type, str) else None}
    if artifact_sha256.hex() not in digests:
        names = ", ".join(str(s.get("name", "?")) for s in subjects[:5])
        return rejected(
            ARTIFACT_MISMATCH, f"the artefact's SHA-256 {artifact_sha256.hex()[:16]}... is not a subject of the attestation (subjects: {names})", **seen
        )
    return Verification(verified=True, **seen)


def _hashed(artifact_sha256: bytes) -> Any:
    from sigstore.hashes import Hashed  # lazy: sigstore ~0.4 s, only to verify a bundle
    from sigstore_models.common.v1 import HashAlgorithm  # lazy: sigstore ~0.4 s, only to verify a bundle

    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=artifact_sha256)


def _describe_load_error(exc: BaseException) -> str:
    """pydantic's multi-line validation report, cut to its first error: 'field.path: message'."""
    cause = exc.__cause__ or exc.__context__
    errors = getattr(cause, "errors", None) or getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return f"{where}: {first['msg']}" if where else str(first["msg"])
        except Exception:  # an unexpected error shape: fall back to its text
            pass
    return _one_line(str(exc))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
