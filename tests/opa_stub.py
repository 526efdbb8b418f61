"""A loopback OPA server for tests: it stands in for a deployed OPA (no OPA binary can be installed here).

It speaks the parts of OPA's REST API that aigov and opa-python-client use — ``GET /health``;
``GET/PUT/DELETE /v1/policies/{id}`` and ``GET /v1/policies``; ``GET/PUT /v1/data/{path}``;
``POST /v1/data/{path}`` with ``{"input": ...}`` answering ``{"result": ...}`` (``{}`` when the
document is undefined) — and evaluates with real OPA semantics: the OPA v1.20.2 Go library
embedded in ``opa-golib-python-bindings==0.4.4``. A bundle the platform team deployed is modelled
as OPA keeps one: its modules and data loaded, and its ``.manifest`` under
``data.system.bundles.<name>.manifest``; ``activate_tarball`` deploys a bundle tarball as it is,
such as the one `aigov policy build` writes.

``MisbehavingOpa`` is a second, tiny server for the failure modes: 401, 500, a body that is not
JSON, an answer that never comes, a redirect to another host.

Only ever bound to 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

# Real OPA engines by the policies and data they were built from, most recently used last, shared by
# every stub in the test process. An engine compiles the whole module set the first time it answers each
# query (some 2 s for aigov's pack), and the tests deploy the same few packs again and again; answering
# keeps no state, so an engine built from the same content answers as a new one would.
_ENGINES: OrderedDict[str, Any] = OrderedDict()
_ENGINES_LOCK = threading.Lock()
ENGINES_KEPT = 4


def _evaluate(policies: dict[str, str], data: dict[str, Any], content: str, document: str, input_doc: Any) -> Any:
    """``data.<document>`` for ``input_doc`` on the engine built from ``policies`` and ``data`` (whose digest
    is ``content``). An engine pushed out is closed at once: see OpaStub._content_changed."""
    from opa_bindings import OpaEngine

    with _ENGINES_LOCK:
        engine = _ENGINES.pop(content, None)
        if engine is None:
            engine = OpaEngine()
            for policy_id, source in sorted(policies.items()):
                engine.add_policy(policy_id, source)
            engine.add_data(data)
        _ENGINES[content] = engine
        while len(_ENGINES) > ENGINES_KEPT:
            _ENGINES.popitem(last=False)[1].close()
        return engine.eval_document(document, input_doc)


class OpaStub:
    """The server's state: policies by id, the data document, and the digest of both (which names the OPA
    engine built from them)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) in order, for assertions
        self._content: str | None = None
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # --- state -------------------------------------------------------------------------------

    def content(self) -> str:
        """The digest of the policies and data the server holds now."""
        with self._lock:
            if self._content is None:
                text = json.dumps([sorted(self.policies.items()), self.data], sort_keys=True)
                self._content = hashlib.sha256(text.encode()).hexdigest()
            return self._content

    def put_policy(self, policy_id: str, source: str) -> None:
        """Compile the module with every other one first, as OPA does: a bad module is refused, not stored."""
        from opa_bindings import OpaEngine

        with self._lock:
            if self.policies.get(policy_id) == source:
                return  # the same module: OPA's compiled policies are unchanged, so is the engine
            with OpaEngine() as trial:
                for other, text in sorted({**self.policies, policy_id: source}.items()):
                    trial.add_policy(other, text)
            self.policies[policy_id] = source
            self._content_changed()

    def delete_policy(self, policy_id: str) -> bool:
        with self._lock:
            self._content_changed()
            return self.policies.pop(policy_id, None) is not None

    def put_data(self, path: list[str], value: Any) -> None:
        with self._lock:
            if path and self._data_at(path) == value:
                return  # an identical write leaves the prepared queries valid
            if not path:
                self.data = value
            else:
                node = self.data
                for key in path[:-1]:
                    node = node.setdefault(key, {})
                node[path[-1]] = value
            self._content_changed()

    def _content_changed(self) -> None:
        """The next answer comes from the engine built from what the server holds now. An engine no longer
        kept is closed at once (``_evaluate``): an OpaEngine is in a reference cycle (its callback
        trampoline), so only the cyclic GC would free it, and the GC may run in a process aigov forks
        (its evaluation watchdog): a call into the Go runtime there, which has no threads after a
        fork, hangs. A closed engine's finaliser does not call Go."""
        self._content = None

    def _data_at(self, path: list[str]) -> Any:
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def activate_bundle(self, name: str, modules: dict[str, str], data: dict[str, Any], revision: str,
                        roots: list[str] | None = None) -> None:
        """Load a bundle as OPA's bundle plugin does: what an earlier activation of it held goes (its
        modules, the data under its roots), then its modules as ``<name>/<path>``, its data, and the manifest."""
        with self._lock:
            for stale in [p for p in self.policies if p.startswith(f"{name}/") and p.removeprefix(f"{name}/") not in modules]:
                self.delete_policy(stale)
            for root in roots if roots is not None else [k for k in self.data if k != "system"]:
                self._erase_data([k for k in root.split("/") if k])
        for path, source in modules.items():
            self.put_policy(f"{name}/{path}", source)
        for key, value in data.items():
            self.put_data([key], value)
        manifest = {"revision": revision, **({"roots": roots} if roots is not None else {})}
        self.put_data(["system", "bundles", name], {"manifest": manifest})

    def activate_tarball(self, name: str, tarball: bytes, revision: str | None = None) -> str:
        """Activate a bundle tarball (``opa run --bundle``, or a bundle service): ``.manifest``, every
        ``*.rego`` and every ``data.json`` placed at its folder's path. Read with tarfile and json only,
        never with aigov's own bundle reader, so the stand-in cannot agree with aigov by construction.
        ``revision`` overrides the manifest's, for a deployment whose manifest says something else.
        Returns the revision the server now reports."""
        import io
        import tarfile

        modules: dict[str, str] = {}
        data: dict[str, Any] = {}
        manifest: dict[str, Any] = {}
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member in (m for m in archive if m.isfile()):
                path = member.name.removeprefix("./")
                content = archive.extractfile(member).read()  # type: ignore[union-attr]
                if path == ".manifest":
                    manifest = json.loads(content)
                elif path.endswith(".rego"):
                    modules[path] = content.decode("utf-8")
                elif path == "data.json" or path.endswith("/data.json"):
                    *keys, _ = path.split("/")
                    node = data
                    for key in keys[:-1]:
                        node = node.setdefault(key, {})
                    if keys:
                        node[keys[-1]] = json.loads(content)
                    else:
                        data.update(json.loads(content))
        revision = revision or manifest["revision"]
        self.activate_bundle(name, modules, data, revision, manifest.get("roots"))
        return revision

    def _erase_data(self, path: list[str]) -> None:
        with self._lock:
            if not path:
                self.data = {"system": self.data["system"]} if "system" in self.data else {}
            else:
                parent = self._data_at(path[:-1]) if len(path) > 1 else self.data
                if isinstance(parent, dict) and parent.pop(path[-1], None) is not None:
                    self._content_changed()

    def evaluate(self, path: list[str], input_doc: Any) -> dict[str, Any]:
        from opa_bindings import OpaUndefinedError

        with self._lock:
            try:
                value = _evaluate(self.policies, self.data, self.content(), ".".join(path), input_doc)
            except OpaUndefinedError:
                return {}
            return {"result": value}

    # --- serving -----------------------------------------------------------------------------

    def start(self, tls: ssl.SSLContext | None = None) -> str:
        """Serve on 127.0.0.1 on a free port, in a daemon thread (HTTPS with ``tls``); the base URL."""
        stub = self

        class Handler(_OpaHandler):
            state = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as OPA serves
    wbufsize = -1  # headers and body leave in one write: no Nagle/delayed-ACK stall per answer

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass

    def reply(self, status: int, body: Any = None, raw: bytes | None = None, headers: dict[str, str] | None = None) -> None:
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        if body is not None or raw is not None:
            self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class _OpaHandler(_JsonHandler):
    state: OpaStub

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        self.state.requests.append((method, url.path))
        if self.state.token is not None and self.headers.get("Authorization") != f"Bearer {self.state.token}":
            self.reply(401, {"code": "unauthorized", "message": "missing or invalid bearer token"})
            return
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            if parts == ["health"]:
                self.reply(200, {})
            elif parts[:2] == ["v1", "policies"]:
                self._policies(method, "/".join(parts[2:]))
            elif parts[:2] == ["v1", "data"]:
                self._data(method, parts[2:])
            else:
                self.reply(404, {"code": "resource_not_found", "message": f"{url.path} is not an OPA endpoint"})
        except Exception as exc:  # OPA answers evaluation errors with 500 and a message
            self.reply(500, {"code": "internal_error", "message": str(exc)})

    def _policies(self, method: str, policy_id: str) -> None:
        from opa_bindings import OpaError

        if method == "GET" and not policy_id:
            self.reply(200, {"result": [{"id": i, "raw": raw} for i, raw in sorted(self.state.policies.items())]})
        elif method == "GET":
            raw = self.state.policies.get(policy_id)
            if raw is None:
                self.reply(404, {"code": "resource_not_found", "message": f"storage_not_found_error: policy id {policy_id!r}"})
            else:
                self.reply(200, {"result": {"id": policy_id, "raw": raw}})
        elif method == "PUT":
            try:
                self.state.put_policy(policy_id, self.body().decode("utf-8"))
            except OpaError as exc:
                self.reply(400, {"code": "invalid_parameter", "message": exc.message, "errors": [{"code": exc.code, "message": exc.message}]})
                return
            self.reply(200, {})
        elif method == "DELETE":
            found = self.state.delete_policy(policy_id)
            self.reply(200, {}) if found else self.reply(404, {"code": "resource_not_found", "message": f"policy id {policy_id!r}"})
        else:
            self.reply(405, {"code": "method_not_allowed", "message": method})

    def _data(self, method: str, path: list[str]) -> None:
        if method == "PUT":
            self.state.put_data(path, json.loads(self.body() or b"null"))
            self.reply(204)
        elif method == "GET":
            self.reply(200, self.state.evaluate(path, None))
        elif method == "POST":
            raw = self.body()
            request = json.loads(raw) if raw else {}
            self.reply(200, self.state.evaluate(path, request.get("input")))
        else:
            self.reply(405, {"code": "method_not_allowed", "message": method})

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")


class MisbehavingOpa:
    """A server that answers every request the same wrong way: ``behaviour`` is one of
    401, 403, 500, garbage (200 with a body that is not JSON), slow (never answers in time), drip
    (answers a byte every 0.1 s, so no single read ever times out),
    redirect (302 to another host: 127.0.0.2, which nothing follows) or wrong-shape (200 with JSON that is not OPA's answer)."""

    def __init__(self, behaviour: str, delay_s: float = 30.0) -> None:
        self.behaviour = behaviour
        self.delay_s = delay_s
        self.hits = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        owner = self

        class Handler(_JsonHandler):
            def _answer(self) -> None:
                owner.hits += 1
                self.body()
                kind = owner.behaviour
                if kind in ("401", "403", "500"):
                    self.reply(int(kind), {"code": "error", "message": f"stand-in answering {kind}"})
                elif kind == "garbage":
                    self.reply(200, raw=b"<html>not OPA</html>")
                elif kind == "wrong-shape":
                    self.reply(200, {"result": "yes"})
                elif kind == "slow":
                    time.sleep(owner.delay_s)
                    self.reply(200, {})
                elif kind == "drip":  # a byte at a time, each well within any read timeout, never ending
                    self.send_response(200)
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    self.wfile.flush()
                    try:
                        for _ in range(int(owner.delay_s * 10)):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:  # the client gave up: that is the point
                        return
                elif kind == "redirect":
                    self.reply(302, headers={"Location": "http://127.0.0.2:9" + self.path})

            do_GET = do_PUT = do_POST = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
