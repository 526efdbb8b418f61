"""``aigov verify-artifact``: verify one artefact against its Sigstore bundle, offline.

Exit 0: verified. Exit 1: rejected, with the reason on one line. Exit 2: the arguments cannot be
used (a missing file, an unreadable bundle path, no identity, a bad trusted root).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from aigov.commandline import PathArg, fails_closed
from aigov.errors import EXIT_BLOCKING, EXIT_PASS, AigovError
from aigov.facts.signatures import DEFAULT_BUNDLE_SUFFIXES
from aigov.sigstore_bundles import file_sha256, identity_policy, load_verifier, read_bundle_bytes, rejection_reason, verify_bundle
from aigov.untrusted import json_text, line_text  # certificates and bundles are not ours


@click.command("verify-artifact")
@click.argument("file", type=PathArg)
@click.option("--bundle", type=PathArg, help="The Sigstore bundle. Default: FILE.sigstore.json, else FILE.sigstore.")
@click.option("--identity", help="The exact signer identity (certificate SAN), e.g. a workflow URI or an email.")
@click.option("--identity-pattern", help="A regular expression the signer identity must match in full (instead of --identity).")
@click.option("--issuer", required=True, help="The OIDC issuer, e.g. https://token.actions.githubusercontent.com.")
@click.option("--trusted-root", type=PathArg, help="A private Sigstore instance's trusted_root.json. Default: the production root, offline.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@fails_closed
def command(file: Path, bundle: Path | None, identity: str | None, identity_pattern: str | None, issuer: str,
            trusted_root: Path | None, output_format: str) -> None:
    """Verify FILE against its Sigstore bundle and an identity policy, fully offline.

    Bundles with a DSSE envelope (GitHub artifact attestations) verify when FILE's SHA-256 is
    one of the in-toto statement's subjects.

    \b
    Exit code 0: verified; 1: rejected (reason on one line); 2: unusable arguments.

    \b
    Example:
      aigov verify-artifact dist/model.onnx \\
        --identity-pattern 'https://github.com/acme/.+/.github/workflows/release.yml@refs/tags/v.+' \\
        --issuer https://token.actions.githubusercontent.com
    """
    try:
        policy = identity_policy(issuer, identity, identity_pattern)
    except ValueError as exc:
        raise AigovError(f"{exc} (--identity or --identity-pattern)") from None
    _require_file(file, "file")
    bundle = bundle or _default_bundle(file, DEFAULT_BUNDLE_SUFFIXES)
    _require_file(bundle, "bundle")
    try:
        artifact_sha256 = file_sha256(file)
        bundle_bytes = read_bundle_bytes(bundle)
    except OSError as exc:
        raise AigovError(f"cannot be read: {exc.strerror or exc}", str(exc.filename or file)) from None
    result = verify_bundle(load_verifier(trusted_root), artifact_sha256, bundle_bytes, policy)
    reason = rejection_reason(result.facts(), policy.describe(), issuer, trusted_root)
    if output_format == "json":
        doc = {"file": str(file), "bundle": str(bundle), "sha256": artifact_sha256.hex(), **result.facts(), "reason": reason}
        click.echo(json_text(json.dumps(doc, indent=2)))
    elif result.verified:
        attested = f", in-toto predicate {result.predicate_type}" if result.kind == "dsse" else ""
        click.echo(line_text(f"VERIFIED {file}: signed by {result.identity} (issuer {result.issuer}){attested}"))
    else:
        click.echo(line_text(f"REJECTED {file}: {reason}"))
    sys.exit(EXIT_PASS if result.verified else EXIT_BLOCKING)


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise AigovError(f"{what} not found", str(path))
    if not path.is_file():
        raise AigovError(f"{what} is not a regular file", str(path))


def _default_bundle(file: Path, suffixes: tuple[str, ...]) -> Path:
    candidates = [file.with_name(file.name + suffix) for suffix in suffixes]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise AigovError(f"no bundle found (looked for {', '.join(c.name for c in candidates)}); pass --bundle", str(file))
    return found
