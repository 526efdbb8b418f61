"""Time `aigov sbom --validate` and `aigov sbom` cold, and what an SBOM adds to `aigov check`.

Target (issue 3, on a 2-core machine): validating one CycloneDX document in a cold process takes
well under a second. Measured on the example feature's ML-BOM, a large generated BOM (every
component with a license, hashes and a purl) and the specification's 1.5 machine-learning test
document, plus generation and `aigov check` with and without spec.sbom.
Usage: python benchmarks/bench_sbom.py [--runs N] [--components N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import report  # noqa: E402

ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "support-summarize"
CLOCK = "2026-11-23T12:00:00Z"


def large_bom(example: Path, count: int) -> dict:
    """The example ML-BOM with ``count`` realistic library components added."""
    document = json.loads((example / "sbom.cdx.json").read_text(encoding="utf-8"))
    for i in range(count):
        name, version = f"package-{i}", f"1.{i % 50}.{i % 7}"
        document["components"].append({
            "type": "library",
            "bom-ref": f"pkg:pypi/{name}@{version}",
            "name": name,
            "version": version,
            "purl": f"pkg:pypi/{name}@{version}",
            "licenses": [{"license": {"id": ("MIT", "Apache-2.0", "BSD-3-Clause")[i % 3]}}],
            "hashes": [{"alg": "SHA-256", "content": f"{i:064x}"}],
            "externalReferences": [{"type": "website", "url": f"https://pypi.org/project/{name}/"}],
        })
    return document


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--components", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        large = work / "large.cdx.json"
        large.write_text(json.dumps(large_bom(EXAMPLE, args.components), indent=2), encoding="utf-8")
        without = work / "without-sbom"
        shutil.copytree(EXAMPLE, without)
        manifest = without / "aigov.yaml"
        manifest.write_text(manifest.read_text().replace("  sbom: sbom.cdx.json\n", ""))
        spec_ml = ROOT / "tests" / "data" / "cyclonedx" / "1.5" / "valid-machine-learning-1.5.json"

        print(f"cold processes, median of {args.runs}")
        report("sbom --validate example ML-BOM", ["sbom", "--validate", str(EXAMPLE / "sbom.cdx.json")], 1.0, runs=args.runs)
        report(f"sbom --validate {args.components} components", ["sbom", "--validate", str(large)], 1.0, runs=args.runs)
        report("sbom --validate spec 1.5 ML document", ["sbom", "--validate", str(spec_ml)], 1.0, runs=args.runs)
        report("sbom (generate) example", ["sbom", str(EXAMPLE), "--now", CLOCK, "-o", str(work / "gen.json")], 1.0, runs=args.runs)
        report("check example (with spec.sbom)", ["check", "--root", str(EXAMPLE), "--now", CLOCK], 1.5, runs=args.runs)
        report("check example (without spec.sbom)", ["check", str(without), "--now", CLOCK], 1.5, runs=args.runs)


if __name__ == "__main__":
    main()
