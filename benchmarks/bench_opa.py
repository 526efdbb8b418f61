"""Time `aigov check --engine opa` cold against a loopback OPA, next to the embedded engine; print the figures.

Target (issue 10, on a 2-core machine): the OPA engine at most 1.5x the embedded engine on the
paved-road example, each a fresh aigov process. The server is tests/opa_stub.py (the OPA REST API
evaluated by the real OPA from opa-golib-python-bindings) running in this process, warmed by one
check first, as a deployed OPA is. Push mode re-sends only what changed, so a warm run pushes
nothing. Measured 2026-11-30 on an idle 2-core machine: 0.242 s vs 0.210 s, 1.15x (the client
loads and the pack is pushed in the evaluation child while the facts are collected).
Usage: python benchmarks/bench_opa.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import run_cold  # noqa: E402
from opa_stub import OpaStub  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "support-summarize"
TARGET_RATIO = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stub = OpaStub()
    url = stub.start()
    try:
        check = ["check", "--root", str(EXAMPLE)]
        opa = [*check, "--engine", "opa", "--opa-url", url]
        run_cold(opa, runs=1)  # warm the server: the pack pushed, queries prepared
        embedded, embedded_best, code = run_cold(check, args.runs)
        print(f"{'aigov check (embedded regorus)':<40} median {embedded:.3f} s  best {embedded_best:.3f} s  (exit {code})", flush=True)
        push, push_best, code = run_cold(opa, args.runs)
        ratio = push / embedded
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
        print(f"{'aigov check --engine opa (push)':<40} median {push:.3f} s  best {push_best:.3f} s  (exit {code})  "
              f"{ratio:.2f}x embedded (target {TARGET_RATIO}x: {verdict})", flush=True)
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
