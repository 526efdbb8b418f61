"""Time `aigov evidence build` over a quarter of 10,000 first-parent commits and 20 features, and
`aigov evidence verify` on the bundle; print time and peak memory.

Targets (issue 9, on a 2-core machine): build <= 30 s, peak memory <= 200 MB and flat in the
number of commits (a 2,500-commit quarter is built too, for comparison); verify <= 2 s.
One commit in a hundred touches a feature; the rest must cost almost nothing.
Usage: python benchmarks/bench_evidence.py [--commits N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import aigov_command, peak_memory_mb  # noqa: E402
from bench_check import make_monorepo  # noqa: E402

FEATURES = 20
PERIOD_START = 1782864000  # 2026-07-01T00:00:00Z
PERIOD_SECONDS = 92 * 86400


def _data(text: bytes) -> bytes:
    return b"data %d\n" % len(text) + text + b"\n"


def make_history(root: Path, commits: int) -> None:
    """A repository whose features were committed before the quarter, then ``commits`` commits in it,
    written with one `git fast-import` (a process per commit would take minutes)."""
    tree = root.parent / (root.name + "-tree")
    make_monorepo(tree, FEATURES)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = bytearray()
    stream += b"commit refs/heads/main\ncommitter Dev <dev@example.com> 1780300800 +0000\n" + _data(b"features")
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        stream += b"M 100644 inline " + path.relative_to(tree).as_posix().encode() + b"\n" + _data(path.read_bytes())
    step = PERIOD_SECONDS // (commits + 1)
    for i in range(commits):
        when = PERIOD_START + (i + 1) * step
        if i % 100 == 50:  # one in a hundred changes a feature's own files
            feature = f"services/feature-{(i // 100) % FEATURES:03d}"
            path, body = f"{feature}/NOTES.md", f"revision {i}\n"
        else:
            path, body = f"app/module-{i % 500:03d}.txt", f"change {i}\n"
        stream += b"commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\n" % when + _data(b"commit %d" % i)
        stream += b"M 100644 inline " + path.encode() + b"\n" + _data(body.encode())
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=bytes(stream), check=True)
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True)


def timed(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run([*aigov_command(), *args], capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[-1:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for commits in (args.commits // 4, args.commits):
            repo = Path(tmp) / f"repo-{commits}"
            start = time.perf_counter()
            make_history(repo, commits)
            print(f"generated {commits} commits, {FEATURES} features in {time.perf_counter() - start:.1f} s", flush=True)
            bundle = Path(tmp) / f"bundle-{commits}.zip"
            build = ["evidence", "build", str(repo), "--period", "2026Q3", "-o", str(bundle)]
            seconds, code, last = timed(build)
            peak = peak_memory_mb(build)
            print(f"evidence build, {commits:>6} commits        {seconds:6.2f} s (target 30 s, exit {code})  "
                  f"peak {peak:.0f} MB (target 200 MB)  {last}", flush=True)
        seconds, code, last = timed(["evidence", "verify", str(bundle)])
        print(f"evidence verify                       {seconds:6.2f} s (target 2 s, exit {code})  {last}", flush=True)


if __name__ == "__main__":
    main()
