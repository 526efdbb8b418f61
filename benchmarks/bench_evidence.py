"""Time `aigov evidence build` over generated quarters and `aigov evidence verify` on a bundle;
print time and peak memory.

Histories (issue 9, issue 15; targets on a 2-core machine):

- sparse: 10,000 first-parent commits and 20 features, one commit in a hundred changes a feature's
  own files (the rest must cost almost nothing): build <= 30 s, <= 200 MB, memory flat in the
  number of commits (a 2,500-commit quarter is built too, for comparison); verify <= 2 s.
- dense: 10,000 commits and 20 features, every commit changes a file the facts read (a source
  file the model-reference scan reads) in one feature, one in fifty its model card:
  build <= 30 s, <= 200 MB.
- one feature: 1,000 commits, every one changing that feature: build <= 5 s.

Usage: python benchmarks/bench_evidence.py [--commits N] [--only sparse|dense|single]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import aigov_command, peak_memory_mb  # noqa: E402
from bench_check import SOURCE, make_monorepo  # noqa: E402

FEATURES = 20
PERIOD_START = 1782864000  # 2026-07-01T00:00:00Z
PERIOD_SECONDS = 92 * 86400


def _data(text: bytes) -> bytes:
    return b"data %d\n" % len(text) + text + b"\n"


def sparse_change(i: int, features: int, card: str) -> tuple[str, str]:
    """One commit in a hundred changes a feature's own files; the rest change other code."""
    if i % 100 == 50:
        return f"services/feature-{(i // 100) % features:03d}/NOTES.md", f"revision {i}\n"
    return f"app/module-{i % 500:03d}.txt", f"change {i}\n"


def dense_change(i: int, features: int, card: str) -> tuple[str, str]:
    """Every commit changes a source file of one feature (the model-reference scan reads it); one in
    fifty changes the feature's model card instead."""
    feature = f"services/feature-{i % features:03d}"
    if i % 50 == 25:
        return f"{feature}/MODEL_CARD.md", card + f"\nRevision {i}.\n"
    return f"{feature}/src/support_summarize/module_{i % 5}.py", SOURCE + f"\n\ndef revision():\n    return {i}\n"


def make_history(root: Path, commits: int, features: int = FEATURES, change=sparse_change) -> None:
    """A repository whose features were committed before the quarter, then ``commits`` commits in it,
    written with one `git fast-import` (a process per commit would take minutes)."""
    tree = root.parent / (root.name + "-tree")
    make_monorepo(tree, features)
    card = (tree / "services" / "feature-000" / "MODEL_CARD.md").read_text()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = bytearray()
    stream += b"commit refs/heads/main\ncommitter Dev <dev@example.com> 1780300800 +0000\n" + _data(b"features")
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        stream += b"M 100644 inline " + path.relative_to(tree).as_posix().encode() + b"\n" + _data(path.read_bytes())
    step = PERIOD_SECONDS // (commits + 1)
    for i in range(commits):
        when = PERIOD_START + (i + 1) * step
        path, body = change(i, features, card)
        stream += b"commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\n" % when + _data(b"commit %d" % i)
        stream += b"M 100644 inline " + path.encode() + b"\n" + _data(body.encode())
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=bytes(stream), check=True)
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True)


def timed(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run([*aigov_command(), *args], capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[-1:]


def cpu_seconds(args: list[str]) -> float:
    """CPU time (user + system) of one run and the processes it waited for: what a busy machine does not inflate."""
    before = os.times()
    subprocess.run([*aigov_command(), *args], capture_output=True)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def build(tmp: Path, label: str, commits: int, features: int, change, target_s: float) -> Path:
    repo = tmp / f"repo-{label}-{commits}"
    start = time.perf_counter()
    make_history(repo, commits, features, change)
    print(f"generated {label}: {commits} commits, {features} features in {time.perf_counter() - start:.1f} s", flush=True)
    bundle = tmp / f"bundle-{label}-{commits}.zip"
    args = ["evidence", "build", str(repo), "--period", "2026Q3", "--now", "2026-10-01T00:00:00Z", "-o", str(bundle)]
    seconds, code, last = timed(args)
    peak = peak_memory_mb(args)
    print(f"evidence build, {label:<11} {commits:>6} commits  {seconds:6.2f} s (target {target_s:g} s, exit {code}, "
          f"{cpu_seconds(args):.2f} s CPU)  peak {peak:.0f} MB (target 200 MB)  {last}", flush=True)
    return bundle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--only", choices=("sparse", "dense", "single"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.only in (None, "sparse"):
            for commits in (args.commits // 4, args.commits):
                bundle = build(root, "sparse", commits, FEATURES, sparse_change, 30)
            seconds, code, last = timed(["evidence", "verify", str(bundle)])
            print(f"evidence verify                          {seconds:6.2f} s (target 2 s, exit {code})  {last}", flush=True)
        if args.only in (None, "dense"):
            build(root, "dense", args.commits, FEATURES, dense_change, 30)
        if args.only in (None, "single"):
            build(root, "one feature", args.commits // 10, 1, dense_change, 5)


if __name__ == "__main__":
    main()
