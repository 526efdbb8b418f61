"""Facts about signed artefacts: every file a ``spec.artifacts`` glob matches, its Sigstore bundle,
and whether the bundle verifies offline under the entry's identity policy.

sigstore is imported only when at least one matching file has a bundle to verify, so a
repository without artefacts (or before its first release) never pays for it. A glob that
matches nothing is a fact (``files: []``), not an error: the release-workflow rule covers it.

Only regular files inside the repository are read. A matched artefact or bundle that is a pipe,
socket or device (reading it would block forever or never end), a symlink out of the repository,
or unreadable is a fact (``failure: "unreadable"``), which the signing rules report as an
artefact that cannot be verified: the repository is non-compliant, aigov is not broken.
"""

from __future__ import annotations

import re
from typing import Any

from aigov.errors import AigovError
from aigov.facts.build import RepoContext, collector
from aigov.facts.discovery import FeatureLocation, is_manifest, parent
from aigov.facts.manifest import Manifest
from aigov.patterns import compile_user_regex
from aigov.sigstore_bundles import MAX_BUNDLE_BYTES, identity_policy, load_verifier, verify_bundle

DEFAULT_BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore")
UNREADABLE = "unreadable"  # the failure of an artefact or bundle that is not a readable regular file


@collector
def collect_artifacts(ctx: RepoContext, manifest: Manifest, location: FeatureLocation) -> dict[str, Any]:
    entries = manifest.spec.get("artifacts") or []
    suffixes = bundle_suffixes(ctx.settings)
    candidates = _own(ctx, location.dir, ctx.tree.artifacts(location.dir)) if entries else []
    artifacts = []
    for index, entry in enumerate(entries):
        files = matching_files(entry["path"], location.dir, candidates, suffixes)
        policy = _entry_policy(entry, manifest, index, verify=bool(files))
        artifacts.append({
            "pattern": entry["path"],
            "index": index,
            "identity": entry.get("identity"),
            "identity_pattern": entry.get("identityPattern"),
            "issuer": entry["issuer"],
            "files": [_file_facts(ctx, rel, policy, suffixes) for rel in files],
        })
    return {"artifacts": artifacts}


def _own(ctx: RepoContext, folder: str, paths: list[str]) -> list[str]:
    """``paths`` less those inside a nested feature's folder: its artefacts are its own."""
    features = ctx.once("feature folders", lambda: sorted({parent(p) for p in ctx.tree.files if is_manifest(p)}))
    prefix = "" if folder == "." else folder + "/"
    nested = tuple(f + "/" for f in features if f != folder and (f + "/").startswith(prefix))
    return [p for p in paths if not p.startswith(nested)] if nested else paths


def bundle_suffixes(settings: dict[str, Any]) -> tuple[str, ...]:
    """Where a file's bundle may be, in order of preference (settings: signing.bundle_suffixes)."""
    configured = (settings.get("signing") or {}).get("bundle_suffixes")
    if configured is None:
        return DEFAULT_BUNDLE_SUFFIXES
    if not isinstance(configured, list) or not configured or not all(isinstance(s, str) and s for s in configured):
        raise AigovError("settings signing.bundle_suffixes must be a non-empty list of file-name suffixes such as .sigstore.json")
    return tuple(configured)


def matching_files(pattern: str, folder: str, candidates: list[str], suffixes: tuple[str, ...]) -> list[str]:
    """The candidate files (repository-relative) whose path in the feature's folder matches the glob; bundles excluded."""
    regex = glob_regex(pattern)
    prefix = "" if folder == "." else f"{folder}/"
    return sorted(
        rel for rel in candidates
        if rel.startswith(prefix) and regex.fullmatch(rel[len(prefix):]) and not rel.endswith(suffixes)
    )


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex over '/'-separated paths: ``*`` and ``?`` stay within a folder, ``**`` spans folders."""
    pattern = pattern.removeprefix("./")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def _entry_policy(entry: dict[str, Any], manifest: Manifest, index: int, verify: bool) -> Any:
    """Who must have signed; with nothing to ``verify`` (no artefact built yet, as on most pull
    requests) only the identity pattern is checked, without loading the verification code."""
    where = manifest.doc.line_of(f"spec.artifacts[{index}].identityPattern")
    if not verify:
        if entry.get("identityPattern") is not None:
            try:
                compile_user_regex(entry["identityPattern"], "identity pattern")
            except AigovError as exc:
                raise AigovError(exc.message, manifest.path, where) from None
        return None

    try:
        return identity_policy(entry["issuer"], entry.get("identity"), entry.get("identityPattern"))
    except ValueError as exc:
        raise AigovError(str(exc), manifest.path, where) from None


def _file_facts(ctx: RepoContext, rel: str, policy: Any, suffixes: tuple[str, ...]) -> dict[str, Any]:
    expected = [rel + suffix for suffix in suffixes]
    bundle = next((b for b in expected if ctx.tree.exists(b)), None)
    facts: dict[str, Any] = {"path": rel, "bundle": bundle, "bundle_found": bundle is not None, "expected_bundles": expected}
    problem = next((f"{name} {why}" for name in (rel, bundle) if name and (why := ctx.tree.unreadable(name))), None)
    if problem is not None:
        facts.update(verified=False, failure=UNREADABLE, error=problem)
        return facts
    if bundle is None:
        facts.update(verified=False, error=f"no Sigstore bundle beside it (looked for {', '.join(expected)})")
        return facts

    try:
        artifact_sha256 = ctx.tree.sha256(rel)
        bundle_bytes = ctx.tree.read_prefix(bundle, MAX_BUNDLE_BYTES + 1)  # one byte over: the verifier says it is too large
    except AigovError as exc:  # permission denied, say: the artefact cannot be verified
        facts.update(verified=False, failure=UNREADABLE, error=f"{exc.path} {exc.message}")
        return facts
    verifier = ctx.once("sigstore.verifier", lambda: load_verifier(ctx.trusted_root))
    facts["sha256"] = artifact_sha256.hex()
    facts.update(verify_bundle(verifier, artifact_sha256, bundle_bytes, policy).facts())
    return facts
