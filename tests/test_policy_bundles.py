"""Policy bundles: a pack given from outside the checked tree replaces the shipped one, and fails closed.

Bundles are real OPA bundle tarballs built by `aigov policy build` (or hand-made hostile ones);
signatures are real JWTs (RS256, ES256) made with `cryptography`. Downloads go to a loopback
HTTPS server (tests/bundle_server.py) that stands in for the platform team's bundle host.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from bundle_server import BundleHost
from conftest import CLOCK, EXAMPLE, assert_clean_error, check, make_feature, org_config, run_cli, run_limited, write
from pack_helpers import POLICIES, build, copy_pack

# --- helpers ------------------------------------------------------------------------------------


def pinned(path: Path) -> str:
    return f"{path}#sha256={hashlib.sha256(path.read_bytes()).hexdigest()}"


def report(path: Path, *extra: str) -> dict[str, Any]:
    result = check(path, "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.stderr
    return result.json()


def findings(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a user compares: rule, severity, feature, place, message, controls and whether it blocks."""
    return [(f["id"], f["severity"], f["feature"], f["path"], f["line"], f["message"], tuple(f["controls"]), f["blocking"])
            for f in doc["findings"]]


def tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(POLICIES, tmp_path_factory.mktemp("bundle") / "bundle.tar.gz")


@pytest.fixture
def unapproved(tmp_path: Path) -> Path:
    """A feature with findings: a model the registry does not approve."""
    return make_feature(tmp_path / "repo", model="acme.homegrown-llm", provider="self-hosted")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


# --- aigov policy build ---------------------------------------------------------------------------


def test_build_is_byte_for_byte_deterministic(tmp_path: Path, built: Path) -> None:
    again = build(copy_pack(tmp_path / "pack"), tmp_path / "again.tar.gz")
    assert again.read_bytes() == built.read_bytes()
    assert built.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header: no timestamp
    with tarfile.open(built) as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert {(m.mtime, m.uid, m.gid, m.mode, m.uname) for m in members} == {(0, 0, 0, 0o644, "")}
        manifest = json.loads(archive.extractfile(".manifest").read())  # type: ignore[union-attr]
    version = (POLICIES / "VERSION").read_text().strip()
    assert manifest["revision"].startswith(f"{version}+sha256:") and manifest["roots"] == ["aigov"]


def test_build_changes_revision_with_content(tmp_path: Path, built: Path) -> None:
    pack = copy_pack(tmp_path / "pack")
    (pack / "aigov" / "lib.rego").write_text((pack / "aigov" / "lib.rego").read_text() + "\n# edited\n")
    other = build(pack, tmp_path / "other.tar.gz")
    assert other.read_bytes() != built.read_bytes()
    with tarfile.open(other) as a, tarfile.open(built) as b:
        assert json.load(a.extractfile(".manifest"))["revision"] != json.load(b.extractfile(".manifest"))["revision"]  # type: ignore[arg-type]


def test_the_built_revision_names_the_same_pack_however_a_check_loads_it(built: Path, tmp_path: Path) -> None:
    """One notion of revision: what `aigov policy build` prints and writes into .manifest is what a check
    computes for the same pack from the shipped folder, from the tarball and from a source folder (server
    mode requires it of the deployed bundle). Policy tests stay out of the bundle: OPA would load them."""
    from aigov.config import BundleRequest, OrgConfig
    from aigov.policy.loading import build_pack

    with tarfile.open(built) as archive:
        revision = json.load(archive.extractfile(".manifest"))["revision"]  # type: ignore[arg-type]
        assert not [name for name in archive.getnames() if name.endswith("_test.rego")]
    printed = run_cli("policy", "build", str(POLICIES), "-o", str(tmp_path / "again.tar.gz")).stdout
    assert f"revision {revision}," in printed
    loads = [OrgConfig(), OrgConfig(policy_bundle=BundleRequest(str(built))),
             OrgConfig(policy_bundle=BundleRequest(str(copy_pack(tmp_path / "pack"))))]
    assert {build_pack(config).revision() for config in loads} == {revision}


# --- a bundle replaces the shipped pack ---------------------------------------------------------


def test_built_bundle_gives_the_shipped_findings(built: Path, unapproved: Path) -> None:
    example = ["--root", str(EXAMPLE)]
    assert findings(report(EXAMPLE, *example, "--policy-bundle", pinned(built))) == findings(report(EXAMPLE, *example))
    shipped = report(unapproved)
    assert shipped["findings"], "the feature must have findings for the comparison to mean anything"
    assert findings(report(unapproved, "--policy-bundle", pinned(built))) == findings(shipped)


def test_reports_and_the_decision_record_name_the_bundle(built: Path, unapproved: Path, tmp_path: Path) -> None:
    record = tmp_path / "decision.json"
    doc = report(unapproved, "--policy-bundle", pinned(built), "--record", str(record))
    with tarfile.open(built) as archive:
        revision = json.load(archive.extractfile(".manifest"))["revision"]  # type: ignore[arg-type]
    expected = {"role": "policy-bundle", "path": str(built), "digest": "sha256:" + hashlib.sha256(built.read_bytes()).hexdigest(),
                "version": revision}
    assert doc["sources"][0] == expected
    assert not any(s["role"] == "policy-pack" for s in doc["sources"]), "the shipped pack is replaced, not also used"
    saved = json.loads(record.read_text())
    assert saved["sources"][0] == expected and saved["policy"]["version"] == revision


def test_a_bundle_directory_is_the_authority(tmp_path: Path, unapproved: Path) -> None:
    """The platform team approves the model in its bundle's registry: the finding goes away."""
    pack = copy_pack(tmp_path / "platform-pack")
    registry = pack / "data" / "registry.yaml"
    approved = "  - {id: acme.homegrown-llm, provider: self-hosted, status: approved, approvedTiers: [low, medium, high]}\n"
    registry.write_text(registry.read_text().replace("models:\n", "models:\n" + approved, 1))
    shipped = {f[0] for f in findings(report(unapproved))}
    with_bundle = {f[0] for f in findings(report(unapproved, "--policy-bundle", str(pack)))}
    assert "AIGOV-MODEL-001" in shipped and "AIGOV-MODEL-001" not in with_bundle


def test_org_config_names_the_bundle(built: Path, unapproved: Path, tmp_path: Path) -> None:
    config = org_config(tmp_path / "org", f"policyBundle: {pinned(built)}\n")
    doc = report(unapproved, "--config", str(config))
    assert doc["sources"][0]["role"] == "policy-bundle"


def test_repository_cannot_name_its_own_bundle(built: Path, unapproved: Path) -> None:
    write(unapproved / ".aigov/config.yaml", f"policyBundle: {built}\n")
    doc = report(unapproved)
    assert "AIGOV-CONFIG-001" in {f["id"] for f in doc["findings"]}
    assert doc["sources"][0]["role"] == "policy-pack"


def test_a_bundle_inside_the_checked_repository_is_refused(built: Path, unapproved: Path) -> None:
    inside = unapproved / "bundle.tar.gz"
    shutil.copy(built, inside)
    assert_clean_error(check(unapproved, "--policy-bundle", str(inside)), "--policy-bundle points inside the checked repository")


def test_an_incomplete_bundle_is_refused_not_topped_up(tmp_path: Path, unapproved: Path) -> None:
    pack = copy_pack(tmp_path / "pack")
    (pack / "data" / "registry.yaml").unlink()
    assert_clean_error(check(unapproved, "--policy-bundle", str(pack)), "no data.aigov.registry", str(pack))


# --- hostile tarballs -----------------------------------------------------------------------------


def _link(name: str, kind: bytes, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _device(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info, None


@pytest.mark.parametrize("member, fragment", [
    (regular("../escape.rego", b"package x\n"), "climbs out of the bundle"),
    (regular("aigov/../../escape.rego", b"package x\n"), "climbs out of the bundle"),
    (regular("/etc/escape.rego", b"package x\n"), "absolute path"),
    (_link("aigov/link.rego", tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
    (_link("aigov/hard.rego", tarfile.LNKTYPE, ".manifest"), "is a link"),
    (_device("aigov/zero"), "device or special file"),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink", "device"])
def test_hostile_members_are_refused(tmp_path: Path, unapproved: Path, member: Any, fragment: str) -> None:
    bad = tarball(tmp_path / "bad.tar.gz", [regular(".manifest", b'{"revision": "x", "roots": ["aigov"]}'), member])
    run = run_limited("check", str(unapproved), "--policy-bundle", str(bad), cwd=tmp_path)
    assert_clean_error(run, fragment, "bad.tar.gz")
    assert not (tmp_path.parent / "escape.rego").exists()


def test_a_tar_bomb_is_refused(tmp_path: Path, unapproved: Path) -> None:
    """70 MB of zeros compress to ~70 KB: the uncompressed cap stops it before it is read."""
    bomb = tarball(tmp_path / "bomb.tar.gz", [regular(".manifest", b'{"revision": "x"}'), regular("aigov/data.json", b"\0" * (70 * 1024 * 1024))])
    assert bomb.stat().st_size < 1024 * 1024
    assert_clean_error(run_limited("check", str(unapproved), "--policy-bundle", str(bomb), memory_bytes=1024**3), "tar bomb", "bomb.tar.gz")


def test_a_tarball_over_the_size_cap_is_refused(tmp_path: Path, unapproved: Path) -> None:
    big = tmp_path / "big.tar.gz"
    big.write_bytes(b"\x1f\x8b" + b"x" * (21 * 1024 * 1024))
    assert_clean_error(check(unapproved, "--policy-bundle", str(big)), "over the 20971520-byte limit", "big.tar.gz")


def test_a_pin_that_does_not_match_is_refused(built: Path, unapproved: Path) -> None:
    run = check(unapproved, "--policy-bundle", f"{built}#sha256={'0' * 64}")
    assert_clean_error(run, "digest mismatch", str(built))


def test_not_a_tarball(tmp_path: Path, unapproved: Path) -> None:
    junk = write(tmp_path / "junk.tar.gz", "not a tarball\n")
    assert_clean_error(check(unapproved, "--policy-bundle", str(junk)), "not a readable tar.gz bundle", "junk.tar.gz")


def test_a_manifest_without_revision_or_outside_its_roots(tmp_path: Path, unapproved: Path) -> None:
    no_revision = tarball(tmp_path / "a.tar.gz", [regular(".manifest", b"{}")])
    assert_clean_error(check(unapproved, "--policy-bundle", str(no_revision)), ".manifest has no revision")
    outside = tarball(tmp_path / "b.tar.gz", [regular(".manifest", b'{"revision": "1", "roots": ["org"]}'),
                                               regular("aigov/x.rego", b"package aigov.x\n")])
    assert_clean_error(check(unapproved, "--policy-bundle", str(outside)), "outside the manifest's roots")


# --- OPA's .signatures.json ------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_bundle(bundle: Path, key: Any, alg: str, out: Path, edit: dict[str, bytes] | None = None) -> Path:
    """The bundle with a .signatures.json as `opa sign` writes it; ``edit`` changes files after signing."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from aigov.policy.bundle import signature_hash

    with tarfile.open(bundle) as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    payload = {"files": [{"name": n, "hash": signature_hash(n, d), "algorithm": "SHA-256"} for n, d in sorted(files.items())]}
    signing_input = f"{_b64url(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{_b64url(json.dumps(payload).encode())}"
    if alg == "RS256":
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    files[".signatures.json"] = json.dumps({"signatures": [f"{signing_input}.{_b64url(signature)}"]}).encode()
    files.update(edit or {})
    return tarball(out, [regular(n, d) for n, d in sorted(files.items())])


def public_pem(key: Any, path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


@pytest.fixture(scope="module")
def rsa_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_signed_bundle_verifies_with_the_org_key(built: Path, unapproved: Path, tmp_path: Path, rsa_key: Any, ec_key: Any, alg: str) -> None:
    key = rsa_key if alg == "RS256" else ec_key
    signed = sign_bundle(built, key, alg, tmp_path / "signed.tar.gz")
    doc = report(unapproved, "--policy-bundle", str(signed), "--policy-bundle-key", str(public_pem(key, tmp_path / "key.pem")))
    assert doc["sources"][0]["role"] == "policy-bundle" and findings(doc) == findings(report(unapproved))


def test_bad_signatures_are_exit_2(built: Path, unapproved: Path, tmp_path: Path, rsa_key: Any, ec_key: Any) -> None:
    key = public_pem(rsa_key, tmp_path / "key.pem")
    signed = sign_bundle(built, rsa_key, "RS256", tmp_path / "signed.tar.gz")
    cases = [
        (signed, None, "give the public key"),
        (signed, public_pem(ec_key, tmp_path / "other.pem"), "does not fit the given key"),
        (sign_bundle(built, rsa_key, "RS256", tmp_path / "t.tar.gz", {"aigov/models.rego": b"package aigov.models\n"}), key,
         "aigov/models.rego does not match its signed hash"),
        (sign_bundle(built, rsa_key, "RS256", tmp_path / "x.tar.gz", {"aigov/extra.rego": b"package aigov.extra\n"}), key,
         "unsigned file aigov/extra.rego"),
        (sign_bundle(built, rsa_key, "RS256", tmp_path / "j.tar.gz", {".signatures.json": b'{"signatures": ["a.b"]}'}), key, "not a JWT"),
        (sign_bundle(built, rsa_key, "RS256", tmp_path / "n.tar.gz", {".signatures.json": b"{"}), key, "invalid JSON"),
        (built, key, "has no .signatures.json"),
    ]
    for bundle, pem, fragment in cases:
        extra = ["--policy-bundle-key", str(pem)] if pem else []
        assert_clean_error(check(unapproved, "--policy-bundle", str(bundle), *extra), fragment)
    from cryptography.hazmat.primitives.asymmetric import ec

    other_signer = sign_bundle(built, ec_key, "ES256", tmp_path / "e.tar.gz")
    wrong = public_pem(ec.generate_private_key(ec.SECP256R1()), tmp_path / "wrong.pem")
    assert_clean_error(check(unapproved, "--policy-bundle", str(other_signer), "--policy-bundle-key", str(wrong)), "does not verify")


# --- downloads ------------------------------------------------------------------------------------


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with BundleHost(tmp_path / "tls") as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
        yield server


def test_a_pinned_url_is_downloaded_cached_and_used_offline(host: BundleHost, built: Path, unapproved: Path, _cache: Path) -> None:
    host.serve("/bundle.tar.gz", built.read_bytes())
    url = f"{host.url}/bundle.tar.gz#sha256={hashlib.sha256(built.read_bytes()).hexdigest()}"
    doc = report(unapproved, "--policy-bundle", url)
    assert doc["sources"][0]["path"] == f"{host.url}/bundle.tar.gz" and findings(doc) == findings(report(unapproved))
    assert list((_cache / "aigov" / "bundles").glob("*.tar.gz"))
    host.stop()
    assert findings(report(unapproved, "--policy-bundle", url, "--offline")) == findings(doc)
    assert host.requests == ["/bundle.tar.gz"], "a cached bundle is not downloaded again"


def test_offline_with_nothing_cached(host: BundleHost, unapproved: Path) -> None:
    url = f"{host.url}/bundle.tar.gz#sha256={'a' * 64}"
    assert_clean_error(check(unapproved, "--policy-bundle", url, "--offline"), "--offline and the bundle is not in the cache", host.url)
    assert host.requests == []


def test_an_unpinned_url_is_refused(host: BundleHost, unapproved: Path) -> None:
    assert_clean_error(check(unapproved, "--policy-bundle", f"{host.url}/bundle.tar.gz"), "unpinned bundle URL is refused")
    assert host.requests == []


@pytest.mark.parametrize("status, fragment", [(404, "HTTP 404"), (500, "HTTP 500")])
def test_http_errors(host: BundleHost, unapproved: Path, status: int, fragment: str) -> None:
    host.serve("/bundle.tar.gz", b"oops", status=status)
    run = check(unapproved, "--policy-bundle", f"{host.url}/bundle.tar.gz#sha256={'a' * 64}")
    assert_clean_error(run, fragment, f"{host.url}/bundle.tar.gz")


def test_a_redirect_to_another_host_is_refused(host: BundleHost, built: Path, unapproved: Path) -> None:
    host.redirect("/bundle.tar.gz", f"https://localhost:{host.port}/elsewhere.tar.gz")
    run = check(unapproved, "--policy-bundle", pinned_url(host, built))
    assert_clean_error(run, "redirected to another host", "localhost")


def test_a_redirect_on_the_same_host_is_followed(host: BundleHost, built: Path, unapproved: Path) -> None:
    host.redirect("/bundle.tar.gz", "/v2/bundle.tar.gz")
    host.serve("/v2/bundle.tar.gz", built.read_bytes())
    assert report(unapproved, "--policy-bundle", pinned_url(host, built))["sources"][0]["role"] == "policy-bundle"


def test_a_body_over_the_cap_is_refused_while_streaming(host: BundleHost, unapproved: Path, tmp_path: Path) -> None:
    host.serve("/bundle.tar.gz", b"\0" * (21 * 1024 * 1024), content_length=False)
    run = run_limited("check", str(unapproved), "--now", CLOCK, "--policy-bundle", f"{host.url}/bundle.tar.gz#sha256={'a' * 64}",
                      env=host.env(tmp_path / "xdg"))
    assert_clean_error(run, "over the", "cap", host.url)


def test_a_served_bundle_that_does_not_match_its_pin(host: BundleHost, built: Path, unapproved: Path) -> None:
    host.serve("/bundle.tar.gz", built.read_bytes() + b"tampered")
    assert_clean_error(check(unapproved, "--policy-bundle", pinned_url(host, built)), "digest mismatch", host.url)


def test_an_unreachable_host(host: BundleHost, unapproved: Path) -> None:
    host.stop()
    run = check(unapproved, "--policy-bundle", f"{host.url}/bundle.tar.gz#sha256={'a' * 64}")
    assert_clean_error(run, "cannot reach the bundle host", host.url)


def test_an_untrusted_certificate(host: BundleHost, built: Path, unapproved: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the loopback CA the host's certificate is not trusted: exit 2, not a fallback."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(host.other_ca(tmp_path)))
    assert_clean_error(check(unapproved, "--policy-bundle", pinned_url(host, built)), "TLS verification failed", host.url)


def pinned_url(host: BundleHost, built: Path) -> str:
    return f"{host.url}/bundle.tar.gz#sha256={hashlib.sha256(built.read_bytes()).hexdigest()}"


# --- Sigstore-signed bundles (the throw-away instance of tests/sigstore_fixture.py) --------------

PLATFORM = "https://github.com/acme/platform/.github/workflows/policy-bundle.yml@refs/heads/main"


@pytest.fixture(scope="module")
def sigstore() -> Any:
    from sigstore_fixture import SigstoreInstance

    return SigstoreInstance.create()


def sigstore_args(root: Path, identity: str = PLATFORM) -> list[str]:
    from sigstore_fixture import GITHUB_ISSUER

    return ["--policy-bundle-identity", identity, "--policy-bundle-issuer", GITHUB_ISSUER, "--trusted-root", str(root)]


def test_a_sigstore_signed_tarball_verifies(built: Path, unapproved: Path, tmp_path: Path, sigstore: Any) -> None:
    tarball_path = tmp_path / "bundle.tar.gz"
    shutil.copy(built, tarball_path)
    sigstore.sign_file(tarball_path, identity=PLATFORM)
    root = sigstore.write_trusted_root(tmp_path / "trusted_root.json")
    doc = report(unapproved, "--policy-bundle", str(tarball_path), *sigstore_args(root))
    assert doc["sources"][0]["role"] == "policy-bundle" and findings(doc) == findings(report(unapproved))
    run = check(unapproved, "--policy-bundle", str(tarball_path), *sigstore_args(root, "https://github.com/evil/fork/x.yml@refs/heads/main"))
    assert_clean_error(run, "Sigstore signature is rejected", f"signed by {PLATFORM}", "bundle.tar.gz")


def test_a_sigstore_signed_url_needs_no_pin_and_is_cached(host: BundleHost, built: Path, unapproved: Path, tmp_path: Path, sigstore: Any) -> None:
    root = sigstore.write_trusted_root(tmp_path / "trusted_root.json")
    host.serve("/bundle.tar.gz", built.read_bytes())
    host.serve("/bundle.tar.gz.sigstore.json", json.dumps(sigstore.sign(built.read_bytes(), identity=PLATFORM)).encode())
    url = f"{host.url}/bundle.tar.gz"
    assert report(unapproved, "--policy-bundle", url, *sigstore_args(root))["sources"][0]["path"] == url
    host.stop()
    assert findings(report(unapproved, "--policy-bundle", url, "--offline", *sigstore_args(root))) == findings(report(unapproved))


def test_a_url_signed_by_someone_else_is_refused(host: BundleHost, built: Path, unapproved: Path, tmp_path: Path, sigstore: Any) -> None:
    root = sigstore.write_trusted_root(tmp_path / "trusted_root.json")
    host.serve("/bundle.tar.gz", built.read_bytes())
    host.serve("/bundle.tar.gz.sigstore.json", json.dumps(sigstore.sign(built.read_bytes(), identity="mallory@example.com")).encode())
    run = check(unapproved, "--policy-bundle", f"{host.url}/bundle.tar.gz", *sigstore_args(root))
    assert_clean_error(run, "Sigstore signature is rejected", "mallory@example.com", host.url)


def test_a_directory_bundle_ignores_git_history_and_refuses_links(tmp_path: Path, unapproved: Path) -> None:
    """A checkout of the platform repository: .git does not change the bundle's digest; a link is refused."""
    pack = copy_pack(tmp_path / "platform")
    before = report(unapproved, "--policy-bundle", str(pack))["sources"][0]["digest"]
    write(pack / ".git" / "HEAD", "ref: refs/heads/main\n")
    assert report(unapproved, "--policy-bundle", str(pack))["sources"][0]["digest"] == before
    (pack / "aigov" / "passwd.rego").symlink_to("/etc/passwd")
    assert_clean_error(check(unapproved, "--policy-bundle", str(pack)), "symbolic links", "passwd.rego")


def test_facts_reads_the_bundle_too(built: Path, unapproved: Path) -> None:
    """`aigov facts` shares the check's options: a bad bundle fails it the same way."""
    assert run_cli("facts", str(unapproved), "--policy-bundle", pinned(built)).exit_code == 0
    assert_clean_error(run_cli("facts", str(unapproved), "--policy-bundle", f"{built}#sha256={'0' * 64}"), "digest mismatch")
