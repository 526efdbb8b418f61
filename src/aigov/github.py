"""A small client for the GitHub REST API: a pull request, its reviews, and team membership.

Every failure is a :class:`GitHubError` with one line saying what went wrong; callers turn it into
a fact ("cannot verify approval"), never into a pass. Each request, answer included, must be done
within ``AIGOV_GITHUB_TIMEOUT`` seconds (default 10; an overall deadline, not one per read, so a
server that drips its answer cannot hold the check); connection errors, timeouts and 5xx answers are retried with exponential
backoff (``AIGOV_GITHUB_BACKOFF`` seconds for the first wait, default 1), pages are followed
through Link headers only while they stay on the API host, so the token never leaves it.
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import quote, urlsplit

from aigov.deadline import DeadlinePassed, env_seconds, within
from aigov.github_names import LOGIN, team_parts

DEFAULT_API_URL = "https://api.github.com"
ATTEMPTS = 3
MAX_PAGES = 50  # 5,000 reviews or members: far beyond any real pull request or team
PER_PAGE = 100


class GitHubError(Exception):
    """The API could not answer the question; the message says why in one line."""


class GitHubNotFound(GitHubError):
    """HTTP 404: the thing is not there, or the token may not see it."""


class GitHubClient:
    def __init__(self, token: str | None, api_url: str | None = None) -> None:
        self.token = token
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.timeout = env_seconds("AIGOV_GITHUB_TIMEOUT", 10.0)
        self.backoff = env_seconds("AIGOV_GITHUB_BACKOFF", 1.0)
        import requests  # lazy: requests ~70 ms, only to fetch reviews

        self._requests = requests
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                                      "User-Agent": "aigov"})
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def reviews(self, repository: str, number: int) -> list[dict[str, Any]]:
        """Every review of a pull request, oldest first (``GET /repos/{owner}/{repo}/pulls/{n}/reviews``)."""
        owner, _, name = repository.partition("/")
        return self._list(f"/repos/{quote(owner)}/{quote(name)}/pulls/{number}/reviews")

    def pull_request(self, repository: str, number: int) -> dict[str, Any]:
        """One pull request (``GET /repos/{owner}/{repo}/pulls/{n}``): its author and head commit."""
        owner, _, name = repository.partition("/")
        return self._object(f"/repos/{quote(owner)}/{quote(name)}/pulls/{number}")

    def team(self, org: str, team_slug: str) -> dict[str, Any]:
        """A team (``GET /orgs/{org}/teams/{team_slug}``): whether the token can read it at all (needs read:org)."""
        return self._object(self._team_path(org, team_slug))

    def is_team_member(self, org: str, team_slug: str, login: str) -> bool:
        """Whether ``login`` is an active member of the team (``GET .../memberships/{username}``; 404: not a
        member; a pending invitation is not membership)."""
        if not LOGIN.fullmatch(login):
            raise GitHubError(f"{login!r} is not a GitHub login")
        try:
            membership = self._object(f"{self._team_path(org, team_slug)}/memberships/{quote(login)}")
        except GitHubNotFound:
            return False
        return membership.get("state") == "active"

    @staticmethod
    def _team_path(org: str, team_slug: str) -> str:
        # Refused before any request: "@acme/.." would otherwise ask for /orgs/acme/teams/.. (the org).
        if team_parts(f"@{org}/{team_slug}") is None:
            raise GitHubError(f"@{org}/{team_slug} is not a GitHub team (@org/team-slug)")
        return f"/orgs/{quote(org)}/teams/{quote(team_slug)}"

    def _object(self, path: str) -> dict[str, Any]:
        try:
            body = self._send(f"{self.api_url}{path}", path).json()
        except (ValueError, RecursionError):
            raise GitHubError(f"the GitHub API answered {path} with something that is not JSON") from None
        if not isinstance(body, dict):
            raise GitHubError(f"the GitHub API answered {path} with JSON that is not an object")
        return body

    def _list(self, path: str) -> list[Any]:
        url: str | None = f"{self.api_url}{path}?per_page={PER_PAGE}"
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            page, url = self._get(url, path)
            items.extend(page)
        raise GitHubError(f"{path} has more than {MAX_PAGES} pages of answers")

    def _get(self, url: str, path: str) -> tuple[list[Any], str | None]:
        response = self._send(url, path)
        try:
            body = response.json()
        except (ValueError, RecursionError):
            raise GitHubError(f"the GitHub API answered {path} with something that is not JSON") from None
        if not isinstance(body, list):
            raise GitHubError(f"the GitHub API answered {path} with JSON that is not a list")
        following = response.links.get("next", {}).get("url")
        if following and not _same_origin(following, self.api_url):
            raise GitHubError(f"the GitHub API sent the next page of {path} to another host; not following it")
        return body, following

    def _send(self, url: str, path: str) -> Any:
        requests = self._requests
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:  # not streamed: the body is read inside the deadline too
                response = within(self.timeout, lambda: self._session.get(url, timeout=self.timeout, allow_redirects=False),
                                  "GitHub API request")
            except (requests.Timeout, DeadlinePassed):
                problem = f"no answer within {self.timeout:g} s"
                continue
            except requests.RequestException as exc:
                problem = f"cannot connect ({type(exc).__name__})"
                continue
            if response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                failure = GitHubNotFound if response.status_code == 404 else GitHubError
                raise failure(f"the GitHub API answered {path} with HTTP {response.status_code}{_hint(response.status_code)}")
            return response
        raise GitHubError(f"the GitHub API at {self.api_url} failed for {path} after {ATTEMPTS} attempts: {problem}")


def _hint(status: int) -> str:
    return {401: " (the token is missing, expired or wrong)",
            403: " (the token lacks permission: pull-requests: read, and read:org for teams; or a rate limit)",
            404: " (not found, or the token cannot see it)"}.get(status, "")


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
