"""The Data sources read model on SQLite and PostgreSQL: job runs, queue, source freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import AllocationRules, FocusIngestError, ingest_file
from data.models import JobRunRow, RecommendationRow
from data.repos import costs, services, usage
from data.repos.costs import DailyCost
from data.repos.job_requests import request_run
from data.repos.job_status import (
    JobStatus,
    cost_freshness,
    ingested_files,
    job_statuses,
    stale_recommendation_list,
    stale_recommendations,
    usage_freshness,
)
from tests.connectors.focus.builders import COLUMNS_1_2, csv_bytes, focus_row
from tests.data.workflow.world import add_open_rec
from tests.factories import make_new_service, make_usage

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
JOBS = ("collect_usage", "recompute", "expire_stale")


def _run(
    sessions: sessionmaker[Session],
    job: str,
    status: str,
    *,
    hours_ago: float,
    rows: int = 0,
    error: str | None = None,
) -> None:
    started = NOW - timedelta(hours=hours_ago)
    with sessions.begin() as session:
        session.add(
            JobRunRow(
                job=job,
                started_at=started,
                finished_at=started + timedelta(seconds=5),
                status=status,
                window_start=started - timedelta(hours=1),
                window_end=started,
                rows=rows,
                duration_s=5.0,
                error=error,
            )
        )


def _statuses(sessions: sessionmaker[Session]) -> dict[str, JobStatus]:
    with sessions() as session:
        return {status.job: status for status in job_statuses(session, JOBS, now=NOW)}


def test_jobs_never_run_are_listed_empty(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        statuses = job_statuses(session, JOBS, now=NOW)

    assert [s.job for s in statuses] == list(JOBS)
    assert all(s.last_run is None and s.last_success is None for s in statuses)
    assert all((s.runs_24h, s.failures_24h, s.pending) == (0, 0, None) for s in statuses)


def test_a_job_shows_its_last_run_success_and_error(sessions: sessionmaker[Session]) -> None:
    _run(sessions, "recompute", "success", hours_ago=30, rows=7)
    _run(sessions, "recompute", "success", hours_ago=3, rows=12)
    _run(sessions, "recompute", "failed", hours_ago=2, error="TelemetryError: refused")
    _run(sessions, "recompute", "running", hours_ago=0.1)

    status = _statuses(sessions)["recompute"]

    assert status.last_run is not None
    assert status.last_success is not None
    assert status.last_error is not None
    assert status.last_run.status == "running"
    assert status.last_success.rows == 12
    assert status.last_success.window_end == NOW - timedelta(hours=3)
    assert status.last_error.error == "TelemetryError: refused"
    assert (status.runs_24h, status.failures_24h) == (3, 1)


def test_a_job_outside_the_given_names_is_still_listed(sessions: sessionmaker[Session]) -> None:
    _run(sessions, "refresh_costs", "success", hours_ago=1)

    statuses = _statuses(sessions)

    assert list(statuses) == [*JOBS, "refresh_costs"]


def test_a_pending_request_shows_on_its_job(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        request_id = request_run(session, "collect_usage", actor="ana", now=NOW)

    status = _statuses(sessions)["collect_usage"]

    assert status.pending is not None
    assert status.pending.id == request_id
    assert _statuses(sessions)["recompute"].pending is None


def test_usage_freshness_is_the_newest_hour_per_source(sessions: sessionmaker[Session]) -> None:
    start = datetime(2026, 11, 25, tzinfo=UTC)
    with sessions.begin() as session:
        a, b = services.add_services(
            session, [make_new_service("a"), make_new_service("b")], now=start
        )
        usage.insert_usage(session, make_usage(a.id, hours=5, start=start), source="prometheus")
        usage.insert_usage(session, make_usage(b.id, hours=3, start=start), source="demo")

    with sessions() as session:
        fresh = usage_freshness(session)

    assert [(f.source, f.newest_hour, f.services) for f in fresh] == [
        ("demo", start + timedelta(hours=2), 1),
        ("prometheus", start + timedelta(hours=4), 1),
    ]


def test_cost_freshness_groups_by_delivery_source(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        costs.insert_daily_costs(
            session,
            [
                DailyCost(None, date(2026, 11, d), "Compute", "USD", 1.0, 1.0, 1.0, "aws")
                for d in (1, 2)
            ],
        )
    ingest_file(
        sessions, csv_bytes([focus_row()]), source="upload", rules=AllocationRules(), now=NOW
    )

    with sessions() as session:
        fresh = cost_freshness(session)

    assert [(f.source, f.newest_day) for f in fresh] == [
        ("direct", date(2026, 11, 2)),
        ("upload", date(2026, 10, 5)),
    ]


def test_ingested_files_list_loaded_and_rejected_deliveries(
    sessions: sessionmaker[Session],
) -> None:
    ingest_file(
        sessions, csv_bytes([focus_row()] * 2), source="upload", rules=AllocationRules(), now=NOW
    )
    missing = csv_bytes([focus_row()], columns=[c for c in COLUMNS_1_2 if c != "BilledCost"])
    with pytest.raises(FocusIngestError):
        ingest_file(
            sessions,
            missing,
            source="upload",
            rules=AllocationRules(),
            now=NOW + timedelta(minutes=1),
            name="bad.csv",
        )

    with sessions() as session:
        files = ingested_files(session)

    rejected, loaded = files
    assert (rejected.file_name, rejected.status) == ("bad.csv", "rejected")
    assert (loaded.source, loaded.rows_read, loaded.rows_loaded) == ("upload", 2, 2)
    assert loaded.totals["USD"]["effective_cost"].startswith("3")
    assert rejected.errors[0]["message"]


def test_open_recommendations_on_old_windows_count_as_stale(
    sessions: sessionmaker[Session],
) -> None:
    fresh = add_open_rec(sessions, "fresh")
    old = add_open_rec(sessions, "old")
    add_open_rec(sessions, "unknown")  # no window_end: never counted stale
    ends = {fresh.id: "2026-11-26T08:00:00", old.id: "2026-11-20T23:00:00"}
    with sessions.begin() as session:
        for rec_id, end in ends.items():
            session.execute(
                update(RecommendationRow)
                .where(RecommendationRow.id == rec_id)
                .values(explanation={"reason": "r", "details": {"window_end": end}})  # as stored
            )

    with sessions() as session:
        counted = stale_recommendations(session, cutoff=NOW - timedelta(hours=2))
        listed = stale_recommendation_list(session, cutoff=NOW - timedelta(hours=2))

    assert (counted.stale, counted.open_total) == (1, 3)
    assert counted.oldest_window_end == datetime(2026, 11, 20, 23, tzinfo=UTC)
    assert [(r.id, r.scope, r.window_end) for r in listed] == [
        (old.id, "old", datetime(2026, 11, 20, 23, tzinfo=UTC))
    ]
