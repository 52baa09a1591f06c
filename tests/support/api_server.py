"""The REST API served by a real uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

READY_TIMEOUT_S = 60.0


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL once /readyz answers 200."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, thread)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _wait_ready(base: str, thread: threading.Thread) -> None:
    """Poll /readyz (a state, not a sleep): the server thread may still be binding."""
    with httpx.Client(base_url=base, timeout=5.0) as client:
        deadline = threading.Event()
        timer = threading.Timer(READY_TIMEOUT_S, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                if not thread.is_alive():
                    raise RuntimeError("the API server thread died before it was ready")
                try:
                    if client.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    deadline.wait(0.05)
            raise RuntimeError(f"the API at {base} was not ready within {READY_TIMEOUT_S} s")
        finally:
            timer.cancel()
