"""`aigov check` of a real-code monorepo: the applications of benchmarks/real_repos side by side.

Issue 16's target: a 5,000-file, 185 MB monorepo checked within 2 s. The applications' snapshots
(see bench_model_refs.py; /work/.mirror/<owner>+<name>/repo by default) are extracted into one git
repository, each under apps/<name>/ with a feature manifest at its root (the bundled example's,
renamed), and committed: `aigov check` lists the files with git, as in CI. Their code is only
read from the snapshots, never kept.

Prints the tree's size, the median and best wall time of cold `aigov check` runs with their CPU time
(every process of the check: on a busy machine the wall time says more about the machine), and
how long the facts alone take in this process.
Usage: python benchmarks/bench_monorepo.py [--mirror DIR] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import aigov_command  # noqa: E402
from bench_model_refs import MANIFEST, TRUTHS, extract, load_truth  # noqa: E402

TARGET_S = 2.0


def build(mirror: Path, root: Path) -> tuple[int, int]:
    """The monorepo under ``root``, committed; (files, bytes)."""
    for truth_file in sorted(TRUTHS.glob("*.yaml")):
        truth = load_truth(truth_file)
        gitdir = mirror / truth.snapshot_name / "repo"
        if not gitdir.is_dir():
            print(f"{truth.repository}: no snapshot at {gitdir}, left out")
            continue
        app = root / "apps" / truth.snapshot_name.replace("+", "-").lower()
        extract(gitdir, truth.commit, app)
        name = app.name.replace("_", "-").replace(".", "-")[:60]
        (app / "aigov.yaml").write_text(MANIFEST.read_text().replace("name: support-summarize", f"name: {name}"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A", "-f"], ["commit", "-q", "-m", "apps"]):
        # No automatic gc: thousands of loose objects make `git commit` start one in the background,
        # which still writes to .git while the temporary folder is removed.
        subprocess.run(["git", "-c", "gc.auto=0", "-C", str(root), *args], check=True, capture_output=True, env=env)
    files = [p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts]
    return len(files), sum(p.stat().st_size for p in files)


def cold_checks(root: Path, runs: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds (the check's processes, children included) of ``runs`` cold checks."""
    walls, cpus, code = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        code = subprocess.run([*aigov_command(), "check", str(root)], capture_output=True).returncode
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus, code


def collector_seconds(root: Path) -> float:
    """The model-reference collector alone over every feature's files (this process, grammars loaded cold)."""
    from aigov.check.collect import collect_inputs
    from aigov.check.options import CheckOptions

    start = time.perf_counter()
    collected = collect_inputs(root, CheckOptions())
    seconds = time.perf_counter() - start
    collected.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the monorepo here and leave it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mono-") as tmp:
        root = args.keep or Path(tmp) / "mono"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        files, size = build(args.mirror, root)
        print(f"monorepo: {files} files, {size / 1e6:.0f} MB, {len(list((root / 'apps').iterdir()))} features")
        walls, cpus, code = cold_checks(root, args.runs)
        median = statistics.median(walls)
        verdict = "within" if median <= TARGET_S else "OVER"
        print(f"aigov check (monorepo)  median {median:.3f} s  best {min(walls):.3f} s  (target {TARGET_S} s, {verdict}; exit {code});"
              f"  CPU median {statistics.median(cpus):.3f} s  load average {os.getloadavg()[0]:.1f}")
        print(f"facts alone, in process: {collector_seconds(root):.3f} s")


if __name__ == "__main__":
    main()
