"""GitHub logins and teams, matched whole as GitHub spells them.

An approver is a login (``alice``, or ``@alice`` as CODEOWNERS writes it) or a team
(``@acme/ai-risk-reviewers``). A login holds letters,
digits and hyphens, neither first nor last, at most 39 characters; an organisation is named the
same way. A team's slug is what GitHub makes of its name: letters, digits and ``_`` joined by
single hyphens. Names are matched whole (``fullmatch``): ``@acme/..``, ``@acme/a/b``, an empty part
or a trailing newline is no team, where a looser reading would turn ``/orgs/acme/teams/..`` into
``/orgs/acme``, whose members are everyone in the organisation.
"""

from __future__ import annotations

import re

LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?")
TEAM_SLUG = re.compile(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*")
APPROVER_HELP = "a GitHub login such as alice, or a team written @org/team-slug"


def is_team(approver: str) -> bool:
    return approver.startswith("@") and "/" in approver


def team_parts(approver: str) -> tuple[str, str] | None:
    """``(org, slug)`` of ``@org/slug``; None when it is not a team GitHub could have."""
    org, slash, slug = approver[1:].partition("/") if is_team(approver) else ("", "", "")
    if slash and LOGIN.fullmatch(org) and TEAM_SLUG.fullmatch(slug):
        return org, slug
    return None


def approver_problem(approver: object) -> str | None:
    """Why ``approver`` is neither a login nor a team, or None when it is one."""
    if not isinstance(approver, str):
        return f"{approver!r} is not {APPROVER_HELP}"
    valid = team_parts(approver) is not None if is_team(approver) else LOGIN.fullmatch(approver.removeprefix("@")) is not None
    return None if valid else f"{approver!r} is not {APPROVER_HELP}"
