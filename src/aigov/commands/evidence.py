"""``aigov evidence build | verify | sign | merge``: the quarter's tamper-evident evidence bundle."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from aigov.clock import parse_now
from aigov.commandline import PathArg, fails_closed
from aigov.errors import EXIT_BLOCKING, EXIT_PASS
from aigov.evidence.build import build_bundle
from aigov.evidence.merge import merge_bundles
from aigov.evidence.replay import ReplayOptions, parse_period
from aigov.evidence.sign import sign_bundle
from aigov.evidence.verify import verify_bundle_file
from aigov.files import read_text_file
from aigov.untrusted import line_text  # a bundle to verify is anyone's
from aigov.words import counted


@click.group("evidence")
def command() -> None:
    """Build, verify and sign quarterly evidence bundles (decisions, control status, artefacts, OSCAL, report)."""


@command.command("build")
@click.argument("repos", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.option("--period", help="A quarter, e.g. 2026Q3.")
@click.option("--from", "start", help="First day of the period (YYYY-MM-DD), with --to.")
@click.option("--to", "end", help="Last day of the period (YYYY-MM-DD), inclusive.")
@click.option("-o", "--output", type=PathArg, required=True, help="The bundle to write (a .zip).")
@click.option("--repos", "repos_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file listing repository paths, one per line (# comments allowed).")
@click.option("--branch", help="The branch to walk (default: origin/HEAD's branch, else the branch HEAD names).")
@click.option("--config", "config_path", type=PathArg, envvar="AIGOV_CONFIG", show_envvar=True,
              help="The org config that governs every replayed decision (outside the repositories).")
@click.option("--registry", type=PathArg, help="An approved-model registry that replaces the shipped one (org authority).")
@click.option("--now", "now", metavar="TIMESTAMP",
              help="The build's clock (RFC 3339; default: the current time): a period not yet over is covered up to it.")
@fails_closed
def build(repos: tuple[Path, ...], period: str | None, start: str | None, end: str | None, output: Path,
          repos_file: Path | None, branch: str | None, config_path: Path | None, registry: Path | None, now: str | None) -> None:
    """Replay the period's decisions of each repository's default branch and write the evidence bundle.

    The default branch's first-parent history is walked in order; every commit that changes a
    feature's inputs is judged on its own tree at its effective time (its date, or its parent's
    if that is later); the same facts are judged again where only the clock changes the answer
    (a model's sunset, a stale model card). A period not yet over is covered up to the build's
    clock. Needs the whole history (actions/checkout fetch-depth: 0).

    \b
    Example:
      aigov evidence build . --period 2026Q3 -o evidence-2026Q3.zip
      aigov evidence build --repos repos.txt --from 2026-07-01 --to 2026-09-30 -o fleet.zip
    """
    paths = list(repos) + (_read_list_file(repos_file) if repos_file else [])
    if not paths:
        paths = [Path(".")]
    clock = _clock(now) if now is not None else None
    summary = build_bundle(paths, parse_period(period, start, end), ReplayOptions(config_path, registry, branch, clock), output,
                           progress=sys.stderr.isatty())
    click.echo(summary)


def _clock(value: str) -> int:
    return int(dt.datetime.fromisoformat(parse_now(value).replace("Z", "+00:00")).timestamp())


def _read_list_file(path: Path) -> list[Path]:
    """Paths one per line (# comments allowed), relative to the file's folder."""
    text = read_text_file(path, str(path), 1024 * 1024)
    base = path.resolve().parent
    return [base / line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


@command.command("verify")
@click.argument("bundle", type=PathArg)
@click.option("--identity", help="The exact identity that must have signed the manifest (certificate SAN).")
@click.option("--issuer", help="The OIDC issuer of that identity, e.g. https://token.actions.githubusercontent.com.")
@click.option("--trusted-root", type=PathArg, help="A private Sigstore instance's trusted_root.json. Default: the production root, offline.")
@fails_closed
def verify(bundle: Path, identity: str | None, issuer: str | None, trusted_root: Path | None) -> None:
    """Check every file's hash against the manifest, the manifest itself and, where the bundle
    carries manifest.json.sigstore.json, who signed it (offline).

    \b
    Exit code 0: intact; 1: tampered (each problem named); 2: not a readable bundle.

    \b
    Example:
      aigov evidence verify evidence-2026Q3.zip \\
        --identity https://github.com/acme/platform/.github/workflows/evidence.yml@refs/heads/main \\
        --issuer https://token.actions.githubusercontent.com
    """
    verdict = verify_bundle_file(bundle, identity, issuer, trusted_root)
    if verdict.ok:
        signed = f"; manifest signed by {verdict.signed_by}" if verdict.signed_by else "; manifest not signed"
        click.echo(line_text(f"OK {bundle}: {counted(verdict.files, 'file')} match the manifest ({verdict.manifest['period']['label']}){signed}"))
        sys.exit(EXIT_PASS)
    click.echo(f"TAMPERED {bundle}: {counted(len(verdict.problems), 'problem')}")
    for problem in verdict.problems:
        click.echo(line_text(f"  {problem}"))
    sys.exit(EXIT_BLOCKING)


@command.command("sign")
@click.argument("bundle", type=PathArg)
@click.option("--staging", is_flag=True, help="Use Sigstore's staging instance (for trying the workflow out).")
@fails_closed
def sign(bundle: Path, staging: bool) -> None:
    """Sign the bundle's manifest keylessly with the CI's OIDC identity (Sigstore); the signature goes
    into the bundle as manifest.json.sigstore.json. Needs network and an ambient credential: run it in CI.

    \b
    Example (GitHub Actions, with permissions: id-token: write):
      aigov evidence sign evidence-2026Q3.zip
    """
    identity = sign_bundle(bundle, staging)
    click.echo(f"signed {bundle}: manifest signed by {identity}")


@command.command("merge")
@click.argument("bundles", nargs=-1, type=PathArg)
@click.option("-o", "--output", type=PathArg, required=True, help="The org bundle to write (a .zip).")
@click.option("--bundles", "bundles_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file listing bundle paths, one per line (# comments allowed).")
@click.option("--identity", help="Every input must carry a manifest signature by exactly this identity (certificate SAN).")
@click.option("--issuer", help="The OIDC issuer of that identity, e.g. https://token.actions.githubusercontent.com.")
@click.option("--trusted-root", type=PathArg, help="A private Sigstore instance's trusted_root.json. Default: the production root, offline.")
@fails_closed
def merge(bundles: tuple[Path, ...], output: Path, bundles_file: Path | None, identity: str | None, issuer: str | None,
          trusted_root: Path | None) -> None:
    """Join per-repository evidence bundles of one period into one org bundle: every decision, the
    fleet summary and controls over all of them, the reports, OSCAL and every artefact.

    Each input is verified first (hashes; with --identity/--issuer, its signature) and must cover
    the same period and come from this aigov version; a repository may come once. The output does
    not depend on the order of the inputs. A merged bundle may be merged again (it is flattened).

    \b
    Example (after a GitHub Actions matrix built one bundle per repository):
      aigov evidence merge bundles/*.zip -o evidence-2026Q3-org.zip \\
        --identity https://github.com/acme/platform/.github/workflows/evidence.yml@refs/heads/main \\
        --issuer https://token.actions.githubusercontent.com
      aigov evidence merge --bundles bundles.txt -o org.zip
    """
    paths = list(bundles) + (_read_list_file(bundles_file) if bundles_file else [])
    if not paths:
        raise click.UsageError("give the bundles to merge (BUNDLE... or --bundles FILE)")
    click.echo(merge_bundles(paths, output, identity, issuer, trusted_root))
