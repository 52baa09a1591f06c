"""Run one job once: take its lock, compute its window from the last success, record the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from data.repos.job_runs import finish_run, last_success_end, start_run
from jobs.context import JobContext
from jobs.definitions import Job
from jobs.locks import exclusive
from jobs.runs import Outcome, Window

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunResult:
    """How one attempt ended: "success", "partial", "failed", "up_to_date" or "locked"
    (another sidecar); `error` is the failure's or the shortfall's message."""

    job: str
    status: str
    rows: int = 0
    window: Window | None = None
    error: str | None = None
    measures: Mapping[str, float] = field(default_factory=dict)


def run_job(ctx: JobContext, job: Job, *, now: bool = False) -> RunResult:
    """Run `job` over [last successful window end, current hour) — or, the first time, its
    first_window back from the current hour — unless another sidecar holds its lock or the
    window is empty. A catch-up after downtime is one run over the whole gap. `now` (an
    operator's "Run now") ends the window at the clock instead of the hour, so it runs even
    within the hour. A failure is recorded with its message and never raises: the scheduler
    keeps going.
    """
    with exclusive(ctx.engine, job.name) as mine:
        if not mine:
            log.info("job %s: another sidecar holds its lock, skipping", job.name)
            return RunResult(job.name, "locked")
        window = next_window(ctx, job, until_clock=now)
        if window.empty:
            return RunResult(job.name, "up_to_date", window=window)
        return _recorded(ctx, job, window)


def next_window(ctx: JobContext, job: Job, *, until_clock: bool = False) -> Window:
    """[end of the last successful run's window, current hour — or the clock)."""
    end = ctx.clock() if until_clock else ctx.current_hour()
    with ctx.sessions() as session:
        last_end = last_success_end(session, job.name)
    start = last_end if last_end else end - job.first_window
    return Window(start, end)


def _recorded(ctx: JobContext, job: Job, window: Window) -> RunResult:
    run_id = start_run(
        ctx.sessions, job.name, window_start=window.start, window_end=window.end, now=ctx.clock()
    )
    started = time.perf_counter()
    try:
        done = job.run(ctx, window)
    except Exception as error:  # one job's failure must not stop the sidecar
        log.exception("job %s failed over %s – %s", job.name, window.start, window.end)
        message = f"{type(error).__name__}: {error}".splitlines()[0][:500]
        finish_run(ctx.sessions, run_id, finished_at=ctx.clock(),
                   duration_s=time.perf_counter() - started, error=message)  # fmt: skip
        return RunResult(job.name, "failed", window=window, error=message)
    outcome = done if isinstance(done, Outcome) else Outcome(done)
    partial = outcome.partial[:500] if outcome.partial else None
    finish_run(ctx.sessions, run_id, finished_at=ctx.clock(),
               duration_s=time.perf_counter() - started, rows=outcome.rows,
               partial=partial)  # fmt: skip
    status = "partial" if partial else "success"
    log.info("job %s: %s, %d rows over %s – %s%s", job.name, status, outcome.rows, window.start,
             window.end, f" ({partial})" if partial else "")  # fmt: skip
    return RunResult(
        job.name, status, outcome.rows, window, error=partial, measures=outcome.measures
    )
