"""``aigov record``: keep decision records as git notes (refs/notes/aigov), and read them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aigov import record as records
from aigov.commandline import PathArg, check_input_options, check_options, fails_closed
from aigov.errors import AigovError
from aigov.files import find_repository_root, read_text_file
from aigov.untrusted import json_text, line_text  # notes are written by whoever can push
from aigov.words import counted


@click.command("record")
@click.argument("path", type=PathArg, required=False)
@click.option("--commit", "commit_rev", metavar="SHA", help="The commit to note (default: the record's commit, HEAD for a new check).")
@click.option("--from", "from_file", type=PathArg, metavar="FILE", help="Store this record (from `aigov check --record FILE`) instead of checking again.")
@click.option("--show", "show_rev", metavar="SHA", help="Print the decision record noted on SHA.")
@click.option("--list", "list_notes", is_flag=True, help="List every note in refs/notes/aigov, one line each.")
@click.option("--push", "push_remote", metavar="REMOTE",
              help="Then push refs/notes/aigov to REMOTE, merging the notes already there first (retried when another push won).")
@check_input_options
@fails_closed
def command(path: Path | None, commit_rev: str | None, from_file: Path | None, show_rev: str | None, list_notes: bool,
            push_remote: str | None, **input_options: Any) -> None:
    """Write the decision record of a check as a git note on the commit, or read notes back.

    The note lives in refs/notes/aigov, so CI on the default branch can keep every decision in
    the repository itself (--push origin merges the notes origin already has and pushes them;
    a bare `git push` is refused as soon as another run has pushed); evidence bundles are built
    from these notes. A new check records HEAD; the record must describe the commit it is noted on.

    \b
    Example:
      aigov record .                                   check HEAD and note the decision
      aigov check . --record decision.json; aigov record --from decision.json
      aigov record --from decision.json --push origin   in CI: note and push
      aigov record --show HEAD
      aigov record --list
    """
    root = (path or input_options.get("repository_root") or Path(".")).resolve()
    if show_rev is not None or list_notes:
        _read(records, root, show_rev)
        return
    repo = records.open_repository(_git_root(root))
    if from_file is not None:
        record = records.parse_record(read_text_file(from_file, str(from_file)).encode("utf-8"), str(from_file))
    else:
        from aigov.check import run_check  # lazy: the check pipeline costs ~60 ms; record --from FILE (CI) and --show/--list never run it

        record = records.decision_record(run_check(root, check_options(**input_options)))
    commit = records.resolve_commit(repo, commit_rev or record["commit"] or "HEAD")
    if record["commit"] != commit:
        raise AigovError(f"the record describes commit {record['commit']}, not {commit}; a decision is noted only on the commit it judged")
    records.write_note(repo, commit, records.canonical_bytes(record))
    click.echo(f"recorded the {record['verdict']} decision for {commit} in {records.NOTES_REF}")
    if push_remote is not None:
        records.push_notes(repo, push_remote)
        click.echo(f"pushed {records.NOTES_REF} to {push_remote}")


def _read(records: Any, root: Path, show_rev: str | None) -> None:
    repo = records.open_repository(_git_root(root))
    if show_rev is None:
        for stored in records.read_records(repo):
            if stored.record is None:
                click.echo(line_text(f"{stored.commit}  {stored.problem}"))
            else:
                r = stored.record
                click.echo(line_text(f"{stored.commit}  {r['verdict']}  {r['clock']}  {counted(len(r['findings']), 'finding')}  {', '.join(r['features'])}"))
        return
    commit = records.resolve_commit(repo, show_rev)
    stored = records.read_record(repo, commit)
    if stored is None:
        raise AigovError(f"commit {commit} has no note in {records.NOTES_REF}")
    if stored.record is None:
        raise AigovError(f"the note on {commit} is {stored.problem}")
    click.echo(json_text(records.canonical_bytes(stored.record).decode("utf-8")), nl=False)


def _git_root(path: Path) -> Path:
    return find_repository_root(path)
