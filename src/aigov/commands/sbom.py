"""``aigov sbom``: generate a feature's CycloneDX ML-BOM, or validate any CycloneDX JSON document."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from aigov.commandline import PathArg, fails_closed
from aigov.errors import EXIT_BLOCKING, AigovError
from aigov.sbom.generate import generate_ml_bom
from aigov.sbom.validate import read_bom_file, validate_bom
from aigov.untrusted import json_text, line_text  # the SBOM is the checked repository's
from aigov.words import counted


@click.command("sbom")
@click.argument("path", type=PathArg, required=False)
@click.option("--validate", "validate_path", type=PathArg, metavar="FILE",
              help="Validate FILE against the CycloneDX schema of its specVersion (1.4-1.7) instead of generating.")
@click.option("-o", "--output", type=PathArg, help="Write the generated SBOM to this file (default: standard output).")
@click.option("--now", help="The SBOM's timestamp (RFC 3339). Default: SOURCE_DATE_EPOCH if set, else the current time.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How --validate reports.")
@fails_closed
def command(path: Path | None, validate_path: Path | None, output: Path | None, now: str | None, output_format: str) -> None:
    """Generate a CycloneDX 1.6 ML-BOM for the feature in PATH (default: .), or --validate a file.

    The ML-BOM lists every model in aigov.yaml as a machine-learning-model component with a
    modelCard taken from the model card, and every Python dependency pinned in the feature's
    requirements*.txt, pyproject.toml or lock file as a library. It is validated before it is
    written; the same inputs and --now give the same bytes.

    --validate exits 0 when the document is valid, 1 when it is not (each error with its JSON
    path and line), 2 when it cannot be read or is not strict JSON. Warnings (a repeated
    bom-ref) are printed but do not make a document invalid.

    \b
    Example:
      aigov sbom . -o sbom.cdx.json --now 2026-01-31T00:00:00Z
      aigov sbom --validate sbom.cdx.json
    """
    if validate_path is not None:
        if path is not None or output is not None or now is not None:
            raise click.UsageError("--validate FILE takes no PATH, -o or --now")
        sys.exit(_validate(validate_path, output_format))

    text = generate_ml_bom(path or Path("."), now)
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)
    click.echo(f"wrote {output}", err=True)


def _validate(path: Path, output_format: str) -> int:
    name = str(path)
    text, document = read_bom_file(path, name)
    result = validate_bom(document, text)
    version = result.spec_version or "(unknown version)"
    if output_format == "json":
        report = {"file": name, "specVersion": result.spec_version, "valid": result.valid,
                  "errors": [e.to_dict() for e in result.errors], "warnings": [w.to_dict() for w in result.warnings]}
        click.echo(json_text(json.dumps(report, indent=2)))
        return 0 if result.valid else EXIT_BLOCKING
    for kind, problems in (("", result.errors), ("warning: ", result.warnings)):
        for problem in problems:
            where = f"{name}:{problem.line}" if problem.line else name
            click.echo(line_text(f"{where}: {kind}{problem.path}: {problem.message}"))
    warned = f" ({counted(len(result.warnings), 'warning')})" if result.warnings else ""
    if result.valid:
        click.echo(f"{name}: valid CycloneDX {version}{warned}")
        return 0
    click.echo(f"{name}: not valid CycloneDX {version} ({counted(len(result.errors), 'error')}){warned}")
    return EXIT_BLOCKING


def _write(output: Path, text: str) -> None:
    """Write all or nothing: a failed run never leaves half an SBOM behind."""
    temporary = output.with_name(f".{output.name}.aigov-tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(output)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise AigovError(f"cannot write the SBOM: {exc.strerror}", str(output)) from None
