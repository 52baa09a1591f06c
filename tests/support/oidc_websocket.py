"""A script speaking Streamlit's websocket protocol, no browser and no cookie: what does it get?"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

TIMEOUT_S = 60.0


def run_page_without_login(base_url: str, *, page: str, query: str) -> list[tuple[str, str]]:
    """Ask the server at `base_url` to run `page` (with `query`) as a bare websocket client
    with `Host: localhost` and no cookie; return every element it sent back until the run
    finished, as (element type, the element as protobuf text)."""
    parts = urlsplit(base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    # Connect to the loopback address the server binds, but say Host: localhost (an allowed
    # host), as the script in the issue did.
    sock = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT_S)
    uri = f"ws://localhost:{parts.port}/_stcore/stream"
    protocols = [Subprotocol("streamlit")]
    with connect(uri, sock=sock, subprotocols=protocols, open_timeout=TIMEOUT_S) as ws:
        rerun = BackMsg(rerun_script=ClientState(query_string=query, page_name=page))
        ws.send(rerun.SerializeToString())
        return _deltas_until_finished(ws)


def _deltas_until_finished(ws: ClientConnection) -> list[tuple[str, str]]:
    elements: list[tuple[str, str]] = []
    while True:
        raw = ws.recv(timeout=TIMEOUT_S)
        message = ForwardMsg()
        message.ParseFromString(raw)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            elements.append((str(element.WhichOneof("type")), str(element)))
        if kind == "script_finished":
            return elements
