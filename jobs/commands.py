"""The handlers of `python -m jobs recompute | run | once`: imported only when one of them runs."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine

from data.catalog import load_catalog_for
from data.connectors.prometheus import PrometheusClient
from data.db import make_engine, make_sessions
from data.errors import NotFound
from data.repos.usage import latest_usage_hour
from data.settings import Settings
from engine.profiles import PROFILES
from jobs.cleanup import close_orphans
from jobs.cluster import FleetCluster, cluster_for
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.health import Probes, database_probe, health_app
from jobs.health import serve as serve_http
from jobs.locks import sidecar_lock
from jobs.metrics import build_metrics
from jobs.parent import exit_with_parent
from jobs.recompute import RecomputeReport, recompute
from jobs.runner import run_job
from jobs.scheduler import build_scheduler, serve

log = logging.getLogger("tightrope.jobs")


def run_recompute(settings: Settings, args: argparse.Namespace) -> int:
    """Recompute every recommendation once with the chosen sizing profile."""
    engine = make_engine(settings)
    cluster = None
    try:
        sessions = make_sessions(engine)
        catalog = load_catalog_for(settings)
        with sessions() as session:
            newest = latest_usage_hour(session)
        if newest is None:
            raise NotFound("no usage data yet: seed the demo fleet or collect usage first")
        # "Now" is the end of the newest stored hour, not the wall clock, so the demo fleet
        # (whose data ends the day it was seeded) still gets a full lookback window whenever
        # it is opened. The scheduler (issue 7) will pass the real clock for live telemetry.
        now = newest + timedelta(hours=1)
        cluster = cluster_for(settings, args.workers)
        report = recompute(
            sessions, catalog, profile=PROFILES[args.profile], now=now, cluster=cluster
        )
    finally:
        _close(cluster)
        engine.dispose()
    _log_report(report, now=now, profile=args.profile)
    return 0


def run_sidecar(settings: Settings, args: argparse.Namespace) -> int:
    """Start the scheduler and block until SIGTERM / SIGINT (or the parent's death, with
    --exit-with-parent); exit 2 at once when another sidecar already serves the database."""
    if args.exit_with_parent:
        exit_with_parent()
    engine = make_engine(settings)
    try:
        with sidecar_lock(engine) as mine:
            if not mine:
                log.error("another sidecar already serves this database: exiting (one per "
                          "database; stop the other one first)")  # fmt: skip
                return 2
            ctx = _context(settings, engine, args.workers)
            try:
                close_orphans(ctx)
                _serve_sidecar(ctx)
            finally:
                _close(ctx.cluster)
    finally:
        engine.dispose()
    return 0


def _serve_sidecar(ctx: JobContext) -> None:
    """Build the scheduler, expose /metrics, /healthz and /readyz when a port is set, run."""
    settings = ctx.settings
    metrics = build_metrics() if settings.metrics_port is not None else None
    scheduler = build_scheduler(ctx, default_jobs(settings.refresh_interval_minutes), metrics)
    if metrics is not None and settings.metrics_port is not None:
        probes = Probes(lambda: bool(scheduler.running), database_probe(ctx.engine))
        app = health_app(metrics.registry, probes)
        serve_http(app, settings.metrics_address, settings.metrics_port)
        log.info("sidecar /metrics, /healthz and /readyz on %s:%d",
                 settings.metrics_address, settings.metrics_port)  # fmt: skip
    serve(scheduler)


def run_once(settings: Settings, args: argparse.Namespace) -> int:
    """Run one job once through the same runner the scheduler uses, up to the clock (as the
    page's "Run now" does: within the hour the scheduler's window would be empty and new
    billing files would wait for the next hour); exit 1 when it failed, 2 when it was
    partial (it stored some of its work, e.g. usage for 800 of 1,000 services)."""
    engine = make_engine(settings)
    try:
        ctx = _context(settings, engine, args.workers)
        jobs = {job.name: job for job in default_jobs(settings.refresh_interval_minutes)}
        try:
            result = run_job(ctx, jobs[args.job], now=True)
        finally:
            _close(ctx.cluster)
    finally:
        engine.dispose()
    log.info("job %s: %s, %d rows%s", result.job, result.status, result.rows,
             f" ({result.error})" if result.error else "")  # fmt: skip
    return {"failed": 1, "partial": 2}.get(result.status, 0)


def _context(settings: Settings, engine: Engine, workers: int) -> JobContext:
    prometheus = None
    if settings.prometheus_url:
        prometheus = PrometheusClient.from_settings(settings)
    return JobContext(
        settings=settings,
        engine=engine,
        sessions=make_sessions(engine),
        catalog=load_catalog_for(settings),
        clock=settings.clock().now,
        workers=workers,
        cluster=cluster_for(settings, workers),
        prometheus=prometheus,
    )


def _close(cluster: FleetCluster | None) -> None:
    if cluster is not None:
        cluster.close()


def _log_report(report: RecomputeReport, *, now: datetime, profile: str) -> None:
    saved = report.saved
    log.info(
        "recompute (%s profile, up to %s): %d services, recommend %s, outcomes %s; "
        "created=%d updated=%d unchanged=%d superseded=%d suppressed=%d in %.2f s",
        profile,
        now.isoformat(),
        report.services,
        report.recommendations,
        report.outcomes,
        saved.created,
        saved.updated,
        saved.unchanged,
        saved.superseded,
        saved.suppressed,
        report.seconds,
    )
