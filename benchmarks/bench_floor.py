"""`aigov check` of a paved-road repository against the start-up floor, as a ratio measured in one run.

The floor is a cold `python -c "import click, yaml, jsonschema"`: what any Python CLI that reads
YAML and validates it pays before doing anything. Target (issue 8): the check at most 1.6x the
floor in wall time, what a pull request waits for. Runs alternate (floor, check, floor, check,
...) so that machine load hits both alike.

The CPU line sums the check's processes: the evaluation child (loads the pack while facts are
read) and the facts child (SBOM and signed artefacts) run beside the main process, so on two
idle cores the wall ratio is well under the CPU ratio; on a busy machine it tends toward it.
Measured on an idle 2-core machine (2026-11-30): wall 1.50x, CPU 1.82x (was 2.08x wall).
Usage: python benchmarks/bench_floor.py [--runs N] [--template rag-service]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import aigov_command  # noqa: E402

TARGET = 1.6


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system, the child's own: less sensitive to other load) and exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--template", default="rag-service")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "paved"
        made = subprocess.run([*aigov_command(), "new", "paved", "--template", args.template, "--tier", "medium",
                               "--owner", "team-x", "--github-org", "acme", "--dest", str(repo)],
                              capture_output=True, text=True)
        if made.returncode != 0:
            sys.exit(f"aigov new failed: {made.stderr.strip()}")
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        floor_cmd = [sys.executable, "-c", "import click, yaml, jsonschema"]
        check_cmd = [*aigov_command(), "check", "."]
        timed(floor_cmd, repo), timed(check_cmd, repo)  # warm the file cache
        floors, checks = [], []
        for _ in range(args.runs):
            floors.append(timed(floor_cmd, repo))
            check = timed(check_cmd, repo)
            if check[2] != 0:
                sys.exit(f"aigov check exited {check[2]} on the paved-road repository; refusing to time a failing check")
            checks.append(check)
    for label, index in (("wall", 0), ("cpu", 1)):
        floor = statistics.median(run[index] for run in floors)
        check = statistics.median(run[index] for run in checks)
        ratio = check / floor
        print(f"{label:4}  floor (import click, yaml, jsonschema) {floor:.3f} s   aigov check ({args.template}) {check:.3f} s   "
              f"ratio {ratio:.2f}x (target {TARGET}x) {'ok' if ratio <= TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
