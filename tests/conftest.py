"""Shared test helpers: real feature repositories on disk, and the real CLI run in-process or as a process."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aigov.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = REPO_ROOT / "examples" / "support-summarize"

# Room the run's scratch needs in memory: a green run writes some 120,000 files, 0.5 GB (its git
# repositories, copier renders, two virtual environments), and a failed run's are kept.
SCRATCH_IN_MEMORY_BYTES = 4 * 1024**3


def memory_scratch() -> Path | None:
    """/dev/shm when it is a tmpfs with room for the run's scratch folders, else None (the disk's /tmp)."""
    shm = Path("/dev/shm")
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        room = os.statvfs(shm)
    except OSError:
        return None
    tmpfs = any(line.split()[1:3] == [str(shm), "tmpfs"] for line in mounts)  # device, mount point, type, ...
    writable = os.access(shm, os.W_OK | os.X_OK)
    return shm if tmpfs and writable and room.f_bavail * room.f_frsize >= SCRATCH_IN_MEMORY_BYTES else None


def put_scratch_in_memory() -> bool:
    """The tests' temporary folders (pytest's tmp_path, and those of the git, pip and aigov processes
    they start) go to memory when there is room, unless TMPDIR says where. On this disk (ext4) creating
    a file in a folder whose neighbours were just deleted searches the inode tables, and the git
    histories the property tests build did that for most of their system time: the commit reader's
    property took 27 s instead of 17 s. The xdist workers inherit TMPDIR; a green run's folders are
    removed at its end (pytest_sessionfinish) so that memory is not held between runs."""
    if "TMPDIR" in os.environ or "PYTEST_DEBUG_TEMPROOT" in os.environ:
        return False
    scratch = memory_scratch()
    if scratch is None:
        return False
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    return True


# Decided once, by the process that starts the run (its xdist workers find TMPDIR set).
SCRATCH_IN_MEMORY = put_scratch_in_memory()
CLOCK = "2026-11-23T12:00:00Z"

MANIFEST = """\
apiVersion: aigov.dev/v1
kind: AIFeature
metadata:
  name: {name}
  owner: team-support
spec:
  riskTier: {tier}
  dataClassification: internal
  models:
    - id: {model}
      provider: {provider}
      purpose: summarization
  modelCard: MODEL_CARD.md
  evals: {{config: evals/config.yaml}}
  sbom: sbom.cdx.json
"""

EVAL_CONFIG = """\
command: python evals/run.py --config evals/config.yaml
suites:
  - name: golden
    dataset: evals/golden.jsonl
    metrics:
      - {name: key_fact_coverage, threshold: 0.85}
"""

# The eval gate: a pull-request workflow at the repository root that runs the command in the feature's folder.
EVAL_WORKFLOW = """\
name: evals-{name}
on:
  pull_request:
    branches: [main]
jobs:
  evals:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: {folder}
    steps:
      - uses: actions/checkout@v4
      - run: python evals/run.py --config evals/config.yaml
"""

MODEL_CARD = """\
---
models: [{model}]
owners: [team-support]
last_reviewed: 2026-10-01
---

# {name}

## Intended use

Internal support agents read the summary before replying.

## Limitations and risks

Summaries can miss details in long threads.

## Evaluation

Forty golden tickets, coverage of key facts at least 0.85.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old``, which must be in the file, with ``new``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new), encoding="utf-8")


def make_feature(
    root: Path,
    name: str = "support-summarize",
    tier: str = "medium",
    model: str = "anthropic.claude-sonnet-4",
    provider: str = "bedrock",
    repo: Path | None = None,
) -> Path:
    """A minimal compliant feature in ``root``: manifest, model card, and evals gated in CI.

    ``repo`` is the repository root (default ``root``), where the eval workflow goes.
    """
    write(root / "aigov.yaml", MANIFEST.format(name=name, tier=tier, model=model, provider=provider))
    write(root / "MODEL_CARD.md", MODEL_CARD.format(name=name, model=model))
    add_eval_gate(root, name, repo or root)
    add_sbom(root)
    return root


def add_sbom(root: Path) -> None:
    """The feature's ML-BOM as `aigov sbom . -o sbom.cdx.json` writes it; call again after changing models or pins."""
    from aigov.sbom.generate import generate_ml_bom

    key = _sbom_inputs_digest(root)
    text = _GENERATED_SBOMS.get(key) if key else None
    if text is None:
        text = generate_ml_bom(root, CLOCK)
        if key:
            _GENERATED_SBOMS[key] = text
    (root / "sbom.cdx.json").write_text(text, encoding="utf-8")


# The generator's output is a function of the feature's files alone (the clock is CLOCK): identical files
# get identical bytes, so each test process generates each distinct feature once (over 1,800 calls, most
# of them for the same few features).
_GENERATED_SBOMS: dict[str, str] = {}


def _sbom_inputs_digest(root: Path) -> str | None:
    """A digest of every file, link and folder below ``root`` but the SBOM; None where the files alone do
    not decide (``root`` is a git repository, so git says which files count), or one is not a regular file
    or cannot be read."""
    if (root / ".git").exists():
        return None
    try:
        return _tree_digest(root)
    except OSError:
        return None


def _tree_digest(root: Path) -> str | None:
    digest = hashlib.sha256()
    for folder, folders, files in os.walk(root):
        folders.sort()
        for name in sorted([*folders, *files]):
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                entry = f"link {rel} {os.readlink(path)}"
            elif stat.S_ISDIR(mode):
                entry = f"folder {rel}"
            elif stat.S_ISREG(mode):
                if rel == "sbom.cdx.json":
                    continue
                entry = f"file {rel} {hashlib.sha256(path.read_bytes()).hexdigest()}"
            else:
                return None
            digest.update(entry.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def add_eval_gate(root: Path, name: str, repo: Path) -> None:
    """An eval config with 50 cases (enough for every tier) and the workflow that runs it on pull requests."""
    write(root / "evals/config.yaml", EVAL_CONFIG)
    cases = "".join(json.dumps({"id": i, "ticket": f"ticket {i}", "key_facts": [f"fact {i}"]}) + "\n" for i in range(50))
    write(root / "evals/golden.jsonl", cases)
    folder = root.resolve().relative_to(repo.resolve()).as_posix()
    write(repo / ".github/workflows" / f"evals-{name}.yml", EVAL_WORKFLOW.format(name=name, folder=folder))


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str | None] | None = None) -> Run:
    """The real CLI, in-process (fast); stdout and stderr kept apart. ``env``: variables set (None: unset)
    for the run only."""
    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(main, list(args), catch_exceptions=False, env=env)
    finally:
        os.chdir(old)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """``aigov`` in a fresh process, as CI runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "aigov", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def check(path: Path, *extra: str) -> Run:
    return run_cli("check", str(path), "--now", CLOCK, *extra)


def decision(run: Run) -> dict[str, Any]:
    """The JSON report of a run in which aigov decided: exit 0 and "pass", or exit 1 and "fail".

    An error's report (exit 2) has ``"findings": []`` too: without this, every assertion that a
    finding is absent would pass when aigov crashed."""
    assert run.exit_code in (0, 1), f"aigov did not decide (exit {run.exit_code}): {run.stderr[-2000:]}"
    doc = run.json()
    assert_check_result(doc)
    assert doc["verdict"] == ("fail" if run.exit_code else "pass"), (run.exit_code, doc["verdict"])
    return doc


def assert_check_result(doc: Any) -> None:
    """Every JSON report a test reads is what schemas/check-result.schema.json documents."""
    from aigov.validation import schema_errors

    assert schema_errors(doc, "check-result") == [], schema_errors(doc, "check-result")[:5]


def check_json(path: Path, *extra: str) -> dict[str, Any]:
    """The JSON report of ``aigov check`` on ``path``, which must have decided (see decision)."""
    return decision(check(path, "--format", "json", *extra))


def finding_ids(path: Path, *extra: str) -> list[str]:
    return [f["id"] for f in check_json(path, *extra)["findings"]]


@pytest.fixture
def feature(tmp_path: Path) -> Path:
    return make_feature(tmp_path / "repo")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``name``, built by ``build(path)`` once for the whole run and shared by the xdist workers: the
    first to ask builds it under a lock, the others wait and reuse it. Only for what no test changes
    (a virtual environment with pinned packages), never for a repository a test may write into."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, above each worker's
    target = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / f"{name}.built").exists():
            shutil.rmtree(target, ignore_errors=True)  # a build that failed half-way
            build(target)
            (shared / f"{name}.built").touch()
    return target


# Limits for hostile-input tests: a hang or a memory blow-up must fail the test, not stall CI.
HOSTILE_TIMEOUT_S = 60
HOSTILE_MEMORY_BYTES = 2 * 1024**3


# A Python that starts with Ctrl-C as a terminal gives it: SIGINT at its default and unblocked, then
# execs the rest of the command line. A child inherits an ignored or blocked SIGINT from the test
# process, and Python turns SIGINT into KeyboardInterrupt only if it starts at the default, so a test
# that sends Ctrl-C states the child's starting state instead of inheriting whatever the worker holds
# (twice, under load, a whole run of them was ignored).
PYTHON_WITH_CTRL_C = (sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT]); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


def run_limited(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None,
    timeout: float = HOSTILE_TIMEOUT_S, memory_bytes: int = HOSTILE_MEMORY_BYTES, launcher: Sequence[str] = (),
) -> Run:
    """``aigov`` in a fresh process under a wall-clock timeout and an address-space cap.

    A process that outlives ``timeout`` is killed and the test fails naming the command; one that
    exceeds ``memory_bytes`` dies with MemoryError or a signal, which the caller's assertions on
    the exit code and the one-line error then catch. ``launcher``: a command that runs aigov (the
    ``unprivileged`` fixture's).
    """
    import resource

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    try:
        proc = subprocess.run(
            [*launcher, sys.executable, "-m", "aigov", *args], cwd=cwd, capture_output=True, text=True, env=env,
            input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
            timeout=timeout, preexec_fn=limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"aigov {' '.join(args)} did not finish within {timeout} s (a hang is a bypass)")
    return Run(proc.returncode, proc.stdout, proc.stderr)


def eventually(holds: Callable[[], Any], within_s: float = HOSTILE_TIMEOUT_S) -> Any:
    """What ``holds()`` returns once it is true, or its last falsy answer after ``within_s``. A readiness
    wait: it ends as soon as the condition holds, so ``within_s`` is a hang guard, never a claim about speed."""
    deadline = time.monotonic() + within_s
    while not (answer := holds()) and time.monotonic() < deadline:
        time.sleep(0.005)
    return answer


def assert_clean_error(run: Run, *fragments: str) -> None:
    """Exit 2 with one line on stderr that names what went wrong; never a traceback."""
    assert run.exit_code == 2, (run.exit_code, run.stdout[-2000:], run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aigov: error: "), run.stderr[-2000:]
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def org_config(folder: Path, config: str, files: dict[str, str] | None = None) -> Path:
    """An org config outside the checked repository, as CI checks it out under $RUNNER_TEMP; its path."""
    for name, text in (files or {}).items():
        write(folder / name, text)
    return write(folder / "aigov-org.yaml", config)


# An org rule (package acme.names), for tests of rules the org adds.
ORG_RULE = """\
package acme.names

import rego.v1

# METADATA
# title: Name has a team prefix
# custom:
#   id: ACME-1
#   severity: medium
deny contains {"id": "ACME-1", "msg": "no prefix"} if {
	not startswith(input.feature.name, "acme-")
}

unused_helper(x) := x + 1
"""


def _untraced_after_fork() -> None:
    """A forked child stops coverage's tracer. aigov's forked children (the evaluation worker, the SBOM
    reader) end in os._exit or SIGKILL, so coverage never saves what they run (pyproject.toml: child
    processes are not counted); tracing them only made every check's evaluation slower."""
    sys.settrace(None)
    threading.settrace(None)


os.register_at_fork(after_in_child=_untraced_after_fork)


# --- Shared fixtures -------------------------------------------------------------------------------
# Test modules use these by name (autouse ones with `pytestmark = pytest.mark.usefixtures(...)`),
# never by importing another test module.


@pytest.fixture(scope="session", autouse=True)
def caches_of_this_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What aigov, sigstore and chromium cache under $XDG_CACHE_HOME / $XDG_DATA_HOME goes to a folder
    of this test process: pytest-xdist workers never write one cache at once, and nothing lands in
    the user's home. (tmp_path_factory gives each worker a base folder of its own.)"""
    root = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        patch.setenv("XDG_DATA_HOME", str(root / "data"))
        yield


def in_ci() -> bool:
    """Whether the tests run in CI (CI=true, as GitHub Actions and .ci/run's callers set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_or_skip(available: bool, missing: str) -> None:
    """Go on when what a test needs is ``available``. Otherwise skip, saying what is ``missing``; but
    in CI fail: there a skip would report a test that never ran as if all were well."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{missing}; in CI (CI=true) that fails the test instead of skipping it", pytrace=False)
    pytest.skip(missing)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: a worker per core and one more. Many tests wait on another process (git, bash, pip,
    a real `aigov`, a stand-in server's deadline), leaving their core idle meanwhile; a third worker
    on a 2-core runner took the suite from 5:41 to 5:11 (same CPU time, fewer idle cores)."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Only pytest-cov's own coverage traces an xdist worker, so that `no_cover` stops all tracing.
    pytest-cov 7.1 starts two in a worker: the controller's (it takes the worker's `-n` for its own)
    and the worker's. `no_cover` stops the worker's, which hands tracing back to the other, whose
    data nobody saves: the property tests ran fully traced for nothing (35 s of CPU in the commit
    reader's alone). The stray one is stopped here, once, after pytest-cov has started both."""
    plugin = session.config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    if not os.environ.get("PYTEST_XDIST_WORKER") or controller is None or controller.cov is None:
        return
    import coverage

    controller.cov.stop()  # the worker's, started last; stopping it makes the stray one current
    while (stray := coverage.Coverage.current()) is not None:
        stray.stop()
    controller.cov.start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A green run's scratch folders in memory are removed (put_scratch_in_memory); a failed run's
    stay for a look, as pytest keeps them on disk."""
    factory = getattr(session.config, "_tmp_path_factory", None)  # pytest's, as its own sessionfinish reads it
    if factory is None or factory._given_basetemp is not None:  # a --basetemp given is the user's to keep
        return
    if SCRATCH_IN_MEMORY and exitstatus == 0 and factory._basetemp is not None:
        shutil.rmtree(factory._basetemp, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that load real OPA into the test process (those using opa_oracle) run last, in their order.
    OPA's Go runtime leaves a process some 300 MB larger for good, and every check forks the test process
    (its evaluation child, its SBOM reader): forking copies the page tables of all of it, which cost every
    later check in that process some 40 ms more. (pytest-xdist's workers all sort the same way.)"""
    items.sort(key=lambda item: "opa_oracle" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def opa_oracle() -> None:
    """Real OPA (v1.20.2 in-process, from opa-golib-python-bindings): the oracle for engine parity. Tests
    that load it into the test process use this fixture (they run last: pytest_collection_modifyitems)."""
    require_or_skip(importlib.util.find_spec("opa_bindings") is not None,
                    "opa-golib-python-bindings==0.4.4 is not installed (pip install --no-deps --ignore-requires-python "
                    "opa-golib-python-bindings==0.4.4): it is the OPA oracle")


def program(*names: str, missing: str) -> str:
    """The path of the first of ``names`` on PATH (require_or_skip when there is none)."""
    path = next((found for found in map(shutil.which, names) if found), None)
    require_or_skip(path is not None, missing)
    return str(path)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, the real browser the evidence report is rendered in."""
    return program("chromium", "chromium-browser", missing="chromium is not installed (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def bash() -> str:
    """Real bash, the oracle for aigov's model of `run:` scripts."""
    return program("bash", missing="bash is not installed")


# Root reads every file whatever its mode, and CI runs the tests as root. There the tests of unreadable
# files run aigov through setpriv (util-linux) stripped of every capability: uid 0 then has no more power
# over a file than its mode gives its owner. (Another user would not do: CI's python3 lives under /root,
# which no other user may enter.)
WITHOUT_PRIVILEGES = ("setpriv", "--bounding-set", "-all", "--inh-caps", "-all", "--")


@pytest.fixture(scope="session")
def unprivileged() -> Sequence[str]:
    """A launcher for run_limited under which file modes bind: none when the tests do not run as root."""
    if os.geteuid() != 0:
        return ()
    usable = shutil.which("setpriv") is not None
    if usable:
        probe = subprocess.run([*WITHOUT_PRIVILEGES, "cat", "/proc/self/status"], capture_output=True, text=True, timeout=60)
        usable = probe.returncode == 0 and "CapEff:\t0000000000000000" in probe.stdout
    require_or_skip(usable, "the tests run as root, who reads every file, and setpriv (util-linux) cannot run aigov "
                            "without root's capabilities here")
    return WITHOUT_PRIVILEGES


@pytest.fixture(scope="session")
def instance() -> Any:
    """A throw-away Sigstore instance (tests/sigstore_fixture.py: own CA, CT log and Rekor keys)."""
    from sigstore_fixture import SigstoreInstance

    return SigstoreInstance.create()


@pytest.fixture(scope="session")
def trusted_root(instance: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return instance.write_trusted_root(tmp_path_factory.mktemp("trust") / "trusted_root.json")


@pytest.fixture(scope="module")
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """aigov's template cache (XDG_CACHE_HOME) in a temporary folder, outside any checked repository."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The loopback stand-in for api.github.com (tests/github_stub.py), named by GITHUB_API_URL."""
    from github_stub import fake_github

    with fake_github() as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("AIGOV_GITHUB_BACKOFF", "0.01")
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        yield server
