"""Facts about who approved a pull request, for the rules that need a CODEOWNER's approval.

``input.change.review``: whether the reviews could be read (and why not), the logins whose latest
review is an approval on the pull request's head commit, the CODEOWNERS owners of each file that
may need approval (CODEOWNERS read at the base commit, as GitHub does), and the members of every
``@org/team`` owner. A team whose members cannot be read (the token lacks read:org) is recorded
with its error: the rule then says approval by that team cannot be verified, never that it holds.
E-mail owners cannot be matched to the logins reviews carry and never count as approvers.

Whether the approval is enough is for policies/aigov/changes.rego to decide.
"""

from __future__ import annotations

from typing import Any

from aigov.codeowners import LOCATIONS, owners_of, parse_codeowners
from aigov.facts.change import Change


def collect_review(change: Change, paths: list[str], token: str | None, teams: list[str] | None = None) -> dict[str, Any]:
    """The review facts for ``paths``; ``teams``: more ``@org/team`` approvers whose members to read
    (a waiver's approver), besides the CODEOWNERS teams."""
    codeowners_file, rules = _base_codeowners(change)
    codeowners = {path: [owner.lower() for owner in owners_of(rules, path)] for path in paths}
    facts: dict[str, Any] = {"available": False, "error": None, "approvals": [], "codeowners": codeowners,
                             "codeowners_file": codeowners_file, "teams": {}}
    request = change.request
    if request.pr is None or not request.repository:
        facts["error"] = "no pull request to read reviews of (run the check with --pr in a pull_request workflow)"
        return facts
    if not token:
        facts["error"] = "no GitHub token to read the pull request's reviews (set GITHUB_TOKEN or --github-token)"
        return facts
    from aigov.github import GitHubClient, GitHubError

    client = GitHubClient(token)
    try:
        facts["approvals"] = approvals(client.reviews(request.repository, request.pr), request.pr_head)
    except GitHubError as exc:
        facts["error"] = str(exc)
        return facts
    facts["available"] = True
    if facts["approvals"]:
        owner_teams = {o for owners in codeowners.values() for o in owners if o.startswith("@") and "/" in o}
        facts["teams"] = {team: _team(client, team) for team in sorted(owner_teams | set(teams or []))}
    return facts


def approvals(reviews: list[Any], head: str | None) -> list[str]:
    """Logins whose latest approving-or-blocking review approves ``head`` (a comment changes nothing,
    as on GitHub; an approval of an earlier push does not count for what came after it)."""
    latest: dict[str, dict[str, Any]] = {}
    for review in reviews:
        if not isinstance(review, dict) or not isinstance(review.get("user"), dict):
            continue
        login = review["user"].get("login")
        if isinstance(login, str) and review.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[login.lower()] = review
    return sorted(login for login, review in latest.items()
                  if review["state"] == "APPROVED" and (head is None or review.get("commit_id") == head))


def _team(client: Any, owner: str) -> dict[str, Any]:
    from aigov.github import GitHubError

    org, _, slug = owner[1:].partition("/")
    try:
        return {"members": sorted(m.lower() for m in client.team_members(org, slug)), "error": None}
    except GitHubError as exc:
        return {"members": [], "error": str(exc)}


def _base_codeowners(change: Change) -> tuple[str | None, list[Any]]:
    """The first CODEOWNERS GitHub would read, from the base commit (GitHub ignores one over 3 MB)."""
    from aigov.errors import AigovError
    from aigov.tree import MISSING

    base = change.base_tree
    for path in LOCATIONS:
        if base.kind(path) == MISSING:
            continue
        try:
            data = base.read_bytes(path, MAX_CODEOWNERS_BYTES)
        except AigovError:
            continue
        return path, parse_codeowners(data.decode("utf-8-sig", "replace"))
    return None, []


MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024
