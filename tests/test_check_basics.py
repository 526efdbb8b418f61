"""aigov check end to end on real feature folders: verdicts, exit codes, output formats."""

from __future__ import annotations

from pathlib import Path

from conftest import CLOCK, EXAMPLE, check, check_json


def test_bundled_example_passes(tmp_path: Path) -> None:
    result = check(EXAMPLE, "--root", str(EXAMPLE))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("PASS")


def test_compliant_feature_passes_with_json_verdict(feature: Path) -> None:
    doc = check_json(feature)
    assert doc["verdict"] == "pass"
    assert doc["findings"] == []
    assert doc["summary"]["features"] == 1
    assert doc["checked_at"] == CLOCK
    assert all(doc["digests"][k].startswith("sha256:") for k in ("policies", "data", "input"))


def test_facts_read_in_the_background_equal_facts_read_in_process(tmp_path: Path) -> None:
    """A check reads the SBOM and signed-artefact facts in a child; an evidence replay reads them in
    its own process (CheckOptions.facts_in_background=False). Both must hand Rego the same input,
    here for a monorepo whose features have an SBOM, pins and artefact entries."""
    import shutil

    from aigov.check.collect import collect_inputs
    from aigov.check.options import CheckOptions
    from conftest import make_feature, write

    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root / "support")
    other = make_feature(root / "other", name="other-feature")
    write(other / "requirements.txt", "boto3==1.35.36\n")
    manifest = other / "aigov.yaml"
    manifest.write_text(manifest.read_text() + "  artifacts:\n    - path: dist/*.whl\n      identityPattern: '^https://github.com/acme/.+$'\n"
                                               "      issuer: https://token.actions.githubusercontent.com\n")
    write(other / "dist/pkg-1.0-py3-none-any.whl", "not really a wheel")
    inputs = {mode: collect_inputs(root, CheckOptions(now=CLOCK, repository_root=root, facts_in_background=mode)).inputs
              for mode in (True, False)}
    assert inputs[True] == inputs[False]
    assert {doc["feature"]["name"] for doc in inputs[True]} == {"support-summarize", "other-feature"}
    assert all("sbom" in doc["feature"] and "artifacts" in doc["feature"] for doc in inputs[True])
