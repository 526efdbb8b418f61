"""``aigov update``: newer paved-road template versions, merged 3-way into a generated repository."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aigov.commandline import PathArg, fails_closed
from aigov.scaffold.update import run_update, update_status
from aigov.untrusted import line_text  # the template's answers file and paths are the repository's
from aigov.words import counted


@click.command("update")
@click.argument("path", type=PathArg, default=".")
@click.option("--check", "check_only", is_flag=True, help="Only say whether a newer template version is available.")
@fails_closed
def command(path: Path, check_only: bool) -> None:
    """Bring the repository at PATH (default: .) to the newest version of its template.

    copier's 3-way merge keeps your edits and brings new template files; where you and the
    template changed the same lines it leaves conflict blocks, listed file by file. The repository
    must be committed first, so the update is a diff you can review.

    \b
    Exit codes:
      aigov update          0 updated cleanly or already current, 1 updated with conflicts to resolve, 2 error
      aigov update --check  0 current, 1 a newer version is available, 2 error

    \b
    Example:
      aigov update --check && echo "on the newest paved road"
      aigov update services/support-bot
    """
    if check_only:
        status = update_status(path)
        if status.available:
            click.echo(line_text(f"{status.template} {status.current} -> {status.latest} available (run: aigov update {path})"))
            sys.exit(1)
        click.echo(line_text(f"{status.template} {status.current} is the newest version"))
        return
    result = run_update(path)
    status = result.status
    if not status.available:
        click.echo(line_text(f"{status.template} {status.current} is the newest version; nothing to update"))
        return
    click.echo(line_text(f"updated {status.template} {status.current} -> {status.latest} in {path} ({counted(len(result.changed), 'file')} changed)"))
    if result.sbom:
        click.echo("regenerated sbom.cdx.json")
    if not result.conflicts:
        click.echo("review the changes (git diff), run the tests and `aigov check`, then commit")
        return
    click.echo(f"conflicts to resolve in {counted(len(result.conflicts), 'file')}:")
    for conflict in result.conflicts:
        click.echo(line_text(f"  {conflict.path}:{conflict.first_line}: {counted(conflict.blocks, 'conflict block')}"))
    click.echo("Each block runs from '<<<<<<< before updating' (your version) through '=======' to "
               "'>>>>>>> after updating' (the template's): keep what is right, delete the markers, "
               "then `git add` the file, regenerate the SBOM (aigov sbom . -o sbom.cdx.json) and commit.")
    sys.exit(1)
