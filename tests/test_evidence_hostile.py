"""Hostile and broken input for aigov evidence: every case ends in a clean result under a time and memory cap."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import assert_clean_error, run_limited, write
from evidence_helpers import feature_repo
from repo_helpers import commit_all, git


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return feature_repo(tmp_path_factory.mktemp("hostile") / "svc-repo")


@pytest.fixture(scope="module")
def bundle(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "b.zip"
    run = run_limited("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(out))
    assert run.exit_code == 0, run.stderr
    return out


def test_a_shallow_clone_is_refused_naming_fetch_depth(repo: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", repo.as_uri(), str(shallow)], check=True)
    run = run_limited("evidence", "build", str(shallow), "--period", "2026Q3", "-o", str(tmp_path / "b.zip"))
    assert_clean_error(run, "shallow clone", "fetch-depth: 0")
    assert not (tmp_path / "b.zip").exists()


def test_a_repository_without_commits_has_no_default_branch(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    run = run_limited("evidence", "build", str(empty), "--period", "2026Q3", "-o", str(tmp_path / "b.zip"))
    assert_clean_error(run, "has no default branch", str(empty))


def test_an_unknown_branch_and_a_folder_that_is_not_a_repository(repo: Path, tmp_path: Path) -> None:
    run = run_limited("evidence", "build", str(repo), "--branch", "release", "--period", "2026Q3", "-o", str(tmp_path / "b.zip"))
    assert_clean_error(run, "has no branch 'release'")
    plain = tmp_path / "plain"
    plain.mkdir()
    run = run_limited("evidence", "build", str(plain), "--period", "2026Q3", "-o", str(tmp_path / "b.zip"))
    assert_clean_error(run, "is not a git repository")
    run = run_limited("evidence", "build", "--repos", str(write(tmp_path / "r.txt", "nowhere\n")), "--period", "2026Q3", "-o", str(tmp_path / "b.zip"))
    assert_clean_error(run, "nowhere")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really", b"just text\n"])
def test_verify_refuses_a_file_that_is_not_a_zip(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "b.zip"
    path.write_bytes(content)
    assert_clean_error(run_limited("evidence", "verify", str(path)), "is not a readable zip")


def test_verify_refuses_a_truncated_bundle(bundle: Path, tmp_path: Path) -> None:
    data = bundle.read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        truncated = tmp_path / f"t{cut}.zip"
        truncated.write_bytes(data[:cut])
        assert_clean_error(run_limited("evidence", "verify", str(truncated)), str(truncated))


def test_verify_refuses_a_fifo_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "bundle.zip"
    os.mkfifo(fifo)
    assert_clean_error(run_limited("evidence", "verify", str(fifo), timeout=30), "is not a regular file")


def test_verify_refuses_to_inflate_a_bundle_that_claims_gigabytes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
    # Rewrite the claimed size in both headers: the refusal must come before anything is inflated.
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert_clean_error(run_limited("evidence", "verify", str(path)), "refusing to inflate it")


def test_a_duplicated_entry_is_named(bundle: Path, tmp_path: Path) -> None:
    doubled = tmp_path / "d.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(doubled, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        with pytest.warns(UserWarning):
            target.writestr("report.md", b"# all controls held\n")
    run = run_limited("evidence", "verify", str(doubled))
    assert run.exit_code == 1 and "report.md: appears more than once" in run.stdout


def test_history_with_an_alias_bomb_a_symlink_out_and_a_huge_file_finishes_cleanly(tmp_path: Path) -> None:
    repo = feature_repo(tmp_path / "evil")
    card = repo / "svc" / "MODEL_CARD.md"
    card.unlink()
    card.symlink_to("/etc/passwd")
    (repo / "svc" / "sbom.cdx.json").write_bytes(b" " * (6 * 1024 * 1024))
    commit_all(repo, "symlink out and a 6 MB SBOM", "2026-07-10T00:00:00Z")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    (repo / "svc" / "aigov.yaml").write_text(bomb)
    commit_all(repo, "alias bomb", "2026-07-20T00:00:00Z")
    out = tmp_path / "b.zip"
    run = run_limited("evidence", "build", str(repo), "--period", "2026Q3", "-o", str(out), memory_bytes=1024**3)
    assert run.exit_code == 0, run.stderr[-2000:]
    with zipfile.ZipFile(out) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
        decisions = archive.read("decisions.jsonl").decode()
    assert b"root:x:0:0" not in everything  # the symlink was never followed
    assert '"verdict":"error"' in decisions and "alias" in decisions
