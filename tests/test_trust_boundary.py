"""The judged repository cannot weaken its own gate, and one feature gets one verdict whatever path is named.

Every test builds a real repository on disk (a real git repository where git's view matters)
and runs the real CLI with the real Rego pack.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import (
    CLOCK,
    EXAMPLE,
    HOSTILE_TIMEOUT_S,
    PYTHON_WITH_CTRL_C,
    assert_clean_error,
    check,
    check_json,
    eventually,
    make_feature,
    org_config,
    run_cli,
    run_limited,
    write,
)
from repo_helpers import commit_all, init_repo

BANNED = "unvetted-community-7b"
PERMISSIVE_REGISTRY = f"models:\n  - id: {BANNED}\n    provider: huggingface\n    status: approved\n    approvedTiers: [low, medium, high]\n"


def git_repo(root: Path) -> Path:
    commit_all(init_repo(root), "init")
    return root


def located(doc: dict) -> list[tuple[str, str, int | None]]:
    return [(f["id"], f["path"], f["line"]) for f in doc["findings"]]


def banned_feature(root: Path) -> Path:
    """A feature that uses a banned model: blocked by the shipped registry."""
    make_feature(root, tier="medium", model=BANNED, provider="huggingface")
    return root


# --- The repository's own config may add, never weaken --------------------------------------


def test_repository_registry_is_refused_at_its_line_and_the_model_stays_banned(tmp_path: Path) -> None:
    root = banned_feature(tmp_path / "repo")
    write(root / ".aigov/reg.yaml", PERMISSIVE_REGISTRY)
    write(root / ".aigov/config.yaml", "block: [medium]\nregistry: .aigov/reg.yaml\n")
    doc = check_json(root)
    assert doc["verdict"] == "fail"
    ids = [f["id"] for f in doc["findings"]]
    assert "AIGOV-MODEL-003" in ids  # still banned: the shipped registry decided
    [refusal] = [f for f in doc["findings"] if f["id"] == "AIGOV-CONFIG-001"]
    assert (refusal["path"], refusal["line"], refusal["blocking"]) == (".aigov/config.yaml", 2, True)
    assert refusal["message"].startswith("registry: only the org config can replace the approved-model registry")


def test_repository_extra_registries_cannot_approve_a_model(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo", model="acme-internal-llm", provider="acme")
    write(root / ".aigov/extra.yaml", "models:\n  - id: acme-internal-llm\n    provider: acme\n    status: approved\n    approvedTiers: [medium]\n")
    write(root / ".aigov/config.yaml", "extraRegistries: [.aigov/extra.yaml]\n")
    doc = check_json(root)
    assert ("AIGOV-CONFIG-001", ".aigov/config.yaml", 1) in located(doc)
    assert "AIGOV-MODEL-001" in [f["id"] for f in doc["findings"]]  # still unregistered


def test_repository_data_cannot_relax_shipped_settings(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    write(root / "evals/golden.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(3)))
    write(root / ".aigov/config.yaml", "data: [.aigov/relax.yaml]\n")
    write(root / ".aigov/relax.yaml", "# make every eval set big enough\naigov:\n  settings:\n    evals:\n      min_cases: {low: 0, medium: 0, high: 0}\n")
    doc = check_json(root)
    assert ("AIGOV-CONFIG-001", ".aigov/relax.yaml", 2) in located(doc)
    assert "AIGOV-EVAL-006" in [f["id"] for f in doc["findings"]]  # three cases are still too few


def test_repository_rules_cannot_join_a_shipped_package(tmp_path: Path) -> None:
    root = banned_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "policies: [.aigov/policies]\n")
    # If loaded, this would make the shipped models package fail to evaluate or change its answers.
    write(root / ".aigov/policies/models.rego", '# tweak\npackage aigov["models"]\n\nimport rego.v1\n\nbanned := {}\n')
    doc = check_json(root)
    assert ("AIGOV-CONFIG-001", ".aigov/policies/models.rego", 2) in located(doc)
    assert "AIGOV-MODEL-003" in [f["id"] for f in doc["findings"]]


def test_repository_may_add_its_own_rules_data_and_blocking_severities(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo", tier="low", model="gpt-4o", provider="openai")
    write(root / ".aigov/config.yaml", "block: [medium]\npolicies: [.aigov/policies]\ndata: [.aigov/team.yaml]\n")
    write(root / ".aigov/team.yaml", "teams:\n  allowed_owners: [team-platform]\n")
    write(root / ".aigov/policies/owners.rego", """\
        package team.owners

        import rego.v1

        # METADATA
        # title: Owner must be listed
        # custom:
        #   id: TEAM-OWNER-001
        #   severity: low
        #   remediation: Use an owner from data.teams.allowed_owners.
        deny contains f if {
        \tnot input.feature.manifest.metadata.owner in data.teams.allowed_owners
        \tf := {"id": "TEAM-OWNER-001", "msg": "owner not listed", "path": input.feature.manifest_path, "line": 5}
        }
        """)
    doc = check_json(root, "--now", "2027-02-01T00:00:00Z")  # gpt-4o's sunset warning is medium: now blocking
    assert "medium" in doc["block"]
    assert {f["id"] for f in doc["findings"]} == {"TEAM-OWNER-001", "AIGOV-MODEL-007"}
    assert doc["verdict"] == "fail"
    roles = [s["role"] for s in doc["sources"]]
    assert roles[:2] == ["policy-pack", "registry"] and roles[2:] == ["repository-config", "repository-policies", "data"]


def test_repository_cannot_exclude_a_feature(tmp_path: Path) -> None:
    make_feature(tmp_path / "svc", name="svc", model="mystery-model", repo=tmp_path)
    write(tmp_path / ".aigov/config.yaml", "exclude:\n  - vendor\n  - svc\n")
    doc = check_json(tmp_path)
    assert doc["features"] == ["svc"]
    assert ("AIGOV-CONFIG-001", ".aigov/config.yaml", 3) in located(doc)
    assert "AIGOV-MODEL-001" in [f["id"] for f in doc["findings"]]


def test_repository_cannot_set_the_evaluation_time_limit(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    write(root / ".aigov/config.yaml", "evaluationTimeoutSeconds: 3600\n")
    assert located(check_json(root)) == [("AIGOV-CONFIG-001", ".aigov/config.yaml", 1)]


# --- Authority from outside ------------------------------------------------------------------


def test_org_config_from_outside_decides_and_is_named_with_its_digest(tmp_path: Path) -> None:
    root = banned_feature(tmp_path / "repo")
    org = org_config(tmp_path / "platform", "registry: registry.yaml\n", {"registry.yaml": PERMISSIVE_REGISTRY})
    result = run_cli("check", str(root), "--now", CLOCK, "--format", "json", env={"AIGOV_CONFIG": str(org)})
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["findings"] == []
    sources = {s["role"]: s for s in doc["sources"]}
    assert sources["org-config"]["digest"] == "sha256:" + hashlib.sha256(org.read_bytes()).hexdigest()
    assert sources["registry"]["path"].endswith("registry.yaml") and sources["registry"]["path"] != "policies/data/registry.yaml"
    text = check(root, "--config", str(org)).stdout.splitlines()
    assert text[0].startswith("PASS") and text[1].startswith("authority: policy pack ") and "org config " in text[1]


def test_org_config_inside_the_checked_repository_is_refused(tmp_path: Path) -> None:
    root = banned_feature(tmp_path / "repo")
    write(root / ".aigov/reg.yaml", PERMISSIVE_REGISTRY)
    inside = write(root / "ci/org.yaml", "registry: ../.aigov/reg.yaml\n")
    assert_clean_error(run_cli("check", str(root), "--config", str(inside)), "--config points inside the checked repository")
    assert_clean_error(run_cli("check", str(root), "--registry", str(root / ".aigov/reg.yaml")), "--registry points inside")


# --- One verdict per feature, whatever the path ----------------------------------------------


def monorepo(root: Path) -> Path:
    """Two features; the gate workflows and a config that makes medium findings block at the root."""
    make_feature(root / "svc", name="svc", tier="low", model="gpt-4o", provider="openai", repo=root)
    make_feature(root / "other", name="other", repo=root)
    write(root / ".aigov/config.yaml", "block: [medium]\n")
    return git_repo(root)


def test_a_feature_folder_and_the_repository_root_give_the_same_verdict(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "mono")
    late = "2027-02-01T00:00:00Z"  # gpt-4o's sunset warning (medium) blocks under the root config
    whole = check_json(root, "--now", late)
    alone = check_json(root / "svc", "--now", late)
    assert alone["features"] == ["svc"]
    assert alone["verdict"] == whole["verdict"] == "fail"
    assert [f for f in whole["findings"] if f["feature"] == "svc"] == alone["findings"]
    assert run_cli("check", str(root / "svc/evals"), "--now", late, "--format", "json").json()["features"] == ["svc"]


def test_workflows_inside_a_feature_folder_are_not_a_gate(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    make_feature(root / "svc", name="svc", repo=root / "svc")  # its eval workflow sits in svc/.github: GitHub never runs it
    git_repo(root)
    for path in (root, root / "svc"):
        assert "AIGOV-EVAL-008" in [f["id"] for f in check_json(path)["findings"]]


def shadow_models(root: Path) -> list[tuple[str, int]]:
    """Undeclared models the code calls (AIGOV-MODEL-009), as (file, line)."""
    return [(f["path"], f["line"]) for f in check_json(root)["findings"] if f["id"] == "AIGOV-MODEL-009"]


def test_only_what_git_would_commit_is_judged(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo")
    write(root / ".gitignore", "scratch/\nreport.json\n")
    write(root / "scratch/notes.py", 'MODEL = "gpt-4o"\n')
    git_repo(root)
    assert shadow_models(root) == []
    write(root / "src/app.py", 'MODEL = "gpt-4o"\n')  # untracked and not ignored: git would commit it
    assert shadow_models(root) == [("src/app.py", 1)]


def test_a_report_written_into_the_tree_is_not_judged(tmp_path: Path) -> None:
    """The findings of a failing check name models; the next check must not find them in the report."""
    root = make_feature(tmp_path / "repo", model="gpt-4o-mini", provider="openai")  # not approved at medium
    write(root / ".gitignore", "aigov-report.json\n")
    git_repo(root)
    outside_git = make_feature(tmp_path / "plain", model="gpt-4o-mini", provider="openai")
    for folder in (root, outside_git):
        report = folder / "aigov-report.json"
        runs = [run_cli("check", str(folder), "--now", CLOCK, "--format", "json", "-o", str(report)) for _ in range(2)]
        assert [r.exit_code for r in runs] == [1, 1]
        assert "anthropic.claude-sonnet-4" in report.read_text()  # the remediation names approved models
        assert not any(f["path"] == "aigov-report.json" for f in json.loads(report.read_text())["findings"])


def test_declared_paths_never_leave_the_repository(tmp_path: Path) -> None:
    root = make_feature(tmp_path / "repo", tier="high")
    manifest = root / "aigov.yaml"
    oversight = "  oversight:\n    humanOversight: human-in-the-loop\n    incidentContact: '#oncall'\n    riskAssessment: {ref}\n"
    manifest.write_text(manifest.read_text() + oversight.format(ref="/etc/passwd"))
    assert_clean_error(check(root), "aigov.yaml:19", "points outside the repository")
    assert_clean_error(run_cli("facts", str(root)), "aigov.yaml:19")
    manifest.write_text(manifest.read_text().replace("/etc/passwd", "docs/risk.md"))
    os.makedirs(root / "docs")
    os.symlink("/etc/passwd", root / "docs/risk.md")
    doc = check_json(root)
    assert [(f["id"], f["message"]) for f in doc["findings"] if f["id"] == "AIGOV-MANIFEST-004"] == [
        ("AIGOV-MANIFEST-004", "risk assessment docs/risk.md is not a file in the repository")]


# --- Limits and interrupts -------------------------------------------------------------------

# Hours of work in flat memory: the values go into a set (9,000 of them at most). A list grew until the
# evaluation child hit its memory cap, which on a loaded runner could end the evaluation before the
# test's Ctrl-C or deadline did, and the check then failed for the wrong reason.
SLOW_RULE = """\
package org.slow

import rego.v1

# METADATA
# title: Loops for hours
# custom:
#   id: ORG-SLOW-001
#   severity: low
deny contains {"id": "ORG-SLOW-001", "msg": "never"} if {
\tn := count({x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); some c in numbers.range(1, 3000); x := a + b + c})
\tn < 0
}
"""


def test_policy_evaluation_has_a_time_limit_that_names_the_package(tmp_path: Path) -> None:
    """The rule would run for hours: only the limit ends it, well inside run_limited's hang guard."""
    root = make_feature(tmp_path / "repo")
    org = org_config(tmp_path / "org", "policies: [rules]\nevaluationTimeoutSeconds: 2\n", {"rules/slow.rego": SLOW_RULE})
    result = run_limited("check", str(root), "--config", str(org), "--format", "json")
    assert_clean_error(result, "did not finish within 2 s", "package org.slow")
    assert json.loads(result.stdout)["verdict"] == "error"


def child_processes(parent: int | None = None) -> list[int]:
    """The children of ``parent`` (default: this process), exited-but-unreaped ones included (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == (parent or os.getpid()):
            found.append(int(stat.parent.name))
    return found


def process_stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first), or [] once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def running(pids: list[int]) -> list[int]:
    """Those of ``pids`` that are still running: neither ended nor a zombie."""
    return [pid for pid in pids if process_stat(pid)[:1] not in ([], ["Z"])]


def cpu_seconds(pid: int) -> float:
    """The processor time ``pid`` has used (user and system), 0 once it is gone."""
    stat = process_stat(pid)
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK") if stat else 0.0


def no_children_beyond(before: list[int]) -> bool:
    """Whether only ``before``'s children remain once killed ones are reaped (a thread reaps them)."""
    return eventually(lambda: child_processes() == before)


def test_the_evaluation_child_never_outlives_a_check(tmp_path: Path) -> None:
    """git ls-files starts before the pack loads, the engine's child is forked before the facts are
    collected and the SBOM facts are read in a child of their own; a check that passes, one that fails
    on its org config, on a broken manifest, in a collector while the SBOM child runs, or that times
    out all leave no process behind (evidence replays run thousands of checks in one process)."""
    from aigov.check import run_check
    from aigov.check.options import CheckOptions
    from aigov.errors import AigovError

    good = make_feature(tmp_path / "good")
    broken = make_feature(tmp_path / "broken")
    (broken / "aigov.yaml").write_text((broken / "aigov.yaml").read_text() + "  riskTeir: low\n")
    slow = make_feature(tmp_path / "slow")
    bad_pattern = make_feature(tmp_path / "bad-pattern")  # fails in a collector while the SBOM is read in a child
    (bad_pattern / "aigov.yaml").write_text((bad_pattern / "aigov.yaml").read_text() + (
        "  artifacts:\n    - path: dist/*.onnx\n      identityPattern: '(unclosed'\n"
        "      issuer: https://token.actions.githubusercontent.com\n"))
    org = org_config(tmp_path / "org", "policies: [rules]\nevaluationTimeoutSeconds: 1\n", {"rules/slow.rego": SLOW_RULE})
    bad_org = org_config(tmp_path / "bad-org", "registry: [unclosed\n")
    for root in (good, broken, slow, bad_pattern):
        git_repo(root)
    before = child_processes()
    assert run_check(good, CheckOptions(repository_root=good, now=CLOCK)).verdict == "pass"
    assert no_children_beyond(before)
    for root, config, expected in ((good, bad_org, "invalid YAML"), (broken, None, "unknown key 'riskTeir'"),
                                   (bad_pattern, None, "identity pattern"), (slow, org, "did not finish within 1 s")):
        with pytest.raises(AigovError, match=expected):
            run_check(root, CheckOptions(repository_root=root, now=CLOCK, config_path=config))
        assert no_children_beyond(before), expected


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    """Ctrl-C while a rule evaluates for hours: exit 130, one line, and the evaluation child gone with it.
    The signal waits for the evaluation to be under way, not for a guessed time: aigov's forked evaluation
    child has spent a second of processor time on the rule (work done, which a loaded runner only delays)."""
    root = make_feature(tmp_path / "repo")
    org = org_config(tmp_path / "org", "policies: [rules]\n", {"rules/slow.rego": SLOW_RULE})
    proc = subprocess.Popen([*PYTHON_WITH_CTRL_C, "-m", "aigov", "check", str(root), "--config", str(org)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    evaluating = eventually(lambda: [pid for pid in child_processes(proc.pid) if cpu_seconds(pid) >= 1])
    assert evaluating and proc.poll() is None, "aigov ended, or never started evaluating"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=HOSTILE_TIMEOUT_S)
    assert proc.returncode == 130, (out, err)
    assert err.strip() == "aigov: interrupted"
    assert eventually(lambda: not running(evaluating)), "the evaluation outlived the interrupted check"


def test_bad_clocks_are_named(feature: Path) -> None:
    assert_clean_error(run_cli("check", str(feature), "--now", ""), "--now is empty")
    assert_clean_error(run_cli("check", str(feature), "--now", "9999-12-31T23:59:59Z"), "--now '9999-12-31T23:59:59Z' is outside the years")


def test_json_error_document_goes_to_the_output_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = run_cli("check", str(tmp_path / "missing"), "--format", "json", "-o", str(out))
    assert_clean_error(result, "is not a directory")
    assert result.stdout == ""
    assert json.loads(out.read_text())["verdict"] == "error"


def test_the_bundled_example_is_its_own_repository() -> None:
    assert check(EXAMPLE, "--root", str(EXAMPLE)).exit_code == 0
    assert_clean_error(run_cli("check", str(EXAMPLE.parent), "--root", str(EXAMPLE)), "is not inside --root")
