"""`aigov check --engine opa`: the same verdict from a central OPA server, and exit 2 whenever it cannot give one.

No OPA binary can be installed here, so the server is tests/opa_stub.py: a loopback HTTP server
on 127.0.0.1 that speaks OPA's REST API and evaluates with the real OPA (v1.20.2, embedded in
opa-golib-python-bindings). aigov's real client (opa-python-client over requests) talks to it
through the real CLI. The failure modes use a second loopback server that answers wrongly on
purpose (tests/opa_stub.py: MisbehavingOpa).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigov.config import OrgConfig
from aigov.policy.loading import build_pack
from conftest import CLOCK, EXAMPLE, assert_clean_error, check, make_feature, org_config, run_limited, write
from opa_stub import MisbehavingOpa, OpaStub
from pack_helpers import POLICIES, build, copy_pack
from repo_helpers import commit_all, init_repo

needs_opa = pytest.mark.usefixtures("opa_oracle")  # the loopback OPA evaluates with real OPA


@pytest.fixture(scope="module")
def opa() -> Iterator[tuple[OpaStub, str]]:
    stub = OpaStub()
    url = stub.start()
    yield stub, url
    stub.stop()


def unapproved(tmp_path: Path) -> Path:
    """A feature that uses a model the registry does not approve, and whose card is missing: several packages find something."""
    root = make_feature(tmp_path / "repo", model="acme.unapproved-llm", provider="acme")
    (root / "MODEL_CARD.md").unlink()
    return root


def decided(path: Path, *extra: str) -> dict:
    """The JSON report of a check that reached a verdict (an error's report has no findings to compare)."""
    run = check(path, "--format", "json", *extra)
    assert run.exit_code in (0, 1), run.stderr
    return run.json()


def comparable(doc: dict) -> list[tuple]:
    return [(f["id"], f["severity"], f["message"], f["path"], f["line"], f["feature"], f["blocking"], f["waived"])
            for f in doc["findings"]]


# --- push mode: aigov writes the pack, then asks ------------------------------------------------


@needs_opa
def test_push_mode_gives_the_embedded_engines_findings(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    stub, url = opa
    root = unapproved(tmp_path)
    embedded = decided(root)
    remote = decided(root, "--engine", "opa", "--opa-url", url)
    assert embedded["findings"] and {f["id"] for f in embedded["findings"]} >= {"AIGOV-MODEL-001"}
    assert comparable(remote) == comparable(embedded)
    assert (remote["verdict"], remote["policy"]["engine"]) == ("fail", "opa")
    assert check(root, "--engine", "opa", "--opa-url", url).exit_code == 1
    assert ("POST", "/v1/data/aigov/models/deny") in stub.requests
    assert {"role": "opa-server", "path": url, "version": "push"}.items() <= remote["sources"][-1].items()


@needs_opa
def test_push_mode_judges_waivers_on_the_server(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    """The second evaluation (data.aigov.waivers.decision with input.findings) runs on OPA too."""
    from waiver_helpers import EVAL_WAIVER, merged_waiver, too_few_cases

    root = too_few_cases(tmp_path)
    merged_waiver(root, EVAL_WAIVER.format(created="2026-11-20", expires="2026-12-20"))
    embedded = decided(root)
    stub, url = opa
    remote = decided(root, "--engine", "opa", "--opa-url", url)
    assert remote["verdict"] == embedded["verdict"] == "pass"
    assert comparable(remote) == comparable(embedded) and any(f["waived"] for f in remote["findings"])
    assert remote["waivers"] == embedded["waivers"]
    assert ("POST", "/v1/data/aigov/waivers/decision") in stub.requests


@needs_opa
def test_push_mode_removes_modules_it_pushed_before_that_the_pack_no_longer_has(tmp_path: Path) -> None:
    """A rule deleted from the pack must not keep judging from the server's memory."""
    stub = OpaStub()
    url = stub.start()
    try:
        stub.put_policy("aigov/policies/aigov/retired.rego",
                        'package aigov.models\n\ndeny contains {"id": "AIGOV-RETIRED-001", "msg": "old"} if true\n')
        stub.put_policy("platform/other.rego", "package platform\n\nallow := true\n")  # not aigov's: left alone
        root = make_feature(tmp_path / "repo")
        assert check(root, "--engine", "opa", "--opa-url", url).exit_code == 0
        assert "aigov/policies/aigov/retired.rego" not in stub.policies and "platform/other.rego" in stub.policies
    finally:
        stub.stop()


@needs_opa
def test_a_bearer_token_is_sent_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    stub = OpaStub(token="s3cret")
    url = stub.start()
    try:
        root = make_feature(tmp_path / "repo")
        args = ("check", str(root), "--now", CLOCK, "--engine", "opa", "--opa-url", url)
        assert_clean_error(run_limited(*args), f"OPA server {url}", "HTTP 401", "--opa-token")
        env = {**os.environ, "AIGOV_OPA_TOKEN": "s3cret"}
        assert run_limited(*args, env=env).exit_code == 0
    finally:
        stub.stop()


# --- server mode: the platform team's deployment, checked by revision ---------------------------


def deployed(tmp_path: Path, folder: Path = POLICIES, revision: str | None = None) -> tuple[OpaStub, str, str]:
    """An OPA holding the pack in ``folder`` as the platform team deploys it: the tarball `aigov policy
    build` writes, activated as is (``revision``: a deployment whose manifest says something else).
    The stub, its URL and the revision it reports."""
    tarball = build(folder, tmp_path / f"deployed-{folder.name}.tar.gz")
    stub = OpaStub()
    reported = stub.activate_tarball("aigov", tarball.read_bytes(), revision)
    return stub, stub.start(), reported


def server_mode(url: str) -> tuple[str, ...]:
    return ("--engine", "opa", "--opa-url", url, "--opa-mode", "server")


def edited_pack(folder: Path) -> Path:
    """A copy of the shipped pack with one rule's message changed: a deployment that would judge differently."""
    pack = copy_pack(folder)
    rule = pack / "aigov" / "models.rego"
    text = rule.read_text(encoding="utf-8")
    assert "is not in the approved-model registry\", [model.id]" in text
    rule.write_text(text.replace("is not in the approved-model registry\", [model.id]", "is fine\", [model.id]"), encoding="utf-8")
    return pack


@needs_opa
def test_server_mode_queries_the_deployed_bundle_and_writes_nothing(tmp_path: Path) -> None:
    stub, url, _ = deployed(tmp_path)
    try:
        root = unapproved(tmp_path)
        remote = decided(root, *server_mode(url))
        assert comparable(remote) == comparable(decided(root))
        assert not [r for r in stub.requests if r[0] in ("PUT", "DELETE")]
        assert ("GET", "/v1/data/system/bundles") in stub.requests
    finally:
        stub.stop()


@needs_opa
def test_the_bundle_aigov_policy_build_writes_is_accepted_whichever_way_the_pack_is_loaded(tmp_path: Path) -> None:
    """The documented workflow end to end: build, deploy that tarball, check in server mode with the
    same pack loaded from the shipped folder, from the tarball and from a source folder."""
    stub, url, revision = deployed(tmp_path)
    try:
        root = unapproved(tmp_path)
        tarball = tmp_path / f"deployed-{POLICIES.name}.tar.gz"
        for pack in ((), ("--policy-bundle", str(tarball)), ("--policy-bundle", str(copy_pack(tmp_path / "source")))):
            embedded = decided(root, *pack)
            remote = decided(root, *pack, *server_mode(url))
            assert embedded["findings"] and comparable(remote) == comparable(embedded), pack
            assert remote["sources"][-1] == {"role": "opa-server", "path": url, "digest": revision, "version": "server"}
        assert revision.startswith((POLICIES / "VERSION").read_text().strip() + "+sha256:")
    finally:
        stub.stop()


@needs_opa
def test_server_mode_refuses_a_bundle_built_from_other_content(tmp_path: Path) -> None:
    """One rule edited and rebuilt: the server would judge differently under the same ids, so neither
    the shipped pack nor the edited one is judged against the other's deployment."""
    stub, url, edited_revision = deployed(tmp_path, edited_pack(tmp_path / "edited"))
    try:
        root = unapproved(tmp_path)
        shipped_revision = build_pack(OrgConfig()).revision()
        run = run_limited("check", str(root), "--now", CLOCK, *server_mode(url))
        assert_clean_error(run, f"OPA server {url}", f"'{edited_revision}'", shipped_revision, "aigov policy build")
        stub.activate_tarball("aigov", build(POLICIES, tmp_path / "shipped.tar.gz").read_bytes())
        edited = build(tmp_path / "edited", tmp_path / "edited.tar.gz")
        run = run_limited("check", str(root), "--now", CLOCK, "--policy-bundle", str(edited), *server_mode(url))
        assert_clean_error(run, f"'{shipped_revision}'", edited_revision)
    finally:
        stub.stop()


@needs_opa
def test_server_mode_refuses_a_bundle_of_another_revision(tmp_path: Path) -> None:
    stub, url, _ = deployed(tmp_path, revision="2026.10-old")
    try:
        root = make_feature(tmp_path / "repo")
        run = run_limited("check", str(root), "--now", CLOCK, *server_mode(url))
        assert_clean_error(run, f"OPA server {url}", "'2026.10-old'", build_pack(OrgConfig()).revision())
    finally:
        stub.stop()


@needs_opa
def test_server_mode_refuses_a_server_without_the_bundle(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    _, url = opa
    root = make_feature(tmp_path / "repo")
    run = run_limited("check", str(root), "--now", CLOCK, "--engine", "opa", "--opa-url", url, "--opa-mode", "server")
    assert_clean_error(run, f"OPA server {url}", "no activated bundle")


# --- TLS ------------------------------------------------------------------------------------------


def tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a certificate for 127.0.0.1 it signed: (ca.pem, cert.pem, key.pem)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aigov test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@needs_opa
def test_https_with_the_organisations_ca_bundle_and_refused_without_it(tmp_path: Path) -> None:
    import ssl

    ca, cert, key = tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    stub = OpaStub()
    url = stub.start(tls=context)
    try:
        root = make_feature(tmp_path / "repo")
        args = ("check", str(root), "--now", CLOCK, "--engine", "opa", "--opa-url", url)
        assert run_limited(*args, "--opa-ca-bundle", str(ca)).exit_code == 0
        assert_clean_error(run_limited(*args), f"OPA server {url}", "TLS verification failed", "--opa-ca-bundle")
    finally:
        stub.stop()


# --- a server that cannot give a verdict: exit 2 naming it, never a pass -------------------------


@pytest.mark.parametrize("behaviour, fragment", [
    ("401", "HTTP 401"),
    ("403", "HTTP 403"),
    ("500", "HTTP 500"),
    ("garbage", "not JSON"),
    ("wrong-shape", "not OPA's answer"),
    ("redirect", "redirected"),
    ("slow", "did not answer"),
])
def test_a_misbehaving_server_is_a_clean_error(tmp_path: Path, behaviour: str, fragment: str) -> None:
    server = MisbehavingOpa(behaviour)
    url = server.start()
    try:
        root = make_feature(tmp_path / "repo")
        # Only the slow server needs a short wait; the others answer at once, however loaded the machine.
        timeout = "0.5" if behaviour == "slow" else "30"
        run = run_limited("check", str(root), "--now", CLOCK, "--engine", "opa", "--opa-url", url, "--opa-timeout", timeout)
        assert_clean_error(run, f"OPA server {url}", fragment)
        if behaviour == "500":
            assert server.hits == 3  # retried twice with backoff before giving up
    finally:
        server.stop()


def test_a_server_that_drips_its_answer_is_stopped_by_the_evaluation_time_limit(tmp_path: Path) -> None:
    """Every read gets a byte in time, so only the org's evaluation time limit can end it: exit 2, not a hang."""
    server = MisbehavingOpa("drip", delay_s=60)
    url = server.start()
    try:
        config = org_config(tmp_path / "org", f"evaluationTimeoutSeconds: 2\nengine: opa\nopa: {{url: {url}}}\n")
        root = make_feature(tmp_path / "repo")
        run = run_limited("check", str(root), "--now", CLOCK, "--config", str(config), timeout=30)
        assert_clean_error(run, "did not finish within 2 s", f"OPA server {url}")
    finally:
        server.stop()


def test_a_server_that_is_down_is_a_clean_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    root = make_feature(tmp_path / "repo")
    run = run_limited("check", str(root), "--now", CLOCK, "--engine", "opa", "--opa-url", url)
    assert_clean_error(run, f"OPA server {url} is unreachable")


@pytest.mark.parametrize("args, fragment", [
    (["--engine", "opa"], "engine opa needs the server's URL: --opa-url URL"),
    (["--engine", "opa", "--opa-url", "ftp://127.0.0.1:21"], "not an http(s) URL"),
    (["--engine", "opa", "--opa-url", "http://127.0.0.1:8181/v1/data"], "give only scheme://host[:port]"),
    (["--opa-url", "http://127.0.0.1:8181"], "--opa-url needs --engine opa"),
])
def test_engine_options_that_cannot_work_are_refused(tmp_path: Path, args: list[str], fragment: str) -> None:
    root = make_feature(tmp_path / "repo")
    assert_clean_error(check(root, *args), fragment)


# --- the org config chooses the engine; the repository cannot ----------------------------------


@needs_opa
def test_the_org_config_can_send_every_check_to_its_opa(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    stub, url = opa
    config = org_config(tmp_path / "org", f"engine: opa\nopa:\n  url: {url}\n  timeoutSeconds: 5\n")
    root = unapproved(tmp_path)
    before = len(stub.requests)
    doc = decided(root, "--config", str(config))
    assert doc["policy"]["engine"] == "opa" and len(stub.requests) > before
    assert comparable(doc) == comparable(decided(root))
    assert decided(root, "--config", str(config), "--engine", "regorus")["policy"]["engine"] == "regorus"  # the flag wins


ORG_RULE = """\
package acme.owners

# METADATA
# title: Owner must be listed
# custom:
#   id: ACME-OWNER-001
#   severity: high
#   remediation: Use an owner from data.teams.allowed.
deny contains f if {
\tnot input.feature.manifest.metadata.owner in data.teams.allowed
\tf := {"id": "ACME-OWNER-001", "msg": "owner not listed", "path": input.feature.manifest_path, "line": 5}
}
"""


@needs_opa
def test_the_orgs_own_rules_and_data_are_pushed_and_judged_alike(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    stub, url = opa
    config = org_config(tmp_path / "org", "policies: [rules]\ndata: [owners.yaml]\n",
                        {"rules/owners.rego": ORG_RULE, "owners.yaml": "teams:\n  allowed: [team-payments]\n"})
    root = make_feature(tmp_path / "repo")
    embedded = decided(root, "--config", str(config))
    remote = decided(root, "--config", str(config), "--engine", "opa", "--opa-url", url)
    assert [f["id"] for f in embedded["findings"]] == ["ACME-OWNER-001"] and embedded["verdict"] == "fail"
    assert comparable(remote) == comparable(embedded)
    assert any(p.endswith("rules/owners.rego") for p in stub.policies) and stub.data["teams"] == {"allowed": ["team-payments"]}


@needs_opa
def test_server_mode_names_what_the_org_and_the_repository_add_that_the_bundle_lacks(tmp_path: Path) -> None:
    """Rules and data added on top of the pack cannot be on the server unless built into its bundle:
    exit 2 naming them, never a verdict without them."""
    stub, url, _ = deployed(tmp_path)
    try:
        root = make_feature(tmp_path / "repo")
        config = org_config(tmp_path / "org", "policies: [rules]\ndata: [owners.yaml]\n",
                            {"rules/owners.rego": ORG_RULE, "owners.yaml": "teams:\n  allowed: [team-payments]\n"})
        run = run_limited("check", str(root), "--now", CLOCK, "--config", str(config), *server_mode(url))
        assert_clean_error(run, "with the org config's policies", "the org config's data", "aigov policy build")
        write(root / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
        write(root / ".aigov/policies/owners.rego", ORG_RULE.replace("acme.owners", "team.owners").replace("ACME-", "TEAM-"))
        run = run_limited("check", str(root), "--now", CLOCK, *server_mode(url))
        assert_clean_error(run, "with the repository's policies .aigov/policies (.aigov/config.yaml)", "aigov policy build")
    finally:
        stub.stop()


@needs_opa
def test_an_org_rule_built_into_the_deployed_bundle_is_judged_on_the_server(tmp_path: Path) -> None:
    """The org's rule is in the bundle the platform team built and in the pack its org config gives
    aigov: the same rules and data, so the same revision, and the server judges with the rule."""
    rule = ORG_RULE.replace("package acme.owners", "package aigov.acme").replace("ACME-OWNER-001", "ACME-OWNER-002")
    rule = rule.replace("not input.feature.manifest.metadata.owner in data.teams.allowed",
                        'input.feature.manifest.metadata.owner != "team-payments"')
    platform = copy_pack(tmp_path / "platform")
    write(platform / "aigov/acme/owners.rego", rule)
    stub, url, _ = deployed(tmp_path, platform)
    try:
        config = org_config(tmp_path / "org", "policies: [rules]\n", {"rules/owners.rego": rule})
        root = make_feature(tmp_path / "repo")
        embedded = decided(root, "--config", str(config))
        remote = decided(root, "--config", str(config), *server_mode(url))
        assert [f["id"] for f in embedded["findings"]] == ["ACME-OWNER-002"]
        assert comparable(remote) == comparable(embedded)
    finally:
        stub.stop()


def test_the_repository_cannot_choose_the_engine_or_the_server(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "engine: opa\nopa:\n  url: http://127.0.0.1:9\n")
    doc = decided(root)
    refused = [f for f in doc["findings"] if f["id"] == "AIGOV-CONFIG-001"]
    assert doc["policy"]["engine"] == "regorus" and doc["verdict"] == "fail"
    assert {f["message"].split(":")[0] for f in refused} == {"engine", "opa"}


def test_a_ca_bundle_inside_the_checked_repository_is_refused(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    write(root / "ca.pem", "-----BEGIN CERTIFICATE-----\n")
    run = check(root, "--engine", "opa", "--opa-url", "https://127.0.0.1:9", "--opa-ca-bundle", str(root / "ca.pem"))
    assert_clean_error(run, "--opa-ca-bundle points inside the checked repository")


def test_the_engine_choice_lists_every_engine_in_the_table() -> None:
    from aigov.commandline import ENGINE_NAMES
    from aigov.policy.engine import ENGINES

    assert list(ENGINES) == ENGINE_NAMES


def test_the_embedded_check_does_not_import_the_opa_client() -> None:
    """`aigov check` without --engine opa must not pay for requests and the OPA client at start-up."""
    import subprocess
    import sys

    code = ("import sys; from aigov.cli import main\n"
            "try:\n    main(['check', '--root', sys.argv[1], '--now', sys.argv[2]])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in ('opa_client', 'requests', 'aigov.policy.opa_server') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLE), CLOCK], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr[-2000:]


@needs_opa
def test_a_change_that_touches_no_feature_asks_the_server_nothing(tmp_path: Path, opa: tuple[OpaStub, str]) -> None:
    """The engine starts only once there is a feature to judge: a PR that changes only the docs passes
    without pushing to, or querying, the OPA server."""
    stub, url = opa
    root = tmp_path / "repo"
    make_feature(root / "svc", repo=root)
    write(root / "docs/guide.md", "# Guide\n")
    commit_all(init_repo(root), "init")
    write(root / "docs/guide.md", "# Guide\n\nMore words.\n")
    commit_all(root, "docs")
    before = len(stub.requests)
    run = check(root, "--base", "HEAD~1", "--engine", "opa", "--opa-url", url, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["features"] == []
    assert stub.requests[before:] == []
    assert check(root, "--engine", "opa", "--opa-url", url).exit_code == 0  # a whole check does ask it
    assert stub.requests[before:]
