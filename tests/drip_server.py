"""A loopback HTTP server that answers every request one byte at a time, for ever.

Each byte arrives well within any per-read timeout (every ``interval`` seconds), so only an
overall deadline ends the exchange. ``where`` says which part drips: the status line, the headers
(after a whole status line) or the body (after whole headers). It stops dripping when stopped, so
a client thread that was abandoned at its deadline ends too. Only ever bound to 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATUS = b"HTTP/1.1 200 OK\r\n"
HEADERS = b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
# What is sent at once, then what drips a byte at a time, then the byte that drips for ever.
PARTS = {
    "status": (b"", b"HTTP/1.1 200 O", b"K"),  # a status line that never ends
    "headers": (STATUS, b"X-Padding: ", b"a"),  # a header line that never ends
    "body": (STATUS + HEADERS, b"[", b" "),  # a body that never ends
}


class DripServer:
    def __init__(self, where: str, interval: float = 0.05) -> None:
        whole, start, filler = PARTS[where]
        self.interval = interval
        self.requests: list[str] = []
        self._stopped = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _drip(self) -> None:
                owner.requests.append(self.path)
                try:
                    self.wfile.write(whole)
                    for i in range(len(start)):
                        self._send(start[i:i + 1])
                    while True:
                        self._send(filler)
                except OSError:  # the client gave up, or the server stopped: that is the point
                    pass

            def _send(self, byte: bytes) -> None:
                self.wfile.flush()
                if owner._stopped.wait(owner.interval):
                    raise OSError("stopped")
                self.wfile.write(byte)

            do_GET = do_POST = do_PUT = do_DELETE = _drip

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> DripServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
        time.sleep(2 * self.interval)  # handlers notice the stop and close their connections
