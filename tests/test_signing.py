"""Signed artefacts: real Sigstore bundles verified offline by `aigov check` and `aigov verify-artifact`.

Bundles come from a throw-away Sigstore instance (tests/sigstore_fixture.py: own CA, CT log and
Rekor keys) or from Sigstore production (tests/data/sigstore). Real cryptography throughout.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import CLOCK, REPO_ROOT, check, check_json, make_feature, org_config, run_cli, write
from sigstore_fixture import GITHUB_ISSUER, RELEASE_IDENTITY, SLSA_PROVENANCE, SigstoreInstance

REAL = REPO_ROOT / "tests" / "data" / "sigstore"
REAL_ARTIFACT = REAL / "pypi_attestation_models-0.0.4a2.tar.gz"
REAL_BUNDLE = REAL / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
REAL_IDENTITY = "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2"
ACME_WORKFLOWS = r"https://github\.com/acme/[^/]+/\.github/workflows/release\.yml@refs/tags/v.+"


def verify(*args: str) -> Any:
    return run_cli("verify-artifact", *args)


def signed_file(instance: SigstoreInstance, folder: Path, name: str = "model.onnx", data: bytes = b"onnx weights", **options: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    instance.sign_file(path, **options)
    return path


def exact(identity: str = RELEASE_IDENTITY, issuer: str = GITHUB_ISSUER) -> list[str]:
    return ["--identity", identity, "--issuer", issuer]


# -- the fixture mints bundles sigstore itself accepts ----------------------------------------


def test_sigstore_verifier_accepts_minted_bundles_with_their_root(instance: SigstoreInstance, trusted_root: Path) -> None:
    """The throw-away instance is a real Sigstore as far as sigstore-python can tell."""
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier, policy

    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(trusted_root)))
    identity = policy.Identity(identity=RELEASE_IDENTITY, issuer=GITHUB_ISSUER)
    verifier.verify_artifact(b"weights", Bundle.from_json(json.dumps(instance.sign(b"weights"))), identity)
    payload_type, payload = verifier.verify_dsse(Bundle.from_json(json.dumps(instance.sign(b"weights", dsse=True))), identity)
    assert payload_type == "application/vnd.in-toto+json"
    assert json.loads(payload)["predicateType"] == SLSA_PROVENANCE


def test_production_root_rejects_minted_bundles(instance: SigstoreInstance) -> None:
    from sigstore.errors import VerificationError
    from sigstore.models import Bundle
    from sigstore.verify import Verifier, policy

    bundle = Bundle.from_json(json.dumps(instance.sign(b"weights")))
    with pytest.raises(VerificationError):
        Verifier.production(offline=True).verify_artifact(b"weights", bundle, policy.Identity(identity=RELEASE_IDENTITY, issuer=GITHUB_ISSUER))


# -- aigov verify-artifact ----------------------------------------------------------------------


def test_verify_artifact_accepts_a_signed_file(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    model = signed_file(instance, tmp_path)
    result = verify(str(model), *exact(), "--trusted-root", str(trusted_root))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"VERIFIED {model}: signed by {RELEASE_IDENTITY}")


def test_verify_artifact_accepts_an_attestation_and_reports_its_predicate(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    model = signed_file(instance, tmp_path, dsse=True)
    result = verify(str(model), "--identity-pattern", ACME_WORKFLOWS, "--issuer", GITHUB_ISSUER, "--trusted-root", str(trusted_root), "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = result.json()
    assert (doc["verified"], doc["kind"], doc["predicate_type"]) == (True, "dsse", SLSA_PROVENANCE)
    assert doc["identity"] == RELEASE_IDENTITY and doc["issuer"] == GITHUB_ISSUER


def test_verify_artifact_finds_the_dot_sigstore_bundle(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    model = signed_file(instance, tmp_path, suffix=".sigstore")
    assert verify(str(model), *exact(), "--trusted-root", str(trusted_root)).exit_code == 0


def test_verify_artifact_accepts_an_attestation_logged_as_an_intoto_entry(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    """Rekor v1 intoto/0.0.2 entries verify (sigstore-python 4.5 rejects the kind), in check too."""
    model = signed_file(instance, tmp_path, dsse=True, intoto_entry=True)
    result = verify(str(model), *exact(), "--trusted-root", str(trusted_root), "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (result.json()["kind"], result.json()["predicate_type"]) == ("dsse", SLSA_PROVENANCE)
    model.write_bytes(b"onnx weights with a backdoor")
    assert verify(str(model), *exact(), "--trusted-root", str(trusted_root), "--format", "json").json()["failure"] == "artifact_mismatch"
    repo = feature_with_artifacts(tmp_path / "repo", f"    - path: dist/*.onnx\n      identity: {RELEASE_IDENTITY}\n      issuer: {GITHUB_ISSUER}\n")
    signed_file(instance, repo / "dist", dsse=True, intoto_entry=True)
    assert check(repo, "--trusted-root", str(trusted_root)).exit_code == 0


def _other_key_pem(body: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    body["spec"]["content"]["envelope"]["signatures"][0]["publicKey"] = base64.b64encode(pem).decode()


def _content(body: dict[str, Any]) -> dict[str, Any]:
    return body["spec"]["content"]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda b: _content(b)["payloadHash"].update(value="0" * 64), "log entry payload hash does not match bundle"),
        (lambda b: _content(b)["envelope"]["signatures"][0].update(sig=base64.b64encode(b"MEUCIQ==").decode()), "log entry signature does not match bundle"),
        (lambda b: _content(b)["envelope"]["signatures"].append(_content(b)["envelope"]["signatures"][0]), "invalid intoto log entry"),
        (lambda b: _content(b)["envelope"].update(payloadType="text/plain"), "not an intoto/0.0.2 entry for this payload type"),
        (lambda b: _content(b)["envelope"].update(payload=base64.b64encode(base64.b64encode(b"{}")).decode()), "log entry payload does not match bundle"),
        (_other_key_pem, "log entry certificate does not match bundle"),
    ],
    ids=["payload-hash", "signature", "two-signatures", "payload-type", "payload", "public-key"],
)
def test_intoto_entry_that_logs_another_envelope_is_rejected(
    instance: SigstoreInstance, trusted_root: Path, tmp_path: Path, edit: Any, reason: str
) -> None:
    """The log vouches for the entry (SET and inclusion proof valid), but the entry is not this
    envelope: the CVE-2022-36056 class of swap, caught by comparing the intoto body."""
    model = signed_file(instance, tmp_path, dsse=True, intoto_entry=True, edit_body=edit)
    result = verify(str(model), *exact(), "--trusted-root", str(trusted_root))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stdout.startswith(f"REJECTED {model}: invalid signature: ") and reason in result.stdout, result.stdout


@pytest.mark.parametrize("dsse", [False, True], ids=["message-signature", "dsse"])
def test_verify_artifact_rejects_a_tampered_file(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path, dsse: bool) -> None:
    model = signed_file(instance, tmp_path, dsse=dsse)
    model.write_bytes(b"onnx weights with a backdoor")
    result = verify(str(model), *exact(), "--trusted-root", str(trusted_root), "--format", "json")
    assert result.exit_code == 1
    assert result.json()["failure"] == "artifact_mismatch"
    text = verify(str(model), *exact(), "--trusted-root", str(trusted_root))
    assert text.stdout.startswith(f"REJECTED {model}: the file does not match what was signed")


@pytest.mark.parametrize(
    ("policy", "failure", "reason"),
    [
        (exact(identity="https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1.0.0"), "identity", f"signed by {RELEASE_IDENTITY}, expected"),
        (["--identity-pattern", r"https://github\.com/evil/.+", "--issuer", GITHUB_ISSUER], "identity", "expected an identity matching"),
        # A pattern must match the whole identity, not a prefix of it.
        (["--identity-pattern", r"https://github\.com/acme/support-summarize", "--issuer", GITHUB_ISSUER], "identity", "expected an identity matching"),
        (exact(issuer="https://accounts.google.com"), "issuer", f"OIDC issuer {GITHUB_ISSUER}, expected https://accounts.google.com"),
        (["--identity-pattern", ACME_WORKFLOWS, "--issuer", "https://gitlab.com"], "issuer", "expected https://gitlab.com"),
    ],
    ids=["exact-identity", "pattern-identity", "pattern-prefix", "exact-issuer", "pattern-issuer"],
)
def test_verify_artifact_rejects_the_wrong_signer(
    instance: SigstoreInstance, trusted_root: Path, tmp_path: Path, policy: list[str], failure: str, reason: str
) -> None:
    model = signed_file(instance, tmp_path)
    result = verify(str(model), *policy, "--trusted-root", str(trusted_root))
    assert result.exit_code == 1
    assert reason in result.stdout
    assert verify(str(model), *policy, "--trusted-root", str(trusted_root), "--format", "json").json()["failure"] == failure


def test_verify_artifact_rejects_another_instances_bundle(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    """Same identity, same format, but a CA and logs the trust root does not know."""
    model = signed_file(SigstoreInstance.create("impostor"), tmp_path)
    result = verify(str(model), *exact(), "--trusted-root", str(trusted_root))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"REJECTED {model}: not trusted by {trusted_root}")


def test_verify_artifact_rejects_test_bundles_against_the_production_root(instance: SigstoreInstance, tmp_path: Path) -> None:
    model = signed_file(instance, tmp_path)
    result = verify(str(model), *exact())
    assert result.exit_code == 1
    assert "not trusted by Sigstore's production root" in result.stdout


def _corrupt(instance: SigstoreInstance, how: str) -> bytes:
    bundle = instance.sign(b"onnx weights")
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    if how == "not-json":
        return b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",'
    if how == "binary":
        return bytes(range(256))
    if how == "empty":
        return b""
    if how == "array":
        return b"[]"
    if how == "media-type":
        bundle["mediaType"] = "application/json"
    elif how == "no-material":
        del bundle["verificationMaterial"]
    elif how == "no-log-entry":
        entry_list: list[Any] = []
        bundle["verificationMaterial"]["tlogEntries"] = entry_list
    elif how == "garbage-certificate":
        bundle["verificationMaterial"]["certificate"]["rawBytes"] = base64.b64encode(b"not a certificate").decode()
    elif how == "bad-signature":
        sig = bytearray(base64.b64decode(bundle["messageSignature"]["signature"]))
        sig[-1] ^= 1
        bundle["messageSignature"]["signature"] = base64.b64encode(bytes(sig)).decode()
    elif how == "bad-inclusion-proof":
        entry["inclusionProof"]["hashes"][0] = base64.b64encode(b"\0" * 32).decode()
    elif how == "bad-checkpoint":
        entry["inclusionProof"]["checkpoint"]["envelope"] = entry["inclusionProof"]["checkpoint"]["envelope"].replace("\n7\n", "\n8\n")
    elif how == "bad-promise":
        entry["integratedTime"] = str(int(entry["integratedTime"]) + 60)
    elif how == "other-artefact":
        bundle = instance.sign(b"some other file")
    return json.dumps(bundle).encode()


@pytest.mark.parametrize(
    ("how", "failure"),
    [
        ("not-json", "malformed"), ("binary", "malformed"), ("empty", "malformed"), ("array", "malformed"),
        ("media-type", "malformed"), ("no-material", "malformed"), ("no-log-entry", "malformed"),
        ("garbage-certificate", "malformed"), ("bad-signature", "signature"), ("bad-inclusion-proof", "signature"),
        ("bad-checkpoint", "signature"), ("bad-promise", "signature"), ("other-artefact", "artifact_mismatch"),
    ],
)
def test_verify_artifact_rejects_broken_bundles_in_one_line(
    instance: SigstoreInstance, trusted_root: Path, tmp_path: Path, how: str, failure: str
) -> None:
    """Every malformed or forged bundle is a clean rejection (exit 1), never a traceback."""
    model = tmp_path / "model.onnx"
    model.write_bytes(b"onnx weights")
    bundle = tmp_path / "model.onnx.sigstore.json"
    bundle.write_bytes(_corrupt(instance, how))
    result = verify(str(model), *exact(), "--trusted-root", str(trusted_root))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stdout.startswith(f"REJECTED {model}: ") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert verify(str(model), *exact(), "--trusted-root", str(trusted_root), "--format", "json").json()["failure"] == failure


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.onnx", *exact()], "missing.onnx: file not found"),
        (["{model}", "--bundle", "nowhere.json", *exact()], "nowhere.json: bundle not found"),
        (["{model}", "--bundle", "{dir}", *exact()], "bundle is not a regular file"),
        (["{unsigned}", *exact()], "no bundle found"),
        (["{model}", "--issuer", GITHUB_ISSUER], "exactly one of an identity or an identity pattern"),
        (["{model}", "--identity", "a", "--identity-pattern", "b", "--issuer", GITHUB_ISSUER], "exactly one"),
        (["{model}", "--identity-pattern", "([", "--issuer", GITHUB_ISSUER], "not a usable regular expression"),
        (["{model}", *exact(), "--trusted-root", "{model}"], "is not a usable Sigstore trusted root"),
        (["{model}", *exact(), "--trusted-root", "absent.json"], "trusted root file not found"),
    ],
)
def test_verify_artifact_unusable_arguments_exit_2(instance: SigstoreInstance, tmp_path: Path, args: list[str], message: str) -> None:
    model = signed_file(instance, tmp_path)
    (tmp_path / "unsigned.onnx").write_bytes(b"x")
    values = {"model": str(model), "dir": str(tmp_path), "unsigned": str(tmp_path / "unsigned.onnx")}
    result = verify(*[a.format(**values) for a in args])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_verify_artifact_requires_an_issuer(tmp_path: Path) -> None:
    result = verify(str(tmp_path), "--identity", RELEASE_IDENTITY)
    assert result.exit_code == 2
    assert "--issuer" in result.stderr


# -- a real production bundle -------------------------------------------------------------------


def test_real_production_attestation_verifies_offline() -> None:
    """Signed by GitHub Actions through Sigstore production; verified with the root sigstore ships."""
    result = verify(str(REAL_ARTIFACT), "--bundle", str(REAL_BUNDLE), *exact(identity=REAL_IDENTITY), "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = result.json()
    assert doc["kind"] == "dsse"
    assert doc["predicate_type"] == "https://docs.pypi.org/attestations/publish/v1"
    assert doc["sha256"] == "c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"


def test_real_production_attestation_rejects_tampering_and_other_signers(tmp_path: Path) -> None:
    tampered = tmp_path / REAL_ARTIFACT.name
    tampered.write_bytes(REAL_ARTIFACT.read_bytes() + b"\0")
    shutil.copy(REAL_BUNDLE, tmp_path / REAL_BUNDLE.name)
    result = verify(str(tampered), *exact(identity=REAL_IDENTITY))
    assert result.exit_code == 1
    assert "is not a subject of the attestation" in result.stdout
    other = verify(str(REAL_ARTIFACT), "--bundle", str(REAL_BUNDLE), "--identity-pattern", r"https://github\.com/acme/.+", "--issuer", GITHUB_ISSUER)
    assert other.exit_code == 1
    assert f"signed by {REAL_IDENTITY}" in other.stdout


def test_real_production_attestation_is_untrusted_under_a_private_root(trusted_root: Path) -> None:
    result = verify(str(REAL_ARTIFACT), "--bundle", str(REAL_BUNDLE), *exact(identity=REAL_IDENTITY), "--trusted-root", str(trusted_root))
    assert result.exit_code == 1
    assert "not trusted" in result.stdout


# -- aigov check end to end ---------------------------------------------------------------------


def feature_with_artifacts(root: Path, entries: str) -> Path:
    make_feature(root)
    manifest = root / "aigov.yaml"
    manifest.write_text(manifest.read_text() + "  artifacts:\n" + entries, encoding="utf-8")
    return root


RELEASE_ENTRIES = f"""\
    - path: dist/*.onnx
      identity: {RELEASE_IDENTITY}
      issuer: {GITHUB_ISSUER}
    - path: "**/*.whl"
      identityPattern: '{ACME_WORKFLOWS}'
      issuer: {GITHUB_ISSUER}
"""


def signed_release(instance: SigstoreInstance, root: Path) -> Path:
    feature_with_artifacts(root, RELEASE_ENTRIES)
    signed_file(instance, root / "dist", "model.onnx")
    signed_file(instance, root / "dist", "tokenizer.onnx", b"tokenizer", dsse=True)
    signed_file(instance, root / "dist" / "py", "support-1.0-py3-none-any.whl", b"wheel", suffix=".sigstore", dsse=True)
    return root


def sign_findings(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["id"], f["path"]) for f in doc["findings"] if f["id"].startswith("AIGOV-SIGN-")}


def test_check_passes_signed_artefacts(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    repo = signed_release(instance, tmp_path / "repo")
    result = check(repo, "--trusted-root", str(trusted_root))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_check_records_what_each_bundle_proves(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    repo = signed_release(instance, tmp_path / "repo")
    facts = run_cli("facts", str(repo), "--now", CLOCK).json()[0]["feature"]["artifacts"]
    assert [f["path"] for a in facts for f in a["files"]] == ["dist/model.onnx", "dist/tokenizer.onnx", "dist/py/support-1.0-py3-none-any.whl"]
    wheel = facts[1]["files"][0]
    assert wheel["bundle"] == "dist/py/support-1.0-py3-none-any.whl.sigstore"
    assert (wheel["kind"], wheel["identity"], wheel["issuer"]) == ("dsse", RELEASE_IDENTITY, GITHUB_ISSUER)
    # `aigov facts` has no --trusted-root: against the production root the test bundles are untrusted.
    assert (wheel["verified"], wheel["failure"]) == (False, "untrusted")


def test_check_blocks_a_tampered_artefact_at_its_path(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    repo = signed_release(instance, tmp_path / "repo")
    (repo / "dist" / "tokenizer.onnx").write_bytes(b"tokenizer, swapped")
    result = check(repo, "--trusted-root", str(trusted_root), "--format", "json")
    assert result.exit_code == 1
    assert sign_findings(result.json()) == {("AIGOV-SIGN-003", "dist/tokenizer.onnx")}


def test_check_reports_each_kind_of_signing_failure(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    repo = signed_release(instance, tmp_path / "repo")
    dist = repo / "dist"
    (dist / "unsigned.onnx").write_bytes(b"never signed")
    signed_file(instance, dist, "laptop.onnx", identity="dev@acme.example", issuer="https://github.com/login/oauth")
    signed_file(instance, dist, "gitlab.onnx", issuer="https://gitlab.com")
    signed_file(SigstoreInstance.create("impostor"), dist, "forged.onnx")
    (dist / "broken.onnx").write_bytes(b"x")
    (dist / "broken.onnx.sigstore.json").write_text("{not json", encoding="utf-8")
    doc = check_json(repo, "--trusted-root", str(trusted_root))
    assert doc["verdict"] == "fail"
    assert sign_findings(doc) == {
        ("AIGOV-SIGN-001", "dist/unsigned.onnx"),
        ("AIGOV-SIGN-004", "dist/laptop.onnx"),
        ("AIGOV-SIGN-005", "dist/laptop.onnx"),
        ("AIGOV-SIGN-005", "dist/gitlab.onnx"),
        ("AIGOV-SIGN-002", "dist/forged.onnx"),
        ("AIGOV-SIGN-002", "dist/broken.onnx"),
    }
    assert all(f["blocking"] for f in doc["findings"] if f["id"].startswith("AIGOV-SIGN-"))
    missing = next(f for f in doc["findings"] if f["id"] == "AIGOV-SIGN-001")
    assert "python -m sigstore sign dist/unsigned.onnx" in missing["remediation"]
    assert "aigov verify-artifact dist/unsigned.onnx" in missing["remediation"]


def test_check_without_matching_files_does_not_judge_signatures(tmp_path: Path) -> None:
    """Before the first release the glob matches nothing: a fact, not a finding."""
    repo = feature_with_artifacts(tmp_path / "repo", RELEASE_ENTRIES)
    doc = check_json(repo)
    assert sign_findings(doc) == set()
    facts = run_cli("facts", str(repo), "--now", CLOCK).json()[0]["feature"]["artifacts"]
    assert [a["files"] for a in facts] == [[], []]


def test_globs_stay_in_their_folder_and_skip_bundles(instance: SigstoreInstance, tmp_path: Path) -> None:
    repo = feature_with_artifacts(tmp_path / "repo", f"    - path: dist/*\n      identity: {RELEASE_IDENTITY}\n      issuer: {GITHUB_ISSUER}\n")
    (repo / "dist" / "nested").mkdir(parents=True)
    (repo / "dist" / "top.bin").write_bytes(b"a")
    (repo / "dist" / "top.bin.sigstore.json").write_text("{}", encoding="utf-8")
    (repo / "dist" / "nested" / "deep.bin").write_bytes(b"b")
    facts = run_cli("facts", str(repo), "--now", CLOCK).json()[0]["feature"]["artifacts"]
    assert [f["path"] for f in facts[0]["files"]] == ["dist/top.bin"]


def test_org_data_can_change_the_bundle_suffixes(instance: SigstoreInstance, trusted_root: Path, tmp_path: Path) -> None:
    repo = feature_with_artifacts(tmp_path / "repo", f"    - path: dist/*.onnx\n      identity: {RELEASE_IDENTITY}\n      issuer: {GITHUB_ISSUER}\n")
    signed_file(instance, repo / "dist", "model.onnx", suffix=".bundle")
    org = org_config(tmp_path / "org", "data: [signing.yaml]\n",
                     {"signing.yaml": "aigov:\n  settings:\n    signing:\n      bundle_suffixes: [.bundle]\n"})
    assert check(repo, "--trusted-root", str(trusted_root), "--config", str(org)).exit_code == 0


def test_invalid_identity_pattern_in_the_manifest_is_exit_2(tmp_path: Path) -> None:
    repo = feature_with_artifacts(tmp_path / "repo", f"    - path: dist/*\n      identityPattern: '(unclosed'\n      issuer: {GITHUB_ISSUER}\n")
    result = check(repo)
    assert result.exit_code == 2
    line = (repo / "aigov.yaml").read_text().splitlines().index("      identityPattern: '(unclosed'") + 1
    assert f"aigov.yaml:{line}: identity pattern '(unclosed' is not a usable regular expression: missing )" in result.stderr


def test_check_with_an_unusable_trusted_root_is_exit_2(instance: SigstoreInstance, tmp_path: Path) -> None:
    repo = signed_release(instance, tmp_path / "repo")
    not_a_root = write(tmp_path / "root.json", '{"mediaType": "application/json"}')
    result = check(repo, "--trusted-root", str(not_a_root))
    assert result.exit_code == 2
    assert "is not a usable Sigstore trusted root" in result.stderr
    assert check(repo, "--trusted-root", str(tmp_path / "absent.json")).exit_code == 2


# -- sigstore is only imported when there is something to verify --------------------------------

_PROBE = """
import sys
import aigov.facts.build as build
from aigov.cli import main
if sys.argv.pop(1) == "all-here":  # every collector in this process, where the probe can see what loads
    build.COLLECTOR_MODULES += build.BACKGROUND_COLLECTOR_MODULES
    build.BACKGROUND_COLLECTOR_MODULES = ()
try:
    main([*sys.argv[1:]])
except SystemExit:
    pass
print("sigstore loaded:", any(m == "sigstore" or m.startswith("sigstore.") for m in sys.modules), file=sys.stderr)
"""


def _sigstore_loaded(*args: str, all_here: bool = True) -> bool:
    env = {**os.environ, "AIGOV_DEBUG": ""}
    where = "all-here" if all_here else "as-shipped"
    proc = subprocess.run([sys.executable, "-c", _PROBE, where, *args], capture_output=True, text=True, env=env, timeout=120)
    assert "sigstore loaded:" in proc.stderr, proc.stderr
    return "sigstore loaded: True" in proc.stderr


def test_check_without_artefacts_does_not_import_sigstore(instance: SigstoreInstance, tmp_path: Path) -> None:
    plain = make_feature(tmp_path / "plain")
    unreleased = feature_with_artifacts(tmp_path / "unreleased", RELEASE_ENTRIES)
    assert not _sigstore_loaded("check", str(plain), "--now", CLOCK)
    assert not _sigstore_loaded("check", str(unreleased), "--now", CLOCK)
    # The probe can tell: with a bundle to verify, sigstore is loaded.
    released = signed_release(instance, tmp_path / "released")
    assert _sigstore_loaded("check", str(released), "--now", CLOCK)
    # As shipped, signatures are verified in a child while other facts are read: the checking process never loads it.
    assert not _sigstore_loaded("check", str(released), "--now", CLOCK, all_here=False)
