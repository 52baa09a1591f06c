"""A real webhook receiver for tests: http.server on a loopback port, told how to fail.

Each request takes the next scripted answer ("500", "hang" until released, then 200), then
200 forever. It records every request it read, so a test sees duplicates a lost 2xx causes.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """What the receiver answers and what it got (shared with the handler threads)."""

    answers: deque[str] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    # The event id of every request answered 2xx (or, "hang", about to be): duplicates here
    # are deliveries whose 2xx the sender never saw.
    accepted: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, request: Received) -> str:
        with self.lock:
            self.received.append(request)
            answer = self.answers.popleft() if self.answers else "200"
            if answer in ("200", "hang"):
                self.accepted.append(request.headers.get("X-Tightrope-Event-Id", ""))
            return answer


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = Received(dict(self.headers.items()), self.rfile.read(length))
            answer = script.next_answer(request)
            if answer == "hang":  # the request was read: its 2xx is what gets lost
                script.release.wait(timeout=60)
                answer = "200"
            self.send_response(int(answer))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: pytest shows our assertions, not an access log

    return Handler


def free_port() -> int:
    """A loopback port nobody listens on (yet): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def receiving(script: Script, port: int = 0) -> Iterator[str]:
    """Serve `script` on 127.0.0.1:`port` (0: any) in a thread; yields the URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(script))
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/tightrope"
    finally:
        script.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
