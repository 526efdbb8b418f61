"""Time diff-aware `aigov check` against a plain check, cold processes; print the figures.

Targets (issue 8): `aigov check --pr` on the paved-road example with a 50-file diff within 1.2x of a
plain `aigov check` of the same tree; a change touching one feature of the 200-feature monorepo at
most 2x the single-feature check.  Usage: python benchmarks/bench_pr.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_cold  # noqa: E402
from bench_check import EXAMPLE, SOURCE, make_monorepo  # noqa: E402


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def commit_base_then_branch(repo: Path) -> str:
    """Commit the tree on main, start branch `pr`; the base commit id."""
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    return git(repo, "rev-parse", "HEAD")


def commit_head(repo: Path) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    return git(repo, "rev-parse", "HEAD")


def event(folder: Path, base: str, head: str) -> Path:
    path = folder / "event.json"
    path.write_text(json.dumps({"number": 1, "pull_request": {"number": 1, "base": {"sha": base}, "head": {"sha": head}},
                                "repository": {"full_name": "acme/bench", "default_branch": "main"}}))
    return path


def line(label: str, seconds: float, reference: float, target: float) -> None:
    print(f"{label:<52} median {seconds:.3f} s  ratio {seconds / reference:.2f}x  (target <= {target}x)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        single = Path(tmp) / "single"
        shutil.copytree(EXAMPLE, single)
        base = commit_base_then_branch(single)
        for i in range(50):  # a 50-file diff in the feature's source
            (single / "src" / "support_summarize" / f"module_{i}.py").write_text(SOURCE)
        head = commit_head(single)
        os.environ["GITHUB_EVENT_PATH"] = str(event(Path(tmp), base, head))
        os.environ.pop("GITHUB_TOKEN", None)
        plain, _, _ = run_cold(["check", str(single)], args.runs)
        print(f"{'aigov check (example, 50 more files)':<52} median {plain:.3f} s", flush=True)
        pr, _, code = run_cold(["check", str(single), "--pr"], args.runs, cwd=single)
        line(f"aigov check --pr (50-file diff, exit {code})", pr, plain, 1.2)

        mono = Path(tmp) / "mono"
        make_monorepo(mono, 200)
        base = commit_base_then_branch(mono)
        (mono / "services" / "feature-100" / "src" / "support_summarize" / "module_0.py").write_text(SOURCE + "\n# edited\n")
        commit_head(mono)
        alone, _, _ = run_cold(["check", str(single)], args.runs)
        one, _, code = run_cold(["check", str(mono), "--base", base], args.runs)
        line(f"aigov check --base (1 of 200 features, exit {code})", one, alone, 2.0)


if __name__ == "__main__":
    main()
