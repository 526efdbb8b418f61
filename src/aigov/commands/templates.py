"""``aigov templates``: the paved-road templates aigov ships, one line each."""

from __future__ import annotations

import click

from aigov.commandline import fails_closed

# Imports inside the commands below are lazy where marked: aigov --help imports every command module to list it.


@click.command("templates")
@fails_closed
def command() -> None:
    """List the paved-road templates for `aigov new`: name, version and what each is for.

    \b
    Example:
      aigov templates
      aigov new support-bot --template rag-service --tier medium --owner team-support
    """
    from aigov.scaffold.catalog import bundled_templates  # lazy: ~30 ms of aigov --help

    templates = bundled_templates()
    width = max((len(t.name) for t in templates), default=0)
    for template in templates:
        click.echo(f"{template.name:<{width}}  {template.version:<7}  {template.description}")
