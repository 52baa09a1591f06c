"""Read model of the Data sources page: each job's runs and queue, each source's freshness.

Every function is one query (aggregation in SQL, grouped per job or per source) and returns
frozen values; "now" is always passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from data.models import (
    CostDailyRow,
    IngestedFileRow,
    JobRunRow,
    RecommendationRow,
    ServiceRow,
    UsageHourlyRow,
)
from data.repos.job_requests import JobRequest, pending_requests
from data.repos.recommendations import OPEN
from data.repos.sql import as_date, as_utc

SUCCESS = "success"
FAILED = "failed"
PARTIAL = "partial"  # stored some of its work; the message says what was missed
DIRECT_SOURCE = "direct"  # cost rows written without a delivery (tests, early seeds)
INGESTED_FILES_LIMIT = 500
STALE_LIST_LIMIT = 200
# engine.rules.decide writes the last hour of the judged history as str(datetime64[s]).
_WINDOW_END_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True, slots=True)
class JobRun:
    """One job_run row: its window, outcome, counts and timing."""

    job: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    rows: int
    duration_s: float | None
    error: str | None


@dataclass(frozen=True, slots=True)
class JobStatus:
    """What the page shows for one job."""

    job: str
    last_run: JobRun | None
    last_success: JobRun | None
    last_error: JobRun | None
    runs_24h: int
    failures_24h: int
    pending: JobRequest | None
    partial_24h: int = 0


@dataclass(frozen=True, slots=True)
class UsageFreshness:
    """Hourly usage written by one source (usage_hourly.source: "demo", "prometheus", …)."""

    source: str
    newest_hour: datetime | None
    services: int


@dataclass(frozen=True, slots=True)
class CostFreshness:
    """Daily cost written by one delivery source ("direct" when no delivery recorded it)."""

    source: str
    newest_day: date | None
    rows: int


@dataclass(frozen=True, slots=True)
class IngestedFile:
    """One billing delivery as recorded by the FOCUS connector (JSON fields as stored)."""

    id: int
    file_name: str
    source: str
    focus_version: str | None
    rows_read: int
    rows_loaded: int
    totals: dict[str, Any]
    warnings: tuple[dict[str, Any], ...]
    errors: tuple[dict[str, Any], ...]
    status: str
    ingested_at: datetime
    superseded_at: datetime | None


@dataclass(frozen=True, slots=True)
class StaleRecommendations:
    """Open recommendations computed on history ending before `cutoff` (out of `open_total`)."""

    stale: int
    open_total: int
    oldest_window_end: datetime | None
    cutoff: datetime


@dataclass(frozen=True, slots=True)
class StaleRecommendation:
    """One open recommendation judged on old history."""

    id: int
    scope: str  # the service's slug, or the recommendation's scope (a team's commitment)
    kind: str
    window_end: datetime | None
    monthly_savings_usd: float
    currency: str


def job_statuses(session: Session, jobs: Sequence[str], *, now: datetime) -> list[JobStatus]:
    """One entry per name in `jobs`, in that order, then any other job the ledger knows."""
    last_run = _latest_per_job(session, None, JobRunRow.started_at)
    last_success = _latest_per_job(session, JobRunRow.status == SUCCESS, JobRunRow.window_end)
    # A partial run's message ("partial: 800 of 1,000 services") is its problem, shown as one.
    problem = JobRunRow.status.in_((FAILED, PARTIAL))
    last_error = _latest_per_job(session, problem, JobRunRow.started_at)
    recent = _runs_since(session, now - timedelta(hours=24))
    pending = {request.job: request for request in reversed(pending_requests(session))}
    names = list(dict.fromkeys([*jobs, *sorted(last_run), *sorted(pending)]))
    return [
        JobStatus(
            job=name,
            last_run=last_run.get(name),
            last_success=last_success.get(name),
            last_error=last_error.get(name),
            runs_24h=recent.get(name, (0, 0, 0))[0],
            failures_24h=recent.get(name, (0, 0, 0))[1],
            pending=pending.get(name),
            partial_24h=recent.get(name, (0, 0, 0))[2],
        )
        for name in names
    ]


def usage_freshness(session: Session) -> list[UsageFreshness]:
    """Per usage source: its newest hour and how many services it covers."""
    query = (
        select(
            UsageHourlyRow.source,
            func.max(UsageHourlyRow.hour_start),
            func.count(func.distinct(UsageHourlyRow.service_id)),
        )
        .group_by(UsageHourlyRow.source)
        .order_by(UsageHourlyRow.source)
    )
    return [
        UsageFreshness(source, as_utc(newest), int(services))
        for source, newest, services in session.execute(query)
    ]


def cost_freshness(session: Session) -> list[CostFreshness]:
    """Per delivery source: the newest charged day and the daily cost rows it holds."""
    source = func.coalesce(IngestedFileRow.source, DIRECT_SOURCE)
    query = (
        select(source, func.max(CostDailyRow.charge_date), func.count(CostDailyRow.id))
        .select_from(CostDailyRow)
        .outerjoin(IngestedFileRow, IngestedFileRow.id == CostDailyRow.ingested_file_id)
        .group_by(source)
        .order_by(source)
    )
    return [
        CostFreshness(str(name), as_date(newest), int(rows))
        for name, newest, rows in session.execute(query)
    ]


def ingested_files(session: Session, *, limit: int = INGESTED_FILES_LIMIT) -> list[IngestedFile]:
    """The newest deliveries first (loaded, superseded and rejected alike)."""
    query = (
        select(IngestedFileRow)
        .order_by(IngestedFileRow.ingested_at.desc(), IngestedFileRow.id.desc())
        .limit(limit)
    )
    return [_ingested(row) for row in session.scalars(query)]


def stale_recommendations(session: Session, *, cutoff: datetime) -> StaleRecommendations:
    """Count open recommendations whose judged history (explanation "window_end", the start of
    its last hour) ended before `cutoff`; recommendations that name no window are not stale."""
    window_end = RecommendationRow.explanation[("details", "window_end")].as_string()
    # The stored form is fixed-width ISO text, so text order is time order.
    is_stale = window_end < _last_hour_before(cutoff)
    total, stale, oldest = session.execute(
        select(
            func.count(RecommendationRow.id),
            func.coalesce(func.sum(case((is_stale, 1), else_=0)), 0),
            func.min(window_end),
        ).where(RecommendationRow.status == OPEN)
    ).one()
    oldest_end = _parse_window_end(oldest)
    return StaleRecommendations(int(stale), int(total), oldest_end, cutoff)


def stale_recommendation_list(
    session: Session, *, cutoff: datetime, limit: int = STALE_LIST_LIMIT
) -> list[StaleRecommendation]:
    """The open recommendations `stale_recommendations` counts, biggest savings first."""
    window_end = RecommendationRow.explanation[("details", "window_end")].as_string()
    query = (
        select(
            RecommendationRow.id,
            func.coalesce(ServiceRow.slug, RecommendationRow.scope),
            RecommendationRow.kind,
            window_end,
            RecommendationRow.monthly_savings_usd,
            RecommendationRow.currency,
        )
        .outerjoin(ServiceRow, ServiceRow.id == RecommendationRow.service_id)
        .where(RecommendationRow.status == OPEN, window_end < _last_hour_before(cutoff))
        .order_by(RecommendationRow.monthly_savings_usd.desc(), RecommendationRow.id)
        .limit(limit)
    )
    return [
        StaleRecommendation(rec_id, str(scope), kind, _parse_window_end(end), float(savings), cur)
        for rec_id, scope, kind, end, savings, cur in session.execute(query)
    ]


def _last_hour_before(cutoff: datetime) -> str:
    """The newest hour start whose hour ends before `cutoff`, in the stored text form."""
    return (cutoff - timedelta(hours=1)).strftime(_WINDOW_END_FORMAT)


def _latest_per_job(
    session: Session, where: ColumnElement[bool] | None, newest_by: Any
) -> dict[str, JobRun]:
    """The newest run per job (by `newest_by`, then id) among runs matching `where`."""
    rank = (
        func.row_number()
        .over(partition_by=JobRunRow.job, order_by=(newest_by.desc(), JobRunRow.id.desc()))
        .label("rank")
    )
    ranked = select(*_RUN_COLUMNS, rank)
    if where is not None:
        ranked = ranked.where(where)
    inner = ranked.subquery("ranked")
    query = select(*(inner.c[column.key] for column in _RUN_COLUMNS)).where(inner.c.rank == 1)
    return {row[0]: JobRun(*row) for row in session.execute(query)}


def _runs_since(session: Session, since: datetime) -> dict[str, tuple[int, int, int]]:
    """Per job: runs started since `since`, how many of them failed, how many were partial."""
    failed = func.sum(case((JobRunRow.status == FAILED, 1), else_=0))
    partial = func.sum(case((JobRunRow.status == PARTIAL, 1), else_=0))
    query = (
        select(JobRunRow.job, func.count(JobRunRow.id), failed, partial)
        .where(JobRunRow.started_at >= since)
        .group_by(JobRunRow.job)
    )
    return {
        job: (int(runs), int(fails or 0), int(part or 0))
        for job, runs, fails, part in session.execute(query)
    }


_RUN_COLUMNS = (
    JobRunRow.job,
    JobRunRow.status,
    JobRunRow.started_at,
    JobRunRow.finished_at,
    JobRunRow.window_start,
    JobRunRow.window_end,
    JobRunRow.rows,
    JobRunRow.duration_s,
    JobRunRow.error,
)


def _ingested(row: IngestedFileRow) -> IngestedFile:
    return IngestedFile(
        id=row.id,
        file_name=row.file_name,
        source=row.source,
        focus_version=row.focus_version,
        rows_read=row.rows_read,
        rows_loaded=row.rows_loaded,
        totals=dict(row.totals or {}),
        warnings=_items(row.warnings),
        errors=_items(row.errors),
        status=row.status,
        ingested_at=row.ingested_at,
        superseded_at=row.superseded_at,
    )


def _items(findings: dict[str, Any] | None) -> tuple[dict[str, Any], ...]:
    """The connector stores findings as {"items": [...]}."""
    items = (findings or {}).get("items", [])
    return tuple(item for item in items if isinstance(item, dict))


def _parse_window_end(text: str | None) -> datetime | None:
    if not text:
        return None
    return as_utc(datetime.fromisoformat(text))
