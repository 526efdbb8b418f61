"""``aigov policy``: list rules, run policy tests, build bundles, write the rule reference."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click

from aigov.commandline import PathArg, fails_closed
from aigov.config import OrgConfig, load_org_config
from aigov.errors import AigovError
from aigov.policy.bundle import build_bundle
from aigov.policy.doc import policy_reference
from aigov.policy.loading import build_pack
from aigov.policy.pack import load_rego_dir
from aigov.policy.testing import run_policy_tests
from aigov.untrusted import json_text, line_text


@click.group("policy")
def command() -> None:
    """Work with policy packs: list rules, run policy tests, build bundles, write the rule reference."""


@command.command("build")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", type=PathArg, required=True, help="The bundle to write (bundle.tar.gz).")
@fails_closed
def policy_build(directory: Path, output: Path) -> None:
    """Build an OPA bundle from DIRECTORY (laid out like policies/), the same bytes every time.

    The bundle's .manifest revision is VERSION+sha256:<digest of its rules and data>, the revision
    `aigov check --opa-mode server` requires of a deployed bundle when it loads the same pack.
    Policy tests (*_test.rego) are left out. Pin the tarball with `sha256sum` and give it to
    checks with --policy-bundle.

    \b
    Example:
      aigov policy build policies -o bundle.tar.gz
      aigov check . --policy-bundle "https://policy.example.com/bundle.tar.gz#sha256=$(sha256sum bundle.tar.gz | cut -d' ' -f1)"
    """
    if not directory.is_dir():
        raise AigovError("policy folder not found", str(directory))
    data, revision = build_bundle(directory)
    output.write_bytes(data)
    click.echo(f"wrote {output}: revision {revision}, sha256:{hashlib.sha256(data).hexdigest()}")


@command.command("doc")
@click.option("-o", "--output", type=PathArg, help="Write the Markdown to this file instead of standard output.")
@click.option("--config", "config_path", type=PathArg, help="Document the pack this org config governs with (its bundle, its rules).")
@fails_closed
def policy_doc(output: Path | None, config_path: Path | None) -> None:
    """Write a Markdown reference of every rule (id, severity, title, description, remediation, controls).

    \b
    Example:
      aigov policy doc -o docs/rules.md
    """
    text = policy_reference(build_pack(load_org_config(config_path)))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@command.command("test")
@click.argument("directory", type=PathArg, required=False)
@click.option("--coverage-min", type=click.FloatRange(0, 100), default=0.0, show_default=True, help="Fail below this line coverage (percent).")
@click.option("-v", "--verbose", is_flag=True, help="Also show the lines no test reached.")
@fails_closed
def policy_test(directory: Path | None, coverage_min: float, verbose: bool) -> None:
    """Run the test_* rules of the shipped pack, or of DIRECTORY on top of it.

    \b
    Example:
      aigov policy test policies/org --coverage-min 80
    """
    tested: set[str] | None = None
    if directory is None:
        pack = build_pack(OrgConfig(), include_tests=True)
    else:
        pack = build_pack(OrgConfig())
        before = set(pack.modules)
        load_rego_dir(pack, directory, directory.as_posix().rstrip("/"))
        tested = set(pack.modules) - before
    run = run_policy_tests(pack, tested)
    for result in run.results:
        detail = f": {result.detail}" if result.detail else ""
        click.echo(line_text(f"{result.outcome.upper():5} {result.package}.{result.name} ({result.path}){detail}"))
    if verbose:
        for path, lines in run.uncovered.items():
            click.echo(f"not covered: {path}: lines {', '.join(map(str, lines))}")
    click.echo(f"{run.passed} passed, {run.failed} failed")
    click.echo(f"coverage: {run.coverage:.1f}% (minimum {coverage_min:.1f}%)")
    if run.failed:
        sys.exit(1)
    if run.coverage < coverage_min:
        click.echo(f"aigov: coverage {run.coverage:.1f}% is below --coverage-min {coverage_min:.1f}%", err=True)
        sys.exit(1)


@command.command("list")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_path", type=PathArg, help="Also list the rules of this org config's policy folders.")
@fails_closed
def policy_list(output_format: str, config_path: Path | None) -> None:
    """List every rule: id, severity, title (from METADATA).

    \b
    Example:
      aigov policy list --format json
    """
    config = load_org_config(config_path)
    rules = sorted(build_pack(config).rules.values(), key=lambda r: r.id)
    if output_format == "json":
        keys = ("id", "severity", "title", "description", "remediation", "controls", "path", "line")
        click.echo(json_text(json.dumps([{k: getattr(r, k) for k in keys} for r in rules], indent=2)))
        return
    width = max(len(r.id) for r in rules)
    for rule in rules:
        click.echo(line_text(f"{rule.id:<{width}}  {rule.severity:<8}  {rule.title}"))
