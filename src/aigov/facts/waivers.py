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
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aigov.errors import AigovError
from aigov.facts.discovery import is_manifest
from aigov.facts.workflows import default_branch
from aigov.files import MAX_FILE_BYTES
from aigov.gitcli import GitFailed, commit_id, git
from aigov.github_names import approver_problem
from aigov.policy.metadata import RuleMeta
from aigov.tree import CommitTree, Tree, WorkTree
from aigov.validation import validate_document
from aigov.yamlfile import parse_yaml

WAIVERS_FILE = ".aigov/waivers.yaml"
# Far beyond any honest list of exceptions; bounds the time spent judging a hostile file.
MAX_WAIVERS = 1000
# The keys that make a waiver a request to approve: changing any of them needs a new review.
REQUEST_KEYS = ("rule", "feature", "path", "reason", "ticket", "approver", "created", "expires")


def collect_waivers(tree: Tree, rules: dict[str, RuleMeta], find_base: Callable[[], str | None],
                    manifests: dict[str, str] | None = None) -> list[dict[str, Any]] | None:
    """The waiver facts (``input.waivers``), or None when the repository asks for none.

    ``find_base``: the commit waivers are compared with, asked only when there are waivers (it
    costs git processes). ``manifests``: the judged features' manifest paths by name, to tell
    whether a waiver's feature is still the feature it named at the base (:func:`_feature_at_base`)."""
    if WAIVERS_FILE not in tree.listed:
        return None
    doc = parse_yaml(tree.read_text(WAIVERS_FILE), WAIVERS_FILE)
    if doc.data is None:
        return None
    entries = doc.data.get("waivers") if isinstance(doc.data, dict) else None
    if isinstance(entries, list) and len(entries) > MAX_WAIVERS:
        raise AigovError(f"holds {len(entries)} waivers; aigov judges at most {MAX_WAIVERS} (fix findings instead of waiving them)",
                         WAIVERS_FILE, doc.lines.get(f"waivers[{MAX_WAIVERS}]"))
    validate_document(doc, "waivers", WAIVERS_FILE)
    base_ref = find_base()
    base = _base_waivers(tree, base_ref)
    features_at_base = functools.cache(lambda: feature_names_at(tree.root, base_ref) if base_ref else [])
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
            "base": _base_state(entry, base, base_ref, tree, manifests or {}),
        })
        if facts[-1]["base"]["state"] == "unchanged":  # approved when it merged: for the features there then
            facts[-1]["base"]["features"] = features_at_base()
    return facts


# "**" that is not a whole path segment ("svc-a/**.py", "a**/b"): the two engines disagree on what it
# matches (regorus: nothing across a "/", OPA: anything), so the same waiver would cover different findings.
_DOUBLE_STAR_IN_A_NAME = re.compile(r"[^/]\*\*|\*\*[^/]")
MAX_DOUBLE_STARS = 4  # waivers.rego's zero_folder_forms tries no more


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
    path = entry.get("path", "")
    if _DOUBLE_STAR_IN_A_NAME.search(path):
        raise AigovError(f"path: {path!r} has ** inside a name; ** stands for whole folders (svc-a/**/*.py), "
                         "* for part of a name", WAIVERS_FILE, lines["path"])
    if path.count("**") > MAX_DOUBLE_STARS:  # the rules try each "**/" as no folder too: 2^n forms
        raise AigovError(f"path: {path!r} has more than {MAX_DOUBLE_STARS} '**'; a waiver covers a narrow place",
                         WAIVERS_FILE, lines["path"])


def _base_waivers(tree: Tree, ref: str | None) -> list[dict[str, Any]] | str:
    """The waivers at ``ref``, or why they cannot be read (a string).

    A file that cannot be parsed at the base approves nothing: its waivers count as added.
    """
    if ref is None:
        return "no base commit (not a git repository)"
    if not _is_commit(tree, ref):
        return f"{ref} is not a commit in this repository"
    data = _yaml_at(tree, ref, WAIVERS_FILE)
    entries = data.get("waivers") if isinstance(data, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _yaml_at(tree: Tree, ref: str, path: str) -> Any:
    """The YAML file ``path`` at commit ``ref``; None when it is not there, too large to be honest, or
    broken (at the base, such a file approves nothing)."""
    blob = f"{ref}:{path}"
    try:
        size = git(tree.root, "cat-file", "-s", blob).strip()
        if not size.isdigit() or int(size) > MAX_FILE_BYTES:
            return None
        return parse_yaml(git(tree.root, "cat-file", "blob", blob).decode("utf-8-sig"), blob).data
    except (AigovError, GitFailed, UnicodeDecodeError):
        return None


def _base_state(entry: dict[str, Any], base: list[dict[str, Any]] | str, ref: str | None, tree: Tree,
                manifests: dict[str, str]) -> dict[str, Any]:
    """unchanged (the same request is at the base, meaning the same feature), changed (same rule,
    feature and path; or the same text now naming another feature), added, or unknown."""
    if isinstance(base, str):
        return {"state": "unknown", "ref": ref or "", "error": base}
    request = _request(entry)
    if any(_request(old) == request for old in base):
        moved = _feature_at_base(tree, ref, entry.get("feature"), manifests)
        return {"state": "changed", "ref": ref, "why": moved} if moved else {"state": "unchanged", "ref": ref}
    state = "changed" if any(_scope(old) == _scope(entry) for old in base) else "added"
    return {"state": state, "ref": ref}


def _feature_at_base(tree: Tree, ref: str | None, name: Any, manifests: dict[str, str]) -> str | None:
    """Why an unchanged waiver for feature ``name`` no longer means what was approved, or None.

    A waiver names a feature by its metadata.name. If another feature takes that name (renamed into
    it, or moved to a folder that held something else), the approved text would cover code nobody
    approved it for: the manifest that holds the name now must have held it at the base too."""
    if not isinstance(name, str) or name not in manifests or ref is None:
        return None  # names no judged feature: it covers nothing, and staleness is judged in Rego
    manifest = _yaml_at(tree, ref, manifests[name])
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    before = metadata.get("name") if isinstance(metadata, dict) else None
    if before == name:
        return None
    held = f"feature {before}" if isinstance(before, str) else "no feature"
    return f"feature {name} is now {manifests[name]}, which at {ref} was {held}"


def feature_names_at(root: Path, ref: str) -> list[str]:
    """The metadata.name of every feature manifest at commit ``ref``, read by the one reader: what an
    unchanged waiver was approved for. A manifest that cannot be read or names nothing there names no feature."""
    commit = commit_id(root, ref, WAIVERS_FILE)
    if commit is None:
        raise AigovError(f"cannot list the features at {ref}, which the waivers are compared with: not a commit here", WAIVERS_FILE)
    tree = CommitTree(root, commit)
    names = set()
    try:
        for path in tree.files:
            if not is_manifest(path):
                continue
            try:
                data = parse_yaml(tree.read_text(path, MAX_FILE_BYTES), path).data
            except AigovError:
                continue
            metadata = data.get("metadata") if isinstance(data, dict) else None
            if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
                names.add(metadata["name"])
    finally:
        tree.close()
    return sorted(names)


def _request(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: str(entry[key]) for key in REQUEST_KEYS if key in entry}


def _scope(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(key) for key in ("rule", "feature", "path"))


def waiver_base(tree: Tree, change_base: str | None, settings: dict[str, Any]) -> str | None:
    """The commit waivers are compared with: the change's base, else the default branch's tip. A
    commit read from git objects (an evidence replay of the default branch) is judged as the push
    that put it there was: the branch's tip was that commit, so its waivers were on the branch."""
    if change_base:
        return change_base
    if tree.commit:
        return tree.commit
    if not isinstance(tree, WorkTree) or not tree.is_git:
        return None

    branch, _ = default_branch(tree.root, settings.get("evals", {}))
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        if _is_commit(tree, ref):
            return ref
    return branch


def _is_commit(tree: Tree, ref: str) -> bool:
    try:
        return commit_id(tree.root, ref, WAIVERS_FILE) is not None
    except AigovError:  # not even a revision's spelling
        return False
