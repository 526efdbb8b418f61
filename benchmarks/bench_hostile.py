"""How fast aigov turns away hostile input; print the figures.

The tests assert what each refusal is and bound the work it takes (memory, a hang guard); the
time it takes is a figure, and lives here, where a loaded machine cannot make a test flake:

- a YAML alias bomb (six million values in eight lines) in a workflow: `aigov check` refuses it
  (target 5 s, the bound the test once asserted; expanding it took ~33 s and 850 MB);
- CODEOWNERS patterns that would make a backtracking matcher run for ever (target 2 s).

Usage: python benchmarks/bench_hostile.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "support-summarize"
ALIAS_BOMB = "on: pull_request\na0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 7)
) + "jobs: {}\n"


def codeowners_seconds() -> float:
    from aigov.codeowners import owners_of, parse_codeowners

    rules = parse_codeowners("*a" * 2000 + "b @x\n" + "/**/**/**/**/**/**/**/**/**/**/z @y\n")
    start = time.perf_counter()
    owners_of(rules, "a/" * 200 + "a" * 3000)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bombed = Path(tmp) / "bombed"
        shutil.copytree(EXAMPLE, bombed)
        (bombed / ".github" / "workflows" / "bomb.yml").write_text(ALIAS_BOMB)
        report("check refuses a YAML alias bomb", ["check", "--root", str(bombed), str(bombed)], 5.0, 100, args.runs)

        print(f"{'CODEOWNERS hostile patterns matched':<40} {codeowners_seconds():.3f} s  (target 2 s)", flush=True)


if __name__ == "__main__":
    main()
