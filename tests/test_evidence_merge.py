"""aigov evidence merge: per-repository bundles, built apart (as a CI matrix builds them), joined
into one org bundle that is the same as building the repositories together."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

# The throw-away Sigstore instance, trusted root and cache isolation of the signing tests.
from aigov.digests import content_digest
from aigov.evidence.bundle import MANIFEST, SIGNATURE
from aigov.evidence.decision import canonical_json
from aigov.evidence.jsonstream import HashingWriter, Pairs, Rows, write_json
from conftest import assert_clean_error, edit, run_cli, run_limited, write
from evidence_helpers import EVIDENCE_IDENTITY, feature_repo, signed_copy
from repo_helpers import commit_all
from sigstore_fixture import GITHUB_ISSUER, SigstoreInstance


def build(out: Path, *repos: Path, period: str = "2026Q3", cwd: Path | None = None) -> Path:
    run = run_cli("evidence", "build", *map(str, repos), "--period", period, "-o", str(out), cwd=cwd)
    assert run.exit_code == 0, run.stderr
    return out


def merge(out: Path, *bundles: Path | str, cwd: Path | None = None) -> Path:
    run = run_cli("evidence", "merge", *map(str, bundles), "-o", str(out), cwd=cwd)
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith(f"wrote {out}: 2026Q3, ")
    return out


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two repositories, each with its own bundle (built apart, as a matrix job per repository
    would), and the bundle of both built together. support/summarize fails from 1 Aug to 20 Aug."""
    root = tmp_path_factory.mktemp("fleet")
    payments = feature_repo(root / "payments", features=("fraud", "refunds"), owner="team-payments")
    support = feature_repo(root / "support", features=("summarize",), owner="team-support")
    manifest = support / "summarize" / "aigov.yaml"
    edit(manifest, "id: anthropic.claude-sonnet-4\n      provider: bedrock", "id: gpt-3.5-turbo\n      provider: openai")
    commit_all(support, "switch to gpt-3.5-turbo", "2026-08-01T10:00:00Z")
    edit(manifest, "id: gpt-3.5-turbo\n      provider: openai", "id: anthropic.claude-sonnet-4\n      provider: bedrock")
    commit_all(support, "back to sonnet", "2026-08-20T10:00:00Z")
    bundles = root / "bundles"
    bundles.mkdir()
    return {"root": root, "payments": build(bundles / "payments.zip", payments), "support": build(bundles / "support.zip", support),
            "together": build(root / "together.zip", payments, support)}


def test_merging_gives_the_bundle_of_the_repositories_built_together_whatever_the_order(fleet: dict[str, Path], tmp_path: Path) -> None:
    one = merge(tmp_path / "one.zip", fleet["payments"], fleet["support"])
    two = merge(tmp_path / "two.zip", fleet["support"], fleet["payments"])
    assert one.read_bytes() == two.read_bytes() == fleet["together"].read_bytes()
    files = entries(one)
    assert run_cli("evidence", "verify", str(one)).exit_code == 0
    assert {"manifest.json", "decisions.jsonl", "controls.json", "summary.json", "report.md", "report.html",
            "oscal/assessment-results.json"} <= set(files)
    assert any(n.startswith("artefacts/payments/period-end/") for n in files) and any(n.startswith("artefacts/support/") for n in files)
    summary = json.loads(files["summary.json"])
    assert summary["fleet"]["teams"] == {"team-payments": 2, "team-support": 1}
    assert [r["name"] for r in summary["repositories"]] == ["payments", "support"]
    # controls.json is recomputed over every decision: each failure points at lines of the org
    # bundle's decisions.jsonl, where support's come after payments'.
    decisions = [json.loads(line) for line in files["decisions.jsonl"].decode().splitlines()]
    failures = [i for c in json.loads(files["controls.json"])["controls"] for i in c["failures"]]
    assert failures and all(decisions[seq - 1]["repository"] == i["feature"].split("/")[0] for i in failures for seq in i["decisions"])
    support = [seq for i in failures if i["feature"] == "support/summarize" for seq in i["decisions"]]
    assert support and min(support) > sum(1 for d in decisions if d["repository"] == "payments")
    assert "| Repositories | 2 |" in files["report.md"].decode()


def test_the_org_bundle_does_not_depend_on_the_machine(fleet: dict[str, Path], tmp_path: Path) -> None:
    """Another folder, relative paths, another time zone, locale and temp dir, a fresh process."""
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for name in ("support", "payments"):
        shutil.copy(fleet[name], moved / f"{name}-bundle.zip")
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TZ": "Pacific/Kiritimati", "LC_ALL": "C", "LANG": "C", "TMPDIR": str(tmp_path / "tmp")}
    run = run_limited("evidence", "merge", "support-bundle.zip", "payments-bundle.zip", "-o", "org.zip", cwd=moved, env=env)
    assert run.exit_code == 0, run.stderr
    assert (moved / "org.zip").read_bytes() == fleet["together"].read_bytes()
    assert not list((tmp_path / "tmp").iterdir())  # the spool is cleaned up


def test_a_merged_bundle_given_again_is_flattened(fleet: dict[str, Path], tmp_path: Path) -> None:
    payments_only = merge(tmp_path / "p.zip", fleet["payments"])
    assert merge(tmp_path / "again.zip", payments_only, fleet["support"]).read_bytes() == fleet["together"].read_bytes()
    assert merge(tmp_path / "org.zip", fleet["together"]).read_bytes() == fleet["together"].read_bytes()


def test_a_bundles_file_lists_the_inputs(fleet: dict[str, Path], tmp_path: Path) -> None:
    listing = write(fleet["root"] / "bundles.txt", "# downloaded artifacts\nbundles/support.zip\n\nbundles/payments.zip\n")
    run = run_cli("evidence", "merge", "--bundles", str(listing), "-o", str(tmp_path / "org.zip"))
    assert run.exit_code == 0 and "2 bundles, 2 repositories, 3 features" in run.stdout, run.stderr
    assert (tmp_path / "org.zip").read_bytes() == fleet["together"].read_bytes()


def test_a_matrix_job_builds_its_bundle_from_a_relative_checkout_path(fleet: dict[str, Path], tmp_path: Path) -> None:
    """actions/checkout puts each repository under the workspace; the job names it relatively."""
    out = build(tmp_path / "p.zip", Path("payments"), cwd=fleet["root"])
    assert out.read_bytes() == fleet["payments"].read_bytes()


def _forge(source: Path, target: Path, change) -> Path:
    """A copy of the bundle changed by ``change(files)`` with every hash in the manifest made to match:
    a bundle that verifies but that this aigov did not write."""
    files = entries(source)
    change(files)
    manifest = json.loads(files[MANIFEST])
    manifest["files"] = {n: content_digest(d) for n, d in sorted(files.items()) if n not in (MANIFEST, SIGNATURE)}
    controls = json.loads(files["controls.json"])
    manifest.update({key: controls[key] for key in ("aigov_version", "period")})  # verify compares them with controls.json
    files[MANIFEST] = (canonical_json(manifest) + "\n").encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return target


def _controls_header(key: str, value: object) -> Callable[[dict[str, bytes]], None]:
    def change(files: dict[str, bytes]) -> None:
        controls = json.loads(files["controls.json"])
        controls[key] = value
        files["controls.json"] = (canonical_json(controls) + "\n").encode()
    return change


def test_bundles_of_another_period_or_another_aigov_are_refused_by_name(fleet: dict[str, Path], tmp_path: Path) -> None:
    q2 = build(tmp_path / "support-q2.zip", fleet["root"] / "support", period="2026Q2")
    run = run_cli("evidence", "merge", str(fleet["payments"]), str(q2), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(q2), "covers 2026Q2 (2026-04-01 to 2026-06-30)", f"{fleet['payments']} covers 2026Q3")
    old = _forge(fleet["support"], tmp_path / "old.zip", _controls_header("aigov_version", "0.0.1"))
    assert run_cli("evidence", "verify", str(old)).exit_code == 0  # intact: just not this aigov's
    run = run_cli("evidence", "merge", str(fleet["payments"]), str(old), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(old), "built by aigov 0.0.1")
    assert not (tmp_path / "org.zip").exists()


def test_another_bundle_format_is_refused_by_name(fleet: dict[str, Path], tmp_path: Path) -> None:
    def format_two(files: dict[str, bytes]) -> None:
        manifest = json.loads(files[MANIFEST])
        files[MANIFEST] = (canonical_json({**manifest, "format": "aigov-evidence/2"}) + "\n").encode()
    future = tmp_path / "future.zip"
    files = entries(fleet["support"])
    format_two(files)
    with zipfile.ZipFile(future, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    run = run_cli("evidence", "merge", str(fleet["payments"]), str(future), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(future), "format 'aigov-evidence/2'", "merges aigov-evidence/1 bundles")


def test_the_same_repository_twice_is_refused(fleet: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "support-again.zip"
    shutil.copy(fleet["support"], copy)
    run = run_cli("evidence", "merge", str(fleet["support"]), str(copy), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(copy), "repository 'support'", f"in this bundle and in {fleet['support']}", "give each repository's bundle once")
    run = run_cli("evidence", "merge", str(fleet["together"]), str(fleet["payments"]), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(fleet["payments"]), "repository 'payments'")


def _truncated(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


@pytest.mark.parametrize(("make", "fragments"), [
    (lambda src, tmp: _truncated(src, tmp / "cut.zip"), ["cut.zip", "not a readable zip (truncated"]),
    (lambda src, tmp: write(tmp / "notes.zip", "not a zip\n"), ["notes.zip", "not a readable zip"]),
    (lambda src, tmp: tmp / "missing.zip", ["missing.zip", "cannot be read: No such file"]),
    (lambda src, tmp: tmp, ["is not a regular file"]),
])
def test_unreadable_inputs_are_one_line_errors(fleet: dict[str, Path], tmp_path: Path, make, fragments: list[str]) -> None:
    bad = make(fleet["support"], tmp_path)
    run = run_cli("evidence", "merge", str(fleet["payments"]), str(bad), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, *fragments)


def test_a_tampered_input_is_refused_naming_the_file_that_changed(fleet: dict[str, Path], tmp_path: Path) -> None:
    files = entries(fleet["support"])
    files["decisions.jsonl"] = files["decisions.jsonl"].replace(b'"verdict":"fail"', b'"verdict":"pass"')
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    run = run_cli("evidence", "merge", str(fleet["payments"]), str(tampered), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(tampered), "does not verify", "decisions.jsonl: changed")


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda f: f.__setitem__("decisions.jsonl", b'{"repository":"support"}\n'), "not the records aigov writes"),
    (lambda f: f.__setitem__("decisions.jsonl", b'{"repository":"elsewhere","kind":"replayed"}\n'),
     "decisions.jsonl line 1: repository 'elsewhere' is not in the bundle's manifest"),
    (lambda f: f.__setitem__("decisions.jsonl", b"[1,\n"), "decisions.jsonl line 1: not JSON"),
    (lambda f: f.__setitem__("artefacts/support/../../escape.txt", b"x"), "not a path aigov writes"),
])
def test_an_intact_bundle_aigov_did_not_write_is_a_clean_error(fleet: dict[str, Path], tmp_path: Path, change, fragment: str) -> None:
    forged = _forge(fleet["support"], tmp_path / "forged.zip", change)
    run = run_cli("evidence", "merge", str(fleet["payments"]), str(forged), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(forged), fragment)


def test_zero_bundles_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli("evidence", "merge", "-o", str(tmp_path / "org.zip"))
    assert run.exit_code == 2 and "evidence merge [OPTIONS] [BUNDLES]..." in run.stderr and "give the bundles to merge" in run.stderr
    listing = write(tmp_path / "none.txt", "# nothing yet\n")
    run = run_cli("evidence", "merge", "--bundles", str(listing), "-o", str(tmp_path / "org.zip"))
    assert run.exit_code == 2 and "give the bundles to merge" in run.stderr


def test_signed_inputs_are_checked_against_the_expected_identity(
    fleet: dict[str, Path], instance: SigstoreInstance, trusted_root: Path, tmp_path: Path,
) -> None:
    signed = {}
    for name in ("payments", "support"):
        (tmp_path / name).mkdir()
        signed[name] = signed_copy(fleet[name], instance, tmp_path / name)
    asked = ["--identity", EVIDENCE_IDENTITY, "--issuer", GITHUB_ISSUER, "--trusted-root", str(trusted_root)]
    run = run_cli("evidence", "merge", str(signed["payments"]), str(signed["support"]), "-o", str(tmp_path / "org.zip"), *asked)
    assert run.exit_code == 0 and "not checked" not in run.stdout, run.stderr
    # The signatures are the inputs' own: the org bundle is the same, to be signed by the merge job.
    assert (tmp_path / "org.zip").read_bytes() == fleet["together"].read_bytes()
    run = run_cli("evidence", "merge", str(signed["payments"]), str(signed["support"]), "-o", str(tmp_path / "org.zip"))
    assert run.exit_code == 0 and "2 input signatures not checked (give --identity and --issuer)" in run.stdout
    mallory = signed_copy(fleet["support"], instance, tmp_path, identity="https://github.com/mallory/x/.github/workflows/e.yml@refs/heads/main")
    run = run_cli("evidence", "merge", str(signed["payments"]), str(mallory), "-o", str(tmp_path / "org.zip"), *asked)
    assert_clean_error(run, str(mallory), "does not verify", "signature does not verify")
    run = run_cli("evidence", "merge", str(signed["payments"]), str(fleet["support"]), "-o", str(tmp_path / "org.zip"), *asked)
    assert_clean_error(run, str(fleet["support"]), "missing, but --identity asks for a signed manifest")


@pytest.fixture(scope="module")
def nine(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Nine one-repository bundles: enough inputs for a merge to verify them in worker processes."""
    root = tmp_path_factory.mktemp("nine")
    (root / "bundles").mkdir()
    return [build(root / "bundles" / f"svc-{i}.zip", feature_repo(root / f"svc-{i}", owner=f"team-{i % 3}")) for i in range(9)]


def test_many_inputs_merge_to_the_bundle_that_merging_a_few_at_a_time_gives(nine: list[Path], tmp_path: Path) -> None:
    halves = [merge(tmp_path / "first.zip", *nine[:4]), merge(tmp_path / "rest.zip", *nine[4:])]
    run = run_cli("evidence", "merge", *map(str, nine), "-o", str(tmp_path / "org.zip"))
    assert run.exit_code == 0 and "9 bundles, 9 repositories, 9 features" in run.stdout, run.stderr
    assert (tmp_path / "org.zip").read_bytes() == merge(tmp_path / "again.zip", *halves).read_bytes()


def test_of_many_inputs_the_first_bad_one_in_argument_order_is_named(nine: list[Path], tmp_path: Path) -> None:
    files = entries(nine[2])
    files["decisions.jsonl"] += b"\n"
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    garbage = write(tmp_path / "garbage.zip", "not a zip\n")  # fails at once, wherever it stands
    run = run_cli("evidence", "merge", *map(str, [*nine[:3], tampered, *nine[3:6], garbage, *nine[6:]]), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(tampered), "does not verify", "decisions.jsonl: changed")
    run = run_cli("evidence", "merge", *map(str, [*nine[:3], garbage, *nine[3:6], tampered, *nine[6:]]), "-o", str(tmp_path / "org.zip"))
    assert_clean_error(run, str(garbage), "not a readable zip")
    assert not (tmp_path / "org.zip").exists()


def test_many_signed_inputs_are_checked_naming_the_first_that_fails(
    nine: list[Path], instance: SigstoreInstance, trusted_root: Path, tmp_path: Path,
) -> None:
    signed = []
    for number, bundle in enumerate(nine):
        (tmp_path / str(number)).mkdir()
        signed.append(signed_copy(bundle, instance, tmp_path / str(number)))
    asked = ["--identity", EVIDENCE_IDENTITY, "--issuer", GITHUB_ISSUER, "--trusted-root", str(trusted_root)]
    run = run_cli("evidence", "merge", *map(str, signed), "-o", str(tmp_path / "org.zip"), *asked)
    assert run.exit_code == 0 and "not checked" not in run.stdout, run.stderr
    assert (tmp_path / "org.zip").read_bytes() == merge(tmp_path / "unsigned.zip", *nine).read_bytes()
    mallory = signed_copy(nine[6], instance, tmp_path, identity="https://github.com/mallory/x/.github/workflows/e.yml@refs/heads/main")
    run = run_cli("evidence", "merge", *map(str, [*signed[:2], nine[2], *signed[3:6], mallory, *signed[7:]]),
                  "-o", str(tmp_path / "org.zip"), *asked)
    assert_clean_error(run, str(nine[2]), "missing, but --identity asks for a signed manifest")
    run = run_cli("evidence", "merge", *map(str, [*signed[:6], mallory, *signed[7:]]), "-o", str(tmp_path / "org.zip"), *asked)
    assert_clean_error(run, str(mallory), "does not verify", "signature does not verify")


def test_a_file_written_a_row_at_a_time_is_the_canonical_json_of_the_whole() -> None:
    """The org bundle's summary is written from rows on disk; its bytes must be those one json.dumps gives."""
    rows = [{"z": "quote \" backslash \\ newline \n", "a": [1.5, 1e16, -0.0, None, True, {}], "é": "naïve ✓ \u2028"}, {}, []]
    pairs = [("k", 1), ("ü", {"b": [], "a": 0})]
    whole = {"é": rows, "a": [dict(pairs), [], {}], "n": {"x": [{"deep": rows}]}, "m": 2}
    streamed = {"é": Rows(lambda: iter(rows), lambda: len(rows)),
                "a": [Pairs(lambda: iter(pairs), lambda: 2, encoded=lambda: ((k, canonical_json(v)) for k, v in pairs)),
                      Rows(lambda: iter([]), lambda: 0), Pairs(lambda: iter([]), lambda: 0)],
                "n": {"x": Rows(lambda: iter([{"deep": Rows(lambda: iter(rows), lambda: 3)}]), lambda: 1, nested=True)}, "m": 2}
    target = io.BytesIO()
    out = HashingWriter(target)
    write_json(out, streamed)
    digest = out.sha256()
    assert target.getvalue() == canonical_json(whole).encode("utf-8")
    assert digest == content_digest(target.getvalue())
