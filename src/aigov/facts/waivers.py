"""Facts about the waivers the repository asks for in ``.aigov/waivers.yaml``.

The file lives in the judged repository, so a waiver is only a request. This collector checks
that each request is well formed (a malformed file is an error naming its line) and records the
facts the waiver rules decide on (policies/aigov/waivers.rego): the rule's severity, the dates,
what the waiver matches, and how it compares with the same file at the base commit (and, for a
waiver unchanged since then, the features that existed there: the ones it was approved for).
Whether a waiver is approved, expired, over-long or stale is decided in Rego, never here.

The base commit is the pull request's base when the check has one (``input.change.base``);
otherwise (a push, a local check) the tip of the default branch: a waiver already there was
reviewed when it merged, and anything added or changed since needs its approver's review.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Callable

from aigov.errors import AigovError
from aigov.files import MAX_FILE_BYTES, Repo, run_git
from aigov.github_names import approver_problem
from aigov.policy.metadata import RuleMeta
from aigov.validation import validate_document
from aigov.yamlfile import parse_yaml

WAIVERS_FILE = ".aigov/waivers.yaml"
# Far beyond any honest list of exceptions; bounds the time spent judging a hostile file.
MAX_WAIVERS = 1000
# The keys that make a waiver a request to approve: changing any of them needs a new review.
REQUEST_KEYS = ("rule", "feature", "path", "reason", "ticket", "approver", "created", "expires")


def collect_waivers(repo: Repo, rules: dict[str, RuleMeta], find_base: Callable[[], str | None],
                    manifests: dict[str, str] | None = None) -> list[dict[str, Any]] | None:
    """The waiver facts (``input.waivers``), or None when the repository asks for none.

    ``find_base``: the commit waivers are compared with, asked only when there are waivers (it
    costs git processes). ``manifests``: the judged features' manifest paths by name, to tell
    whether a waiver's feature is still the feature it named at the base (:func:`_feature_at_base`)."""
    if WAIVERS_FILE not in repo.files:
        return None
    doc = parse_yaml(repo.read_text(repo.root / WAIVERS_FILE), WAIVERS_FILE)
    if doc.data is None:
        return None
    entries = doc.data.get("waivers") if isinstance(doc.data, dict) else None
    if isinstance(entries, list) and len(entries) > MAX_WAIVERS:
        raise AigovError(f"holds {len(entries)} waivers; aigov judges at most {MAX_WAIVERS} (fix findings instead of waiving them)",
                         WAIVERS_FILE, doc.lines.get(f"waivers[{MAX_WAIVERS}]"))
    validate_document(doc, "waivers", WAIVERS_FILE)
    base_ref = find_base()
    base = _base_waivers(repo, base_ref)
    features_at_base = functools.cache(lambda: feature_names_at(repo.root, base_ref) if base_ref else [])
    facts = []
    for index, entry in enumerate(doc.data["waivers"]):
        prefix = f"waivers[{index}]"
        lines = {key: doc.lines[f"{prefix}.{key}"] for key in entry}
        _check_entry(entry, rules, lines)
        facts.append({
            **{key: entry[key] for key in REQUEST_KEYS if key in entry},
            "index": index,
            "file": WAIVERS_FILE,
            "line": doc.lines[prefix],
            "lines": lines,
            "severity": rules[entry["rule"]].severity,
            "waivable": rules[entry["rule"]].waivable,  # the rule's METADATA (custom.waivable), read by waivers.rego
            "base": _base_state(entry, base, base_ref, repo, manifests or {}),
        })
        if facts[-1]["base"]["state"] == "unchanged":  # approved when it merged: for the features there then
            facts[-1]["base"]["features"] = features_at_base()
    return facts


def _check_entry(entry: dict[str, Any], rules: dict[str, RuleMeta], lines: dict[str, int]) -> None:
    """What makes a waiver file malformed rather than non-compliant: impossible dates, unknown rules."""
    dates = {}
    for key in ("created", "expires"):
        try:
            dates[key] = dt.date.fromisoformat(entry[key])
        except ValueError:
            raise AigovError(f"{key}: {entry[key]!r} is not a real date", WAIVERS_FILE, lines[key]) from None
    if dates["expires"] <= dates["created"]:
        raise AigovError(f"expires: {entry['expires']} is not after created {entry['created']}", WAIVERS_FILE, lines["expires"])
    if entry["rule"] not in rules:
        raise AigovError(f"rule: {entry['rule']} is not a rule of the policy pack (see 'aigov policy list')", WAIVERS_FILE, lines["rule"])
    problem = approver_problem(entry["approver"])  # whole: the schema's pattern lets a trailing newline through
    if problem:
        raise AigovError(f"approver: {problem}", WAIVERS_FILE, lines["approver"])


def _base_waivers(repo: Repo, ref: str | None) -> list[dict[str, Any]] | str:
    """The waivers at ``ref``, or why they cannot be read (a string).

    A file that cannot be parsed at the base approves nothing: its waivers count as added.
    """
    if ref is None:
        return "no base commit (not a git repository)"
    if not _is_commit(repo, ref):
        return f"{ref} is not a commit in this repository"
    data = _yaml_at(repo, ref, WAIVERS_FILE)
    entries = data.get("waivers") if isinstance(data, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _yaml_at(repo: Repo, ref: str, path: str) -> Any:
    """The YAML file ``path`` at commit ``ref``; None when it is not there, too large to be honest, or
    broken (at the base, such a file approves nothing)."""
    blob = f"{ref}:{path}"
    size = run_git(repo.root, "cat-file", "-s", blob)
    if size.returncode != 0 or not size.stdout.strip().isdigit() or int(size.stdout) > MAX_FILE_BYTES:
        return None
    proc = run_git(repo.root, "cat-file", "blob", blob, text=False)
    if proc.returncode != 0:
        return None
    try:
        return parse_yaml(proc.stdout.decode("utf-8-sig"), blob).data
    except (AigovError, UnicodeDecodeError):
        return None


def _base_state(entry: dict[str, Any], base: list[dict[str, Any]] | str, ref: str | None, repo: Repo,
                manifests: dict[str, str]) -> dict[str, Any]:
    """unchanged (the same request is at the base, meaning the same feature), changed (same rule,
    feature and path; or the same text now naming another feature), added, or unknown."""
    if isinstance(base, str):
        return {"state": "unknown", "ref": ref or "", "error": base}
    request = _request(entry)
    if any(_request(old) == request for old in base):
        moved = _feature_at_base(repo, ref, entry.get("feature"), manifests)
        return {"state": "changed", "ref": ref, "why": moved} if moved else {"state": "unchanged", "ref": ref}
    state = "changed" if any(_scope(old) == _scope(entry) for old in base) else "added"
    return {"state": state, "ref": ref}


def _feature_at_base(repo: Repo, ref: str | None, name: Any, manifests: dict[str, str]) -> str | None:
    """Why an unchanged waiver for feature ``name`` no longer means what was approved, or None.

    A waiver names a feature by its metadata.name. If another feature takes that name (renamed into
    it, or moved to a folder that held something else), the approved text would cover code nobody
    approved it for: the manifest that holds the name now must have held it at the base too."""
    if not isinstance(name, str) or name not in manifests or ref is None:
        return None  # names no judged feature: it covers nothing, and staleness is judged in Rego
    manifest = _yaml_at(repo, ref, manifests[name])
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    before = metadata.get("name") if isinstance(metadata, dict) else None
    if before == name:
        return None
    held = f"feature {before}" if isinstance(before, str) else "no feature"
    return f"feature {name} is now {manifests[name]}, which at {ref} was {held}"


def feature_names_at(root: Path, ref: str) -> list[str]:
    """The metadata.name of every feature manifest at commit ``ref``: what an unchanged waiver was
    approved for. A manifest that cannot be read or names nothing there names no feature."""
    from aigov.facts.change import GitFailed, git, read_base_blobs
    from aigov.facts.discovery import MANIFEST_NAME

    try:
        listing = git(root, "ls-tree", "-r", "-z", "--name-only", "--full-tree", ref).decode("utf-8", "surrogateescape")
    except GitFailed as exc:
        raise AigovError(f"cannot list the features at {ref}, which the waivers are compared with: {exc.stderr}", WAIVERS_FILE) from None
    manifests = [path for path in listing.split("\0") if path.rpartition("/")[2] == MANIFEST_NAME]
    names = set()
    for path, blob in read_base_blobs(root, ref, manifests).items():
        try:
            data = parse_yaml(blob.decode("utf-8-sig"), path).data if blob is not None else None
        except (AigovError, UnicodeDecodeError):
            continue
        metadata = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            names.add(metadata["name"])
    return sorted(names)


def _request(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: str(entry[key]) for key in REQUEST_KEYS if key in entry}


def _scope(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(key) for key in ("rule", "feature", "path"))


def waiver_base(repo: Repo, change_base: str | None, settings: dict[str, Any]) -> str | None:
    """The commit waivers are compared with: the change's base, else the default branch's tip."""
    if change_base:
        return change_base
    if not repo.is_git:
        return None
    from aigov.facts.workflows import default_branch

    branch, _ = default_branch(repo.root, settings.get("evals", {}))
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        if _is_commit(repo, ref):
            return ref
    return branch


def _is_commit(repo: Repo, ref: str) -> bool:
    # A ref that starts with "-" would be an option to git.
    return not ref.startswith("-") and run_git(repo.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0
