"""A throw-away Sigstore instance that mints real bundles offline, for tests and benchmarks.

It plays every part of public Sigstore with its own keys:

- Fulcio: a root CA and an intermediate that issue short-lived leaf certificates with the
  signer's identity as a SAN and the OIDC issuer in extensions 1.3.6.1.4.1.57264.1.1 (raw
  bytes) and .1.8 (a DER UTF8String), as Fulcio does;
- the CT log: each leaf embeds one SCT over its precertificate (RFC 6962), which sigstore
  verifies against the CT log keys of the trusted root;
- Rekor (v1): a hashedrekord or dsse log entry with an inclusion promise (a signed entry
  timestamp, which is what gives sigstore its verified signing time) and an inclusion proof in
  a small Merkle tree whose checkpoint is a signed note.

``trusted_root()`` is the matching ``trusted_root.json``. sigstore's ordinary ``Verifier`` accepts
these bundles with that root and rejects them with the production root. Nothing here is mocked:
the same verifier code paths run as for bundles from sigstore.dev.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
RELEASE_IDENTITY = "https://github.com/acme/support-summarize/.github/workflows/release.yml@refs/tags/v1.0.0"
IN_TOTO_TYPE = "application/vnd.in-toto+json"
SLSA_PROVENANCE = "https://slsa.dev/provenance/v1"

_OIDC_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_OIDC_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
_BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
_TRUSTED_ROOT_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
# Other entries in the toy log, so inclusion proofs have real sibling hashes to walk.
_OTHER_LOG_ENTRIES = 6


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_id(key: ec.EllipticCurvePrivateKey) -> bytes:
    """RFC 6962 log id: SHA-256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(_spki(key)).digest()


def _canonical_json(value: Any) -> bytes:
    """RFC 8785 for the plain strings and integers used here: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) >= 128:
        raise ValueError("issuer too long for the short DER length form")
    return bytes([0x0C, len(raw)]) + raw


def _der_octet_string(raw: bytes) -> bytes:
    length = len(raw)
    if length < 128:
        return bytes([0x04, length]) + raw
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x04, 0x80 | len(encoded)]) + encoded + raw


# RFC 6962 Merkle tree: leaf hash, node hash, and the audit path for one leaf.
def _leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _tree_root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return _node_hash(_tree_root(leaves[:split]), _tree_root(leaves[split:]))


def _audit_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """Sibling hashes from the leaf up to the root (RFC 6962 section 2.1.1)."""
    if len(leaves) <= 1:
        return []
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < split:
        return _audit_path(index, leaves[:split]) + [_tree_root(leaves[split:])]
    return _audit_path(index - split, leaves[split:]) + [_tree_root(leaves[:split])]


@dataclass
class SigstoreInstance:
    """Keys and certificates of one throw-away Sigstore deployment."""

    name: str
    root_key: ec.EllipticCurvePrivateKey
    root_cert: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    intermediate_cert: x509.Certificate
    ct_key: ec.EllipticCurvePrivateKey
    rekor_key: ec.EllipticCurvePrivateKey
    valid_from: dt.datetime
    log_size: int = field(default=0)

    @classmethod
    def create(cls, name: str = "aigov-test") -> SigstoreInstance:
        valid_from = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
        valid_to = valid_from + dt.timedelta(days=3650)
        root_key = ec.generate_private_key(ec.SECP384R1())
        root_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name), x509.NameAttribute(NameOID.COMMON_NAME, f"{name}-root")])
        root_cert = _ca_cert(root_name, root_key, root_name, root_key, valid_from, valid_to, path_length=1)
        intermediate_key = ec.generate_private_key(ec.SECP384R1())
        intermediate_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name), x509.NameAttribute(NameOID.COMMON_NAME, f"{name}-intermediate")])
        intermediate_cert = _ca_cert(intermediate_name, intermediate_key, root_name, root_key, valid_from, valid_to, path_length=0)
        return cls(
            name=name,
            root_key=root_key,
            root_cert=root_cert,
            intermediate_key=intermediate_key,
            intermediate_cert=intermediate_cert,
            ct_key=ec.generate_private_key(ec.SECP256R1()),
            rekor_key=ec.generate_private_key(ec.SECP256R1()),
            valid_from=valid_from,
        )

    # -- the trusted root ------------------------------------------------------------------

    def trusted_root(self) -> dict[str, Any]:
        start = self.valid_from.strftime("%Y-%m-%dT%H:%M:%SZ")

        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": _b64(_spki(key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": start}},
                "logId": {"keyId": _b64(_key_id(key))},
            }

        der = serialization.Encoding.DER
        return {
            "mediaType": _TRUSTED_ROOT_TYPE,
            "tlogs": [log(self.rekor_key, f"https://rekor.{self.name}.invalid")],
            "certificateAuthorities": [{
                "subject": {"organization": self.name, "commonName": f"{self.name}-intermediate"},
                "uri": f"https://fulcio.{self.name}.invalid",
                "certChain": {"certificates": [
                    {"rawBytes": _b64(self.intermediate_cert.public_bytes(der))},
                    {"rawBytes": _b64(self.root_cert.public_bytes(der))},
                ]},
                "validFor": {"start": start},
            }],
            "ctlogs": [log(self.ct_key, f"https://ctfe.{self.name}.invalid")],
            "timestampAuthorities": [],
        }

    def write_trusted_root(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.trusted_root(), indent=2), encoding="utf-8")
        return path

    # -- signing ---------------------------------------------------------------------------

    def sign(
        self,
        artifact: bytes,
        identity: str = RELEASE_IDENTITY,
        issuer: str = GITHUB_ISSUER,
        dsse: bool = False,
        predicate_type: str = SLSA_PROVENANCE,
        subject_name: str = "artifact",
        signed_at: dt.datetime | None = None,
        intoto_entry: bool = False,
        edit_body: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """A Sigstore bundle (v0.3 JSON) for ``artifact``: a message signature, or a DSSE in-toto
        statement naming the artefact's SHA-256 as its subject, logged as a dsse/0.0.1 entry or
        (``intoto_entry``) as an intoto/0.0.2 one. ``edit_body`` changes the log entry's body
        before it is logged, so the log vouches for a body that does not match the bundle."""
        signed_at = signed_at or dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._leaf_cert(key, identity, issuer, signed_at)
        pem_b64 = _b64(cert.public_bytes(serialization.Encoding.PEM))
        bundle: dict[str, Any] = {"mediaType": _BUNDLE_V03}
        if dsse:
            statement = {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": subject_name, "digest": {"sha256": hashlib.sha256(artifact).hexdigest()}}],
                "predicateType": predicate_type,
                "predicate": {"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"}},
            }
            payload = _canonical_json(statement)
            pae = f"DSSEv1 {len(IN_TOTO_TYPE)} {IN_TOTO_TYPE} {len(payload)} ".encode() + payload
            signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
            envelope = {"payload": _b64(payload), "payloadType": IN_TOTO_TYPE, "signatures": [{"sig": _b64(signature)}]}
            if intoto_entry:
                # Rekor's intoto/0.0.2 stores the envelope's base64 fields base64-encoded again.
                body = {"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": {
                    "envelope": {"payloadType": IN_TOTO_TYPE, "signatures": [{
                        "sig": _b64(_b64(signature).encode()), "publicKey": pem_b64,
                    }]},
                    "hash": {"algorithm": "sha256", "value": hashlib.sha256(_canonical_json(envelope)).hexdigest()},
                    "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                }}}
            else:
                body = {"apiVersion": "0.0.1", "kind": "dsse", "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(_canonical_json(envelope)).hexdigest()},
                    "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                    "signatures": [{"signature": _b64(signature), "verifier": pem_b64}],
                }}
            bundle["dsseEnvelope"] = envelope
        else:
            digest = hashlib.sha256(artifact).digest()
            signature = key.sign(artifact, ec.ECDSA(hashes.SHA256()))
            body = {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                "signature": {"content": _b64(signature), "publicKey": {"content": pem_b64}},
            }}
            bundle["messageSignature"] = {"messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)}, "signature": _b64(signature)}
        if edit_body is not None:
            edit_body(body)
        bundle["verificationMaterial"] = {
            "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
            "tlogEntries": [self._log_entry(_canonical_json(body), body["kind"], body["apiVersion"], signed_at)],
        }
        return bundle

    def sign_file(self, path: Path, suffix: str = ".sigstore.json", **options: Any) -> Path:
        """Sign ``path`` and write its bundle beside it, as `sigstore sign` would."""
        options.setdefault("subject_name", path.name)
        bundle_path = path.with_name(path.name + suffix)
        bundle_path.write_text(json.dumps(self.sign(path.read_bytes(), **options), indent=2), encoding="utf-8")
        return bundle_path

    # -- the parts -------------------------------------------------------------------------

    def _leaf_cert(self, key: ec.EllipticCurvePrivateKey, identity: str, issuer: str, signed_at: dt.datetime) -> x509.Certificate:
        """A Fulcio-style leaf with one embedded SCT over its precertificate."""
        san: x509.GeneralName = x509.RFC822Name(identity) if "@" in identity and "://" not in identity else x509.UniformResourceIdentifier(identity)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(signed_at - dt.timedelta(minutes=1))
            .not_valid_after(signed_at + dt.timedelta(minutes=10))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
            .add_extension(x509.UnrecognizedExtension(_OIDC_ISSUER_V1, issuer.encode()), critical=False)
            .add_extension(x509.UnrecognizedExtension(_OIDC_ISSUER_V2, _der_utf8(issuer)), critical=False)
        )
        # The SCT signs the certificate without its SCT extension: sign that first, then add it last.
        precert = builder.sign(self.intermediate_key, hashes.SHA384())
        sct_list = self._sct_list(precert.tbs_certificate_bytes, signed_at)
        cert = builder.add_extension(x509.UnrecognizedExtension(_SCT_LIST, _der_octet_string(sct_list)), critical=False).sign(
            self.intermediate_key, hashes.SHA384()
        )
        assert cert.tbs_precertificate_bytes == precert.tbs_certificate_bytes
        return cert

    def _sct_list(self, tbs_precert: bytes, signed_at: dt.datetime) -> bytes:
        """One v1 precert SCT (RFC 6962 section 3.2), serialised as a SignedCertificateTimestampList."""
        timestamp_ms = int(signed_at.timestamp() * 1000) - 30_000
        issuer_key_hash = hashlib.sha256(_spki(self.intermediate_key)).digest()
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp_ms, 1)  # v1, certificate_timestamp, time, precert_entry
            + issuer_key_hash
            + len(tbs_precert).to_bytes(3, "big") + tbs_precert
            + struct.pack("!H", 0)  # no extensions
        )
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            struct.pack("!B", 0) + _key_id(self.ct_key) + struct.pack("!QH", timestamp_ms, 0)
            + struct.pack("!BBH", 4, 3, len(signature)) + signature  # sha256, ecdsa
        )
        return struct.pack("!HH", len(sct) + 2, len(sct)) + sct

    def _log_entry(self, body: bytes, kind: str, version: str, signed_at: dt.datetime) -> dict[str, Any]:
        """A Rekor v1 entry: inclusion promise (SET) plus an inclusion proof with a signed checkpoint."""
        log_id = _key_id(self.rekor_key)
        index = self.log_size + _OTHER_LOG_ENTRIES // 2
        self.log_size += 1
        others = [_leaf_hash(f"{self.name} entry {i}".encode()) for i in range(_OTHER_LOG_ENTRIES)]
        leaves = others[: _OTHER_LOG_ENTRIES // 2] + [_leaf_hash(body)] + others[_OTHER_LOG_ENTRIES // 2 :]
        position = _OTHER_LOG_ENTRIES // 2
        root = _tree_root(leaves)
        integrated_time = int(signed_at.timestamp())
        set_payload = _canonical_json({"body": _b64(body), "integratedTime": integrated_time, "logID": log_id.hex(), "logIndex": index})
        note = f"rekor.{self.name}.invalid - 1\n{len(leaves)}\n{_b64(root)}\n"
        note_signature = self.rekor_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        checkpoint = f"{note}\n\u2014 rekor.{self.name}.invalid {_b64(log_id[:4] + note_signature)}\n"
        return {
            "logIndex": str(index),
            "logId": {"keyId": _b64(log_id)},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": str(integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": _b64(self.rekor_key.sign(set_payload, ec.ECDSA(hashes.SHA256())))},
            "inclusionProof": {
                "logIndex": str(position),
                "rootHash": _b64(root),
                "treeSize": str(len(leaves)),
                "hashes": [_b64(h) for h in _audit_path(position, leaves)],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": _b64(body),
        }


def _ca_cert(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    valid_from: dt.datetime,
    valid_to: dt.datetime,
    path_length: int,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_key is not key:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA384())
