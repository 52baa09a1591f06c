"""The refresh_costs job ingests the billing directory: new files once, a bad file fails the run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.models import CostDailyRow, JobRunRow
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from tests.connectors.focus.builders import csv_bytes, focus_row

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)


def _job() -> Job:
    return next(job for job in default_jobs(60) if job.name == "refresh_costs")


def test_new_billing_files_load_once_and_a_bad_one_fails_the_run(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "2026-10.csv").write_bytes(csv_bytes([focus_row(), focus_row()]))
    clock = {"now": T0}
    ctx = JobContext(
        settings.model_copy(update={"billing_directory": exports}),
        db_engine, sessions, load_catalog(), clock=lambda: clock["now"],
    )  # fmt: skip

    loaded = run_job(ctx, _job(), now=True)
    (exports / "2026-11.csv").write_bytes(b"\xff\xfe not utf-8 at all")
    clock["now"] += timedelta(minutes=5)
    rejected = run_job(ctx, _job(), now=True)

    assert (loaded.status, loaded.error) == ("success", None)
    assert loaded.rows > 0
    assert _stored_effective_usd(sessions) == Decimal("3.00")  # the two $1.50 rows, once
    assert rejected.status == "failed"
    assert "2026-11.csv" in (rejected.error or "")
    assert _stored_effective_usd(sessions) == Decimal("3.00")  # the bad file changed nothing
    assert _ledger(sessions) == [("success", loaded.rows), ("failed", 0)]


def test_without_a_billing_source_or_a_fleet_the_run_succeeds_and_stores_nothing(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: T0)

    result = run_job(ctx, _job())

    assert (result.status, result.rows, result.error) == ("success", 0, None)
    assert _stored_effective_usd(sessions) == 0
    assert _ledger(sessions) == [("success", 0)]


def _stored_effective_usd(sessions: sessionmaker[Session]) -> Decimal:
    with sessions() as session:
        total = session.scalar(select(func.sum(CostDailyRow.effective_cost)))
    return Decimal(total or 0)


def _ledger(sessions: sessionmaker[Session]) -> list[tuple[str, int]]:
    """(status, rows) of every recorded refresh_costs run, oldest first."""
    with sessions() as session:
        runs = session.scalars(
            select(JobRunRow).where(JobRunRow.job == "refresh_costs").order_by(JobRunRow.id)
        ).all()
        return [(run.status, run.rows) for run in runs]
