"""``aigov facts``: the input documents the policies see, for policy authors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from aigov.check.collect import collect_inputs
from aigov.commandline import PathArg, change_options, check_input_options, check_options, fails_closed
from aigov.errors import AigovError
from aigov.untrusted import json_text


@click.command("facts")
@click.argument("path", type=PathArg, required=False)
@click.option("--feature", help="Only the feature with this metadata.name.")
@check_input_options
@change_options
@fails_closed
def command(path: Path | None, feature: str | None, **input_options: Any) -> None:
    """Print the input documents the policies see, one per feature (a JSON list).

    For policy authors: save one and evaluate a rule against it. With --base or --pr, only the
    features the change touches, each with input.change.

    \b
    Example:
      aigov facts . --feature support-summarize
      aigov facts . --base origin/main
    """
    options = check_options(**input_options)
    path = path or options.repository_root or Path(".")
    inputs = collect_inputs(path, options).inputs
    if feature is not None:
        inputs = [doc for doc in inputs if doc["feature"]["name"] == feature]
        if not inputs:
            raise AigovError(f"no feature named {feature!r}", str(path))
    click.echo(json_text(json.dumps(inputs, indent=2, ensure_ascii=False)))
