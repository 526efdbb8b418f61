"""Time `aigov check` cold on a repo with 20 signed artefacts; show a repo without artefacts skips sigstore.

Target (issue 3, on a 2-core machine): 20 signed artefacts, cold process, <= 1.5 s. The bundles
are real, minted by the throw-away Sigstore instance of tests/sigstore_fixture.py and verified
against its trusted root (--trusted-root), so every one runs sigstore's full offline checks.
Usage: python benchmarks/bench_signing.py [--runs N] [--artifacts N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from _common import aigov_command, run_cold  # noqa: E402
from sigstore_fixture import GITHUB_ISSUER, SigstoreInstance  # noqa: E402

EXAMPLE = HERE.parent / "examples" / "support-summarize"
ARTIFACTS = """\
  artifacts:
    - path: dist/*.onnx
      identityPattern: 'https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/tags/v.+'
      issuer: {issuer}
    - path: dist/*.whl
      identityPattern: 'https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/tags/v.+'
      issuer: {issuer}
"""


def make_signed_repo(root: Path, count: int) -> Path:
    """The example feature plus ``count`` signed artefacts: half message signatures, half attestations."""
    shutil.copytree(EXAMPLE, root)
    manifest = root / "aigov.yaml"
    # Replace the example's own (unreleased) artefacts with ones that match the signed files.
    declared = manifest.read_text().split("  artifacts:\n")[0]
    manifest.write_text(declared + ARTIFACTS.format(issuer=GITHUB_ISSUER))
    instance = SigstoreInstance.create("bench")
    dist = root / "dist"
    dist.mkdir()
    for i in range(count):
        attestation = i % 2 == 1
        path = dist / (f"support-{i}-py3-none-any.whl" if attestation else f"model-{i}.onnx")
        path.write_bytes(os.urandom(256 * 1024))
        instance.sign_file(path, dsse=attestation)
    return instance.write_trusted_root(root.parent / "trusted_root.json")


def sigstore_imported(args: list[str]) -> bool:
    """Whether a cold `aigov` process imports any sigstore module (python -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "aigov", *args], capture_output=True, text=True)
    return any(line.rsplit("|", 1)[-1].strip().startswith("sigstore") for line in proc.stderr.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--artifacts", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aigov-bench-signing-") as tmp:
        base = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(base / "xdg-cache")  # sigstore's trust cache, never in the repo
        signed = base / "signed"
        trusted_root = make_signed_repo(signed, options.artifacts)
        plain = base / "plain"
        shutil.copytree(EXAMPLE, plain)

        check_signed = ["check", str(signed), "--trusted-root", str(trusted_root)]
        warm = subprocess.run([*aigov_command(), *check_signed], capture_output=True, text=True)  # warms the file cache
        if warm.returncode != 0:
            sys.exit(f"the signed benchmark repo does not pass, so timing it means nothing:\n{warm.stdout}{warm.stderr}")
        median, best, code = run_cold(check_signed, options.runs)
        print(f"{'check, ' + str(options.artifacts) + ' signed artefacts':<40} median {median:.3f} s  best {best:.3f} s  (target 1.5 s, exit {code})")
        median, best, code = run_cold(["check", str(plain)], options.runs)
        print(f"{'check, no artefacts':<40} median {median:.3f} s  best {best:.3f} s  (exit {code})")
        print(f"{'sigstore imported, signed artefacts':<40} {sigstore_imported(check_signed)}")
        print(f"{'sigstore imported, no artefacts':<40} {sigstore_imported(['check', str(plain)])}  (expected False)")


if __name__ == "__main__":
    main()
