"""``aigov templates``: the paved-road templates aigov ships, one line each."""

from __future__ import annotations

import click

from aigov.commandline import fails_closed
from aigov.scaffold.catalog import bundled_templates


@click.command("templates")
@fails_closed
def command() -> None:
    """List the paved-road templates for `aigov new`: name, version and what each is for.

    \b
    Example:
      aigov templates
      aigov new support-bot --template rag-service --tier medium --owner team-support
    """
    templates = bundled_templates()
    width = max((len(t.name) for t in templates), default=0)
    for template in templates:
        click.echo(f"{template.name:<{width}}  {template.version:<7}  {template.description}")
