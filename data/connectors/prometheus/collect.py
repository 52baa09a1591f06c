"""Collect hourly usage for many services with few, pre-aggregated queries; store new hours only.

Per run: window end = the last whole hour before `now - settle`; each service's window starts
after its newest stored hour (or `lookback_hours` back). Services are batched by mapping shape
(one varying label, an escaped alternation) and sized to the sample budget (shards.py). A
kubernetes batch costs 4 range queries (CPU mean, CPU p95, memory max, throttling) per time
chunk plus 3 instant queries (requests, limits, OOM kills); an HTTP batch 3 range queries per
chunk. Batches run `max_concurrent_queries` at a time on a thread pool; their answers are
gathered and written by the caller's thread. A service is written only if every query touching
it succeeded without warnings: an incremental collector that stored a partial hour would never
fill it in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus import fetch
from data.connectors.prometheus.batches import Work
from data.connectors.prometheus.client import PrometheusClient
from data.connectors.prometheus.config import CollectConfig
from data.connectors.prometheus.mapping import TelemetryTarget
from data.connectors.prometheus.report import (
    CollectReport,
    SafetySignals,
    resource_spec,
    safety_signals,
)
from data.connectors.prometheus.results import Results, store
from data.connectors.prometheus.shards import plan_work
from data.connectors.prometheus.targets import ServiceIssue, load_targets
from data.errors import TelemetryError
from data.repos.usage import latest_usage_hours

HOUR = timedelta(hours=1)


def collect_usage(
    sessions: sessionmaker[Session],
    client: PrometheusClient,
    services: Sequence[TelemetryTarget] | None = None,
    *,
    now: datetime,
    config: CollectConfig | None = None,
) -> CollectReport:
    """Fetch hours since each service's newest stored hour and append them to usage_hourly.

    `services=None` collects every active service whose catalog mapping parses. Never raises a
    connector error: failures land in the report (`stale`, `issues`, `error`) and the database
    keeps what it had.
    """
    config = config or CollectConfig()
    started = time.perf_counter()
    before = (client.stats.requests, client.stats.bytes_received, client.stats.retries)
    window_end = _floor_hour(now.astimezone(UTC) - timedelta(minutes=config.settle_minutes))
    services, issues, starts = _targets(sessions, services, window_end, config)
    pending = [t for t in services if starts[t.service_id] < window_end]
    results = Results(window_end, starts, issues={i.service_id: i for i in issues})
    stop = fetch.Stop()
    works = _plan(client, pending, starts, window_end, config, stop)
    _run(client, works, results, config, stop)
    queried_s = time.perf_counter() - started
    written, rows = store(sessions, results, pending, source=config.source)
    return CollectReport(
        window_end=window_end,
        services=len(services) + len(issues),
        services_written=written,
        up_to_date=len(services) - len(pending),
        rows_written=rows,
        queries=client.stats.requests - before[0],
        bytes_received=client.stats.bytes_received - before[1],
        retries=client.stats.retries - before[2],
        warnings=tuple(dict.fromkeys(results.warnings)),
        issues=tuple(results.issues.values()),
        signals=_signals(results),
        resources={sid: resource_spec(values) for sid, values in results.signals.items()},
        circuit_open=results.circuit_open,
        error=results.error,
        wall_s=time.perf_counter() - started,
        query_s=queried_s,
        splits=results.splits,
    )


def _targets(
    sessions: sessionmaker[Session],
    services: Sequence[TelemetryTarget] | None,
    window_end: datetime,
    config: CollectConfig,
) -> tuple[Sequence[TelemetryTarget], list[ServiceIssue], dict[int, datetime]]:
    """The services, the catalog's unparseable ones, and the first hour each one lacks."""
    with sessions.begin() as session:
        issues: list[ServiceIssue] = []
        if services is None:
            services, issues = load_targets(session)
        latest = latest_usage_hours(session)
    floor = window_end - config.lookback_hours * HOUR
    starts = {t.service_id: max(floor, latest[t.service_id] + HOUR) if t.service_id in latest
              else floor for t in services}  # fmt: skip
    return services, issues, starts


def _plan(
    client: PrometheusClient,
    pending: Sequence[TelemetryTarget],
    starts: dict[int, datetime],
    window_end: datetime,
    config: CollectConfig,
    stop: fetch.Stop,
) -> list[Work]:
    """The batches; when probing finds Prometheus refusing, they will all be skipped."""
    if not pending:
        return []
    try:
        return plan_work(client, pending, starts, window_end, config)
    except TelemetryError as error:
        stop.set(str(error))  # every batch will be skipped; planned only to name its services
        return plan_work(client, pending, starts, window_end, config, probe=False)


def _run(
    client: PrometheusClient,
    works: Sequence[Work],
    results: Results,
    config: CollectConfig,
    stop: fetch.Stop,
) -> None:
    """The first batch alone (a refusing Prometheus costs one query, not one per worker), then
    the rest on the pool; answers are absorbed here, in the caller's thread, as they come."""

    def run(work: Work) -> fetch.Outcome:
        return fetch.run(work, client, stop, store_partial=config.store_partial)

    for work in works[:1]:
        results.absorb(run(work))
    workers = min(config.max_concurrent_queries, max(1, len(works) - 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prometheus") as pool:
        for future in as_completed([pool.submit(run, work) for work in works[1:]]):
            results.absorb(future.result())
    results.error = results.error or stop.reason
    results.circuit_open = results.circuit_open or client.breaker.state == "open"


def _signals(results: Results) -> dict[int, SafetySignals]:
    return {
        sid: safety_signals(
            values,
            results.hourly[sid].get("throttled_ratio", {}),
            first_hour=int(results.starts[sid].timestamp()),
        )
        for sid, values in results.signals.items()
    }


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
