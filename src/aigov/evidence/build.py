"""``aigov evidence build``: replay each repository, assemble the bundle, write it."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import click

from aigov.errors import AigovError
from aigov.evidence.bundle import assemble, write_zip
from aigov.evidence.history import rfc3339
from aigov.evidence.replay import Period, ReplayOptions, RepositoryEvidence, replay_repository
from aigov.policy.controls import load_control_map
from aigov.words import counted


def build_bundle(paths: list[Path], period: Period, options: ReplayOptions, output: Path, progress: bool = False) -> str:
    """Write the bundle; returns the one-line summary the command prints. A period that has not
    ended is covered up to the build's clock (``options.clock``, else now) and says so."""
    clock = options.clock if options.clock is not None else int(time.time())
    period = period.until(clock)
    options = dataclasses.replace(options, clock=clock)
    repos: list[RepositoryEvidence] = []
    for index, path in enumerate(paths, start=1):
        if progress:  # a terminal: say where we are; CI logs get only the summary

            click.echo(f"[{index}/{len(paths)}] {path}", err=True)
        evidence = replay_repository(path, period, options)
        if any(r.name == evidence.name for r in repos):
            raise AigovError(f"two repositories are both named {evidence.name!r}; give each once", str(path))
        repos.append(evidence)
    with tempfile.TemporaryDirectory(prefix="aigov-build-") as scratch:
        files = assemble(repos, period, load_control_map(), Path(scratch))
        write_zip(sorted(files.items()), output, period)
    decisions = sum(len(r.decisions) for r in repos)
    features = sum(len(r.features) for r in repos)
    empty = " (no decisions in the period: an empty but valid bundle)" if not decisions else ""
    label = f"{period.label} up to {rfc3339(period.last_second)} (open)" if period.scheduled_end else period.label
    return f"wrote {output}: {label}, {counted(len(repos), 'repository', 'repositories')}, {counted(features, 'feature')}, {counted(decisions, 'decision')}{empty}"
