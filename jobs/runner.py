"""Run one job once: take its lock, compute its window from the last success, record the run."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from data.repos.job_runs import finish_run, last_success_end, start_run
from jobs.context import JobContext
from jobs.definitions import Job
from jobs.locks import exclusive
from jobs.runs import Window

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunResult:
    """How one attempt ended: "success", "failed", "up_to_date" or "locked" (another sidecar)."""

    job: str
    status: str
    rows: int = 0
    window: Window | None = None
    error: str | None = None


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
        rows = job.run(ctx, window)
    except Exception as error:  # one job's failure must not stop the sidecar
        log.exception("job %s failed over %s – %s", job.name, window.start, window.end)
        message = f"{type(error).__name__}: {error}".splitlines()[0][:500]
        finish_run(ctx.sessions, run_id, finished_at=ctx.clock(),
                   duration_s=time.perf_counter() - started, error=message)  # fmt: skip
        return RunResult(job.name, "failed", window=window, error=message)
    finish_run(ctx.sessions, run_id, finished_at=ctx.clock(),
               duration_s=time.perf_counter() - started, rows=rows)  # fmt: skip
    log.info("job %s: %d rows over %s – %s", job.name, rows, window.start, window.end)
    return RunResult(job.name, "success", rows=rows, window=window)
