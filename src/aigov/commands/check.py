"""``aigov check``: judge every feature against the policy pack and write the reports.

Loaded only when ``check`` runs, so it imports what a check needs at the top.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aigov.check import run_check
from aigov.commandline import PathArg, change_options, check_input_options, check_options, exit_now, fails_closed, report_outputs
from aigov.report import FORMATS, refuse_shared_files, write_reports


@click.command("check")
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
def command(path: Path | None, output_format: str, output: Path | None, sarif: Path | None, junit: Path | None,
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
    options = check_options(**input_options, new_only=new_only)
    options.fail_on = fail_on
    outputs = report_outputs({"output_format": output_format, "output": output, "sarif": sarif, "junit": junit,
                               "json_output": json_output, "markdown": markdown, "record_file": record_file})
    refuse_shared_files(outputs)
    files = [file for _, file in outputs if file is not None]
    result = run_check(path or options.repository_root or Path("."), options, exclude_outputs=files)
    write_reports(result, outputs)
    exit_now(result.exit_code)
