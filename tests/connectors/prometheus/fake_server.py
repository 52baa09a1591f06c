"""A scripted stand-in for Prometheus on loopback: each request gets the next canned behaviour."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EMPTY_MATRIX = {"status": "success", "data": {"resultType": "matrix", "result": []}}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: EMPTY_MATRIX)
    hang_s: float = 0.0  # hold the socket this long before answering


@dataclass
class FakePrometheus:
    url: str
    replies: list[Reply]
    default: Reply
    paths: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def hits(self) -> int:
        return len(self.paths)


@contextmanager
def fake_prometheus(*replies: Reply, default: Reply | None = None) -> Iterator[FakePrometheus]:
    """Serve `replies` in order, then `default` (repeat the last reply if not given)."""
    state = FakePrometheus("", list(replies), default or (replies[-1] if replies else Reply()))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            reply = state.replies.pop(0) if state.replies else state.default
            if reply.hang_s:
                state.release.wait(reply.hang_s)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): expected in hang scenarios

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
