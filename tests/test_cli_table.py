"""The table of sub-commands in aigov.cli: `aigov --help` lists every command from it without
importing a command's module, so its short help lines must be the commands' own."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click

import aigov.commands
from aigov.cli import COMMANDS, main


def test_each_short_help_in_the_table_is_the_commands_own() -> None:
    """The table's line for a command is the first sentence of that command's help, as click shortens it
    (a command whose docstring changes without its table line fails here)."""
    ctx = click.Context(main)
    for name, (_, short_help) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
        assert short_help == command.get_short_help_str(limit=sys.maxsize), name


def test_every_command_module_is_in_the_table() -> None:
    """A command module under aigov.commands that the table does not name would never run."""
    modules = {f"aigov.commands.{info.name}" for info in pkgutil.iter_modules(aigov.commands.__path__)}
    with_a_command = {name for name in modules if isinstance(getattr(importlib.import_module(name), "command", None), click.Command)}
    assert with_a_command == {target.partition(":")[0] for target, _ in COMMANDS.values()}


def test_help_lists_the_commands_as_click_would_from_the_commands_themselves() -> None:
    """The Commands section of `aigov --help` is what click writes when it asks every command for its help."""
    ctx = click.Context(main)
    from_table, from_commands = click.HelpFormatter(), click.HelpFormatter()
    main.format_commands(ctx, from_table)
    click.Group.format_commands(main, ctx, from_commands)
    assert from_table.getvalue() == from_commands.getvalue()
    assert all(name in from_table.getvalue() for name in COMMANDS)


# Prints `aigov --help`, then the modules this interpreter loaded.
PROBE = """import sys
from aigov.cli import main
sys.argv = ["aigov", "--help"]
try:
    main()
except SystemExit as exit:
    print("loaded:", exit.code, *sorted(sys.modules), file=sys.stderr)
"""


def test_help_imports_no_command_module() -> None:
    """`aigov --help`, in a fresh interpreter, lists every command and loads none of aigov.commands."""
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    loaded = next(line.split()[1:] for line in run.stderr.splitlines() if line.startswith("loaded: "))
    assert loaded[0] == "0", run.stderr
    assert all(f"  {name} " in run.stdout for name in COMMANDS), run.stdout
    assert [module for module in loaded[1:] if module == "aigov.commands" or module.startswith("aigov.commands.")] == []
