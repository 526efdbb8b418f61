"""Model references on real LLM applications: how many of the models they call are found, how many
reported references are real calls, and how many blocking findings would be false.

The truth of each application is a file we wrote by reading its code (benchmarks/real_repos/*.yaml:
the ids it calls, with places, and notable mentions). Its code is not here: each truth names a
repository and commit, read from a local snapshot (a bare git directory, by default
/work/.mirror/<owner>+<name>/repo) and extracted to a temporary folder for the run.

Per repository and in total, for aigov (the model-reference collector `aigov check` runs:
facts/model_refs.py reading the shipped files, facts/model_calls.py classifying each reference):
  recall     called ids found as a call or config reference
  precision  distinct ids reported as call/config that the application calls
  false      blocking model findings (MODEL-009/010/012, one per model) of a real `aigov check` (with
             the bundled example's manifest at the root) that name no id the application calls
  check      wall time of that `aigov check`
Before the call-site finder was wired in (text scan of every file, 20-unregistered-id cap, one finding
per model per file), on the same 11 applications: recall 78.7%, precision 36.2%, 512 false blocking
findings (worst repository 250).
With --peers VENV, the same figures for ai-bom and cisco-aibom (its scan without an LLM: see
CISCO_STATIC) run from that virtualenv, e.g. one made outside the repository with
`python3 -m venv /tmp/peers && /tmp/peers/bin/pip install ai-bom==3.6.0 cisco-aibom==1.10.0`.
For a peer "false" counts the reported ids that the application does not call (each would block
if it were judged). Results: benchmarks/results/model_refs.md.

Targets (issue 16): recall >= 95%, precision >= 90%, at most one false blocking finding per repository.
Usage: python benchmarks/bench_model_refs.py [--mirror DIR] [--peers VENV] [--only NAME] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
TRUTHS = HERE / "real_repos"
MANIFEST = HERE.parent / "examples" / "support-summarize" / "aigov.yaml"
READ_LIMIT = 5 * 1024 * 1024  # aigov's own file size limit


@dataclass
class Truth:
    repository: str
    commit: str
    called: set[str]

    @property
    def snapshot_name(self) -> str:
        return self.repository.replace("/", "+")


@dataclass
class Found:
    """What one finder reported on one repository: normalised id -> places, and blocking findings."""

    reported: dict[str, list[str]] = field(default_factory=dict)
    false_blocking: int = 0
    incomplete: int = 0
    seconds: float = 0.0
    check_seconds: float | None = None
    false_findings: list[str] = field(default_factory=list)


def normalise(spelled: str) -> str:
    from aigov.facts.model_calls import split_prefixes

    return split_prefixes(spelled.strip())[2].lower()


def load_truth(path: Path) -> Truth:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    called: set[str] = set()
    for entry in data["called"]:
        for spelled in entry.get("ids") or [entry["id"]]:
            called.add(normalise(str(spelled)))
    return Truth(data["repository"], data["commit"], called)


def extract(gitdir: Path, commit: str, dest: Path) -> int:
    """Write the commit's files under ``dest`` (files the snapshot lacks are skipped); the count written."""
    listing = subprocess.run(["git", "-C", str(gitdir), "ls-tree", "-r", "-z", "--full-tree", commit],
                             capture_output=True, check=True).stdout
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, name = record.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":
            entries.append((sha, name.decode("utf-8", "surrogateescape")))
    batch = subprocess.Popen(["git", "-C", str(gitdir), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert batch.stdin is not None and batch.stdout is not None
    written = 0
    for sha, name in entries:
        batch.stdin.write(sha + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if header[-1] == b"missing":
            continue
        data = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written += 1
    batch.stdin.close()
    batch.wait()
    return written


def source_files(root: Path) -> list[str]:
    from aigov.tree import WorkTree

    return WorkTree(root).files


def registry() -> dict[str, Any]:
    from aigov.resources import policies_dir
    from aigov.yamlfile import parse_yaml

    return parse_yaml((policies_dir() / "data" / "registry.yaml").read_text(encoding="utf-8"), "registry.yaml").data


# --- The finders ----------------------------------------------------------------------------------


def aigov(root: Path, truth: Truth) -> Found:
    """The collector `aigov check` runs (facts/model_refs.py with facts/model_calls.py) over the whole
    tree as one feature: a model is reported when the code calls or configures it (mentions decide
    nothing); blocking findings are those of a real `aigov check` (see time_check)."""
    from aigov.facts.model_calls import model_index
    from aigov.facts.model_refs import collect_model_references
    from aigov.tree import WorkTree

    found = Found()
    tree = WorkTree(root)
    start = time.perf_counter()
    facts = collect_model_references(tree, tree.files, model_index(registry()), set(), "prompts")
    found.seconds = time.perf_counter() - start
    for ref in facts["model_references"]:
        if ref["how"] != "mention":
            found.reported.setdefault(normalise(ref["spelled"]), []).append(f"{ref['path']}:{ref['line']}")
    found.incomplete = len(facts["unscanned_files"])
    found.check_seconds, blocking = time_check(root)
    found.false_blocking = sum(not models & truth.called for models in blocking)
    found.false_findings = [f for f, models in zip(blocking_messages(blocking), blocking, strict=True) if not models & truth.called]
    return found


# The peers read the code only: every address they might fetch (a model catalogue, the Hugging Face
# hub, an advisory database) is sent to a closed port on loopback, and their telemetry stays off.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "AI_BOM_TELEMETRY": "false", "AIBOM_LOG_LEVEL": "ERROR"}


def ai_bom(venv: Path) -> Callable[[Path, Truth], Found]:
    """ai-bom's scan with its Python AST analysis (--deep): each component with a model name."""
    def run(root: Path, truth: Truth) -> Found:
        found = Found()
        out = root.parent / "ai-bom.json"
        start = time.perf_counter()
        subprocess.run([str(venv / "bin" / "ai-bom"), "scan", str(root), "--deep", "-f", "json", "-o", str(out), "-q", "--no-telemetry"],
                       capture_output=True, timeout=900, env={**os.environ, **OFFLINE})
        found.seconds = time.perf_counter() - start
        if out.exists():
            for component in json.loads(out.read_text()).get("components", []):
                props = {p["name"]: p["value"] for p in component.get("properties", [])}
                if "trusera:model_name" in props:
                    place = props.get("trusera:source_location", "").replace(str(root) + "/", "")
                    found.reported.setdefault(normalise(props["trusera:model_name"]), []).append(place)
        found.false_blocking = len(set(found.reported) - truth.called)
        return found

    return run


# cisco-aibom's `analyze` refuses to run without an LLM (--llm-model) that classifies every candidate
# its scanners find; this machine reaches none. Its scan pipeline runs without one - its `watch`
# command does - so this is cisco-aibom's deterministic scan: the candidates before an LLM confirms
# or discards them (with an LLM it reports fewer).
CISCO_STATIC = """
import json, sys
from aibom.scan_pipeline import ScanPipeline
result = ScanPipeline(scan_paths=[sys.argv[1]], output_format="json").run()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump([component.model_dump(mode="json") for component in result.components], out)
"""


def cisco_aibom(venv: Path) -> Callable[[Path, Truth], Found]:
    def run(root: Path, truth: Truth) -> Found:
        found = Found()
        out = root.parent / "cisco-aibom.json"
        start = time.perf_counter()
        subprocess.run([str(venv / "bin" / "python"), "-c", CISCO_STATIC, str(root), str(out)],
                       capture_output=True, timeout=1800, env={**os.environ, **OFFLINE}, cwd=root.parent)
        found.seconds = time.perf_counter() - start
        if out.exists():
            for model, place in _cisco_models(json.loads(out.read_text())):
                found.reported.setdefault(normalise(model), []).append(place.replace(str(root) + "/", ""))
        found.false_blocking = len(set(found.reported) - truth.called)
        return found

    return run


def _cisco_models(components: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(model id, place) for each model component that names a model (not an unresolved "env:X")."""
    models: list[tuple[str, str]] = []
    for component in components:
        name = component.get("model_name") or component.get("embedding_model")
        if component.get("component_type") == "model" and isinstance(name, str) and name:
            models.append((name, f"{component.get('file_path', '')}:{component.get('line_number', '')}"))
    return models


# --- aigov check ----------------------------------------------------------------------------------


BLOCKING_MODEL_RULES = {"AIGOV-MODEL-009", "AIGOV-MODEL-010", "AIGOV-MODEL-012"}


class Blocking(frozenset):  # the normalised ids one blocking finding names, and its message
    message: str = ""


def time_check(root: Path) -> tuple[float, list[Blocking]]:
    """Seconds of `aigov check` on the tree with a manifest at its root, and its blocking model findings."""
    shutil.copy(MANIFEST, root / "aigov.yaml")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aigov", "check", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    try:
        findings = _findings(json.loads(proc.stdout))
    except ValueError:
        findings = []
    blocking = []
    for finding in findings:
        if finding.get("id") in BLOCKING_MODEL_RULES:
            models = Blocking(named_models(finding["message"]))
            models.message = f"{finding['id']} {finding['path']}:{finding['line']} {finding['message']}"
            blocking.append(models)
    return seconds, blocking


def named_models(message: str) -> set[str]:
    """The ids a model finding names: its message starts "a, b (c in the registry) is ..."."""
    head = message.split(" is ", 1)[0]
    head = re.sub(r" \((\S+) in the registry\)$", r", \1", head)
    return {normalise(spelled) for spelled in head.split(", ") if spelled}


def blocking_messages(blocking: list[Blocking]) -> list[str]:
    return [models.message for models in blocking]


def _findings(report: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [report]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("id"), str) and item["id"].startswith("AIGOV-"):
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


# --- Report ---------------------------------------------------------------------------------------


@dataclass
class Totals:
    called: int = 0
    hit: int = 0
    reported: int = 0
    real: int = 0
    false_blocking: int = 0
    worst: int = 0

    def add(self, truth: Truth, found: Found) -> tuple[int, int, int, int]:
        hit = len(truth.called & set(found.reported))
        real = len(set(found.reported) & truth.called)
        self.called += len(truth.called)
        self.hit += hit
        self.reported += len(found.reported)
        self.real += real
        self.false_blocking += found.false_blocking
        self.worst = max(self.worst, found.false_blocking)
        return hit, len(truth.called), real, len(found.reported)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"), help="folder of <owner>+<name>/repo snapshots")
    parser.add_argument("--peers", type=Path, help="a virtualenv with cisco-aibom and ai-bom installed")
    parser.add_argument("--only", help="only repositories whose name contains this")
    parser.add_argument("--show-misses", action="store_true", help="list missed called ids and false reported ids")
    args = parser.parse_args()

    finders: dict[str, Callable[[Path, Truth], Found]] = {"aigov": aigov}
    if args.peers:
        finders["ai-bom"] = ai_bom(args.peers)
        finders["cisco-aibom (no LLM)"] = cisco_aibom(args.peers)
    totals = {name: Totals() for name in finders}
    checks: list[float] = []
    for truth_file in sorted(TRUTHS.glob("*.yaml")):
        truth = load_truth(truth_file)
        gitdir = args.mirror / truth.snapshot_name / "repo"
        if (args.only and args.only not in truth.repository) or not gitdir.is_dir():
            if not args.only:
                print(f"{truth.repository}: no snapshot at {gitdir}, skipped")
            continue
        with tempfile.TemporaryDirectory(prefix="bench-refs-") as tmp:
            root = Path(tmp) / "tree"
            files = extract(gitdir, truth.commit, root)
            print(f"\n{truth.repository} @ {truth.commit[:10]} ({files} files, {len(truth.called)} ids called)")
            for name, finder in finders.items():
                found = finder(root, truth)
                hit, called, real, reported = totals[name].add(truth, found)
                extra = f", {found.incomplete} files not read to their end" if found.incomplete else ""
                if found.check_seconds is not None:
                    checks.append(found.check_seconds)
                    extra += f"; aigov check {found.check_seconds:.2f} s"
                print(f"  {name:26} recall {percent(hit, called)} ({hit}/{called})  precision {percent(real, reported)}"
                      f" ({real}/{reported})  false blocking {found.false_blocking:4d}  {found.seconds:6.2f} s{extra}")
                if args.show_misses:
                    print(f"      missed: {sorted(truth.called - set(found.reported))}")
                    print(f"      false:  {sorted((m, p[0]) for m, p in found.reported.items() if m not in truth.called)}")
                    for message in found.false_findings:
                        print(f"      false blocking: {message}")
    print("\nTotal")
    for name, total in totals.items():
        print(f"  {name:26} recall {percent(total.hit, total.called)} ({total.hit}/{total.called})  precision "
              f"{percent(total.real, total.reported)} ({total.real}/{total.reported})  false blocking "
              f"{total.false_blocking} (worst repository {total.worst})")
    if checks:
        print(f"  aigov check: {sum(checks):.2f} s in all, slowest {max(checks):.2f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    main()
