"""Shared by the benchmark scripts: time a cold `aigov` process and read its peak memory."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def aigov_command() -> list[str]:
    exe = shutil.which("aigov", path=str(Path(sys.executable).parent)) or shutil.which("aigov")
    return [exe] if exe else [sys.executable, "-m", "aigov"]


def run_cold(args: list[str], runs: int = 5, cwd: Path | None = None) -> tuple[float, float, int]:
    """Median and best wall time (s) over ``runs`` fresh processes, and the exit code of the last."""
    times = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([*aigov_command(), *args], cwd=cwd, capture_output=True, env=os.environ.copy())
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(times), min(times), code


def peak_memory_mb(args: list[str], cwd: Path | None = None) -> float:
    """Peak resident memory of one process (ru_maxrss of a child that runs it alone)."""
    code = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *aigov_command(), *args], cwd=cwd, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def report(label: str, args: list[str], target_s: float, target_mb: float | None = None, runs: int = 5) -> None:
    median, best, code = run_cold(args, runs)
    line = f"{label:<40} median {median:.3f} s  best {best:.3f} s  (target {target_s} s, exit {code})"
    if target_mb is not None:
        line += f"  peak {peak_memory_mb(args):.0f} MB (target {target_mb} MB)"
    print(line, flush=True)
