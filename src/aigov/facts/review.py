"""Facts about who approved a pull request, for the rules that ask for an approval.

``input.change.review`` (and the waiver evaluation's ``change.review``) says whether the reviews
could be read (and why not), the pull request's author, the logins whose latest review approves
its head commit (the author's own never counts), the logins that requested changes at any point
(the pull request was sent back), the CODEOWNERS owners of each file that may need
approval (CODEOWNERS read at the base commit, as GitHub does), and, for every ``@org/team`` a rule
may ask for, which of those approving logins GitHub says are active members of it. A team that
cannot be read (no read:org, a slug GitHub could not have, the API failing) is recorded with its
error: the rule then says approval by that team cannot be verified, never that it holds. E-mail
owners cannot be matched to the logins reviews carry and never count as approvers.

Whether the approvals are enough is for the policies to decide (policies/aigov/approvals.rego).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aigov.codeowners import LOCATIONS, owners_of, parse_codeowners
from aigov.errors import AigovError
from aigov.facts.change import Change
from aigov.github import GitHubClient, GitHubError
from aigov.github_names import is_team, team_parts
from aigov.tree import MISSING

# Membership look-ups one check may make: one per approving login and team. Far beyond a real
# review; it bounds the time a pull request with hundreds of approvals could cost.
MAX_MEMBERSHIP_CHECKS = 200


def collect_review(change: Change, paths: list[str], token: str | None, approvers: Iterable[str] = ()) -> dict[str, Any]:
    """The review facts for ``paths`` (their owners in the base's CODEOWNERS); ``approvers``: more
    logins or ``@org/team`` approvers a rule may ask for (org data's reviewers, a waiver's approver)."""
    codeowners_file, rules = _base_codeowners(change)
    codeowners = {path: [owner.lower() for owner in owners_of(rules, path)] for path in paths}
    facts: dict[str, Any] = {"available": False, "error": None, "author": None, "approvals": [], "changes_requested": [],
                             "codeowners": codeowners, "codeowners_file": codeowners_file, "teams": {}}
    request = change.request
    if request.pr is None or not request.repository:
        facts["error"] = "no pull request to read reviews of (run the check with --pr in a pull_request or merge_group workflow)"
        return facts
    if not token:
        facts["error"] = "no GitHub token to read the pull request's reviews (set GITHUB_TOKEN or --github-token)"
        return facts

    client = GitHubClient(token)
    try:
        author, head = _author_and_head(client, change)
        facts["author"] = author
        reviews = client.reviews(request.repository, request.pr)
        facts["approvals"] = approvals(reviews, head, author)
        facts["changes_requested"] = changes_requested(reviews, author)
    except GitHubError as exc:
        facts["error"] = str(exc)
        return facts
    facts["available"] = True
    if facts["approvals"]:
        owner_teams = {owner for owners in codeowners.values() for owner in owners if is_team(owner)}
        teams = sorted(owner_teams | {a.lower() for a in approvers if is_team(a)})
        facts["teams"] = {team: _members_among(client, team, facts["approvals"], len(teams)) for team in teams}
    return facts


def _author_and_head(client: Any, change: Change) -> tuple[str, str]:
    """The pull request's author and head commit: from the pull_request event, else (a merge_group
    event names neither) from the API."""
    request = change.request
    if request.author and request.pr_head:
        return request.author.lower(), request.pr_head
    assert request.repository is not None and request.pr is not None
    pr = client.pull_request(request.repository, request.pr)
    user, head = pr.get("user"), pr.get("head")
    login = user.get("login") if isinstance(user, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    if not isinstance(login, str) or not isinstance(sha, str):
        raise GitHubError(f"the GitHub API's pull request #{request.pr} names no author or head commit")
    return login.lower(), sha


def approvals(reviews: list[Any], head: str, author: str) -> list[str]:
    """Logins whose latest approving-or-blocking review approves ``head``, the author's aside (a
    comment changes nothing, as on GitHub; an approval of an earlier push does not count for what
    came after it, and nobody approves their own pull request)."""
    latest: dict[str, dict[str, Any]] = {}
    for review in reviews:
        if not isinstance(review, dict) or not isinstance(review.get("user"), dict):
            continue
        login = review["user"].get("login")
        if isinstance(login, str) and review.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[login.lower()] = review
    return sorted(login for login, review in latest.items()
                  if review["state"] == "APPROVED" and review.get("commit_id") == head and login != author)


def changes_requested(reviews: list[Any], author: str) -> list[str]:
    """Logins that sent the pull request back (a review requesting changes, on any commit, even if they
    approved later): the evidence of a review committee that does more than approve."""
    return sorted({review["user"]["login"].lower() for review in reviews
                   if isinstance(review, dict) and isinstance(review.get("user"), dict) and isinstance(review["user"].get("login"), str)
                   and review.get("state") == "CHANGES_REQUESTED" and review["user"]["login"].lower() != author})


def _members_among(client: Any, team: str, logins: list[str], teams: int) -> dict[str, Any]:
    """Which of ``logins`` are active members of ``team``, or why that cannot be told."""
    parts = team_parts(team)
    if parts is None:
        return {"members": [], "error": f"{team} is not a GitHub team (@org/team-slug)"}
    if len(logins) * teams > MAX_MEMBERSHIP_CHECKS:
        return {"members": [], "error": f"{len(logins)} approving reviewers are more than aigov checks team membership of"}
    org, slug = parts
    try:
        client.team(org, slug)  # a team the token cannot read would otherwise look like a team nobody is in
        return {"members": [login for login in logins if client.is_team_member(org, slug, login)], "error": None}
    except GitHubError as exc:
        return {"members": [], "error": str(exc)}


def _base_codeowners(change: Change) -> tuple[str | None, list[Any]]:
    """The first CODEOWNERS GitHub would read, from the base commit (GitHub ignores one over 3 MB)."""
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
