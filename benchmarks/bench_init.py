"""`aigov init` on real applications (the snapshots of benchmarks/real_repos): what it drafts and what
`aigov check` still finds afterwards.

Each snapshot is extracted into a fresh git repository (see bench_model_refs.py for the snapshots and
their truths) and `aigov init --no-interactive` runs at its root with a tier, an owner and a data
classification. Per application: the models drafted against the models it really calls (recall and
precision, ids compared without router prefixes), the eval command wired (and whether aigov finds it
a pull-request gate), the blocking findings that remain by rule, and the seconds init took.
Usage: python benchmarks/bench_init.py [--mirror DIR] [--only NAME] [--tier low|medium|high]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model_refs import TRUTHS, extract, load_truth, percent  # noqa: E402

REMAINING = re.compile(r"^  (AIGOV-[A-Z]+-\d+) ", re.MULTILINE)


def resolved(spelled: str) -> str:
    from aigov.facts.model_calls import model_index
    from bench_model_refs import registry

    global _INDEX
    _INDEX = _INDEX or model_index(registry())
    return _INDEX.lookup(spelled)[0].lower()


_INDEX = None


def git_repository(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A", "-f"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--only", help="only repositories whose name contains this")
    parser.add_argument("--tier", default="medium", choices=["low", "medium", "high"])
    args = parser.parse_args()
    for truth_file in sorted(TRUTHS.glob("*.yaml")):
        truth = load_truth(truth_file)
        gitdir = args.mirror / truth.snapshot_name / "repo"
        if (args.only and args.only not in truth.repository) or not gitdir.is_dir():
            continue
        with tempfile.TemporaryDirectory(prefix="bench-init-") as tmp:
            root = Path(tmp) / truth.snapshot_name.split("+")[1].lower()
            extract(gitdir, truth.commit, root)
            git_repository(root)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "aigov", "init", str(root), "--tier", args.tier, "--owner", "team-app",
                                   "--data-classification", "internal", "--no-interactive"],
                                  capture_output=True, text=True, timeout=600)
            seconds = time.perf_counter() - start
            print(f"\n{truth.repository} @ {truth.commit[:10]}: exit {proc.returncode}, {seconds:.2f} s")
            if proc.returncode != 0:
                print("  " + proc.stderr.strip())
                continue
            manifest = yaml.safe_load((root / "aigov.yaml").read_text())
            # The truth names ids as the code spells them, the draft names registered ones by registry id:
            # both compared as the registry resolves them.
            drafted = {resolved(model["id"]) for model in manifest["spec"]["models"]}
            found = {spelled for spelled in truth.called if resolved(spelled) in drafted}
            print(f"  models drafted {len(drafted)}: recall {percent(len(found), len(truth.called))} "
                  f"({len(found)}/{len(truth.called)} called ids)")
            evals = manifest["spec"].get("evals")
            wired = next((line.strip() for line in proc.stdout.splitlines() if "runs `" in line), "no eval command found in CI")
            print(f"  eval config: {evals['config'] if evals else '-'}; {wired}")
            remaining = collections.Counter(REMAINING.findall(proc.stdout))
            print(f"  remaining blocking findings: {sum(remaining.values())} "
                  + ", ".join(f"{rule} x{count}" for rule, count in sorted(remaining.items())))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
