"""Hostile supply-chain input: SBOMs, Sigstore bundles, artefact globs and identity patterns that
try to hang aigov, blow its memory, or slip past it. Each runs the real `aigov` in a fresh process
under a timeout and a memory cap (run_limited), so a hang or a blow-up fails the test."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CLOCK, assert_clean_error, make_feature, run_cli, run_limited

MINIMAL_BOM = '{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.6",\n  "version": 1%s\n}\n'


def bom_with(tmp_path: Path, extra: str, name: str = "bom.json") -> Path:
    path = tmp_path / name
    path.write_text(MINIMAL_BOM % extra, encoding="utf-8")
    return path


# --- strict JSON: each refusal names the file and line, exit 2 ------------------------------------

@pytest.mark.parametrize(("extra", "line", "message"), [
    (',\n  "version": 2', 5, "duplicate key 'version'"),
    (',\n  "metadata": {"component": {"name": "a", "name": "b", "type": "library"}}', 5, "duplicate key 'name'"),
    (',\n  "x": NaN', 5, "NaN is not a JSON number"),
    (',\n  "x": -Infinity', 5, "-Infinity is not a JSON number"),
    (',\n  "x": 1e999', 5, "the number 1e999 is out of range"),
    (',\n  "x": ' + "9" * 5001, 5, "a number of 5001 characters is longer than the 100 aigov accepts"),
    (',\n  "components": [{"type": "library", "name": "\\ud800"}]', 5, "a string holds a lone UTF-16 surrogate (\\ud800)"),
    (',\n  "\\udfff": 1', 5, "a string holds a lone UTF-16 surrogate (\\udfff)"),
    (',\n  "x":\n' + "[" * 101 + "]" * 101, 6, "values are nested more than 100 levels deep"),
], ids=["duplicate-key", "nested-duplicate-key", "nan", "infinity", "float-overflow", "5001-digits", "lone-surrogate", "surrogate-key", "deep"])
def test_sbom_validate_refuses_what_strict_json_refuses(tmp_path: Path, extra: str, line: int, message: str) -> None:
    path = bom_with(tmp_path, extra)
    assert_clean_error(run_limited("sbom", "--validate", str(path)), f"{path}:{line}: {message}")


def test_escaped_text_that_only_looks_like_a_surrogate_is_fine(tmp_path: Path) -> None:
    """A real pair (an emoji) and an escaped backslash before 'ud800' are ordinary text."""
    path = bom_with(tmp_path, ',\n  "metadata": {"component": {"type": "library", "name": "\\ud83d\\ude00 \\\\ud800 \\"}"}}')
    run = run_cli("sbom", "--validate", str(path))
    assert run.exit_code == 0, run.stdout + run.stderr


def test_a_hundred_thousand_nested_brackets_is_a_clean_error(tmp_path: Path) -> None:
    """Was a RecursionError (internal error)."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert_clean_error(run_limited("sbom", "--validate", str(path)), f"{path}:1: values are nested more than 100 levels deep")


def test_duplicate_key_in_a_feature_sbom_is_a_finding_at_its_line(tmp_path: Path) -> None:
    from conftest import check_json

    feature = make_feature(tmp_path / "repo")
    text = (feature / "sbom.cdx.json").read_text(encoding="utf-8")
    (feature / "sbom.cdx.json").write_text(text.replace('"version": 1,', '"version": 1,\n  "version": 2,', 1), encoding="utf-8")
    [finding] = [f for f in check_json(feature)["findings"] if f["id"] == "AIGOV-SBOM-002"]
    assert finding["blocking"] and "duplicate key 'version'" in finding["message"]
    assert '"version": 2' in text.replace('"version": 1,', '"version": 1,\n  "version": 2,', 1).splitlines()[finding["line"] - 1]


# --- reading: regular files only, the size cap before the read -----------------------------------

def test_sbom_validate_on_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "bom.json"
    os.mkfifo(fifo)
    assert_clean_error(run_limited("sbom", "--validate", str(fifo), timeout=20), f"{fifo}: is not a regular file")


def test_sbom_validate_on_dev_zero_reads_nothing(tmp_path: Path) -> None:
    """Was 10 GB read in 8 s."""
    assert_clean_error(run_limited("sbom", "--validate", "/dev/zero", timeout=20, memory_bytes=512 * 1024**2),
                       "/dev/zero: is not a regular file")


def test_sbom_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    from aigov.sbom.validate import MAX_BOM_BYTES

    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_BOM_BYTES + 1)
    assert_clean_error(run_limited("sbom", "--validate", str(path), memory_bytes=512 * 1024**2),
                       f"{path}: is {MAX_BOM_BYTES + 1} bytes, over the {MAX_BOM_BYTES}-byte limit")


# --- memory bounded by the size cap, not by what the file says -----------------------------------

@pytest.mark.parametrize("filler", ["a", "\\n", '\\"'], ids=["plain", "escapes", "escaped-quotes"])
def test_sbom_with_a_huge_description_checks_in_bounded_memory(tmp_path: Path, filler: str) -> None:
    """A 45-MB description took 6 GB and 18 s in `aigov check` (the line finder's string regex
    backtracked per character); it must now fit in well under 1 GB."""
    feature = make_feature(tmp_path / "repo")
    sbom = feature / "sbom.cdx.json"
    document = json.loads(sbom.read_text(encoding="utf-8"))
    document["components"][0]["description"] = "@"
    text = json.dumps(document, indent=2).replace('"@"', '"' + filler * (45_000_000 // len(filler)) + '"')
    sbom.write_text(text, encoding="utf-8")
    run = run_limited("check", str(feature), "--now", CLOCK, timeout=60, memory_bytes=1536 * 1024**2)
    assert run.exit_code == 0, (run.stdout[-2000:], run.stderr[-2000:])
    assert run_limited("sbom", "--validate", str(sbom), memory_bytes=1536 * 1024**2).exit_code == 0


# --- user regular expressions run on RE2 (linear time) --------------------------------------------

CONFORMANCE = Path(__file__).parent / "data" / "sigstore-conformance"
BACKTRACKING = "^(https://github.com/([a-z./-]+)+)+X$"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def test_backtracking_identity_pattern_is_rejected_quickly_not_hung(tmp_path: Path) -> None:
    """Python's re needs ~2^90 steps for this pattern against the conformance beacon identity."""
    case = CONFORMANCE / "dsse-with-hashedrekord-happy-path"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    run = run_limited("verify-artifact", str(case / "artifact"), "--bundle", str(case / "bundle.sigstore.json"),
                      "--identity-pattern", BACKTRACKING, "--issuer", GITHUB_ISSUER, env=env, timeout=30)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert run.stdout.startswith("REJECTED ") and run.stdout.rstrip().endswith(f"expected an identity matching /{BACKTRACKING}/")
    ok = run_limited("verify-artifact", str(case / "artifact"), "--bundle", str(case / "bundle.sigstore.json"),
                     "--identity-pattern", "https://github.com/sigstore-conformance/[a-z-]+/.+@refs/heads/main",
                     "--issuer", GITHUB_ISSUER, env=env, timeout=30)
    assert ok.exit_code == 0, (ok.stdout, ok.stderr)


@pytest.mark.parametrize(("pattern", "reason"), [
    ("(a)\\1", "invalid escape sequence: \\1 (RE2 syntax, which runs in linear time, has no backreferences or lookarounds)"),
    ("(?=https).*", "invalid perl operator: (?= (RE2 syntax"),
    ("(unclosed", "missing ): (unclosed"),
])
def test_identity_pattern_re2_cannot_run_is_exit_2_at_its_line(tmp_path: Path, pattern: str, reason: str) -> None:
    feature = make_feature(tmp_path / "repo")
    manifest = feature / "aigov.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + (
        f"  artifacts:\n    - path: dist/*.onnx\n      identityPattern: '{pattern}'\n      issuer: {GITHUB_ISSUER}\n"
    ), encoding="utf-8")
    line = manifest.read_text(encoding="utf-8").splitlines().index(f"      identityPattern: '{pattern}'") + 1
    run = run_limited("check", str(feature), "--now", CLOCK)
    assert_clean_error(run, f"aigov.yaml:{line}: identity pattern {pattern!r} is not a usable regular expression: {reason}")


# --- artefact globs: only regular files inside the repository are read ----------------------------

ARTIFACTS = f"  artifacts:\n    - path: dist/*\n      identity: https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1\n      issuer: {GITHUB_ISSUER}\n"


def feature_with_dist(tmp_path: Path) -> Path:
    feature = make_feature(tmp_path / "repo")
    (feature / "aigov.yaml").write_text((feature / "aigov.yaml").read_text(encoding="utf-8") + ARTIFACTS, encoding="utf-8")
    (feature / "dist").mkdir()
    return feature


def sign_002(run) -> list[str]:
    return [f["message"] for f in run.json()["findings"] if f["id"] == "AIGOV-SIGN-002"]


@pytest.mark.parametrize("kind", ["fifo", "link-to-fifo", "link-to-dev-zero", "link-out"])
def test_artefact_glob_matching_a_non_regular_file_is_a_finding_not_a_hang(tmp_path: Path, kind: str) -> None:
    """A FIFO matched by spec.artifacts hung aigov check while hashing it. Decision: an artefact
    aigov will not read (pipe, device, symlink out of the repository) is a blocking
    AIGOV-SIGN-002 finding naming it: it cannot be shown to be signed."""
    feature = feature_with_dist(tmp_path)
    artefact = feature / "dist" / "model.onnx"
    outside = tmp_path / "outside.onnx"
    outside.write_bytes(b"weights")
    if kind == "fifo":
        os.mkfifo(artefact)
    elif kind == "link-to-fifo":
        os.mkfifo(feature / "dist" / "pipe")
        artefact.symlink_to("pipe")
    else:
        artefact.symlink_to("/dev/zero" if kind == "link-to-dev-zero" else outside)
    run = run_limited("check", str(feature), "--now", CLOCK, "--format", "json", timeout=30, memory_bytes=1024**3)
    assert run.exit_code == 1, (run.stdout[-2000:], run.stderr[-2000:])
    messages = [m for m in sign_002(run) if m.startswith("dist/model.onnx cannot be verified: dist/model.onnx ")]
    reason = "is a symlink that points outside the repository" if kind.startswith("link-to-dev") or kind == "link-out" else "is not a regular file (a pipe, socket or device)"
    assert len(messages) == 1 and reason in messages[0], sign_002(run)


def test_bundle_that_is_a_fifo_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    feature = feature_with_dist(tmp_path)
    (feature / "dist" / "model.onnx").write_bytes(b"weights")
    os.mkfifo(feature / "dist" / "model.onnx.sigstore.json")
    run = run_limited("check", str(feature), "--now", CLOCK, "--format", "json", timeout=30)
    assert run.exit_code == 1, (run.stdout[-2000:], run.stderr[-2000:])
    assert sign_002(run) == [
        "dist/model.onnx cannot be verified: dist/model.onnx.sigstore.json is not a regular file (a pipe, socket or device); aigov does not read it"
    ]


def test_deeply_nested_bundle_is_rejected_as_malformed_not_a_crash(tmp_path: Path) -> None:
    """100,000 nested [ in a bundle was a RecursionError (internal error)."""
    artefact = tmp_path / "model.onnx"
    artefact.write_bytes(b"weights")
    bundle = tmp_path / "model.onnx.sigstore.json"
    bundle.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    run = run_limited("verify-artifact", str(artefact), "--identity", "x", "--issuer", GITHUB_ISSUER, env=env, timeout=30)
    assert (run.exit_code, run.stderr) == (1, "")
    assert run.stdout == f"REJECTED {artefact}: malformed bundle: bundle:1: values are nested more than 100 levels deep\n"


def test_huge_bundle_is_rejected_without_reading_it_all(tmp_path: Path) -> None:
    from aigov.sigstore_bundles import MAX_BUNDLE_BYTES

    artefact = tmp_path / "model.onnx"
    artefact.write_bytes(b"weights")
    bundle = tmp_path / "model.onnx.sigstore.json"
    with bundle.open("wb") as handle:  # sparse: 2 GB that cost no disk
        handle.truncate(2 * 1024**3)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    run = run_limited("verify-artifact", str(artefact), "--identity", "x", "--issuer", GITHUB_ISSUER, env=env,
                      timeout=30, memory_bytes=1024**3)
    assert run.exit_code == 1 and f"bundle is larger than {MAX_BUNDLE_BYTES} bytes" in run.stdout, (run.stdout, run.stderr)


def test_backtracking_identity_pattern_in_the_manifest_does_not_hang_check(tmp_path: Path) -> None:
    """The same pattern in spec.artifacts, against a real (throw-away instance) signature."""
    from sigstore_fixture import SigstoreInstance

    instance = SigstoreInstance.create()
    root = instance.write_trusted_root(tmp_path / "trusted_root.json")
    feature = make_feature(tmp_path / "repo")
    manifest = feature / "aigov.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + (
        f"  artifacts:\n    - path: dist/*.onnx\n      identityPattern: '{BACKTRACKING}'\n      issuer: {GITHUB_ISSUER}\n"
    ), encoding="utf-8")
    (feature / "dist").mkdir()
    (feature / "dist" / "model.onnx").write_bytes(b"weights")
    instance.sign_file(feature / "dist" / "model.onnx")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    run = run_limited("check", str(feature), "--now", CLOCK, "--trusted-root", str(root), "--format", "json", env=env, timeout=30)
    assert run.exit_code == 1, (run.stdout[-2000:], run.stderr[-2000:])
    [finding] = [f for f in run.json()["findings"] if f["id"].startswith("AIGOV-SIGN-")]
    assert finding["id"] == "AIGOV-SIGN-004" and f"expects an identity matching /{BACKTRACKING}/" in finding["message"]
