"""A fault-injecting proxy in front of a real Prometheus: queries naming a marker get a 503."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_UNAVAILABLE = {"status": "error", "errorType": "unavailable", "error": "injected fault"}


@dataclass
class FaultProxy:
    """Forwards every request to `upstream`; a query whose PromQL contains `fail_when` fails."""

    url: str
    upstream: str
    fail_when: str
    failed: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def fault_proxy(upstream: str, *, fail_when: str) -> Iterator[FaultProxy]:
    """Serve on 127.0.0.1:<free port> until the block ends."""
    state = FaultProxy("", upstream.rstrip("/"), fail_when)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _answer(self, body: bytes | None) -> None:
            query = " ".join(_queries(self.path, body))
            if state.fail_when in query:
                with state.lock:
                    state.failed.append(query)
                self._send(503, json.dumps(_UNAVAILABLE).encode())
                return
            with state.lock:
                state.forwarded.append(query)
            self._send(*_forward(state.upstream + self.path, body, self.headers))

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fault-proxy", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _queries(path: str, body: bytes | None) -> list[str]:
    params = parse_qs(urlsplit(path).query)
    if body:
        params.update(parse_qs(body.decode()))
    return params.get("query", [])


def _forward(url: str, body: bytes | None, headers: object) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    content_type = getattr(headers, "get", lambda _name: None)("Content-Type")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
