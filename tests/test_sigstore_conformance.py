"""`aigov verify-artifact` agrees with the Sigstore conformance suite, offline.

tests/data/sigstore-conformance holds real bundle-verify cases from sigstore/sigstore-conformance
(its README says where each file comes from). Every case runs through the real CLI: a case the
suite expects to verify exits 0; one it expects to fail exits 1 with a one-line reason and no
traceback. From the same real bundles this file also derives, each saying how: the suite's own
input variations (wrong file, identity, issuer or trust root), cases rebuilt from the READMEs of
upstream cases whose files were not available, and single-field tampering.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT, Run, run_cli, run_process

CONFORMANCE = REPO_ROOT / "tests" / "data" / "sigstore-conformance"
# The identity every case was signed with (test/client.py CERTIFICATE_IDENTITY / _OIDC_ISSUER).
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
DSSE_V1 = CONFORMANCE / "dsse-with-hashedrekord-happy-path"  # production, Rekor v1 (SET, checkpoint), TSA, DSSE
REKOR_V2 = CONFORMANCE / "rekor2-happy-path"  # staging, Rekor v2 (checkpoint only), TSA, message signature
REKOR_V2_TIMESTAMP = "2025-06-12T12:02:20Z"  # the genTime of rekor2-happy-path's RFC 3161 timestamp
INTOTO = CONFORMANCE / "intoto-with-custom-trust-root"  # private root, Rekor v1 intoto/0.0.2 entry (SET, checkpoint), TSA, DSSE

# Every stored case and, for a _fail case, the words its one-line rejection must contain: the
# reason the case is about, so a case rejected for some other reason (say a damaged copy) fails.
STORED_CASES: dict[str, str | None] = {
    "dsse-with-hashedrekord-happy-path": None,
    "rekor2-happy-path": None,
    "happy-path-intoto-in-dsse-v3": None,
    # sigstore-python 4.5 rejects intoto/0.0.2 entries; aigov verifies them (sigstore_bundles._verify_dsse_as_intoto).
    "intoto-with-custom-trust-root": None,
    "intoto-expired-certificate_fail": "cert is not valid at validation time",
    "intoto-log-entry-mismatch_fail": "transparency log entry is inconsistent with other materials: log entry signature does not match bundle",
    "intoto-missing-inclusion-proof_fail": "verificationMaterial.tlogEntries.0.inclusionProof: Field required",
    "intoto-set-outside-signing-cert-validity_fail": "cert is not valid at validation time",
    "intoto-tsa-timestamp-outside-cert-validity_fail": "cert is not valid at validation time",
    "dsse-with-hashedrekord-invalid-sig_fail": "invalid signature: Signature is invalid for input",
    "dsse-with-hashedrekord-mismatch-envelope_fail": "transparency log entry is inconsistent with other materials",
    "dsse-with-hashedrekord-mismatch-sig_fail": "transparency log entry is inconsistent with other materials",
    "cve-2022-36056-swapped-tlog-entry_fail": "malformed bundle: bundle media type None is not a Sigstore bundle",
    "rekor2-multiple-timestamps-one-outside-cert-validity_fail": "cert is not valid at validation time",
    # sigstore-python refuses the certificate-less unrelated TSA outright, so its window is never borrowed.
    "rekor2-timestamp-wrong-tsa-validity-borrow_fail": "missing a certificate in Certificate Authority",
}


@dataclass(frozen=True)
class Materials:
    """What the suite hands a client for one verification (test/client.py BundleMaterials)."""

    bundle: Path
    artifact: Path
    trusted_root: Path | None  # None: Sigstore's production root
    identity: str = BEACON
    issuer: str = GITHUB_ISSUER

    @classmethod
    def of_case(cls, folder: Path) -> Materials:
        """The suite's defaults: the folder's artifact or a.txt, its trusted root or production."""
        artifact, root = folder / "artifact", folder / "trusted_root.json"
        return cls(
            bundle=folder / "bundle.sigstore.json",
            artifact=artifact if artifact.exists() else CONFORMANCE / "a.txt",
            trusted_root=root if root.exists() else None,
        )

    def args(self) -> list[str]:
        args = [str(self.artifact), "--bundle", str(self.bundle), "--identity", self.identity, "--issuer", self.issuer]
        return args + (["--trusted-root", str(self.trusted_root)] if self.trusted_root else [])


def verify(materials: Materials) -> Run:
    return run_cli("verify-artifact", *materials.args())


def assert_verified(run: Run) -> None:
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.startswith("VERIFIED ") and f"signed by {BEACON}" in run.stdout


def assert_rejected(run: Run, reason: str) -> None:
    """Exit 1 and one line, REJECTED with the reason; no traceback anywhere."""
    assert run.exit_code == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("REJECTED "), run.stdout
    assert reason in lines[0], lines[0]
    assert "Traceback" not in run.stdout + run.stderr


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def edited(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of a real bundle or trusted root with one edit, written to `target`."""
    doc = copy.deepcopy(json.loads(source.read_text(encoding="utf-8")))
    edit(doc)
    return write_json(target, doc)


# -- the stored cases --------------------------------------------------------------------------


def test_every_stored_case_is_run_with_the_suites_expectation() -> None:
    """A case folder added later cannot be skipped; `_fail` alone decides the expectation, as upstream."""
    folders = {p.parent.name for p in CONFORMANCE.glob("*/bundle.sigstore.json")}
    assert folders == set(STORED_CASES)
    for name, reason in STORED_CASES.items():
        assert (reason is not None) == name.endswith("_fail"), name


@pytest.mark.parametrize("case", sorted(STORED_CASES))
def test_stored_conformance_case(case: str) -> None:
    """Each real case: verified when the suite expects it, else rejected in one line for its reason."""
    run = verify(Materials.of_case(CONFORMANCE / case))
    reason = STORED_CASES[case]
    if reason is None:
        assert_verified(run)
    else:
        assert_rejected(run, reason)


def test_dsse_over_hashedrekord_reports_the_attestation() -> None:
    """The DSSE-over-hashedrekord happy path is checked as an attestation: predicate type recorded."""
    run = run_cli("verify-artifact", *Materials.of_case(DSSE_V1).args(), "--format", "json")
    facts = run.json()
    assert run.exit_code == 0
    assert facts["verified"] is True and facts["kind"] == "dsse"
    assert facts["predicate_type"] == "https://example.com/predicate/v1"


def test_conformance_cases_in_a_fresh_process() -> None:
    """As CI runs it: a real process, exit codes 0 and 1, nothing on stderr, no traceback."""
    good = run_process("verify-artifact", *Materials.of_case(DSSE_V1).args())  # inherits the temporary XDG_CACHE_HOME
    bad = run_process("verify-artifact", *Materials.of_case(CONFORMANCE / "dsse-with-hashedrekord-mismatch-sig_fail").args())
    assert (good.exit_code, bad.exit_code) == (0, 1), good.stderr + bad.stderr
    assert good.stderr == bad.stderr == ""
    assert len(bad.stdout.splitlines()) == 1


# -- the suite's input variations on the same bundles (test_bundle.py, client.py) --------------


def test_a_different_file_is_rejected(tmp_path: Path) -> None:
    """test_verify_rejects_different_materials: the bundle signs a.txt, not an edited copy."""
    other = tmp_path / "a.txt"
    other.write_bytes((CONFORMANCE / "a.txt").read_bytes() + b"one more line\n")
    run = verify(replace(Materials.of_case(REKOR_V2), artifact=other))
    assert_rejected(run, "the file does not match what was signed")


OTHER_BRANCH = BEACON.replace("refs/heads/main", "refs/heads/release")
# (case, what the suite's client passes instead, the reason): the variations test_bundle.py and
# client.py make on a case's defaults, applied to the real happy paths.
VARIATIONS: dict[str, tuple[Path, dict[str, Any], str]] = {
    # test_verify_rejects_staging_cert: a bundle from another Sigstore instance is not trusted.
    "staging bundle, production root": (REKOR_V2, {"trusted_root": None}, "not trusted by Sigstore's production root"),
    "production bundle, staging root": (DSSE_V1, {"trusted_root": REKOR_V2 / "trusted_root.json"}, "not trusted by"),
    # A case's `identity` / `issuer` files: the beacon signed on main, through GitHub Actions.
    "another identity": (DSSE_V1, {"identity": OTHER_BRANCH}, f"signed by {BEACON}, expected {OTHER_BRANCH}"),
    "another issuer": (
        REKOR_V2,
        {"issuer": "https://accounts.google.com"},
        f"certificate issued for OIDC issuer {GITHUB_ISSUER}, expected https://accounts.google.com",
    ),
    # A verified DSSE attestation vouches only for its subjects: a.txt is not one.
    "file not named by the attestation": (
        DSSE_V1,
        {"artifact": CONFORMANCE / "a.txt"},
        "is not a subject of the attestation (subjects: dsse-with-hashedrekord)",
    ),
}


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
def test_variation_of_a_real_case_is_rejected(variation: str) -> None:
    base, changes, reason = VARIATIONS[variation]
    assert_rejected(verify(replace(Materials.of_case(base), **changes)), reason)


def test_an_identity_pattern_matches_the_beacon() -> None:
    """aigov's --identity-pattern accepts the real certificate when the pattern matches in full."""
    materials = Materials.of_case(DSSE_V1)
    args = [a for a in materials.args() if a not in ("--identity", BEACON)]
    run = run_cli("verify-artifact", *args, "--identity-pattern", r"https://github\.com/sigstore-conformance/.+@refs/heads/main")
    assert_verified(run)


# -- upstream cases rebuilt from their READMEs (their files were not available) ----------------


def staging_root_with(target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    return edited(REKOR_V2 / "trusted_root.json", target, edit)


def test_tsa_validity_end_is_inclusive(tmp_path: Path) -> None:
    """trust-root-tsa-validity-end-inclusive: a timestamp exactly at the TSA's end verifies.

    Rebuilt: the rekor2 happy path under its trusted root with every TSA ending at the
    timestamp's genTime. A microsecond earlier, the same timestamp falls outside and is rejected.
    """

    def end_at(end: str) -> Callable[[dict[str, Any]], None]:
        def edit(root: dict[str, Any]) -> None:
            for authority in root["timestampAuthorities"]:
                authority["validFor"]["end"] = end

        return edit

    at_end = staging_root_with(tmp_path / "at-end.json", end_at(REKOR_V2_TIMESTAMP))
    assert_verified(verify(replace(Materials.of_case(REKOR_V2), trusted_root=at_end)))
    just_before = staging_root_with(tmp_path / "just-before.json", end_at("2025-06-12T12:02:19.999999Z"))
    assert_rejected(verify(replace(Materials.of_case(REKOR_V2), trusted_root=just_before)), "not enough sources of verified time")


def test_timestamp_outside_its_tsa_validity_is_rejected(tmp_path: Path) -> None:
    """rekor2-timestamp-outside-trust-root-tsa-validity_fail, rebuilt as the borrow case's README
    describes it: the borrow case's root without the unrelated TSA it appended."""
    borrow = CONFORMANCE / "rekor2-timestamp-wrong-tsa-validity-borrow_fail"

    def drop_unrelated(root: dict[str, Any]) -> None:
        root["timestampAuthorities"] = [a for a in root["timestampAuthorities"] if a["certChain"]["certificates"]]

    root = edited(borrow / "trusted_root.json", tmp_path / "trusted_root.json", drop_unrelated)
    run = verify(replace(Materials.of_case(borrow), trusted_root=root))
    assert_rejected(run, "not enough sources of verified time")


def test_trust_root_log_key_without_validity_start_is_unusable(tmp_path: Path) -> None:
    """trust-root-tlog-missing-validity-start_fail: a malformed trust root is refused, not read as
    unbounded. It is an unusable argument, so exit 2 naming the file in one line (aigov's contract)."""

    def drop_start(root: dict[str, Any]) -> None:
        del root["tlogs"][1]["publicKey"]["validFor"]["start"]

    root = staging_root_with(tmp_path / "trusted_root.json", drop_start)
    run = verify(replace(Materials.of_case(REKOR_V2), trusted_root=root))
    assert run.exit_code == 2, run.stdout + run.stderr
    assert run.stderr.strip().splitlines() == [
        f"aigov: error: {root}: is not a usable Sigstore trusted root: tlogs.1.publicKey.validFor.start: Field required"
    ]


def test_message_digest_that_is_not_the_files_is_rejected(tmp_path: Path) -> None:
    """message-digest-mismatch_fail: the bundle's messageDigest is not the artefact's hash."""

    def other_digest(bundle: dict[str, Any]) -> None:
        digest = hashlib.sha256(b"not a.txt").digest()
        bundle["messageSignature"]["messageDigest"]["digest"] = base64.b64encode(digest).decode()

    bundle = edited(REKOR_V2 / "bundle.sigstore.json", tmp_path / "bundle.sigstore.json", other_digest)
    assert_rejected(verify(replace(Materials.of_case(REKOR_V2), bundle=bundle)), "Bundle message digest mismatch")


# -- single-field tampering of the real bundles (derived by aigov) -----------------------------


def _entry(bundle: dict[str, Any]) -> dict[str, Any]:
    return bundle["verificationMaterial"]["tlogEntries"][0]


def _flip(container: Any, key: Any) -> None:
    """Replace a base64 field with valid base64 of the same length, one bit different."""
    raw = bytearray(base64.b64decode(container[key]))
    raw[len(raw) // 2] ^= 0x01
    container[key] = base64.b64encode(bytes(raw)).decode()


def _forged_checkpoint_signature(bundle: dict[str, Any]) -> None:
    proof = _entry(bundle)["inclusionProof"]
    note, _, signature_line = proof["checkpoint"]["envelope"].rstrip("\n").rpartition("\n")
    prefix, _, signature = signature_line.rpartition(" ")
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 0x01  # the key hint (first 4 bytes) still names the log; the signature breaks
    proof["checkpoint"]["envelope"] = f"{note}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


def _intoto_body(bundle: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit the intoto entry's body (which breaks its inclusion proof, as any body edit must)."""
    body = json.loads(base64.b64decode(_entry(bundle)["canonicalizedBody"]))
    edit(body)
    _entry(bundle)["canonicalizedBody"] = base64.b64encode(json.dumps(body).encode()).decode()


def _swap_certificate(bundle: dict[str, Any]) -> None:
    staging = json.loads((REKOR_V2 / "bundle.sigstore.json").read_text(encoding="utf-8"))
    bundle["verificationMaterial"]["certificate"] = staging["verificationMaterial"]["certificate"]


TAMPERING: dict[str, tuple[Path, Callable[[dict[str, Any]], None], str]] = {
    "dsse signature from another key": (
        DSSE_V1,
        lambda b: _flip(b["dsseEnvelope"]["signatures"][0], "sig"),
        "Signature is invalid for input",
    ),
    "dsse payload edited": (
        DSSE_V1,
        lambda b: _flip(b["dsseEnvelope"], "payload"),
        "Signature is invalid for input",
    ),
    "inclusion proof hash altered (v1)": (
        DSSE_V1,
        lambda b: _flip(_entry(b)["inclusionProof"]["hashes"], 0),
        "invalid log entry: inclusion proof contains invalid root hash",
    ),
    "inclusion proof hash altered (v2)": (
        REKOR_V2,
        lambda b: _flip(_entry(b)["inclusionProof"]["hashes"], 3),
        "invalid log entry: inclusion proof contains invalid root hash",
    ),
    "inclusion proof missing": (
        REKOR_V2,
        lambda b: _entry(b).pop("inclusionProof"),
        "malformed bundle: not a valid Sigstore bundle: verificationMaterial.tlogEntries.0.inclusionProof: Field required",
    ),
    "checkpoint signature forged (v1)": (DSSE_V1, _forged_checkpoint_signature, "invalid log entry: checkpoint: invalid signature"),
    "checkpoint signature forged (v2)": (REKOR_V2, _forged_checkpoint_signature, "invalid log entry: checkpoint: invalid signature"),
    "signed entry timestamp forged": (
        DSSE_V1,
        lambda b: _flip(_entry(b)["inclusionPromise"], "signedEntryTimestamp"),
        "invalid log entry: SET: invalid inclusion promise",
    ),
    "integrated time moved": (
        DSSE_V1,
        lambda b: _entry(b).update(integratedTime=str(int(_entry(b)["integratedTime"]) + 60)),
        "invalid log entry: SET: invalid inclusion promise",
    ),
    "log entry body altered": (
        REKOR_V2,
        lambda b: _flip(_entry(b), "canonicalizedBody"),
        "invalid log entry: inclusion proof contains invalid root hash",
    ),
    "log entry removed": (
        REKOR_V2,
        lambda b: b["verificationMaterial"].update(tlogEntries=[]),
        "malformed bundle: not a valid Sigstore bundle: expected exactly one log entry",
    ),
    "certificate from another Sigstore instance": (DSSE_V1, _swap_certificate, "not trusted by Sigstore's production root"),
    "intoto: dsse payload edited": (INTOTO, lambda b: _flip(b["dsseEnvelope"], "payload"), "Signature is invalid for input"),
    "intoto: dsse signature from another key": (
        INTOTO,
        lambda b: _flip(b["dsseEnvelope"]["signatures"][0], "sig"),
        "Signature is invalid for input",
    ),
    "intoto: payload type changed": (
        INTOTO,
        lambda b: b["dsseEnvelope"].update(payloadType="application/json"),
        "Signature is invalid for input",
    ),
    "intoto: logged payload hash changed": (
        INTOTO,
        lambda b: _intoto_body(b, lambda body: body["spec"]["content"]["payloadHash"].update(value="0" * 64)),
        "invalid log entry: inclusion proof contains invalid root hash",
    ),
    "intoto: SET forged": (
        INTOTO,
        lambda b: _flip(_entry(b)["inclusionPromise"], "signedEntryTimestamp"),
        "invalid log entry: SET: invalid inclusion promise",
    ),
    "intoto: checkpoint forged": (INTOTO, _forged_checkpoint_signature, "invalid log entry: checkpoint: invalid signature"),
    # Relabelled as the kind sigstore knows, the intoto body fails sigstore's own dsse body check.
    "intoto: relabelled dsse/0.0.1": (
        INTOTO,
        lambda b: _entry(b).update(kindVersion={"kind": "dsse", "version": "0.0.1"}),
        "invalid DSSE log entry",
    ),
    "timestamp removed from a Rekor v2 bundle": (
        REKOR_V2,
        lambda b: b["verificationMaterial"].pop("timestampVerificationData"),
        "malformed bundle: not a valid Sigstore bundle: bundle must contain an inclusion promise or signed timestamp(s)",
    ),
}


@pytest.mark.parametrize("change", sorted(TAMPERING))
def test_tampered_real_bundle_is_rejected(change: str, tmp_path: Path) -> None:
    """One field of a real, verifying bundle changed: rejected in one line, for that change."""
    base, edit, reason = TAMPERING[change]
    bundle = edited(base / "bundle.sigstore.json", tmp_path / "bundle.sigstore.json", edit)
    assert_rejected(verify(replace(Materials.of_case(base), bundle=bundle)), reason)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda text: text[: len(text) // 2], "malformed bundle: bundle:49: is not JSON: Unterminated string"),
        (lambda text: "[" + text + "]", "malformed bundle: bundle must be a JSON object, not list"),
        (lambda text: text.replace('"certificate"', '"certificat"', 1), "malformed bundle: not a valid Sigstore bundle"),
        # sigstore would keep the second mediaType and verify; a repeated key is refused first.
        (lambda text: text.replace("{", '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",', 1),
         "malformed bundle: bundle:2: duplicate key 'mediaType'"),
    ],
    ids=["truncated", "wrapped in a list", "certificate misnamed", "duplicate key"],
)
def test_damaged_real_bundle_is_rejected_as_malformed(damage: Callable[[str], str], reason: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.sigstore.json"
    bundle.write_text(damage((DSSE_V1 / "bundle.sigstore.json").read_text(encoding="utf-8")), encoding="utf-8")
    assert_rejected(verify(replace(Materials.of_case(DSSE_V1), bundle=bundle)), reason)
