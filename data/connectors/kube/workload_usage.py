"""Hourly usage of discovered workloads for the SLA engine, into usage_hourly: the workload's
CPU summed over its pods at each scrape (mean over the hour, p95 over the minutes it ran) and
the max over the hour of its pods' *instantaneous* memory sum (decision 018).

Incremental like data.connectors.prometheus.collect: only whole hours after each service's
newest stored hour, up to the last whole hour before `now - settle`; a service is written
only if every query of its shard answered without warnings (a stored partial hour would never
be filled in). Three range queries per shard and chunk of hours under the sample budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.kube.owners import Key, workload_key
from data.connectors.kube.runs import (
    StatsConfig,
    StatsReport,
    check_warnings,
    finish,
    no_data,
    run_shards,
    scrape_interval,
)
from data.connectors.kube.shards import Shard, WorkloadTarget, plan_shards
from data.connectors.kube.sizing import pods_per_workload
from data.connectors.kube.usage_promql import Cadence, hourly_queries
from data.connectors.prometheus.client import PrometheusClient
from data.connectors.prometheus.targets import ServiceIssue
from data.repos.sizing import workload_targets
from data.repos.usage import insert_usage, latest_usage_hours
from engine.usage import UsageWindow

HOUR = timedelta(hours=1)
GIB = float(2**30)
# hour-start epoch → metric → value, per workload key
Hourly = dict[Key, dict[int, dict[str, float]]]
_OWNER_MARGIN_S = 600
_METRICS = ("cpu_used_mean_cores", "cpu_used_p95_cores", "memory_used_max_bytes")


@dataclass(frozen=True, slots=True)
class _Plan:
    cadence: Cadence
    window_end: datetime
    starts: Mapping[int, datetime]


def collect_workload_usage(
    sessions: sessionmaker[Session],
    client: PrometheusClient,
    *,
    now: datetime,
    config: StatsConfig | None = None,
    targets: Sequence[WorkloadTarget] | None = None,
) -> StatsReport:
    """Append the new whole hours of every active discovered workload (or `targets`)."""
    config = config or StatsConfig()
    before = (client.stats.requests, client.stats.bytes_received)
    window_end = (now.astimezone(UTC) - timedelta(minutes=config.settle_minutes)).replace(
        minute=0, second=0, microsecond=0
    )
    with sessions.begin() as session:
        targets = list(workload_targets(session) if targets is None else targets)
        latest = latest_usage_hours(session)
    floor = window_end - config.lookback_hours * HOUR
    starts = {
        t.service_id: max(floor, latest[t.service_id] + HOUR) if t.service_id in latest else floor
        for t in targets
    }
    pending = [t for t in targets if starts[t.service_id] < window_end]
    interval_s = scrape_interval(client, config, at=now) if pending else 0
    plan = _Plan(Cadence(interval_s or 60), window_end, starts)
    hourly, shards, issues = _fetch(client, pending, config, plan)
    written, rows, missing = _store(sessions, pending, hourly, issues, plan, config.source)
    return finish(
        "workload usage", client, before, at=now, interval_s=interval_s,
        services=len(targets), written=(written, rows), shards=shards,
        issues=(*issues.values(), *missing),
    )  # fmt: skip


def _fetch(
    client: PrometheusClient, pending: Sequence[WorkloadTarget], config: StatsConfig, plan: _Plan
) -> tuple[Hourly, int, dict[int, ServiceIssue]]:
    if not pending:
        return {}, 0, {}
    first = min(plan.starts[t.service_id] for t in pending)
    span_s = int((plan.window_end - first).total_seconds())
    pods = pods_per_workload(client, window_s=span_s, at=plan.window_end)
    # One hour per shard as the unit: chunks of hours then keep each query under the budget.
    shards = plan_shards(
        pending,
        pods,
        span_s=3600,
        interval_s=plan.cadence.interval_s,
        max_samples=config.max_samples,
    )

    def fetch(shard: Shard) -> Hourly:
        start = min(plan.starts[t.service_id] for t in shard.members)
        chunk = max(1, config.max_samples // max(shard.samples, 1)) * HOUR
        out: Hourly = defaultdict(lambda: defaultdict(dict))
        for chunk_start in _range(start, plan.window_end, chunk):
            chunk_end = min(chunk_start + chunk, plan.window_end)
            # Pods seen in the chunk (and the lookback before its first step) own its usage.
            span_s = int((chunk_end - chunk_start).total_seconds()) + _OWNER_MARGIN_S
            queries = hourly_queries(
                shard.scope,
                plan.cadence,
                owners_at_s=int(chunk_end.timestamp()),
                owners_window_s=span_s,
            )
            for metric, promql in queries.items():
                result = client.query_range(
                    promql, start=chunk_start + HOUR, end=chunk_end, step_s=3600
                )
                check_warnings(result.warnings)
                for one in result.series:
                    hours = out[workload_key(one.labels)]
                    for ts, value in zip(one.timestamps, one.values, strict=True):
                        hours[int(ts) - 3600][metric] = float(value)
        return out

    outcomes = run_shards(shards, fetch, workers=config.workers)
    hourly: Hourly = {}
    for value in outcomes.values.values():
        assert isinstance(value, dict)
        hourly.update(value)
    return hourly, len(shards), dict(outcomes.issues)


def _range(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    out = []
    while start < end:
        out.append(start)
        start += step
    return out


def _store(
    sessions: sessionmaker[Session],
    pending: Sequence[WorkloadTarget],
    hourly: Hourly,
    issues: Mapping[int, ServiceIssue],
    plan: _Plan,
    source: str,
) -> tuple[int, int, list[ServiceIssue]]:
    written = rows = 0
    missing = []
    with sessions.begin() as session:
        for target in pending:
            if target.service_id in issues:
                continue
            window = _window(target, hourly.get(target.key, {}), plan)
            if window.points == 0:
                missing.append(no_data(target, "no new whole hour"))
                continue
            rows += insert_usage(session, window, source=source)
            written += 1
    return written, rows, missing


def _window(
    target: WorkloadTarget, hours: Mapping[int, Mapping[str, float]], plan: _Plan
) -> UsageWindow:
    first = int(plan.starts[target.service_id].timestamp())
    last = int(plan.window_end.timestamp())
    kept = sorted(
        h
        for h, values in hours.items()
        if first <= h < last and all(np.isfinite(values.get(m, np.nan)) for m in _METRICS)
    )

    def column(name: str) -> np.ndarray:
        return np.array([hours[h][name] for h in kept], dtype=np.float64)

    nan = np.full(len(kept), np.nan)  # no HTTP series for a workload: unknown, not zero
    return UsageWindow(
        service_id=target.service_id,
        hour_start=np.array(kept, dtype="datetime64[s]"),
        cpu_used_mean_cores=column("cpu_used_mean_cores"),
        cpu_used_p95_cores=column("cpu_used_p95_cores"),
        memory_used_max_gib=column("memory_used_max_bytes") / GIB,
        requests_per_s=nan,
        latency_p95_ms=nan.copy(),
        error_rate_pct=nan.copy(),
    )
