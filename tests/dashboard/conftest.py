"""Dashboard fixtures: fresh Streamlit caches per test and small SQLite databases to render."""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data.catalog import load_catalog
from data.db import make_engine, make_sessions
from data.repos import costs, services, usage
from data.repos.costs import DailyCost
from data.settings import Settings
from engine.profiles import PROFILES
from engine.service import Sla
from jobs.recompute import recompute
from tests.factories import make_k8s_config, make_new_service, make_usage, make_vm_config
from tests.support.browser import chromium, fresh_page

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_PATH = str(REPO_ROOT / "dashboard" / "streamlit_app.py")
TODAY = date(2026, 11, 30)
USAGE_END = datetime(2026, 12, 1, tzinfo=UTC)
# The pages' clock (TIGHTROPE_CLOCK_FIXED_AT): half an hour after the newest usage hour ended,
# whatever the machine's calendar says.
NOW = USAGE_END + timedelta(minutes=30)
USAGE_DAYS = 14
BROWSER_TIMEOUT_MS = 30_000  # a cold first render takes 3–5 s on a 2-core box


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    # st.cache_data / st.cache_resource outlive AppTest instances within one process.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian Chromium for one browser-test module (skips, or fails in CI, without it)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page sized by the test module's VIEWPORT."""
    viewport: dict[str, int] = request.module.VIEWPORT
    with fresh_page(browser, viewport=viewport, timeout_ms=BROWSER_TIMEOUT_MS) as opened:
        yield opened


@pytest.fixture
def empty_database(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated, empty SQLite file that deps.settings() picks up through the environment."""
    path = tmp_path / "dashboard.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", url)
    monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", NOW.isoformat())
    return url


@pytest.fixture(scope="session")
def seeded_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small fleet seeded once per session (copied for each test: seeding is the same)."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))
    seed_small_fleet(make_sessions(engine))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def recommended_template(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded fleet after one recompute (balanced profile, up to the end of its usage),
    computed once per session: the recompute reads only the data and `now=USAGE_END`."""
    path = tmp_path_factory.mktemp("recommended") / "recommended.db"
    shutil.copyfile(seeded_template, path)
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))
    recompute(make_sessions(engine), load_catalog(), profile=PROFILES["balanced"], now=USAGE_END)
    engine.dispose()
    return path


def _copy_over(template: Path, url: str) -> str:
    shutil.copyfile(template, make_url(url).database or "")
    return url


@pytest.fixture
def seeded_database(empty_database: str, seeded_template: Path) -> str:
    """The small fleet (seed_small_fleet) in this test's own SQLite file."""
    return _copy_over(seeded_template, empty_database)


@pytest.fixture
def recommended_database(empty_database: str, recommended_template: Path) -> str:
    """The small fleet after one recompute, in this test's own SQLite file."""
    return _copy_over(recommended_template, empty_database)


def open_page(page: str, *, timeout_s: float = 60, query: dict[str, str] | None = None) -> AppTest:
    """The app run once (with `query` parameters), switched to `page`, with no exception."""
    at = AppTest.from_file(APP_PATH, default_timeout=timeout_s).run()
    at.query_params.update(query or {})
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric_values(at: AppTest) -> dict[str, tuple[str, str]]:
    """Every st.metric on the page: label → (value, delta)."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def figures(at: AppTest) -> list[dict[str, Any]]:
    """Every plotly chart on the page, as its JSON spec."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def numbers(encoded: Any) -> list[float]:
    """A plotly array: a plain list, or plotly's typed-array encoding {dtype, bdata}; null
    (JSON's NaN) reads as NaN."""
    if isinstance(encoded, list):
        return [math.nan if v is None else float(v) for v in encoded]
    raw = base64.b64decode(encoded["bdata"])
    return [float(v) for v in np.frombuffer(raw, dtype=encoded["dtype"])]


def chart_titles(at: AppTest) -> list[str]:
    """The title of every plotly chart on the page, in order."""
    return [figure["layout"]["title"]["text"] for figure in figures(at)]


def sessions_on(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database a page reads (for fixtures: the engine closes afterwards)."""
    engine = make_engine(Settings(database_url=url, _env_file=None))
    yield make_sessions(engine)
    engine.dispose()


def seed_small_fleet(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Three services with round numbers the page tests can check by hand.

    Effective cost per day, last 30 days / the 30 before: checkout (payments, prod, vm) 10 / 8,
    search (search, prod, kubernetes) 5 / 5, etl (data, dev, vm) 2 / 2. Fleet run-rate:
    510 × 730 / 720 = $517 /mo, +13.3 %; payments alone: $304 /mo, +25.0 %.
    Two weeks of usage: checkout is over its 250 ms target 5 % of the time; etl has no latency.
    """
    start = USAGE_END - timedelta(days=USAGE_DAYS)
    hours = USAGE_DAYS * 24
    last = [TODAY - timedelta(days=i) for i in range(30)]
    prev = [TODAY - timedelta(days=30 + i) for i in range(30)]
    with sessions.begin() as session:
        checkout, search, etl = services.add_services(
            session,
            [
                make_new_service("checkout", name="Checkout API", team="payments"),
                make_new_service(
                    "search",
                    name="Search API",
                    team="search",
                    platform="kubernetes",
                    provider="gcp",
                    sla=Sla(
                        latency_p95_target_ms=100.0,
                        availability_target_pct=99.9,
                        max_error_rate_pct=0.5,
                    ),
                ),
                make_new_service("etl", name="Nightly ETL", team="data", environment="dev"),
            ],
            now=start,
        )
        services.set_capacity(session, checkout.id, make_vm_config(), actor="t", now=start)
        services.set_capacity(session, search.id, make_k8s_config(), actor="t", now=start)
        services.set_capacity(session, etl.id, make_vm_config(replicas=1), actor="t", now=start)
        daily = [
            *(_cost(checkout.id, d, 8.0, "Compute") for d in last + prev),
            *(_cost(checkout.id, d, 2.0, "Storage") for d in last),
            *(_cost(search.id, d, 5.0, "Compute") for d in last + prev),
            *(_cost(etl.id, d, 2.0, "Compute") for d in last + prev),
        ]
        costs.insert_daily_costs(session, daily)
        latency = np.full(hours, 180.0)
        latency[::20] = 400.0  # 5 % of hours over 250 ms
        usage.insert_usage(
            session,
            make_usage(checkout.id, hours=hours, start=start, latency_p95_ms=latency),
            source="test",
        )
        usage.insert_usage(
            session,
            make_usage(search.id, hours=hours, start=start, latency_p95_ms=np.full(hours, 60.0)),
            source="test",
        )
        usage.insert_usage(
            session,
            make_usage(
                etl.id,
                hours=hours,
                start=start,
                latency_p95_ms=np.full(hours, np.nan),
                error_rate_pct=np.full(hours, np.nan),
            ),
            source="test",
        )
    return {"checkout": checkout.id, "search": search.id, "etl": etl.id}


def _cost(service_id: int, day: date, amount: float, category: str) -> DailyCost:
    return DailyCost(
        service_id=service_id,
        charge_date=day,
        service_category=category,
        billing_currency="USD",
        billed_cost=amount,
        effective_cost=amount,
        list_cost=amount * 1.2,
        provider="aws",
    )


def shown(markdown: str) -> str:
    """What a reader sees of markdown whose stored text was escaped (backslashes dropped)."""
    return re.sub(r"\\(.)", r"\1", markdown)
