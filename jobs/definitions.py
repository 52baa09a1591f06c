"""The sidecar's jobs: plain functions of (context, window) returning the rows they wrote."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from data.connectors.demo.live import extend_demo_usage
from data.connectors.focus import AllocationRules, FocusIngestError, ingest_directory
from data.connectors.prometheus import CollectReport, TelemetryError
from data.connectors.prometheus import collect_usage as collect_usage_from
from data.workflow.expire import expire_stale
from engine.profiles import PROFILES
from jobs.context import JobContext
from jobs.recompute import recompute
from jobs.runs import Window

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled job: what it runs, how often, and where its first window starts."""

    name: str
    run: Callable[[JobContext, Window], int]
    interval_minutes: int
    first_window: timedelta
    description: str


def collect_usage(ctx: JobContext, window: Window) -> int:
    """Hourly usage up to the window's end: from Prometheus when one is configured (each
    service from its newest stored hour), else the demo fleet's live feed. A Prometheus run
    that could not refresh every service fails the job, so the next run retries; the
    collector itself stores only complete batches."""
    if ctx.prometheus is not None:
        # The clock, not the window end: the collector settles the last hour itself.
        report = collect_usage_from(ctx.sessions, ctx.prometheus, now=ctx.clock())
        if report.stale:
            raise TelemetryError(report.error or _issues(report))
        return report.rows_written
    settings = ctx.settings
    return extend_demo_usage(
        ctx.sessions,
        ctx.catalog,
        seed=settings.demo_seed,
        n_services=settings.demo_services,
        until=window.end.replace(minute=0, second=0, microsecond=0),  # whole hours only
    )


def _issues(report: CollectReport) -> str:
    kinds = sorted({issue.kind for issue in report.issues})
    return f"{len(report.issues)} services not refreshed ({', '.join(kinds)})"


def refresh_costs(ctx: JobContext, window: Window) -> int:
    """FOCUS files dropped in TIGHTROPE_BILLING_DIRECTORY since the last run (each file once:
    the connector skips a file it has ingested, replaces a restated billing period, rejects a
    bad file whole). Without a directory there is nothing to refresh. Rows = cost rows loaded;
    a rejected file fails the run (listed in the error) after the good ones are loaded."""
    directory = ctx.settings.billing_directory
    if directory is None:
        return 0
    entries = ingest_directory(
        ctx.sessions, directory, source="billing-directory", rules=AllocationRules(), now=window.end
    )
    rejected = [f"{e.path.name}: {e.error}" for e in entries if e.error]
    if rejected:
        raise FocusIngestError("; ".join(rejected)[:500])
    return sum(e.report.cost_rows for e in entries if e.report is not None)


def recompute_recommendations(ctx: JobContext, window: Window) -> int:
    """Every rule for every service on the data up to the window's end; rows = open proposals."""
    report = recompute(
        ctx.sessions, ctx.catalog, profile=PROFILES["balanced"], now=window.end, workers=ctx.workers
    )
    log.info("recompute: %d services, outcomes %s", report.services, report.outcomes)
    return report.saved.created + report.saved.updated


def expire_stale_recommendations(ctx: JobContext, window: Window) -> int:
    """Open recommendations of services whose usage stopped expire (data.workflow.expire)."""
    stale_after = timedelta(days=ctx.settings.stale_recommendation_days)
    return expire_stale(ctx.sessions, now=window.end, stale_after=stale_after)


def default_jobs(refresh_interval_minutes: int) -> tuple[Job, ...]:
    """The jobs in the order they run when due together (usage before recompute)."""
    every = refresh_interval_minutes
    return (
        Job("refresh_costs", refresh_costs, every, timedelta(days=1), "billing files"),
        Job("collect_usage", collect_usage, every, timedelta(days=1), "usage since the last run"),
        Job("recompute", recompute_recommendations, every, timedelta(hours=1), "recommendations"),
        Job("expire_stale", expire_stale_recommendations, every, timedelta(hours=1), "expiry"),
    )
