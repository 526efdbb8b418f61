"""Facts about release signing in CI: which workflow jobs sign artefacts, and with what token.

Before a feature's first release there are no artefacts to verify, so the policies check the next
best thing: that a release workflow signs with Sigstore keyless signing, which needs the job's
OIDC token (`permissions: id-token: write`). ``input.feature.release_signing.jobs`` lists every
job step that signs (settings: release_signing), with whether the job gets that token.
"""

from __future__ import annotations

from typing import Any

from aigov.facts.build import RepoContext, collector
from aigov.facts.discovery import FeatureLocation
from aigov.facts.filters import as_patterns
from aigov.facts.manifest import Manifest
from aigov.facts.workflows import StepRun, grants_id_token, repository_workflows
from aigov.patterns import compile_user_regex


@collector
def collect_release_signing(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    if not manifest.spec.get("artifacts"):
        return {}
    return {"release_signing": ctx.once("release_signing", lambda: signing_jobs(ctx))}


def signing_jobs(ctx: RepoContext) -> dict[str, Any]:
    workflows, _, steps = repository_workflows(ctx)
    run_patterns, uses_prefixes = _signers(ctx.settings.get("release_signing") or {})
    found = []
    for job, step in steps:
        if set(job.workflow.triggers) == {"workflow_call"}:
            continue  # runs only through its callers, which are listed with the call chain
        method = signing_method(step, run_patterns, uses_prefixes)
        if method:
            granted, path, line = grants_id_token(job)
            found.append({
                "workflow": job.workflow.path, "job": job.name, "job_line": job.chain[0][1].line,
                "path": step.step.path, "line": step.step.line, "method": method,
                "id_token_write": granted, "permissions_path": path, "permissions_line": line,
                "events": sorted(job.workflow.triggers),
            })
    return {"workflows": len(workflows.by_path), "jobs": found}


def signing_method(step: StepRun, run_patterns: list[Any], uses_prefixes: list[str]) -> str | None:
    """How the step signs (the matched command or action), or None."""
    uses = step.step.uses or ""
    if any(uses.startswith(prefix) for prefix in uses_prefixes):
        return uses
    script = " ".join((step.step.run or "").replace("\\\n", " ").split())
    for pattern in run_patterns:
        match = pattern.search(script)
        if match:
            return match.group(0).strip()
    return None


def _signers(settings: dict[str, Any]) -> tuple[list[Any], list[str]]:
    patterns = [compile_user_regex(p, "settings release_signing.run") for p in as_patterns(settings.get("run"))]
    return patterns, as_patterns(settings.get("uses"))
