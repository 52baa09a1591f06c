"""The sidecar's jobs: plain functions of (context, window) returning the rows they wrote."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from data import budget_checks
from data.connectors.billing_api import (
    CREDENTIALS_INVALID,
    BillingApiCircuitOpen,
    BillingApiClient,
    BillingApiError,
    CredentialsInvalid,
    PageSource,
    billing_periods,
    ingest_period,
)
from data.connectors.demo.live import extend_demo_usage
from data.connectors.demo.live_costs import refresh_demo_costs
from data.connectors.focus import AllocationRules, FocusIngestError, ingest_directory
from data.connectors.focus.directory import problems, summary
from data.connectors.prometheus import (
    CollectConfig,
    CollectReport,
    PrometheusClient,
    TelemetryError,
)
from data.connectors.prometheus import collect_usage as collect_usage_from
from data.errors import DataError
from data.repos import budget_status, cost_rollup, usage_rollup
from data.webhooks.retention import prune_outbox
from data.workflow.expire import expire_stale
from engine.profiles import PROFILES
from jobs.context import JobContext
from jobs.discovery import discover_workloads
from jobs.kube_stats import collect_workload_stats
from jobs.recompute import recompute
from jobs.runs import Outcome, Window

log = logging.getLogger(__name__)

DIRECTORY_SOURCE = "billing-directory"


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled job: what it runs, how often, and where its first window starts."""

    name: str
    run: Callable[[JobContext, Window], int | Outcome]
    interval_minutes: int
    first_window: timedelta
    description: str


def collect_usage(ctx: JobContext, window: Window) -> int | Outcome:
    """Hourly usage up to the window's end: from Prometheus when one is configured (each
    service from its newest stored hour), else the demo fleet's live feed. A Prometheus run
    that stored some services but not all ends "partial: 800 of 1,000 services", one that
    stored none while some failed fails; either way the next run retries the stale ones (the
    collector stores only services whose every query succeeded)."""
    if ctx.prometheus is not None:
        return _from_prometheus(ctx, ctx.prometheus)
    settings = ctx.settings
    return extend_demo_usage(
        ctx.sessions,
        ctx.catalog,
        seed=settings.demo_seed,
        n_services=settings.demo_services,
        until=window.end.replace(minute=0, second=0, microsecond=0),  # whole hours only
    )


def _from_prometheus(ctx: JobContext, prometheus: PrometheusClient) -> Outcome:
    config = CollectConfig.from_settings(ctx.settings)
    # The clock, not the window end: the collector settles the last hour itself.
    report = collect_usage_from(ctx.sessions, prometheus, now=ctx.clock(), config=config)
    summary = report.summary()
    log.info("prometheus collection: %s", summary)
    if report.stale and report.services_written == 0:
        raise TelemetryError(f"{report.error}; {summary}" if report.error else summary)
    return Outcome(
        report.rows_written, partial=summary if report.stale else None, measures=_measures(report)
    )


def _measures(report: CollectReport) -> dict[str, float]:
    """What the sidecar exposes about the run (jobs.metrics.COLLECT_MEASURES)."""
    return {
        "services_fresh": report.services_fresh,
        "services_failed": report.services_failed,
        "http_requests": report.queries,
        "bytes_received": report.bytes_received,
        "wall_seconds": report.wall_s,
        "bytes_per_service": report.bytes_per_service,
        "seconds_per_service": report.seconds_per_service,
    }


def refresh_costs(ctx: JobContext, window: Window) -> int:
    """New deliveries in TIGHTROPE_BILLING_DIRECTORY (each once; the parts of one export are one
    delivery, held until complete — decision 011), then, when TIGHTROPE_BILLING_API_URL is set,
    every billing period the window touches from the billing REST API (the open month is
    restated as it grows; unchanged content is a no-op). Either source alone may be configured;
    with neither, a demo database gets its month-to-date FOCUS export restated from the stored
    usage (data.connectors.demo.live_costs). Rows = cost rows loaded; a refused or held
    delivery, or a failed pull, fails the run after everything good is loaded, its error
    saying "1 of 5 refused: <delivery>: <why>" (or "held: … missing <part>"), so a part that
    never arrives does not pass for a complete bill."""
    settings = ctx.settings
    if settings.billing_directory is None and not settings.billing_api_url:
        return _from_demo(ctx, window)
    rows, problems = _from_directory(ctx, window)
    api_rows, api_problems = _from_billing_api(ctx, window)
    if problems or api_problems:
        raise DataError("; ".join(api_problems + problems)[:500])  # credentials first
    return rows + api_rows


def _from_demo(ctx: JobContext, window: Window) -> int:
    settings = ctx.settings
    return refresh_demo_costs(
        ctx.sessions,
        ctx.catalog,
        seed=settings.demo_seed,
        n_services=settings.demo_services,
        until=window.end,
    )


def _from_directory(ctx: JobContext, window: Window) -> tuple[int, list[str]]:
    directory = ctx.settings.billing_directory
    if directory is None:
        return 0, []
    entries = ingest_directory(
        ctx.sessions, directory, source=DIRECTORY_SOURCE, rules=AllocationRules(), now=window.end
    )
    log.info("billing directory: %s", summary(entries))
    found = problems(entries)
    rows = sum(entry.report.cost_rows for entry in entries if entry.report is not None)
    return rows, [f"billing directory: {found}"] if found else []


def _from_billing_api(ctx: JobContext, window: Window) -> tuple[int, list[str]]:
    if not ctx.settings.billing_api_url:
        return 0, []
    if ctx.billing_api is not None:
        return _pull_periods(ctx, ctx.billing_api, window)
    client = BillingApiClient.from_settings(ctx.settings)
    if client is None:
        return 0, [f"billing API: {CREDENTIALS_INVALID}, TIGHTROPE_BILLING_API_KEY is unset"]
    try:
        return _pull_periods(ctx, client, window)
    finally:
        client.close()


def _pull_periods(ctx: JobContext, api: PageSource, window: Window) -> tuple[int, list[str]]:
    settings = ctx.settings
    periods = billing_periods(
        window.start, window.end, settle_days=settings.billing_api_settle_days
    )
    rows, problems = 0, list[str]()
    for period in periods:
        try:
            report = ingest_period(
                ctx.sessions, api, period, rules=AllocationRules(), now=window.end,
                max_pages=settings.billing_api_max_pages,
            )  # fmt: skip
        except (CredentialsInvalid, BillingApiCircuitOpen) as error:
            return rows, [*problems, f"billing API {period}: {error}"]  # the rest would fail too
        except (BillingApiError, FocusIngestError) as error:
            problems.append(f"billing API {period}: {error}")
            continue
        rows += report.cost_rows if report is not None else 0
    return rows, problems


def recompute_recommendations(ctx: JobContext, window: Window) -> int:
    """Every rule for every service on the data up to the window's end; rows = open proposals."""
    report = recompute(
        ctx.sessions,
        ctx.catalog,
        profile=PROFILES["balanced"],
        now=window.end,
        high_value_usd=ctx.settings.webhook_min_savings_usd,
        cluster=ctx.cluster,
    )
    log.info("recompute: %d services, outcomes %s", report.services, report.outcomes)
    return report.saved.created + report.saved.updated


def rollup_usage(ctx: JobContext, window: Window) -> int:
    """The pages' per-service 7-day CPU p95 (service_usage_7d), after each usage collection,
    so a visit reads one row per service instead of ranking the fleet's hours (decision 031).
    Rows = services rolled up."""
    with ctx.sessions.begin() as session:
        return usage_rollup.refresh_service_usage_7d(session, now=ctx.clock())


def rollup_costs(ctx: JobContext, window: Window) -> int:
    """The fleet's and each team's daily cost series behind the Overview's and the Budgets
    page's forecasts (scope_cost_series), and each service's daily cost behind the Overview's
    sums (service_cost_daily), after each cost refresh; one transaction, so a page sees both
    old or both new. Rows = series + service-days written."""
    with ctx.sessions.begin() as session:
        series = budget_status.refresh_scope_cost_rollup(session, now=ctx.clock())
        return series + cost_rollup.refresh(session, now=ctx.clock())


def check_budgets(ctx: JobContext, window: Window) -> int:
    """This month's budgets against month-to-date cost and forecast; rows = alerts that are new
    or changed (data.budget_checks)."""
    return budget_checks.check_budgets(ctx.sessions, now=window.end)


def detect_anomalies(ctx: JobContext, window: Window) -> int:
    """Robust-z cost anomalies over the last charged week (restated days are judged again);
    rows = anomalies inserted, changed or cleared (data.budget_checks)."""
    return budget_checks.detect_anomalies(ctx.sessions, now=window.end)


def expire_stale_recommendations(ctx: JobContext, window: Window) -> int:
    """Open recommendations of services whose usage stopped expire (data.workflow.expire)."""
    stale_after = timedelta(days=ctx.settings.stale_recommendation_days)
    return expire_stale(ctx.sessions, now=window.end, stale_after=stale_after)


def prune_webhooks(ctx: JobContext, window: Window) -> int:
    """Settled webhook events past TIGHTROPE_WEBHOOK_RETENTION_DAYS, with their delivery log
    (data.webhooks.retention); rows = events + deliveries deleted."""
    retention = timedelta(days=ctx.settings.webhook_retention_days)
    pruned = prune_outbox(ctx.sessions, now=window.end, retention=retention)
    if pruned.rows:
        log.info("webhook outbox: pruned %d events, %d deliveries", pruned.events,
                 pruned.deliveries)  # fmt: skip
    return pruned.rows


def default_jobs(refresh_interval_minutes: int) -> tuple[Job, ...]:
    """The jobs in the order they run when due together: discovery (new services) before
    usage, usage before the demo's costs (which are priced from it) and recompute, costs
    before budgets and anomalies."""
    every = refresh_interval_minutes
    return (
        Job("discover_workloads", discover_workloads, every, timedelta(hours=1), "Kubernetes"),
        Job("collect_usage", collect_usage, every, timedelta(days=1), "usage since the last run"),
        Job(
            "collect_workload_stats",
            collect_workload_stats,
            every,
            timedelta(hours=1),
            "Kubernetes workload usage and sizing",
        ),
        Job("rollup_usage", rollup_usage, every, timedelta(hours=1), "pages' 7-day usage"),
        Job("refresh_costs", refresh_costs, every, timedelta(days=1), "billing files and API"),
        Job("rollup_costs", rollup_costs, every, timedelta(hours=1), "forecasts' cost series"),
        Job("recompute", recompute_recommendations, every, timedelta(hours=1), "recommendations"),
        Job("check_budgets", check_budgets, every, timedelta(hours=1), "budget alerts"),
        Job("detect_anomalies", detect_anomalies, every, timedelta(hours=1), "cost anomalies"),
        Job("expire_stale", expire_stale_recommendations, every, timedelta(hours=1), "expiry"),
        Job("prune_webhooks", prune_webhooks, every, timedelta(hours=1), "outbox retention"),
    )
