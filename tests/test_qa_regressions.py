"""Regressions found by using aigov as its users do: each is bad input that once gave a traceback,
a hang, an error naming aigov's own policy file, or a silent pass instead of one clear line."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from aigov.errors import AigovError
from aigov.yamlfile import parse_yaml
from conftest import CLOCK, check, finding_ids, run_cli, run_process, write
from conftest import assert_clean_error as assert_error


def test_impossible_calendar_date_names_file_and_line(feature: Path) -> None:
    """`last_reviewed: 2026-02-30` looks like a YAML date but is none: PyYAML raised a bare ValueError (internal error)."""
    card = feature / "MODEL_CARD.md"
    card.write_text(card.read_text().replace("last_reviewed: 2026-10-01", "last_reviewed: 2026-02-30"))
    assert_error(check(feature), "MODEL_CARD.md:4", "2026-02-30")


def test_blank_last_reviewed_is_a_finding_not_a_policy_crash(feature: Path) -> None:
    """A blank (null) or non-string last_reviewed is invalid metadata (AIGOV-CARD-003), not a Rego type error in modelcard.rego."""
    card = feature / "MODEL_CARD.md"
    original = card.read_text()
    for value in ("", " 5", " [2026-10-01]", " true"):
        card.write_text(original.replace("last_reviewed: 2026-10-01", f"last_reviewed:{value}"))
        result = check(feature)
        assert result.exit_code == 1, (value, result.stdout, result.stderr)
        assert "AIGOV-CARD-003" in result.stdout and "modelcard.rego" not in result.stderr + result.stdout


def test_yaml_alias_bomb_is_refused_before_it_expands(feature: Path) -> None:
    """A few lines of nested aliases stand for six million values: expanding them took a check half a minute
    and 850 MB. aigov counts them on the composed node graph and refuses the file. What is bounded is the
    memory the refusal takes (work done), not time, which a loaded runner could overrun."""
    bomb = "on: pull_request\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 7)
    ) + "jobs: {}\n"
    write(feature / ".github/workflows/bomb.yml", bomb)
    assert_error(check(feature), ".github/workflows/bomb.yml", "alias")
    tracemalloc.start()
    try:
        with pytest.raises(AigovError, match="YAML aliases expand this file to 6053455 values"):
            parse_yaml(bomb, "bomb.yml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024**2, f"refusing the bomb allocated {peak} bytes: it was expanded"


def test_recursive_yaml_alias_is_an_error_not_a_crash(feature: Path) -> None:
    """`x: &l [*l]` builds a list that contains itself: once a RecursionError (internal error)."""
    write(feature / ".github/workflows/loop.yml", "on: pull_request\nx: &l [*l]\njobs: {}\n")
    assert_error(check(feature), ".github/workflows/loop.yml:2", "alias")


def test_artifact_glob_outside_the_feature_is_refused(feature: Path) -> None:
    """An absolute or '..' artefact glob can never match a released file, so it silently meant 'not released yet' (a pass)."""
    manifest = feature / "aigov.yaml"
    original = manifest.read_text()
    for glob in ("/etc/*", "../../dist/*.whl"):
        manifest.write_text(original + (
            "  artifacts:\n"
            f"    - path: \"{glob}\"\n"
            "      identity: https://github.com/acme/x/.github/workflows/release.yml@refs/heads/main\n"
            "      issuer: https://token.actions.githubusercontent.com\n"
        ))
        assert_error(check(feature), "aigov.yaml:17", "spec.artifacts[0].path", "relative to the feature directory")


def test_new_with_destination_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    """`aigov new --dest file/sub` was an internal FileExistsError."""
    write(tmp_path / "afile", "x")
    result = run_cli("new", "f1", "--template", "agent", "--tier", "low", "--owner", "team-x", "--github-org", "acme",
                     "--dest", str(tmp_path / "afile" / "sub"), "--no-interactive")
    assert_error(result, "afile")
    assert "internal error" not in result.stderr
    assert (tmp_path / "afile").read_text() == "x"


def test_artifact_glob_inside_the_feature_still_works(feature: Path) -> None:
    """The tightened artefact path still accepts ordinary globs (no bundle yet: the release-workflow rule decides)."""
    manifest = feature / "aigov.yaml"
    manifest.write_text(manifest.read_text() + (
        "  artifacts:\n"
        "    - path: \"./dist/**/*.whl\"\n"
        "      identity: https://github.com/acme/x/.github/workflows/release.yml@refs/heads/main\n"
        "      issuer: https://token.actions.githubusercontent.com\n"
    ))
    assert "AIGOV-RELEASE-001" in finding_ids(feature)


def test_model_card_yaml_error_names_the_line_in_the_file(feature: Path) -> None:
    """A YAML error in the front matter named the line one above the broken one (counted after '---')."""
    write(feature / "MODEL_CARD.md", "---\nmodels: [x]\nowners: [a]\nbad: [\n---\n# T\n")
    assert_error(check(feature), "MODEL_CARD.md:5:", "invalid YAML")


def test_named_pipe_in_the_repository_does_not_hang_the_check(feature: Path) -> None:
    """A FIFO among the sources (or where a file aigov reads should be) blocked the read forever."""
    os.mkfifo(feature / "pipe.py")
    result = run_process("check", str(feature), "--now", CLOCK)
    # Not read, and not waved through: which models it would call cannot be verified.
    assert result.exit_code == 1 and "AIGOV-MODEL-011" in result.stdout, (result.stdout, result.stderr)
    (feature / "pipe.py").unlink()
    (feature / "MODEL_CARD.md").unlink()
    os.mkfifo(feature / "MODEL_CARD.md")
    assert_error(check(feature), "MODEL_CARD.md", "not a regular file")
