"""The job_run ledger: start and finish a run, close orphaned runs, the last success."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from data.models import JobRunRow

SUCCESS = "success"
FAILED = "failed"
# Some of the run's work was stored and some failed: never counted as a success (the next
# window starts where the last success ended, and freshness stays honest).
PARTIAL = "partial"
RUNNING = "running"


def last_success_end(session: Session, job: str) -> datetime | None:
    """The window end of `job`'s newest successful run, None before the first."""
    query = (
        select(JobRunRow.window_end)
        .where(JobRunRow.job == job, JobRunRow.status == SUCCESS)
        .order_by(JobRunRow.window_end.desc(), JobRunRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def start_run(
    sessions: sessionmaker[Session],
    job: str,
    *,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> int:
    """Record a run as started (its own short transaction, so the page sees it running)."""
    with sessions.begin() as session:
        row = JobRunRow(
            job=job,
            started_at=now,
            status=RUNNING,
            window_start=window_start,
            window_end=window_end,
            rows=0,
        )
        session.add(row)
        session.flush()
        return row.id


def finish_run(
    sessions: sessionmaker[Session],
    run_id: int,
    *,
    finished_at: datetime,
    duration_s: float,
    rows: int = 0,
    error: str | None = None,
    partial: str | None = None,
) -> None:
    """Close a run: success with its rows, failed with the error's one-line message, or
    partial with its rows and what was missed (kept in the `error` column: the page shows it
    where it shows errors)."""
    with sessions.begin() as session:
        row = session.get_one(JobRunRow, run_id)
        row.status = FAILED if error else PARTIAL if partial else SUCCESS
        row.finished_at = finished_at
        row.duration_s = duration_s
        row.rows = rows
        row.error = error or partial


def running_jobs(session: Session) -> list[str]:
    """Names of the jobs with a run the ledger still shows as running."""
    query = select(JobRunRow.job).where(JobRunRow.status == RUNNING).distinct()
    return sorted(session.scalars(query))


def close_orphaned_runs(session: Session, job: str, *, now: datetime, reason: str) -> int:
    """Mark `job`'s running rows failed with `reason` (the Data sources page shows it as the
    last error); the caller holds the job's lock, so no live process is running it."""
    result = session.execute(
        update(JobRunRow)
        .where(JobRunRow.job == job, JobRunRow.status == RUNNING)
        .values(status=FAILED, finished_at=now, error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
