"""bench_analysts.py's walk without a browser: Streamlit's own websocket messages, timed.

A session speaks the protocol the browser speaks (`/_stcore/stream`, BackMsg / ForwardMsg
protobufs): it asks for a page or a widget change with a `rerun_script` and the settle ends
when the server's `script_finished` arrives, after every delta of that run (one websocket, in
order). It draws nothing, so N sessions cost the machine the server's work only: what the
server gives N analysts whose browsers run elsewhere. It sends no cached-message hashes, so
the server sends every message whole (a browser gets repeats by reference).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

DONE = {
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
GROWTH = "Demand growth (%)"
SIMULATED = "P(SLA holds)"  # a metric of the Simulator
RECOMMENDED = "Open recommendations"  # a metric of the Recommendations page
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class WalkError(RuntimeError):
    """The server answered, but not with the page the walk expected."""


@dataclass
class Widget:
    """A widget the last runs drew: its id, its kind, its element and its fragment."""

    id: str
    kind: str
    element: Any
    fragment_id: str


@dataclass(frozen=True, slots=True)
class LoggedRun:
    """A full run the session asked for (a fragment run logs no line), timed or not, and the
    server log's size when it was asked and when it finished: its own line lies between."""

    page: str
    timed: bool
    log_from: int
    log_to: int


@dataclass
class ProtocolSession:
    """One analyst's websocket: the pages by name, the widgets drawn, the values it chose."""

    ws: Any
    pages: dict[str, str] = field(default_factory=dict)  # url path → page script hash
    page_hash: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)  # by label
    chosen: dict[str, WidgetState] = field(default_factory=dict)  # by widget id
    texts: list[str] = field(default_factory=list)  # the last run's chart specs and metrics
    drawn: list[str] = field(default_factory=list)  # the last run's widget labels
    log_size: Callable[[], int] | None = None  # set: each full run is recorded in `logged`
    timed: bool = False  # whether the walk times the runs it asks for now
    page_name: str = ""
    logged: list[LoggedRun] = field(default_factory=list)

    async def rerun(self, *, page: str | None = None, fragment_id: str = "") -> float:
        """Ask for a run (a page, or the current one with the chosen widget values); the
        seconds until its `script_finished`."""
        wanted = self.page_hash if page is None else self.pages.get(page, "")
        state = ClientState(page_script_hash=wanted)
        if page is not None:  # a new page: its widgets start from what the server holds
            self.chosen = {}
            if page not in self.pages:
                state.page_name = page
        state.widget_states.widgets.extend(self.chosen.values())
        state.fragment_id = fragment_id
        self.texts, self.drawn = [], []
        self.page_name = page or self.page_name
        log_from = self.log_size() if self.log_size else 0
        started = time.perf_counter()
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        await self._until_finished()
        seconds = time.perf_counter() - started
        if self.log_size and not fragment_id:
            self.logged.append(LoggedRun(self.page_name, self.timed, log_from, self.log_size()))
        return seconds

    async def _until_finished(self) -> None:
        while True:
            msg = ForwardMsg.FromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "delta":
                self._seen(msg.delta)
            elif kind == "script_finished" and msg.script_finished in DONE:
                return

    def _seen(self, delta: Any) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "plotly_chart":
            self.texts.append(element.plotly_chart.spec)
        elif kind == "metric":
            self.texts.append(element.metric.label)
        inner = getattr(element, kind, None) if kind else None
        if inner is not None and hasattr(inner, "id") and hasattr(inner, "label"):
            self.widgets[inner.label] = Widget(inner.id, kind or "", inner, delta.fragment_id)
            self.drawn.append(inner.label)

    def showing(self, text: str) -> bool:
        return any(text in shown for shown in self.texts)


async def connect(base_url: str, page: str) -> ProtocolSession:
    """A session on `page` (its url path), as a browser opening it."""
    ws = await websockets.connect(
        base_url.replace("http", "ws", 1) + "/_stcore/stream",
        subprotocols=[websockets.Subprotocol("streamlit")],
        origin=websockets.Origin(base_url),
        max_size=MAX_MESSAGE_BYTES,
    )
    session = ProtocolSession(ws)
    await session.rerun(page=page)
    return session


async def navigate(session: ProtocolSession, page: str, expect: str) -> float:
    seconds = await session.rerun(page=page)
    _expect(session, expect)
    return seconds


async def pick(session: ProtocolSession, label: str, index: int) -> float:
    """Choose the `index`-th option of the select box `label` (modulo its options)."""
    widget = session.widgets[label]
    options = list(widget.element.options)
    state = WidgetState(id=widget.id, string_value=options[index % len(options)])
    session.chosen[widget.id] = state
    return await session.rerun(fragment_id=widget.fragment_id)


async def press_growth(session: ProtocolSession) -> float:
    """One step right on "Demand growth (%)" (a fragment run); checks the charts show it."""
    widget = session.widgets[GROWTH]
    slider, sent = widget.element, session.chosen.get(widget.id)
    if sent is not None:  # what this session chose last on this page
        value = sent.double_array_value.data[0] + slider.step
    else:  # what the server drew: its session state's value, else the default
        value = (slider.value if slider.set_value else slider.default)[0] + slider.step
    state = WidgetState(id=widget.id)
    state.double_array_value.data.append(value)
    session.chosen[widget.id] = state
    seconds = await session.rerun(fragment_id=widget.fragment_id)
    _expect(session, f"at {value:+.0f} % demand")
    return seconds


def _expect(session: ProtocolSession, text: str) -> None:
    if not session.showing(text):
        raise WalkError(f"the run drew no chart or metric showing {text!r}")


async def warm_up(session: ProtocolSession) -> None:
    """One unmeasured pass, as bench_analysts.py's browser warm-up."""
    await navigate(session, "simulator", SIMULATED)
    await navigate(session, "recommendations", RECOMMENDED)


async def analyst(
    session: ProtocolSession, k: int, rounds: int, think_s: float, seconds: dict[str, list[float]]
) -> None:
    """Session k's walk, the browser's (bench_analysts.py `_analyst`): the same think times,
    service and steps."""
    thinking = random.Random(k)

    async def timed(kind: str, step: Awaitable[float]) -> None:
        await asyncio.sleep(think_s * thinking.uniform(0.5, 1.5))
        seconds[kind].append(await step)

    await navigate(session, "simulator", SIMULATED)  # the opening: not timed
    await pick(session, "Service", k)
    session.timed = True
    for _ in range(rounds):
        await timed("Recommendations", navigate(session, "recommendations", RECOMMENDED))
        await timed("Simulator", navigate(session, "simulator", SIMULATED))
        await timed("slider", press_growth(session))
