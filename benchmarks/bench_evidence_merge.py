"""Time `aigov evidence merge` of 1,000 small repository bundles (and 250, to show memory is flat in
the number of bundles); print time and peak memory.

Target (issue 10, on a 2-core machine): 1,000 bundles in <= 20 s, signed ones too (--signed:
each input's manifest signature checked), and memory flat in the number of bundles. Measured on
a shared 2-core machine (before streaming the org bundle's summary to disk and verifying the
inputs in a pool of processes, in brackets):

    unsigned   250: 1.6 s, 33 MB (1.8 s, 50 MB)    1,000: 5.3 s, 37 MB (6.5 s, 116 MB)
    signed     250: 2.1 s, 62 MB (3.3 s, 87 MB)    1,000: 6.3 s, 62 MB (11.3 s, 152 MB)

Peak memory is the largest process's: with --signed, a verifying worker that has loaded
sigstore. What still grows with the bundles is zipfile's central directory, held in memory
until the zip is closed (~440 bytes an entry, ten entries a repository here), and a few
hundred bytes an input.

Three bundles are built for real by `aigov evidence build` from git repositories (one passing
throughout, two that fail for three weeks of the quarter); the rest are written with aigov's own
bundle writer from those three, each under its own repository name and team, so every input is
a valid bundle that `aigov evidence verify` accepts. With --signed each input then gets a real
Sigstore signature over its own manifest from the throw-away instance of tests/sigstore_fixture.py
(~8 ms each, ~8 s for 1,000), checked offline against that instance's trusted root.
Usage: python benchmarks/bench_evidence_merge.py [--bundles N] [--signed]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from _common import aigov_command, peak_memory_mb  # noqa: E402
from bench_check import make_monorepo  # noqa: E402
from sigstore_fixture import GITHUB_ISSUER, SigstoreInstance  # noqa: E402

SONNET = "id: anthropic.claude-sonnet-4\n      provider: bedrock"
DEPRECATED = "id: gpt-3.5-turbo\n      provider: openai"
SIGNER = "https://github.com/acme/platform/.github/workflows/evidence.yml@refs/heads/main"


def git_commit(repo: Path, message: str, date: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "Dev",
           "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True, env=env)


def real_bundle(root: Path, name: str, features: int, fails: bool) -> Path:
    """A repository whose features exist before Q3 2026; with ``fails``, one switches to a deprecated model from 1 to 20 Aug."""
    repo = root / name
    make_monorepo(repo, features)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git_commit(repo, "features", "2026-06-01T09:00:00Z")
    if fails:
        manifest = repo / "services" / "feature-000" / "aigov.yaml"
        manifest.write_text(manifest.read_text().replace(SONNET, DEPRECATED))
        git_commit(repo, "try gpt-3.5-turbo", "2026-08-01T10:00:00Z")
        manifest.write_text(manifest.read_text().replace(DEPRECATED, SONNET))
        git_commit(repo, "back to sonnet", "2026-08-20T10:00:00Z")
    out = root / f"{name}.zip"
    subprocess.run([*aigov_command(), "evidence", "build", str(repo), "--period", "2026Q3", "-o", str(out)], check=True,
                   capture_output=True)
    return out


def synthetic_bundle(job: tuple[Path, str, int, Path]) -> None:
    """The template bundle as repository ``name`` of team ``team-<n % 10>``, written by aigov's bundle writer."""
    from aigov.evidence.bundle import assemble, write_zip
    from aigov.evidence.decision import canonical_json
    from aigov.evidence.replay import RepositoryEvidence, parse_period
    from aigov.policy.controls import load_control_map

    template, name, number, out = job
    with zipfile.ZipFile(template) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    source = manifest["repositories"][0]
    decisions = [{**json.loads(line), "repository": name} for line in files["decisions.jsonl"].decode().splitlines()]
    snapshots: dict[str, dict[str, bytes]] = {}
    features = {}
    for path, data in files.items():
        if not path.startswith(f"artefacts/{source['name']}/"):
            continue
        point, document = path.split("/", 3)[2:]
        if document.endswith("aigov-facts.json"):
            facts = json.loads(data)
            facts["feature"]["manifest"]["metadata"]["owner"] = f"team-{number % 10}"
            data = (canonical_json(facts) + "\n").encode("utf-8")
            if point == "period-end":
                features[facts["feature"]["name"]] = facts
        snapshots.setdefault(point, {})[document] = data
    repo = RepositoryEvidence(name, source["branch"], source["head"], decisions,
                              [(point, None, documents, {}) for point, documents in sorted(snapshots.items())], features)
    period = parse_period("2026Q3", None, None)
    with tempfile.TemporaryDirectory() as scratch:
        write_zip(sorted(assemble([repo], period, load_control_map(), Path(scratch)).items()), out, period)


def sign_all(paths: list[Path], root: Path) -> list[str]:
    """Sign each bundle's own manifest, as `aigov evidence sign` does in each repository's CI, with a
    throw-away Sigstore instance (real bundles, verified offline against its trusted root); returns
    the options that make a merge check every signature."""
    from aigov.evidence.sign import add_signature, manifest_bytes

    instance = SigstoreInstance.create("bench")
    for path in paths:
        add_signature(path, json.dumps(instance.sign(manifest_bytes(path), identity=SIGNER)).encode())
    trusted_root = instance.write_trusted_root(root / "trusted_root.json")
    return ["--identity", SIGNER, "--issuer", GITHUB_ISSUER, "--trusted-root", str(trusted_root)]


def timed(args: list[str]) -> tuple[float, int, list[str]]:
    start = time.perf_counter()
    proc = subprocess.run([*aigov_command(), *args], capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[-1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=int, default=1000)
    parser.add_argument("--signed", action="store_true", help="sign every input and merge with --identity/--issuer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(root / "xdg-cache")  # sigstore's trust cache, never the user's
        start = time.perf_counter()
        templates = [real_bundle(root, "real-passing", 1, False), real_bundle(root, "real-failing", 2, True),
                     real_bundle(root, "real-three", 3, True)]
        bundles = root / "bundles"
        bundles.mkdir()
        jobs = [(templates[i % 3], f"repo-{i:04d}", i, bundles / f"repo-{i:04d}.zip") for i in range(args.bundles - 3)]
        with multiprocessing.Pool(os.cpu_count() or 1) as pool:
            pool.map(synthetic_bundle, jobs, chunksize=16)
        paths = templates + [job[3] for job in jobs]
        print(f"generated {len(paths)} bundles ({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB) "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
        checks: list[str] = []
        if args.signed:
            start = time.perf_counter()
            checks = sign_all(paths, root)
            print(f"signed {len(paths)} bundles in {time.perf_counter() - start:.1f} s", flush=True)
        for count in (len(paths) // 4, len(paths)):
            listing = root / f"bundles-{count}.txt"
            listing.write_text("".join(f"{p}\n" for p in paths[:count]))
            merge = ["evidence", "merge", "--bundles", str(listing), "-o", str(root / f"org-{count}.zip"), *checks]
            seconds, code, last = timed(merge)
            peak = peak_memory_mb(merge)
            print(f"evidence merge, {count:>5} {'signed ' if checks else ''}bundles   {seconds:6.2f} s (target 20 s for 1,000, exit {code})  "
                  f"peak {peak:.0f} MB  {last}", flush=True)
        seconds, code, last = timed(["evidence", "verify", str(root / f"org-{len(paths)}.zip")])
        print(f"evidence verify of the org bundle  {seconds:6.2f} s (exit {code})  {last}", flush=True)


if __name__ == "__main__":
    main()
