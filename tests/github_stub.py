"""A loopback stand-in for api.github.com, shared by the pull-request and Action tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from repo_helpers import git


class FakeGitHub(BaseHTTPRequestHandler):
    """A stand-in for api.github.com on 127.0.0.1: answers GET /repos/{owner}/{repo}/pulls/{n}[/reviews],
    GET /orgs/{org}/teams/{slug} and GET /orgs/{org}/teams/{slug}/memberships/{username} from
    ``server.routes`` (path -> list of pages, each (status, body text, delay seconds[, the next page
    URL to send])); pages after the first are linked with Link: rel="next" as GitHub paginates; a
    path without a route is a 404, as GitHub answers for a user who is not a team member. Every
    request is kept in ``server.seen``."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        server: Any = self.server
        path, _, query = self.path.partition("?")
        server.seen.append((self.path, self.headers.get("Authorization")))
        pages = server.routes.get(path)
        if pages is None:
            self._answer(404, '{"message": "Not Found"}')
            return
        page = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("page", "1"))
        status, body, delay, *next_url = pages[page - 1]
        time.sleep(delay)
        if page < len(pages):
            next_url = [f"http://127.0.0.1:{server.server_port}{path}?per_page=100&page={page + 1}"]
        link = f'<{next_url[0]}>; rel="next"' if next_url else None
        self._answer(status, body, link)

    def _answer(self, status: int, body: str, link: str | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout tests)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def fake_github() -> Iterator[Any]:
    """A running FakeGitHub on 127.0.0.1 with no routes yet; ``server.url`` is its base URL."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    server.routes, server.seen = {}, []
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- What tests of pull requests share: the event file, a review, the reviews endpoint -------------

REVIEWS = "/repos/acme/mono/pulls/7/reviews"
AUTHOR = "dev"  # who opens the pull requests of event_file


def event_file(folder: Path, repo: Path, number: int = 7, name: str = "event.json") -> Path:
    """A pull_request event as GitHub writes it to GITHUB_EVENT_PATH (the fields aigov reads)."""
    event = {
        "action": "synchronize", "number": number,
        "pull_request": {"number": number, "base": {"sha": git(repo, "rev-parse", "main"), "ref": "main"},
                         "head": {"sha": git(repo, "rev-parse", "HEAD"), "ref": "feat"}, "user": {"login": AUTHOR}},
        "repository": {"full_name": "acme/mono", "default_branch": "main"},
    }
    path = folder / name
    path.write_text(json.dumps(event))
    return path


def team(server: Any, team: str, members: list[str], pending: tuple[str, ...] = ()) -> None:
    """Answer for ``@org/slug`` as GitHub does: the team, and an active membership for each member
    (a pending one for ``pending``); anyone else is a 404."""
    org, _, slug = team[1:].partition("/")
    path = f"/orgs/{org}/teams/{slug}"
    server.routes[path] = [(200, json.dumps({"slug": slug, "name": slug}), 0)]
    for login, state in [(m, "active") for m in members] + [(p, "pending") for p in pending]:
        server.routes[f"{path}/memberships/{login.lower()}"] = [(200, json.dumps({"state": state, "role": "member"}), 0)]


def review(login: str, state: str, commit: str) -> dict[str, Any]:
    return {"id": hash((login, state, commit)) % 10**6, "user": {"login": login}, "state": state, "commit_id": commit}

