"""The embedded engine (regorus) and real OPA decide alike: the same policy tests pass, the same findings come out.

Real OPA semantics come from opa-golib-python-bindings (OPA v1.20.2 in-process); the repository
checks go through the real CLI to tests/opa_stub.py, a loopback OPA REST server on 127.0.0.1 that
stands in for a deployed OPA and evaluates with those bindings.

Constructs where regorus and OPA disagree, which the shipped pack therefore avoids:

- ``not f(x.missing)``, a function call inside ``not`` whose argument is an undefined reference
  (``not is_string(file.bundle)`` for a file without ``bundle``). regorus: the call is undefined,
  so ``not`` holds. OPA hoists the argument out of the negation (``__local0__ = file.bundle;
  not is_string(__local0__)``), so the whole body is undefined and the rule silently does not
  fire. The pack writes ``not is_string(object.get(file, "bundle", null))`` instead
  (sbom.rego ``line_or_start``; signing.rego ``expected_identity``, ``identity_flag``, ``bundle_name``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from aigov.check import utc_now
from aigov.config import OrgConfig
from aigov.policy.loading import build_pack
from aigov.policy.testing import run_policy_tests
from conftest import CLOCK, EXAMPLE, run_cli
from opa_stub import OpaStub

pytestmark = pytest.mark.usefixtures("opa_oracle")

TEMPLATES = ("rag-service", "agent", "classic-ml")
# Generated repositories carry today's review date, so they are judged on today's clock (one
# instant for both engines); the example on the fixed clock the other tests use.
TODAY = utc_now()


# --- (a) every shipped policy test, on both engines ----------------------------------------------


def test_every_shipped_policy_test_passes_on_regorus_and_on_real_opa() -> None:
    from opa_bindings import OpaEngine, OpaError

    pack = build_pack(OrgConfig(), include_tests=True)
    on_regorus = run_policy_tests(pack)
    on_opa: dict[str, bool] = {}
    with OpaEngine() as engine:  # closed here: see OpaStub._discard_engine for why it matters
        for path, source in pack.modules.items():
            engine.add_policy(path, source)
        engine.add_data(pack.data)
        for info in pack.infos.values():
            if not info.tests:
                continue
            try:  # one evaluation per test package: OPA compiles the pack once per query
                document = engine.eval_document(info.package, {})
            except OpaError as exc:
                pytest.fail(f"OPA cannot evaluate {info.package}: {exc}")
            on_opa.update({f"{info.package}.{name}": document.get(name) is True for name in info.tests})
    assert sorted(name for name, passed in on_opa.items() if not passed) == []
    assert [r for r in on_regorus.results if r.outcome != "pass"] == []
    assert set(on_opa) == {f"{r.package}.{r.name}" for r in on_regorus.results} and len(on_opa) > 100


# --- (b) the example and every paved road, judged by both engines ---------------------------------


@pytest.fixture(scope="module")
def opa_url() -> Iterator[str]:
    stub = OpaStub()
    yield stub.start()
    stub.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A repository per template, made once with the real `aigov new` (slow: copier and git)."""
    import os

    root = tmp_path_factory.mktemp("parity")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(root / "xdg-cache")  # the template cache, outside every checked tree
    try:
        repos = {}
        for template in TEMPLATES:
            dest = root / template
            run = run_cli("new", f"demo-{template}", "--template", template, "--tier", "high", "--owner", "team-demo",
                          "--dest", str(dest), "--github-org", "acme", "--no-interactive")
            assert run.exit_code == 0, run.stderr
            repos[template] = dest
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old
    return repos


def broken_copy(repo: Path, dest: Path) -> Path:
    """The repository with something wrong for most packages: an unapproved model, no model card, an
    unreadable SBOM, too few eval cases, no PR workflow and an unsigned release artefact."""
    shutil.copytree(repo, dest)
    manifest = dest / "aigov.yaml"
    manifest.write_text(re.sub(r'(- id: )"?[^"\n]+"?', r'\1"acme.unapproved-llm"', manifest.read_text(), count=1))
    (dest / "MODEL_CARD.md").unlink()
    (dest / "sbom.cdx.json").write_text("{")
    golden = dest / "evals" / "golden.jsonl"
    if golden.exists():
        golden.write_text("".join(golden.read_text().splitlines(keepends=True)[:2]))
    for workflow in (dest / ".github" / "workflows").glob("pr*.yml"):
        workflow.unlink()
    (dest / "dist").mkdir(exist_ok=True)
    (dest / "dist" / "demo-1.0.0-py3-none-any.whl").write_bytes(b"not signed")
    return dest


def findings_both_ways(path: Path, url: str, *extra: str, now: str = TODAY) -> tuple[list, list]:
    def judged(*engine: str) -> list:
        run = run_cli("check", str(path), "--now", now, "--format", "json", *extra, *engine)
        assert run.exit_code in (0, 1), run.stderr
        doc = run.json()
        return [doc["verdict"], doc["findings"]]  # every field of every finding, in report order

    return judged(), judged("--engine", "opa", "--opa-url", url)


def test_the_example_gets_the_same_findings_from_both_engines(opa_url: str) -> None:
    embedded, opa = findings_both_ways(EXAMPLE, opa_url, "--root", str(EXAMPLE), now=CLOCK)
    assert opa == embedded


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_generated_repository_gets_the_same_findings_from_both_engines(generated: dict[str, Path], opa_url: str,
                                                                        template: str, tmp_path: Path) -> None:
    as_generated = findings_both_ways(generated[template], opa_url)
    assert as_generated[1] == as_generated[0] == ["pass", []]
    embedded, opa = findings_both_ways(broken_copy(generated[template], tmp_path / template), opa_url)
    ids = {f["id"] for f in embedded[1]}
    assert {"AIGOV-MODEL-001", "AIGOV-SIGN-001"} <= ids and len(ids) >= 5, ids  # many packages have something to say
    assert opa == embedded
