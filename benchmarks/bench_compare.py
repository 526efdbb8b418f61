"""Time two aigov installations on the same repositories, runs interleaved; print each figure and the ratio.

For targets stated against an earlier version ("no check slower than 1.1x today's"): a machine's
load drifts over minutes, so the two are timed in turn, run after run, rather than one after the
other. The scenarios are bench_check's and bench_pr's: one feature, 200 features, a 50-file pull
request, and a pull request touching one feature of 200.

Usage: python benchmarks/bench_compare.py --baseline /path/to/old/venv/bin/aigov [--runs N]
(the other side is the aigov beside this Python, or --current PATH).
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
from bench_check import EXAMPLE, SOURCE, make_monorepo  # noqa: E402
from bench_pr import commit_base_then_branch, commit_head, event  # noqa: E402


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one run. CPU time is the steadier figure on a
    shared machine: it does not count the time the run waited for a core.

    CPU time is counted by ``perf stat`` where it works: it counts every process the run forks, while
    the kernel's per-child usage counts only children their parent waited for (an aigov that leaves its
    policy-evaluation child to exit on its own would look a second cheaper on 200 features)."""
    if PERF:
        with tempfile.NamedTemporaryFile("r", suffix=".perf") as counts:
            start = time.perf_counter()
            subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", "-o", counts.name, "--", *command],
                           cwd=cwd, capture_output=True, env=os.environ.copy())
            wall = time.perf_counter() - start
            return wall, _task_clock_seconds(counts.read())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, env=os.environ.copy())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _task_clock_seconds(perf_output: str) -> float:
    """The task-clock line of ``perf stat -x,`` ("3283.47,msec,task-clock,...") in seconds."""
    for line in perf_output.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] == "task-clock":
            return float(fields[0]) / 1000
    raise RuntimeError(f"perf stat printed no task-clock: {perf_output!r}")


def _perf_works() -> bool:
    if shutil.which("perf") is None:
        return False
    with tempfile.NamedTemporaryFile("r", suffix=".perf") as counts:
        run = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", "-o", counts.name, "--", "true"], capture_output=True)
        return run.returncode == 0 and "task-clock" in counts.read()


PERF = _perf_works()


def compare(label: str, baseline: list[str], current: list[str], args: list[str], runs: int, cwd: Path | None = None) -> None:
    old, new = [], []
    for _ in range(runs):
        old.append(timed([*baseline, *args], cwd))
        new.append(timed([*current, *args], cwd))
    for kind, index in (("wall", 0), ("cpu", 1)):
        a, b = statistics.median(t[index] for t in old), statistics.median(t[index] for t in new)
        print(f"{label:<40} {kind:<4} baseline {a:.3f} s  current {b:.3f} s  ratio {b / a:.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="the aigov executable to compare with")
    parser.add_argument("--current", help="default: the aigov beside this Python")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    baseline, current = [args.baseline], [args.current] if args.current else aigov_command()
    print("cpu: " + ("perf stat task-clock, every process of the run" if PERF else
                     "the kernel's usage of waited-for children (perf is not available)"), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        single = Path(tmp) / "single"
        shutil.copytree(EXAMPLE, single)
        mono = Path(tmp) / "mono"
        make_monorepo(mono, 200)
        compare("aigov check (1 feature)", baseline, current, ["check", str(single)], args.runs)
        compare("aigov check (200 features)", baseline, current, ["check", str(mono)], max(3, args.runs // 3))

        base = commit_base_then_branch(single)
        for i in range(50):
            (single / "src" / "support_summarize" / f"module_{i}.py").write_text(SOURCE)
        head = commit_head(single)
        os.environ["GITHUB_EVENT_PATH"] = str(event(Path(tmp), base, head))
        os.environ.pop("GITHUB_TOKEN", None)
        compare("aigov check --pr (50-file diff)", baseline, current, ["check", str(single), "--pr"], args.runs, cwd=single)

        base = commit_base_then_branch(mono)
        (mono / "services" / "feature-100" / "src" / "support_summarize" / "module_0.py").write_text(SOURCE + "\n# edited\n")
        commit_head(mono)
        compare("aigov check --base (1 of 200 features)", baseline, current, ["check", str(mono), "--base", base], args.runs)


if __name__ == "__main__":
    main()
