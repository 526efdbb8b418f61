"""The ``aigov`` command line. Thin on purpose: parse options, call one function, print.

Only click is imported at the top: every command imports what it needs when it runs, because
``aigov check`` starts on every pull request.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from aigov import __version__
from aigov.commandline import PathArg, change_options, check_input_options, check_options, fails_closed, report_outputs
from aigov.errors import AigovError
from aigov.report import FORMATS, refuse_shared_files, write_reports  # the reporters' modules load on demand

# Set by run(), the program's entry point (not by tests that call main in-process): a finished
# check may then leave without tearing the interpreter down.
_IS_PROGRAM = False


def run() -> None:
    """The ``aigov`` program: main() as a process of its own (the console script and python -m aigov)."""
    global _IS_PROGRAM
    _IS_PROGRAM = True
    main()


def exit_now(code: int) -> None:
    """Exit with ``code`` once every report is written. As a program, skip the interpreter's teardown:
    freeing every module and object a check loaded costs it 20-30 ms on each pull request, and
    nothing is left to clean up (reports are closed, the evaluation child is reaped)."""
    if not _IS_PROGRAM:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (aigov check | head): the report was not wanted
            pass
    os._exit(code)


class LazyGroup(click.Group):
    """Sub-commands whose modules are imported only when that command runs (or help lists it)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, _, attr = self.lazy[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


# Commands that live in their own module under aigov.commands: name -> "module:attribute".
LAZY_COMMANDS: dict[str, str] = {"verify-artifact": "aigov.commands.verify_artifact:command", "sbom": "aigov.commands.sbom:command",
                                 "new": "aigov.commands.new:command", "init": "aigov.commands.init:command",
                                 "update": "aigov.commands.update:command",
                                 "templates": "aigov.commands.templates:command", "record": "aigov.commands.record:command",
                                 "controls": "aigov.commands.controls:command", "evidence": "aigov.commands.evidence:command"}


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aigov")
def main() -> None:
    """Policy-as-code governance for AI features.

    \b
    Example:
      aigov check .                 judge the repository against the policy pack
      aigov policy list             the rules, their ids and severities
    """



@main.command()
@click.argument("path", type=PathArg, required=False)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="The main report: github prints annotations and appends a job summary to $GITHUB_STEP_SUMMARY.")
@click.option("-o", "--output", type=PathArg, help="Write the main report to this file instead of standard output.")
@click.option("--sarif", type=PathArg, help="Also write SARIF 2.1.0 (for code scanning) to this file.")
@click.option("--junit", type=PathArg, help="Also write JUnit XML to this file.")
@click.option("--json", "json_output", type=PathArg, help="Also write the JSON report to this file.")
@click.option("--markdown", type=PathArg, help="Also write the Markdown summary to this file.")
@click.option("--record", "record_file", type=PathArg, metavar="FILE",
              help="Also write the decision record (canonical JSON, schemas/decision-record.schema.json) to FILE; "
                   "`aigov record --from FILE` keeps it as a git note.")
@check_input_options
@change_options
@click.option("--new-only", is_flag=True, help="With --base or --pr: block only on findings the change introduced; "
                                               "the others are reported as debt.")
@click.option("--fail-on", multiple=True, type=click.Choice(["medium", "low", "info"]),
              help="A severity that also blocks (repeatable); critical and high always do.")
@fails_closed
def check(path: Path | None, output_format: str, output: Path | None, sarif: Path | None, junit: Path | None,
          json_output: Path | None, markdown: Path | None, record_file: Path | None, new_only: bool, fail_on: tuple[str, ...],
          **input_options: Any) -> None:
    """Judge every feature (aigov.yaml) under PATH (default: --root, else .) against the policy pack.

    Features are judged with their repository's workflows and .aigov/config.yaml whichever
    folder PATH names: `aigov check svc` and `aigov check .` agree on svc.

    With --base or --pr only the features the change touches are judged; a change that touches
    none passes and says so.

    Exit code 0: no blocking finding; 1: blocking findings; 2: aigov could not decide.

    Several reports come from one run: --sarif, --junit, --json and --markdown each write one
    more file besides the main --format. Report files inside the checked tree are not judged.

    \b
    Example:
      aigov check . --format json -o aigov-result.json
      aigov check . --config "$RUNNER_TEMP/org/aigov-org.yaml"
      aigov check . --format github --sarif aigov.sarif --junit aigov.xml
      aigov check . --pr --new-only          (in a pull_request workflow)
      aigov check . --base origin/main
      aigov check . --record decision.json   then: aigov record --from decision.json
      aigov check . --engine opa --opa-url https://opa.example.com:8181 --opa-mode server
    """
    from aigov.check import run_check

    options = check_options(**input_options, new_only=new_only)
    options.fail_on = fail_on
    outputs = report_outputs({"output_format": output_format, "output": output, "sarif": sarif, "junit": junit,
                               "json_output": json_output, "markdown": markdown, "record_file": record_file})
    refuse_shared_files(outputs)
    files = [file for _, file in outputs if file is not None]
    result = run_check(path or options.repository_root or Path("."), options, exclude_outputs=files)
    write_reports(result, outputs)
    exit_now(result.exit_code)


@main.command()
@click.argument("path", type=PathArg, required=False)
@click.option("--feature", help="Only the feature with this metadata.name.")
@check_input_options
@change_options
@fails_closed
def facts(path: Path | None, feature: str | None, **input_options: Any) -> None:
    """Print the input documents the policies see, one per feature (a JSON list).

    For policy authors: save one and evaluate a rule against it. With --base or --pr, only the
    features the change touches, each with input.change.

    \b
    Example:
      aigov facts . --feature support-summarize
      aigov facts . --base origin/main
    """
    import json

    from aigov.check.collect import collect_inputs
    from aigov.untrusted import json_text

    options = check_options(**input_options)
    path = path or options.repository_root or Path(".")
    inputs = collect_inputs(path, options).inputs
    if feature is not None:
        inputs = [doc for doc in inputs if doc["feature"]["name"] == feature]
        if not inputs:
            raise AigovError(f"no feature named {feature!r}", str(path))
    click.echo(json_text(json.dumps(inputs, indent=2, ensure_ascii=False)))


@main.group()
def policy() -> None:
    """Work with policy packs: list rules, run policy tests, build bundles, write the rule reference."""


@policy.command("build")
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
    import hashlib

    from aigov.policy.bundle import build_bundle

    if not directory.is_dir():
        raise AigovError("policy folder not found", str(directory))
    data, revision = build_bundle(directory)
    output.write_bytes(data)
    click.echo(f"wrote {output}: revision {revision}, sha256:{hashlib.sha256(data).hexdigest()}")


@policy.command("doc")
@click.option("-o", "--output", type=PathArg, help="Write the Markdown to this file instead of standard output.")
@click.option("--config", "config_path", type=PathArg, help="Document the pack this org config governs with (its bundle, its rules).")
@fails_closed
def policy_doc(output: Path | None, config_path: Path | None) -> None:
    """Write a Markdown reference of every rule (id, severity, title, description, remediation, controls).

    \b
    Example:
      aigov policy doc -o docs/rules.md
    """
    from aigov.config import load_org_config
    from aigov.policy.doc import policy_reference
    from aigov.policy.loading import build_pack

    text = policy_reference(build_pack(load_org_config(config_path)))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@policy.command("test")
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
    from aigov.config import OrgConfig
    from aigov.policy.loading import build_pack
    from aigov.policy.pack import load_rego_dir
    from aigov.policy.testing import run_policy_tests
    from aigov.untrusted import line_text

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


@policy.command("list")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_path", type=PathArg, help="Also list the rules of this org config's policy folders.")
@fails_closed
def policy_list(output_format: str, config_path: Path | None) -> None:
    """List every rule: id, severity, title (from METADATA).

    \b
    Example:
      aigov policy list --format json
    """
    from aigov.config import load_org_config
    from aigov.policy.loading import build_pack
    from aigov.untrusted import json_text, line_text

    config = load_org_config(config_path)
    rules = sorted(build_pack(config).rules.values(), key=lambda r: r.id)
    if output_format == "json":
        import json

        keys = ("id", "severity", "title", "description", "remediation", "controls", "path", "line")
        click.echo(json_text(json.dumps([{k: getattr(r, k) for k in keys} for r in rules], indent=2)))
        return
    width = max(len(r.id) for r in rules)
    for rule in rules:
        click.echo(line_text(f"{rule.id:<{width}}  {rule.severity:<8}  {rule.title}"))

