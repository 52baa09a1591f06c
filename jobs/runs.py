"""The job_run ledger: each run's window, status, rows, duration and error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from data.models import JobRunRow

SUCCESS = "success"
FAILED = "failed"
RUNNING = "running"


@dataclass(frozen=True, slots=True)
class Window:
    """The half-open span [start, end) a run covers."""

    start: datetime
    end: datetime

    @property
    def empty(self) -> bool:
        return self.end <= self.start


def last_success(session: Session, job: str) -> JobRunRow | None:
    """The newest successful run of `job` (by window end), None before the first."""
    query = (
        select(JobRunRow)
        .where(JobRunRow.job == job, JobRunRow.status == SUCCESS)
        .order_by(JobRunRow.window_end.desc(), JobRunRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def start_run(sessions: sessionmaker[Session], job: str, window: Window, *, now: datetime) -> int:
    """Record a run as started (its own short transaction, so the page sees it running)."""
    with sessions.begin() as session:
        row = JobRunRow(
            job=job,
            started_at=now,
            status=RUNNING,
            window_start=window.start,
            window_end=window.end,
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
) -> None:
    """Close a run: success with its rows, or failed with the error's one-line message."""
    with sessions.begin() as session:
        row = session.get_one(JobRunRow, run_id)
        row.status = FAILED if error else SUCCESS
        row.finished_at = finished_at
        row.duration_s = duration_s
        row.rows = rows
        row.error = error


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
