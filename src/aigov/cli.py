"""The ``aigov`` command line: the group, and the table of its sub-commands.

Every sub-command lives in its own module under ``aigov.commands`` and is imported only when it
runs: ``aigov check`` starts on every pull request, and ``aigov --help`` lists the commands from
the table without importing any of them.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from aigov import __version__
from aigov.commandline import leave_without_teardown, parsing_fails_closed

# Every sub-command: name -> ("module:attribute", its short help). The short help is the first
# sentence of the command's own help, as click shortens it (tests/test_cli_table.py keeps the two equal).
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("aigov.commands.check:command",
              "Judge every feature (aigov.yaml) under PATH (default: --root, else .) against the policy pack."),
    "controls": ("aigov.commands.controls:command",
                 "Show the control mappings (policies/controls.yaml): each control with the rules that evidence it, "
                 "then the controls of that framework that no rule covers (the gap list)."),
    "evidence": ("aigov.commands.evidence:command",
                 "Build, verify and sign quarterly evidence bundles (decisions, control status, artefacts, OSCAL, report)."),
    "facts": ("aigov.commands.facts:command", "Print the input documents the policies see, one per feature (a JSON list)."),
    "init": ("aigov.commands.init:command", "Draft aigov.yaml, a model card and an eval config for the existing code in PATH."),
    "new": ("aigov.commands.new:command", "Create the repository of a new AI feature NAME from a paved-road template."),
    "policy": ("aigov.commands.policy:command",
               "Work with policy packs: list rules, run policy tests, build bundles, write the rule reference."),
    "record": ("aigov.commands.record:command",
               "Write the decision record of a check as a git note on the commit, or read notes back."),
    "sbom": ("aigov.commands.sbom:command",
             "Generate a CycloneDX 1.6 ML-BOM for the feature in PATH (default: .), or --validate a file."),
    "templates": ("aigov.commands.templates:command",
                  "List the paved-road templates for `aigov new`: name, version and what each is for."),
    "update": ("aigov.commands.update:command", "Bring the repository at PATH (default: .) to the newest version of its template."),
    "verify-artifact": ("aigov.commands.verify_artifact:command",
                        "Verify FILE against its Sigstore bundle and an identity policy, fully offline."),
}


def run() -> None:
    """The ``aigov`` program: main() as a process of its own (the console script and python -m aigov)."""
    leave_without_teardown()
    main()


class TableGroup(click.Group):
    """A group whose sub-commands come from a table: a command's module is imported when it runs,
    and help lists every command from the table's short help without importing any."""

    def __init__(self, *args: Any, table: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = table

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        with parsing_fails_closed():  # aigov --help, aigov --version
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with parsing_fails_closed():  # aigov COMMAND --help; the command itself runs under its fails_closed
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.table)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.table:
            return None
        module, _, attribute = self.table[name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The Commands section as click writes it, each help line shortened to the terminal's width."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, click.Command(name, help=self.table[name][1]).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=TableGroup, table=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aigov")
def main() -> None:
    """Policy-as-code governance for AI features.

    \b
    Example:
      aigov check .                 judge the repository against the policy pack
      aigov policy list             the rules, their ids and severities
    """
