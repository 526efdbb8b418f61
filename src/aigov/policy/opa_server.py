"""The OPA server engine: the same decisions, evaluated by an organisation's central OPA over its REST API.

Two modes:

- ``push``: aigov writes the pack to the server (``PUT /v1/policies/aigov/<path>`` per module,
  ``PUT /v1/data/<path>`` per data document), removes modules it pushed earlier that the pack no
  longer has, then queries it. For an OPA the job owns (a service container); on a server shared
  by concurrent jobs with different packs the last push would win.
- ``server``: aigov only queries what the platform team deployed as an OPA bundle, after checking
  that the bundle's revision (``GET /v1/data/system/bundles``, where OPA keeps each activated
  bundle's ``.manifest``) equals :meth:`PolicyPack.revision` of the pack aigov loaded here, the
  revision `aigov policy build` writes for the same pack. A server holding other rules or other
  data would give other answers under the same rule ids, so any difference is an error, never a
  pass. Rules or data the org config or the repository add can be on the server only inside
  that bundle; when they are not, the error names them.

The REST calls go through opa-python-client (``OpaClient``) with a session aigov builds itself:
CA bundle, no redirects (a redirect to another host would carry the token elsewhere and could
answer for a server nobody vouched for), and retries with backoff on connection errors and 5xx
for every method, queries included (the client's default never retries a POST, and OPA's query
POSTs are read-only). The exchange runs under the org's evaluation time limit (see
OpaServerEngine). Every failure — down, slow, 401/403/5xx, redirect, a body that is not the
documented JSON — is an AigovError naming the server: exit 2, never a pass.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

from aigov.errors import AigovError
from aigov.model import Source
from aigov.policy.engine import WorkerEngine, undefined_deny
from aigov.policy.loading import OPA_RESERVED_ROOT, package_line
from aigov.policy.pack import PolicyPack
from aigov.policy.watchdog import Worker

MODES = ("push", "server")
POLICY_PREFIX = "aigov"  # push mode: our module ids on the server, so stale ones can be found and removed
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 2
BUILD_COMMAND = "`aigov policy build <pack folder> -o bundle.tar.gz`"  # the one way to a bundle with the right revision


@dataclass
class OpaSettings:
    """Where the server is and how to reach it (--opa-url, --opa-token, --opa-ca-bundle, --opa-mode)."""

    url: str
    mode: str = "push"
    token: str | None = None
    ca_bundle: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES


def _server_address(url: str) -> tuple[str, int, bool]:
    """(host, port, https) of --opa-url; only scheme://host[:port], because the client builds every path itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AigovError(f"--opa-url {url!r} is not an http(s) URL such as https://opa.example.com:8181")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise AigovError(f"--opa-url {url!r}: give only scheme://host[:port]; aigov calls OPA's /v1 API on it")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AigovError(f"--opa-url {url!r} has an invalid port") from None
    return parts.hostname, port, parts.scheme == "https"


def _sync_client_class() -> Any:
    """opa_client.OpaClient without the package's __init__, which also imports the asyncio client and
    with it aiohttp: 0.2 s of a check's start-up for a client aigov never uses."""
    if "opa_client" not in sys.modules:
        spec = importlib.util.find_spec("opa_client")
        if spec is None:
            raise AigovError("--engine opa needs the opa-python-client package (pip install opa-python-client)")
        sys.modules["opa_client"] = importlib.util.module_from_spec(spec)  # a package to import from, left unexecuted
    from opa_client.opa import OpaClient  # lazy: see _sync_client_class (opa_client's __init__ costs ~0.2 s)

    return OpaClient


def _client(settings: OpaSettings) -> Any:
    class AigovOpaClient(_sync_client_class()):  # type: ignore[misc]
        def _init_session(self) -> requests.Session:
            session = requests.Session()
            session.headers.update(self.headers or {})
            session.max_redirects = 0  # a redirect is refused (TooManyRedirects), never followed
            session.trust_env = False  # no proxy or netrc from the environment between aigov and its decision point
            retry = Retry(total=self.retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504),
                          allowed_methods=None, raise_on_status=False, redirect=0)
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.verify = settings.ca_bundle or True
            session.hooks["response"].append(_raise_for_refusal)
            return session

    host, port, https = _server_address(settings.url)
    return AigovOpaClient(host=host, port=port, ssl=https, token=settings.token, retries=settings.retries,
                          timeout=settings.timeout_s)


def _raise_for_refusal(response: Any, *args: Any, **kwargs: Any) -> None:
    """401/403 and 5xx become HTTPError whichever client method made the call: the client reads
    some error bodies as Rego errors and would lose the status."""
    if response.status_code in (401, 403) or response.status_code >= 500:
        response.raise_for_status()


class OpaServerEngine(WorkerEngine):
    """The ``Engine`` for a running OPA (see the module docstring for the two modes).

    The requests run in a forked child (the watchdog's Worker, as the embedded engine's) under the
    org's evaluation time limit: requests' timeout bounds each wait for a byte, not an answer, so a
    server that drips its answer slowly, or many slow retries, would otherwise hold the check for
    as long as it likes. A hang is a bypass too. The child is forked by ``prepare``: it loads the
    client and pushes the pack (or checks the deployed revision) while the facts are collected,
    then answers each evaluation.
    """

    name = "opa"

    def __init__(self, settings: OpaSettings, timeout_s: float = 60.0) -> None:
        if settings.mode not in MODES:
            raise AigovError(f"--opa-mode {settings.mode!r} is not one of {', '.join(MODES)}")
        _server_address(settings.url)  # a malformed URL fails before any work
        self.settings = settings
        self.server = settings.url.rstrip("/")
        self.timeout_s = timeout_s
        self._client: Any = None
        self._packages: list[str] = []

    def prepare(self, pack: PolicyPack) -> None:
        """Start the child that pushes the pack (or checks its revision) and then answers the queries."""
        self.close()
        if self.settings.mode == "push":
            refuse_opa_configuration(pack)
        self._packages = pack.deny_packages()
        # The server decides: reports and decision records name it beside the pack it was checked against.
        pack.sources.append(Source("opa-server", self.server, pack.revision(), self.settings.mode))
        self._worker = Worker(lambda report_step: self._set_up(pack, report_step), "policy evaluation")

    def evaluate_all(self, inputs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        return self._request({"deny": inputs})

    def evaluate_rule(self, rule: str, input_doc: dict[str, Any]) -> Any:
        return self._request({"rule": rule, "input": input_doc})

    # --- in the child ----------------------------------------------------------------------------

    def _set_up(self, pack: PolicyPack, report_step: Any) -> Any:
        self._client = _client(self.settings)
        report_step(f"{self.settings.mode} mode set-up on OPA server {self.server}")
        if self.settings.mode == "push":
            self._push(pack)
        else:
            self._check_revision(pack)
        return self._answer

    def _answer(self, request: dict[str, Any], report_step: Any) -> Any:
        if "rule" in request:
            report_step(f"query {request['rule']} on OPA server {self.server}")
            return self._query(request["rule"], request["input"])
        return [self._evaluate(input_doc, report_step) for input_doc in request["deny"]]

    # --- queries -----------------------------------------------------------------------------

    def _evaluate(self, input_doc: dict[str, Any], report_step: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for package in self._packages:
            report_step(f"query data.{package}.deny on OPA server {self.server} (feature {input_doc['feature'].get('name', '?')})")
            value = self._query(f"data.{package}.deny", input_doc)
            if value is None:  # OPA answers an empty set for a deny rule that finds nothing: undefined means absent
                raise undefined_deny(package, f"OPA server {self.server}")
            if not isinstance(value, list):
                raise AigovError(f"OPA server {self.server}: data.{package}.deny is not a set of findings")
            found.extend({**item, "_package": package} if isinstance(item, dict) else item for item in value)
        return found

    def _query(self, rule: str, input_doc: dict[str, Any]) -> Any:
        """POST /v1/data/<rule path> {"input": ...}: the value, or None when the rule is undefined."""
        package, _, name = rule.removeprefix("data.").rpartition(".")
        body = self._call(f"query {rule}", self._client.query_rule, input_doc, package, name)
        if not isinstance(body, dict):
            raise AigovError(f"OPA server {self.server} answered the query for {rule} with {type(body).__name__}, not a JSON object")
        return body.get("result")

    # --- push mode ---------------------------------------------------------------------------

    def _push(self, pack: PolicyPack) -> None:
        for path, value in _data_documents(pack):
            self._call(f"PUT /v1/data/{path}", self._put_data, path, value)
        wanted = {f"{POLICY_PREFIX}/{path.lstrip('/')}": source for path, source in pack.modules.items()}  # an org folder may be absolute
        held = self._call("GET /v1/policies", self._held_policies)
        for stale in sorted(p for p in held if p.startswith(f"{POLICY_PREFIX}/") and p not in wanted):
            self._call(f"DELETE /v1/policies/{stale}", self._client.delete_policy, stale)
        for policy_id, source in wanted.items():
            if held.get(policy_id) != source:  # every PUT recompiles all of OPA's modules: send only changes
                self._call(f"PUT /v1/policies/{policy_id}", self._client.update_policy_from_string, source, policy_id, False)

    def _held_policies(self) -> dict[str, str | None]:
        """Module id -> source the server holds. Through the client's session directly: the client's
        get_policies_list keeps only the ids, and the sources tell which modules need no new PUT."""
        response = self._client._session.get(f"{self._client.root_url}/policies", timeout=self._client.timeout)
        response.raise_for_status()
        listed = response.json().get("result")
        if not isinstance(listed, list):
            raise ValueError("GET /v1/policies did not answer a list")
        return {p["id"]: p.get("raw") for p in listed if isinstance(p, dict) and isinstance(p.get("id"), str)}

    def _put_data(self, path: str, value: Any) -> None:
        # The client's update_or_create_data only takes objects; a list or scalar document goes
        # through the same session.
        if isinstance(value, dict):
            self._client.update_or_create_data(value, path)
            return
        response = self._client._session.put(f"{self._client.root_url}/data/{path}", json=value, timeout=self._client.timeout)
        response.raise_for_status()

    # --- server mode -------------------------------------------------------------------------

    def _check_revision(self, pack: PolicyPack) -> None:
        expected = pack.revision()
        bundles = self._call("GET /v1/data/system/bundles", self._read_bundles)
        if not isinstance(bundles, dict):
            raise AigovError(f"OPA server {self.server} reports no activated bundle (data.system.bundles); "
                             f"server mode needs {_deploy_hint(expected)}")
        revisions = {name: _manifest_revision(entry) for name, entry in bundles.items() if _covers_aigov(entry)}
        if not revisions:
            raise AigovError(f"OPA server {self.server} holds no bundle whose roots cover package aigov; "
                             f"server mode needs {_deploy_hint(expected)}")
        wrong = {name: rev for name, rev in revisions.items() if rev != expected}
        if wrong:
            name, revision = sorted(wrong.items())[0]
            raise AigovError(f"OPA server {self.server}: bundle {name!r} has revision {revision!r}, but the pack aigov "
                             f"loaded here{_added(pack)} is {expected}; refusing to judge with rules that may differ: "
                             f"deploy the bundle {BUILD_COMMAND} makes of this pack, or check with the pack that is "
                             "deployed (--policy-bundle)")

    def _read_bundles(self) -> Any:
        from opa_client.errors import PolicyNotFoundError  # lazy: see _sync_client_class (opa_client's __init__ costs ~0.2 s)

        try:
            body = self._client.get_data("system/bundles")
        except PolicyNotFoundError:  # OPA answers an undefined document with {}: no bundle activated
            return None
        return body.get("result") if isinstance(body, dict) else None

    # --- one REST call -----------------------------------------------------------------------

    def _call(self, what: str, func: Any, *args: Any) -> Any:
        """Run one client call; every way it can fail becomes one line naming the server."""
        try:
            return func(*args)
        except requests.exceptions.TooManyRedirects as exc:
            location = exc.response.headers.get("Location", "?") if exc.response is not None else "?"
            raise AigovError(f"OPA server {self.server} redirected {what} to {location}; aigov does not follow redirects") from None
        except requests.exceptions.HTTPError as exc:
            raise _status_error(self.server, what, exc.response) from None
        except requests.exceptions.SSLError as exc:
            raise AigovError(f"OPA server {self.server}: TLS verification failed ({_reason(exc)}); give --opa-ca-bundle for a private CA") from None
        except ValueError:  # the body was not JSON (requests' JSONDecodeError is a ValueError too)
            raise AigovError(f"OPA server {self.server} answered {what} with a body that is not JSON") from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            if _timed_out(exc):
                raise AigovError(f"OPA server {self.server} did not answer {what} within {self.settings.timeout_s:g} s") from None
            raise AigovError(f"OPA server {self.server} is unreachable ({_reason(exc)})") from None
        except requests.exceptions.RequestException as exc:
            raise AigovError(f"OPA server {self.server}: {what} failed: {_reason(exc)}") from None
        except Exception as exc:  # opa_client's own errors (PolicyNotFoundError, RegoParseError, ...) carry the server's message
            message = getattr(exc, "message", None)
            if not message:  # an answer without OPA's error document: a 200 where OPA says 204, say
                raise AigovError(f"OPA server {self.server} answered {what} with something that is not OPA's answer") from None
            raise AigovError(f"OPA server {self.server} refused {what}: {str(message)[:300]}") from None


def _status_error(server: str, what: str, response: Any) -> AigovError:
    status = response.status_code if response is not None else "?"
    if status in (401, 403):
        return AigovError(f"OPA server {server} refused {what} with HTTP {status}; check --opa-token (AIGOV_OPA_TOKEN)")
    detail = ""
    try:
        body = response.json()
        detail = f": {body.get('message', '')}"[:300] if isinstance(body, dict) and body.get("message") else ""
    except ValueError:
        pass
    return AigovError(f"OPA server {server} answered {what} with HTTP {status}{detail}")


def _timed_out(exc: Exception) -> bool:
    """A read or connect timeout, also when urllib3 wraps it in a retry error after the last retry."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3 makes a refused connection (NewConnectionError) a kind of connect timeout; it is not one.
    return isinstance(reason, Urllib3Timeout) and not isinstance(reason, NewConnectionError)


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error, short: 'Connection refused', not a urllib3 repr."""
    text = str(exc)
    for marker in ("] ", "): "):
        if marker in text:
            text = text.rsplit(marker, 1)[-1]
    return text.rstrip("')\"").strip()[:200] or type(exc).__name__


def _deploy_hint(expected: str) -> str:
    """What the platform team runs to get a bundle server mode accepts."""
    return f"this pack deployed as an OPA bundle with revision {expected}: build it with {BUILD_COMMAND} and deploy that tarball"


def _added(pack: PolicyPack) -> str:
    """The likeliest reason for a mismatch: what was added on top of the bundle the platform team built."""
    if not pack.additions:
        return ""
    return f" (with {', '.join(pack.additions)}, which the deployed bundle must hold too)"


def _manifest_revision(entry: Any) -> Any:
    manifest = entry.get("manifest") if isinstance(entry, dict) else None
    return manifest.get("revision") if isinstance(manifest, dict) else None


def _covers_aigov(entry: Any) -> bool:
    """A bundle owns package aigov when one of its manifest roots is a prefix of it (no roots: all of data)."""
    manifest = entry.get("manifest") if isinstance(entry, dict) else None
    if not isinstance(manifest, dict):
        return False
    roots = manifest.get("roots")
    if roots is None:
        return True
    return isinstance(roots, list) and any(isinstance(r, str) and r.strip("/") in ("", "aigov") for r in roots)


def refuse_opa_configuration(pack: PolicyPack) -> None:
    """Push mode installs rules and data, never OPA's own configuration: a module in package
    ``system.*`` (``system.authz`` decides who may call the server, ``system.log`` what its decision
    logs keep) or data under ``data.system`` would reconfigure the org's server. The repository's
    own never get this far (loading refuses them); this is the org's and the bundle's."""
    for path, info in sorted(pack.infos.items()):
        if info.package.split(".")[0] == OPA_RESERVED_ROOT:
            raise AigovError(f"package {info.package} is OPA's own configuration; push mode installs only rules "
                             f"outside data.{OPA_RESERVED_ROOT}", path, package_line(pack.modules[path]))
    if OPA_RESERVED_ROOT in pack.data:
        raise AigovError(f"the pack's data has a data.{OPA_RESERVED_ROOT} document, OPA's own configuration; "
                         "push mode does not write it")


def _data_documents(pack: PolicyPack) -> list[tuple[str, Any]]:
    """(path, value) pairs that write pack.data without writing over a package's path.

    OPA refuses base data at a path that also holds rules (``data.aigov`` holds package
    ``aigov.models``), so under a top-level key that is also a package root each child is its
    own document.
    """
    roots = {info.package.split(".")[0] for info in pack.infos.values()}
    documents: list[tuple[str, Any]] = []
    for key, value in sorted(pack.data.items()):
        if key in roots and isinstance(value, dict):
            documents += [(f"{key}/{child}", value[child]) for child in sorted(value)]
        else:
            documents.append((key, value))
    return documents
