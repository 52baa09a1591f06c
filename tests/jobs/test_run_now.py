"""Run now: a queued request runs its job within the hour, once, through the same ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.models import JobRequestRow, JobRunRow
from data.repos.job_requests import claim_pending, pending_requests, request_run
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job
from jobs.requests import CLAIM_TIMEOUT, run_requested
from jobs.runner import run_job
from jobs.runs import Window

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)


def _ctx(settings: Settings, engine: Engine, sessions: sessionmaker[Session]) -> JobContext:
    return JobContext(settings, engine, sessions, load_catalog(), clock=lambda: T0)


def _probe(windows: list[Window]) -> Job:
    def run(_ctx: JobContext, window: Window) -> int:
        windows.append(window)
        return 1

    return Job("probe", run, 60, timedelta(hours=6), "test job")


def test_a_request_runs_the_job_even_within_the_hour_and_only_once(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    windows: list[Window] = []
    job = _probe(windows)
    ctx = _ctx(settings, db_engine, sessions)
    run_job(ctx, job)  # the scheduled run: up to 10:00
    with sessions.begin() as session:
        first = request_run(session, "probe", actor="ana", now=T0)
        second = request_run(session, "probe", actor="ana", now=T0)  # a double click

    results = run_requested(ctx, [job])
    again = run_requested(ctx, [job])

    assert first == second
    assert [r.status for r in results] == ["success"]
    assert again == []
    assert windows[-1] == Window(T0.replace(minute=0), T0)  # to the clock, not the hour
    with sessions() as session:
        assert pending_requests(session) == []
        statuses = [r.status for r in session.scalars(select(JobRunRow).order_by(JobRunRow.id))]
    assert statuses == ["success", "success"]


def test_a_request_for_an_unknown_job_is_finished_as_failed(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        request_run(session, "no_such_job", actor="ana", now=T0)

    results = run_requested(_ctx(settings, db_engine, sessions), [])

    assert [r.status for r in results] == ["failed"]
    with sessions() as session:
        assert pending_requests(session) == []


def test_a_claim_whose_sidecar_died_is_closed_so_the_job_can_be_queued_again(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    stale_at = T0 - CLAIM_TIMEOUT - timedelta(minutes=1)
    with sessions.begin() as session:
        lost = request_run(session, "probe", actor="ana", now=stale_at)
        claim_pending(session, now=stale_at)  # … and that sidecar was killed mid-run
        recent = request_run(session, "other", actor="ana", now=T0 - timedelta(minutes=5))
        claim_pending(session, now=T0 - timedelta(minutes=5))  # still running elsewhere

    run_requested(_ctx(settings, db_engine, sessions), [])
    with sessions.begin() as session:
        queued_again = request_run(session, "probe", actor="bo", now=T0)

    with sessions() as session:
        states = {r.id: r.status for r in session.scalars(select(JobRequestRow))}
    assert states[lost] == "failed"
    assert states[recent] == "claimed"
    assert queued_again not in (lost, recent)
    assert states[queued_again] == "pending"
