"""The sidecar: an APScheduler BlockingScheduler running the jobs one at a time, in UTC."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Sequence
from datetime import UTC, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from data.clock import system_now
from jobs.context import JobContext
from jobs.definitions import Job
from jobs.handoff import JOB_NAME as HANDOFFS
from jobs.handoff import hand_off_changes
from jobs.metrics import SidecarMetrics, observe, refresh_backlog
from jobs.requests import POLL_SECONDS, run_requested
from jobs.runner import RunResult, run_job
from jobs.webhooks import JOB_NAME as WEBHOOKS
from jobs.webhooks import deliver_webhooks

log = logging.getLogger(__name__)

MISFIRE_GRACE_S = 15 * 60  # a run delayed by a long recompute still happens, once


def run_observed(ctx: JobContext, job: Job, metrics: SidecarMetrics | None) -> RunResult:
    """run_job, timed and counted in the sidecar's metrics (when they are served)."""
    started = time.perf_counter()
    result = run_job(ctx, job)
    if metrics is not None:
        observe(metrics, result, time.perf_counter() - started)
        refresh_backlog(metrics, ctx.sessions)
    return result


def build_scheduler(
    ctx: JobContext, jobs: Sequence[Job], metrics: SidecarMetrics | None = None
) -> BlockingScheduler:
    """One interval trigger per job, all due now in list order, plus the run-now poller every
    POLL_SECONDS, the webhook poller every TIGHTROPE_WEBHOOK_POLL_S and the hand-off poller
    every TIGHTROPE_GITOPS_POLL_S; one worker thread,
    so jobs never overlap (usage lands before the recompute
    that reads it, and SQLite sees one writer); coalesce + max_instances=1, so a backlog of
    missed runs becomes one run."""
    scheduler = BlockingScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_S},
    )
    # APScheduler fires on the machine's clock, whatever clock the jobs read their windows from:
    # a first run time taken from a stopped clock (TIGHTROPE_CLOCK_FIXED_AT) lies in APScheduler's
    # past, and past its misfire grace every job was silently skipped.
    first = system_now()
    scheduler.add_job(
        run_requested,
        trigger="interval",
        seconds=POLL_SECONDS,
        id="run_requested",
        name="run-now requests",
        replace_existing=True,
        args=[ctx, list(jobs)],
        next_run_time=first + timedelta(seconds=len(jobs)),
    )
    scheduler.add_job(
        deliver_webhooks,
        trigger="interval",
        seconds=ctx.settings.webhook_poll_s,
        id=WEBHOOKS,
        name="webhook deliveries",
        replace_existing=True,
        args=[ctx],
        next_run_time=first + timedelta(seconds=len(jobs) + 1),
    )
    scheduler.add_job(
        hand_off_changes,
        trigger="interval",
        seconds=ctx.settings.gitops_poll_s,
        id=HANDOFFS,
        name="GitOps hand-offs",
        replace_existing=True,
        args=[ctx],
        next_run_time=first + timedelta(seconds=len(jobs) + 2),
    )
    for order, job in enumerate(jobs):
        scheduler.add_job(
            run_observed,
            trigger="interval",
            minutes=job.interval_minutes,
            id=job.name,
            name=job.description,
            replace_existing=True,
            args=[ctx, job, metrics],
            next_run_time=first + timedelta(seconds=order),
        )
    return scheduler


def serve(scheduler: BlockingScheduler) -> None:
    """Run until SIGTERM or SIGINT, then shut down without waiting for queued runs.

    The handler only starts a thread that shuts down: a signal can land while the main thread
    holds the executor's lock (submitting a job), and shutdown takes that lock, so calling it
    from the handler deadlocked the sidecar. A second signal (make's trap after Ctrl-C, or the
    parent-death signal) is ignored: one shutdown is under way."""
    stopping = threading.Event()

    def shut_down(name: str) -> None:
        log.info("signal %s: shutting the scheduler down", name)
        # Not running yet: the signal came before start(), which checks `stopping` instead.
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=False)

    def stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            return
        stopping.set()
        name = signal.Signals(signum).name
        threading.Thread(target=shut_down, args=(name,), name="shutdown").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("sidecar started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    if not stopping.is_set():
        scheduler.start()
