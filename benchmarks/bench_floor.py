"""`aigov check` of a paved-road repository against the start-up floor, as a ratio measured in one run.

The floor is a cold `python -c "import click, yaml, jsonschema"`: what any Python CLI that reads
YAML and validates it pays before doing anything. Target (issue 8): the check at most 1.6x the
floor. Runs alternate (floor, check, floor, check, ...) so that machine load hits both alike.
Usage: python benchmarks/bench_floor.py [--runs N] [--template rag-service]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import aigov_command  # noqa: E402

TARGET = 1.6


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
    return time.perf_counter() - start, proc.returncode


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
            floors.append(timed(floor_cmd, repo)[0])
            seconds, code = timed(check_cmd, repo)
            if code != 0:
                sys.exit(f"aigov check exited {code} on the paved-road repository; refusing to time a failing check")
            checks.append(seconds)
    floor, check = statistics.median(floors), statistics.median(checks)
    ratio = check / floor
    print(f"floor (import click, yaml, jsonschema)  median {floor:.3f} s")
    print(f"aigov check ({args.template})          median {check:.3f} s")
    print(f"ratio                                   {ratio:.2f}x  (target {TARGET}x) {'ok' if ratio <= TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
