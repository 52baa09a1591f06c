"""The job runner against real databases: windows from the ledger, catch-up, failures, locks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.models import JobRunRow
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job
from jobs.locks import lock_key
from jobs.metrics import build_metrics, observe
from jobs.runner import RunResult, run_job
from jobs.runs import Outcome, Window

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)  # mid-hour: windows end at 10:00


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """A job that remembers its windows and can be told to fail."""

    def __init__(self) -> None:
        self.windows: list[Window] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, _ctx: JobContext, window: Window) -> int:
        with self.lock:
            self.windows.append(window)
        if self.fail:
            raise RuntimeError("billing API said 503\nsecond line is dropped")
        return int((window.end - window.start) / timedelta(hours=1))


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def ctx(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> JobContext:
    return JobContext(settings, db_engine, sessions, load_catalog(), clock=clock)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def job(recorder: Recorder) -> Job:
    return Job("probe", recorder, 60, timedelta(hours=6), "test job")


def _runs(sessions: sessionmaker[Session]) -> list[JobRunRow]:
    with sessions() as session:
        return list(session.scalars(select(JobRunRow).order_by(JobRunRow.id)))


def test_first_run_covers_its_first_window_up_to_the_current_hour(
    ctx: JobContext, job: Job, sessions: sessionmaker[Session]
) -> None:
    result = run_job(ctx, job)

    end = T0.replace(minute=0)
    assert result.status == "success"
    assert result.window == Window(end - timedelta(hours=6), end)
    (run,) = _runs(sessions)
    assert (run.status, run.rows, run.window_start, run.window_end) == (
        "success",
        6,
        end - timedelta(hours=6),
        end,
    )
    assert run.duration_s is not None
    assert run.finished_at is not None


def test_a_second_run_in_the_same_hour_does_nothing(
    ctx: JobContext, job: Job, sessions: sessionmaker[Session], recorder: Recorder
) -> None:
    run_job(ctx, job)

    result = run_job(ctx, job)

    assert result.status == "up_to_date"
    assert len(recorder.windows) == 1
    assert len(_runs(sessions)) == 1


def test_after_downtime_one_run_covers_the_whole_gap(
    ctx: JobContext, job: Job, clock: Clock, recorder: Recorder
) -> None:
    first = run_job(ctx, job)
    clock.now = T0 + timedelta(hours=5)

    result = run_job(ctx, job)

    assert first.window is not None
    assert result.window == Window(first.window.end, first.window.end + timedelta(hours=5))
    assert len(recorder.windows) == 2


def test_a_failure_is_recorded_and_the_same_window_is_retried(
    ctx: JobContext, job: Job, sessions: sessionmaker[Session], recorder: Recorder, clock: Clock
) -> None:
    run_job(ctx, job)
    clock.now = T0 + timedelta(hours=2)
    recorder.fail = True

    failed = run_job(ctx, job)
    recorder.fail = False
    retried = run_job(ctx, job)

    assert failed.status == "failed"
    assert failed.error == "RuntimeError: billing API said 503"
    assert retried.status == "success"
    assert retried.window == failed.window
    assert [r.status for r in _runs(sessions)] == ["success", "failed", "success"]


def test_a_partial_run_is_recorded_as_partial_and_its_window_retried(
    ctx: JobContext, job: Job, sessions: sessionmaker[Session], clock: Clock
) -> None:
    shortfall = "partial: 800 of 1,000 services (failed)"
    partly = Job("probe", lambda _c, _w: Outcome(7, partial=shortfall, measures={"x": 1.0}),
                 60, timedelta(hours=6), "test job")  # fmt: skip
    success = run_job(ctx, job)
    clock.now = T0 + timedelta(hours=1)
    first = run_job(ctx, partly)
    clock.now = T0 + timedelta(hours=2)

    second = run_job(ctx, partly)

    assert (first.status, first.rows, first.error) == ("partial", 7, shortfall)
    assert first.measures == {"x": 1.0}
    assert success.window is not None
    assert second.window is not None
    assert second.window.start == success.window.end  # not a success: the window is retried
    runs = [(r.status, r.rows, r.error) for r in _runs(sessions)[1:]]
    assert runs == [("partial", 7, shortfall)] * 2


def test_partial_runs_are_counted_apart_from_failures_in_the_metrics() -> None:
    metrics = build_metrics()
    partial = RunResult("collect_usage", "partial", rows=5, measures={"services_failed": 200})

    observe(metrics, partial, 1.5)

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert value("tightrope_job_partial_total", job="collect_usage") == 1
    assert value("tightrope_job_failures_total", job="collect_usage") is None
    assert value("tightrope_job_last_run", job="collect_usage", measure="services_failed") == 200


# Advisory locks exist on PostgreSQL only; SQLite serves one sidecar (the demo).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_job_another_sidecar_holds_is_skipped(
    ctx: JobContext, job: Job, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with db_engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(job.name)})

        result = run_job(ctx, job)

        other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(job.name)})
    assert result.status == "locked"
    assert _runs(sessions) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_sidecars_run_each_window_once(
    ctx: JobContext, job: Job, sessions: sessionmaker[Session], recorder: Recorder
) -> None:
    results: list[str] = []

    def sidecar() -> None:
        results.extend(run_job(ctx, job).status for _ in range(5))

    threads = [threading.Thread(target=sidecar) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with sessions() as session:
        successes = session.scalar(
            select(func.count()).select_from(JobRunRow).where(JobRunRow.status == "success")
        )
    assert successes == 1
    assert len(recorder.windows) == 1
    assert results.count("success") == 1
    assert set(results) <= {"success", "up_to_date", "locked"}
