"""The refresh_costs job ingests the billing directory: new deliveries once, a refused one fails
the run (saying how many of how many), and `python -m jobs once` ingests now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.models import CostDailyRow, JobRunRow
from data.settings import Settings
from jobs.__main__ import main as jobs_cli
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


def test_a_refused_delivery_fails_the_run_saying_how_many_while_the_others_load(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("a.csv", "b.csv", "d.csv", "e.csv"):
        (exports / name).write_bytes(csv_bytes([focus_row(BillingAccountId=name)]))
    (exports / "c.csv").write_bytes(
        csv_bytes([focus_row(BillingAccountId="c", SubAccountId="\x00")])
    )
    ctx = JobContext(
        settings.model_copy(update={"billing_directory": exports}),
        db_engine, sessions, load_catalog(), clock=lambda: T0,
    )  # fmt: skip

    result = run_job(ctx, _job(), now=True)

    assert result.status == "failed"
    assert (result.error or "").startswith("DataError: billing directory: 1 of 5 refused: c.csv: ")
    assert "NUL" in (result.error or "")
    assert _stored_effective_usd(sessions) == Decimal("6.00")  # the four good files


def test_a_held_delivery_fails_the_run_naming_the_missing_part(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("usage-00001.csv", "usage-00003.csv"):
        (exports / name).write_bytes(csv_bytes([focus_row()]))
    ctx = JobContext(
        settings.model_copy(update={"billing_directory": exports}),
        db_engine, sessions, load_catalog(), clock=lambda: T0,
    )  # fmt: skip

    result = run_job(ctx, _job(), now=True)

    assert result.status == "failed"
    assert "billing directory: 1 of 1 held: " in (result.error or "")
    assert "missing usage-00002.csv" in (result.error or "")
    assert _stored_effective_usd(sessions) == 0


def test_jobs_once_ingests_a_new_file_within_the_same_hour(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "2026-10-a.csv").write_bytes(csv_bytes([focus_row(BillingAccountId="a")]))
    for name, value in (("DATABASE_URL", database_url), ("BILLING_DIRECTORY", str(exports))):
        monkeypatch.setenv(f"TIGHTROPE_{name}", value)
    monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", T0.isoformat())
    first = jobs_cli(["once", "refresh_costs", "--workers", "1"])
    (exports / "2026-10-b.csv").write_bytes(csv_bytes([focus_row(BillingAccountId="b")]))
    monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", (T0 + timedelta(minutes=5)).isoformat())

    second = jobs_cli(["once", "refresh_costs", "--workers", "1"])

    assert (first, second) == (0, 0)
    assert _stored_effective_usd(sessions) == Decimal("3.00")  # both files, the second too


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
