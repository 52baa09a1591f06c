"""The sidecar's own Prometheus metrics: job runs, rows, failures, collection cost, the backlog."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.orm import Session, sessionmaker

from data.repos.savings_report import open_backlog
from jobs.runner import RunResult


@dataclass(frozen=True, slots=True)
class SidecarMetrics:
    """One registry per process (not prometheus_client's global one, so tests stay isolated)."""

    registry: CollectorRegistry
    job_seconds: Histogram
    job_rows: Counter
    job_failures: Counter
    job_partial: Counter
    # The last run's figures a job reported (collect_usage: COLLECT_MEASURES), by name.
    job_last_run: Gauge
    recommendations_open: Gauge
    savings_open_usd: Gauge


def build_metrics() -> SidecarMetrics:
    registry = CollectorRegistry()
    return SidecarMetrics(
        registry=registry,
        job_seconds=Histogram(
            "tightrope_job_duration_seconds", "Wall time of a job run.", ["job"],
            registry=registry, buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900),
        ),
        job_rows=Counter(
            "tightrope_job_rows", "Rows a job run wrote.", ["job"], registry=registry
        ),
        job_failures=Counter(
            "tightrope_job_failures", "Job runs that failed.", ["job"], registry=registry
        ),
        job_partial=Counter(
            "tightrope_job_partial", "Job runs that stored part of their work.", ["job"],
            registry=registry,
        ),
        job_last_run=Gauge(
            "tightrope_job_last_run", "A figure of the job's last run that did work "
            "(collect_usage: services_fresh, services_failed, http_requests, bytes_received, "
            "wall_seconds, bytes_per_service, seconds_per_service).", ["job", "measure"],
            registry=registry,
        ),
        recommendations_open=Gauge(
            "tightrope_recommendations_open", "Open recommendations.", registry=registry
        ),
        savings_open_usd=Gauge(
            "tightrope_savings_open_usd_per_month",
            "Monthly effective savings of the open recommendations, USD.",
            registry=registry,
        ),
    )  # fmt: skip


def observe(metrics: SidecarMetrics, result: RunResult, seconds: float) -> None:
    """Record one attempt: runs that did work are timed; failures and partial runs counted;
    the figures a run reported replace the previous run's."""
    if result.status in ("success", "partial", "failed"):
        metrics.job_seconds.labels(result.job).observe(seconds)
        metrics.job_rows.labels(result.job).inc(result.rows)
    if result.status == "failed":
        metrics.job_failures.labels(result.job).inc()
    if result.status == "partial":
        metrics.job_partial.labels(result.job).inc()
    for name, value in result.measures.items():
        metrics.job_last_run.labels(result.job, name).set(value)


def refresh_backlog(metrics: SidecarMetrics, sessions: sessionmaker[Session]) -> None:
    """Open recommendations and their summed monthly savings (restores left out)."""
    with sessions() as session:
        backlog = open_backlog(session)
    metrics.recommendations_open.set(backlog.count)
    metrics.savings_open_usd.set(backlog.savings_usd)
