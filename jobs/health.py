"""The sidecar's one HTTP port: /metrics for Prometheus, /healthz and /readyz for probes."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Probes:
    """What readiness asks: is the scheduler running, does the database answer?"""

    scheduler_running: Callable[[], bool]
    database_reachable: Callable[[], bool]


def database_probe(engine: Engine) -> Callable[[], bool]:
    """A `SELECT 1` on a pooled connection; any failure reads as unreachable (and is logged)."""

    def reachable() -> bool:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # a probe answers, it never raises
            log.warning("readiness: database unreachable (%s)", type(error).__name__)
            return False
        return True

    return reachable


def health_app(registry: CollectorRegistry, probes: Probes) -> WsgiApp:
    """/healthz: the process answers (liveness). /readyz: 200 when the scheduler runs and the
    database answers, else 503, with a JSON body naming each check. Anything else: metrics."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json(start_response, True, {"alive": True})
        if path == "/readyz":
            checks = {
                "scheduler": probes.scheduler_running(),
                "database": probes.database_reachable(),
            }
            return _json(start_response, all(checks.values()), checks)
        return list(metrics(environ, start_response))

    return app


def serve(app: WsgiApp, address: str, port: int) -> WSGIServer:
    """Serve `app` on address:port from a daemon thread; returns the server (to shut down)."""

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        address_family = _family(address, port)

    server = make_server(address, port, app, Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="sidecar-http", daemon=True).start()
    return server


def _json(start_response: StartResponse, ok: bool, body: dict[str, bool]) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    start_response("200 OK" if ok else "503 Service Unavailable", headers)
    return [payload]


def _family(address: str, port: int) -> socket.AddressFamily:
    # "::" or an IPv6 literal needs an AF_INET6 socket; getaddrinfo tells which.
    infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    return infos[0][0]


class _QuietHandler(WSGIRequestHandler):
    """No access log: probes and scrapes arrive every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:
        return
