"""Time `aigov check` cold on a single-feature repo and a 200-feature monorepo; print the figures.

Targets (issue 2, on a 2-core machine): single feature <= 0.35 s, 200 features <= 5 s,
peak memory <= 150 MB.  Usage: python benchmarks/bench_check.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "support-summarize"
SOURCE = '"""Feature code."""\n\nMODEL = "anthropic.claude-sonnet-4"\n\n' + "\n".join(
    f"def step_{i}(x):\n    return x + {i}\n" for i in range(60)
)


def make_monorepo(root: Path, count: int) -> None:
    """``count`` copies of the example, with the workflows at the repository root where GitHub reads
    them: one eval-gate job per feature in its folder, and the signing release workflow."""
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(EXAMPLE / ".github" / "workflows" / "release.yml", workflows / "release.yml")
    jobs = "".join(
        f"  evals-{i:03d}:\n    runs-on: ubuntu-latest\n    defaults: {{run: {{working-directory: services/feature-{i:03d}}}}}\n"
        f"    steps:\n      - uses: actions/checkout@v4\n      - run: python evals/run.py --config evals/config.yaml\n"
        for i in range(count)
    )
    (workflows / "evals.yml").write_text("name: evals\non:\n  pull_request:\n    branches: [main]\njobs:\n" + jobs)
    for i in range(count):
        feature = root / "services" / f"feature-{i:03d}"
        shutil.copytree(EXAMPLE, feature, ignore=shutil.ignore_patterns(".github"))
        manifest = feature / "aigov.yaml"
        manifest.write_text(manifest.read_text().replace("name: support-summarize", f"name: feature-{i:03d}"))
        for j in range(5):
            (feature / "src" / "support_summarize" / f"module_{j}.py").write_text(SOURCE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        single = Path(tmp) / "single"
        shutil.copytree(EXAMPLE, single)
        mono = Path(tmp) / "mono"
        make_monorepo(mono, 200)
        report("aigov --version", ["--version"], 0.35, runs=args.runs)
        report("aigov check (1 feature)", ["check", str(single)], 0.35, 150, runs=args.runs)
        report("aigov check (200 features)", ["check", str(mono)], 5.0, 150, runs=max(1, args.runs // 2))


if __name__ == "__main__":
    main()
