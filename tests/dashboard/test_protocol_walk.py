"""bench_analysts.py's protocol client against the served dashboard: its walk is the browser's.

No browser: the sessions speak Streamlit's websocket protocol (bench/analysts_protocol.py). What
this proves is what `--client protocol` relies on: a page request draws that page, a
"Demand growth" step reruns the Simulator's fragment only and its charts follow the new growth,
the pick of a service changes the simulated service, and two sessions keep their own state.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import analysts_protocol as protocol
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.settings import Settings
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.support.streamlit_server import streamlit_server

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.fixture(scope="module")
def dashboard_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """4 demo services × 14 days, recomputed, served by `python -m dashboard`."""
    path = tmp_path_factory.mktemp("protocol") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=42, n_services=4, days=14, end=DEMO_END)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    engine.dispose()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with streamlit_server(url, now=DEMO_END + timedelta(hours=1), log_path=log_path) as base:
        yield base


def test_the_walk_draws_each_page_and_the_growth_step_reruns_the_fragment(
    dashboard_url: str,
) -> None:
    async def walk() -> None:
        session = await protocol.connect(dashboard_url, "recommendations")
        assert session.showing(protocol.RECOMMENDED)
        await protocol.navigate(session, "simulator", protocol.SIMULATED)
        growth = session.widgets[protocol.GROWTH]
        assert growth.fragment_id, "the growth slider lives in the Simulator's fragment"
        await protocol.press_growth(session)  # raises unless the charts say +5 %
        assert session.showing("at +5 % demand")
        assert protocol.GROWTH in session.drawn
        assert "Service" not in session.drawn  # the fragment only: no page-level widget
        await protocol.press_growth(session)
        assert session.showing("at +10 % demand")
        await protocol.navigate(session, "recommendations", protocol.RECOMMENDED)
        assert not session.showing(protocol.SIMULATED)
        await session.ws.close()

    asyncio.run(walk())


def test_two_sessions_simulate_their_own_services(dashboard_url: str) -> None:
    async def two() -> tuple[str, str]:
        first = await protocol.connect(dashboard_url, "simulator")
        second = await protocol.connect(dashboard_url, "simulator")
        await protocol.pick(first, "Service", 1)
        await protocol.pick(second, "Service", 2)
        titles = (_latency_spec(first), _latency_spec(second))
        await first.ws.close()
        await second.ws.close()
        return titles

    first, second = asyncio.run(two())
    assert first != second  # different services: different replays


def test_a_wrong_expectation_is_an_error_not_a_settle(dashboard_url: str) -> None:
    async def wrong() -> None:
        session = await protocol.connect(dashboard_url, "recommendations")
        try:
            await protocol.navigate(session, "recommendations", "no such text on any page")
        finally:
            await session.ws.close()

    with pytest.raises(protocol.WalkError):
        asyncio.run(wrong())


def _latency_spec(session: protocol.ProtocolSession) -> str:
    return next(text for text in session.texts if "p95 latency: " in text)
