"""Time `aigov check` cold on the paved-road example: text alone, then every output format from one run.

Target (issue 8): all formats together cost at most 10% over text alone.
Usage: python benchmarks/bench_outputs.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_cold  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "support-summarize"
TARGET_RATIO = 1.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "support-summarize"
        shutil.copytree(EXAMPLE, repo)
        out = Path(tmp) / "out"
        out.mkdir()
        os.environ["GITHUB_STEP_SUMMARY"] = str(out / "step-summary.md")
        text = ["check", str(repo), "-o", str(out / "aigov.txt")]
        every = ["check", str(repo), "--format", "github", "-o", str(out / "annotations.txt"),
                 "--sarif", str(out / "aigov.sarif"), "--junit", str(out / "aigov.xml"),
                 "--json", str(out / "aigov.json"), "--markdown", str(out / "summary.md")]
        run_cold(text, 2)  # warm the file system cache
        # Alternate the two commands so that load from other processes hits both alike.
        text_times, every_times = [], []
        for _ in range(args.runs):
            text_times.append(run_cold(text, 1)[0])
            every_times.append(run_cold(every, 1)[0])
        text_median, text_best = statistics.median(text_times), min(text_times)
        every_median, every_best = statistics.median(every_times), min(every_times)
        print(f"{'aigov check (text)':<44} median {text_median:.3f} s  best {text_best:.3f} s", flush=True)
        print(f"{'aigov check (github+sarif+junit+json+md)':<44} median {every_median:.3f} s  best {every_best:.3f} s", flush=True)
        print(f"ratio all outputs / text: median {every_median / text_median:.3f}  best {every_best / text_best:.3f}  "
              f"(target <= {TARGET_RATIO})")
        print(f"in-process: {render_costs(repo)}")


def render_costs(repo: Path) -> str:
    """Import plus render time of each format in one process: the extra cost, free of start-up noise."""
    import time

    from aigov.check import run_check
    from aigov.report import FORMATS, reporter_for

    os.environ.pop("GITHUB_STEP_SUMMARY", None)
    start = time.perf_counter()
    result = run_check(repo)
    parts = [f"check {1000 * (time.perf_counter() - start):.0f} ms"]
    for name in FORMATS:
        start = time.perf_counter()
        reporter_for(name).render(result)
        parts.append(f"{name} {1000 * (time.perf_counter() - start):.1f} ms")
    return ", ".join(parts)


if __name__ == "__main__":
    main()
