"""refresh_costs pulls the billing REST API's periods: built from settings or injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.billing_api import SOURCE
from data.db import make_sessions
from data.models import IngestedFileRow
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from tests.connectors.billing_api.api import KEY, client, item, page

T0 = datetime(2026, 10, 20, 6, 17, tzinfo=UTC)  # inside the items' billing period, 2026-10


def _job() -> Job:
    return next(job for job in default_jobs(60) if job.name == "refresh_costs")


def _context(settings: Settings, engine: Engine, server: HTTPServer, **kw):
    configured = settings.model_copy(
        update={"billing_api_url": server.url_for("/"), "billing_api_key": SecretStr(KEY)}
    )
    clock = kw.pop("clock", lambda: T0)
    sessions = make_sessions(engine)
    return JobContext(configured, engine, sessions, load_catalog(), clock=clock, **kw)


def _sources(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(select(IngestedFileRow.source, IngestedFileRow.status))
        return sorted((source, status) for source, status in rows)


def test_the_period_loads_from_the_settings_client_and_a_rerun_is_a_no_op(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/costs").respond_with_json(page([item(), item()]))
    clock = {"now": T0}
    ctx = _context(settings, db_engine, httpserver, clock=lambda: clock["now"])

    loaded = run_job(ctx, _job(), now=True)
    clock["now"] += timedelta(minutes=5)
    again = run_job(ctx, _job(), now=True)

    assert (loaded.status, again.status) == ("success", "success")
    assert loaded.rows > 0
    assert again.rows == 0
    assert _sources(sessions) == [(SOURCE, "loaded")]


def test_rejected_credentials_fail_the_run_with_the_words_the_page_shows(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/costs").respond_with_data("", status=401)
    ctx = _context(settings, db_engine, httpserver, billing_api=client(httpserver))

    failed = run_job(ctx, _job(), now=True)

    assert failed.status == "failed"
    assert "credentials invalid" in (failed.error or "")
    assert KEY not in (failed.error or "")
    assert len(httpserver.log) == 1
    assert _sources(sessions) == []


def test_a_url_without_a_key_fails_the_run_without_a_request(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    httpserver: HTTPServer,
) -> None:
    ctx = _context(settings, db_engine, httpserver)
    ctx = JobContext(
        ctx.settings.model_copy(update={"billing_api_key": None}),
        db_engine, sessions, ctx.catalog, clock=ctx.clock,
    )  # fmt: skip

    failed = run_job(ctx, _job(), now=True)

    assert failed.status == "failed"
    assert "credentials invalid" in (failed.error or "")
    assert httpserver.log == []
