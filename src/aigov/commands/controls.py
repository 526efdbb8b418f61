"""``aigov controls``: which rules evidence which framework control, and which controls no rule covers."""

from __future__ import annotations

import json
from typing import Any

import click

from aigov.commandline import fails_closed
from aigov.errors import AigovError
from aigov.policy.controls import load_control_map


@click.command("controls")
@click.option("--framework", help="Only this framework (its key in any case, e.g. NIST-AI-RMF, EU-AI-Act, ISO-42001, SOC2).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@fails_closed
def command(framework: str | None, output_format: str) -> None:
    """Show the control mappings (policies/controls.yaml): each control with the rules that evidence it,
    then the controls of that framework that no rule covers (the gap list).

    \b
    Example:
      aigov controls --framework EU-AI-Act
      aigov controls --format json
    """
    control_map = load_control_map()
    keys = list(control_map.frameworks)
    if framework is not None:  # keys are matched whatever their case: eu-ai-act is EU-AI-Act
        keys = [key for key in keys if key.casefold() == framework.strip().casefold()]
        if not keys:
            raise AigovError(f"unknown framework {framework!r}; choose one of {', '.join(control_map.frameworks)}")
    document = [_framework_entry(control_map, key) for key in keys]
    if output_format == "json":
        click.echo(json.dumps({"frameworks": document}, indent=2, ensure_ascii=False))
        return
    for entry in document:
        click.echo(f"{entry['name']} {entry['version']} ({entry['key']})")
        width = max((len(c["id"]) for c in entry["controls"]), default=0)
        for control in entry["controls"]:
            click.echo(f"  {control['id']:<{width}}  {', '.join(control['rules'])}")
        gaps = entry["gaps"]
        click.echo(f"  not evidenced by any rule ({len(gaps)}): {', '.join(g['id'] for g in gaps) or 'none'}")
        click.echo("")


def _framework_entry(control_map: Any, key: str) -> dict[str, Any]:
    framework = control_map.frameworks[key]
    covered = control_map.rules_of()
    controls = [
        {"id": cid, "title": control.title, "rules": covered[(key, cid)]}
        for cid, control in framework.controls.items() if (key, cid) in covered
    ]
    return {
        "key": key, "name": framework.name, "version": framework.version, "catalog": framework.catalog_file,
        "controls": controls,
        "gaps": [{"id": c.id, "title": c.title} for c in control_map.gaps(key)],
    }
