"""Collect hourly usage for many services with few, pre-aggregated queries; store new hours only.

Per run: window end = the last whole hour before `now - settle`; each service's window starts
after its newest stored hour (or `lookback_hours` back). Services are batched by mapping shape
(one varying label, an escaped alternation). A kubernetes batch costs 4 range queries (CPU
mean, CPU p95, memory max, throttling) per chunk of at most `max_points_per_query` hours plus
3 instant queries (requests, limits, OOM kills); an HTTP batch 3 range queries per chunk.
A service is written only if every query touching it succeeded without warnings: an
incremental collector that stored a partial hour would never fill it in.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus.client import MAX_POINTS_PER_SERIES, PrometheusClient, Series
from data.connectors.prometheus.mapping import Labels, TelemetryTarget, group_key
from data.connectors.prometheus.promql import (
    Batch,
    Query,
    http_queries,
    resource_queries,
    signal_queries,
)
from data.connectors.prometheus.targets import ServiceIssue, load_targets
from data.errors import PrometheusAuthError, PrometheusCircuitOpen, TelemetryError
from data.repos.usage import insert_usage, latest_usage_hours
from engine.usage import UsageWindow

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
GIB = float(2**30)
_STALE_KINDS = frozenset({"failed", "partial", "skipped"})


class _Partial(TelemetryError):
    """Prometheus answered with warnings: the data may be incomplete, so nothing is stored."""


@dataclass(frozen=True, slots=True)
class CollectConfig:
    """Knobs of one collection run (validated: nothing here can overload Prometheus)."""

    lookback_hours: int = 14 * 24
    settle_minutes: int = 10
    batch_size: int = 50
    max_points_per_query: int = MAX_POINTS_PER_SERIES
    store_partial: bool = False
    source: str = "prometheus"

    def __post_init__(self) -> None:
        if not 1 <= self.max_points_per_query <= MAX_POINTS_PER_SERIES:
            raise ValueError(f"max_points_per_query must be within 1..{MAX_POINTS_PER_SERIES}")
        if not 1 <= self.batch_size <= 200 or self.lookback_hours < 1 or self.settle_minutes < 0:
            raise ValueError("batch_size 1..200, lookback_hours >= 1, settle_minutes >= 0")


@dataclass(frozen=True, slots=True)
class SafetySignals:
    """Undersizing evidence over the collected window (kube-state-metrics, cAdvisor)."""

    throttled_ratio_max: float | None
    oom_killed_containers: int


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """Requests and limits per replica from kube-state-metrics at the window end."""

    cpu_request_cores: float | None
    memory_request_gib: float | None
    cpu_limit_cores: float | None
    memory_limit_gib: float | None


@dataclass(frozen=True, slots=True)
class CollectReport:
    """Outcome of one run; `stale` is True when some service could not be refreshed."""

    window_end: datetime
    services: int
    services_written: int
    up_to_date: int
    rows_written: int
    queries: int
    bytes_received: int
    retries: int
    warnings: tuple[str, ...]
    issues: tuple[ServiceIssue, ...]
    signals: Mapping[int, SafetySignals]
    resources: Mapping[int, ResourceSpec]
    circuit_open: bool
    error: str | None

    @property
    def stale(self) -> bool:
        return self.error is not None or any(i.kind in _STALE_KINDS for i in self.issues)


@dataclass(slots=True)
class _Hourly:
    """Hour-start epoch → value, per metric, for one service."""

    metrics: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))


@dataclass(slots=True)
class _Run:
    client: PrometheusClient
    config: CollectConfig
    window_end: datetime
    starts: dict[int, datetime]
    hourly: dict[int, _Hourly] = field(default_factory=lambda: defaultdict(_Hourly))
    signals: dict[int, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    issues: dict[int, ServiceIssue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    circuit_open: bool = False
    aborted: bool = False  # credentials rejected: every further query would be too


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
    window_end = _floor_hour(now.astimezone(UTC) - timedelta(minutes=config.settle_minutes))
    with sessions.begin() as session:
        issues: list[ServiceIssue] = []
        if services is None:
            services, issues = load_targets(session)
        latest = latest_usage_hours(session)
    floor = window_end - config.lookback_hours * HOUR
    starts = {t.service_id: max(floor, latest[t.service_id] + HOUR) if t.service_id in latest
              else floor for t in services}  # fmt: skip
    pending = [t for t in services if starts[t.service_id] < window_end]
    run = _Run(client, config, window_end, starts, issues={i.service_id: i for i in issues})
    before = (client.stats.requests, client.stats.bytes_received, client.stats.retries)
    for first, batch, members in _batches(pending, config.batch_size, http=False):
        kind = first.mapping.kind
        _fetch(run, batch, members, resource_queries(kind, batch), signals=kind == "kubernetes")
    for first, batch, members in _batches(pending, config.batch_size, http=True):
        queries = http_queries(batch, status_label=first.mapping.status_label)
        _fetch(run, batch, members, queries, signals=False)
    written, rows = _store(sessions, run, pending)
    return CollectReport(
        window_end=window_end,
        services=len(services) + len(issues),
        services_written=written,
        up_to_date=len(services) - len(pending),
        rows_written=rows,
        queries=client.stats.requests - before[0],
        bytes_received=client.stats.bytes_received - before[1],
        retries=client.stats.retries - before[2],
        warnings=tuple(dict.fromkeys(run.warnings)),
        issues=tuple(run.issues.values()),
        signals={sid: _signals(run, sid, values) for sid, values in run.signals.items()},
        resources={sid: _resources(values) for sid, values in run.signals.items()},
        circuit_open=run.circuit_open,
        error=run.error,
    )


def _batches(
    targets: Sequence[TelemetryTarget], size: int, *, http: bool
) -> Iterator[tuple[TelemetryTarget, Batch, list[TelemetryTarget]]]:
    """(a representative, batch, its services), grouped by mapping shape, `size` at most."""
    groups: dict[tuple[object, ...], list[TelemetryTarget]] = defaultdict(list)
    for target in targets:
        labels = target.mapping.http if http else target.mapping.resource
        if labels is None:
            continue
        names, _, fixed = group_key(labels)
        tag = target.mapping.status_label if http else target.mapping.kind
        groups[(tag, names, fixed)].append(target)
    for members in groups.values():
        for i in range(0, len(members), size):
            chunk = members[i : i + size]
            yield chunk[0], Batch.of([_labels_of(t, http=http) for t in chunk]), chunk


def _labels_of(target: TelemetryTarget, *, http: bool) -> Labels:
    labels = target.mapping.http if http else target.mapping.resource
    assert labels is not None
    return labels


def _fetch(
    run: _Run,
    batch: Batch,
    members: list[TelemetryTarget],
    queries: Sequence[Query],
    *,
    signals: bool,
) -> None:
    """Run a batch's queries chunk by chunk; on failure mark its services and stop early."""
    if run.circuit_open or run.aborted:
        _mark(run, members, "skipped", f"not queried: {run.error}")
        return
    by_key = _index(batch, members)
    start = min(run.starts[t.service_id] for t in members)
    try:
        for chunk_start, chunk_end in _chunks(start, run.window_end, run.config):
            for query in queries:
                result = run.client.query_range(
                    query.promql, start=chunk_start + HOUR, end=chunk_end, step_s=3600
                )
                _absorb(run, members, result.warnings)
                _keep_hourly(run, batch, by_key, query.metric, result.series)
        if signals:
            window = _signal_window(start, run.window_end)
            for query in signal_queries(batch, window=window):
                result = run.client.query(query.promql, at=run.window_end)
                _absorb(run, members, result.warnings)
                _keep_signal(run, batch, by_key, query.metric, result.series)
    except PrometheusCircuitOpen as error:
        run.circuit_open = True
        run.error = run.error or str(error)
        _mark(run, members, "skipped", str(error))
    except _Partial as error:
        _mark(run, members, "partial", f"Prometheus warned, nothing stored: {error}")
    except PrometheusAuthError as error:
        run.error, run.aborted = run.error or str(error), True
        _mark(run, members, "failed", str(error))
    except TelemetryError as error:
        run.error = run.error or str(error)
        run.circuit_open = run.client.breaker.state == "open"
        _mark(run, members, "failed", str(error))


def _index(batch: Batch, members: list[TelemetryTarget]) -> dict[tuple[str, ...], list[int]]:
    by_key: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for target, labels in zip(members, batch.members, strict=True):
        values = dict(labels)
        by_key[tuple(values[name] for name in batch.names)].append(target.service_id)
    return by_key


def _chunks(
    start: datetime, end: datetime, config: CollectConfig
) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into ranges of at most `max_points_per_query` hours."""
    step = config.max_points_per_query * HOUR
    while start < end:
        yield start, min(start + step, end)
        start += step


def _signal_window(start: datetime, end: datetime) -> str:
    return f"{math.ceil((end - start) / HOUR)}h"


def _absorb(run: _Run, members: list[TelemetryTarget], warnings: tuple[str, ...]) -> None:
    if not warnings:
        return
    run.warnings.extend(warnings)
    if not run.config.store_partial:
        raise _Partial("; ".join(warnings))


def _keep_hourly(
    run: _Run,
    batch: Batch,
    by_key: dict[tuple[str, ...], list[int]],
    metric: str,
    series: Sequence[Series],
) -> None:
    for one in series:
        key = tuple(one.labels.get(name, "") for name in batch.names)
        for service_id in by_key.get(key, ()):
            values = run.hourly[service_id].metrics[metric]
            for ts, value in zip(one.timestamps, one.values, strict=True):
                values[int(ts) - 3600] = float(value)


def _keep_signal(
    run: _Run,
    batch: Batch,
    by_key: dict[tuple[str, ...], list[int]],
    metric: str,
    series: Sequence[Series],
) -> None:
    for one in series:
        key = tuple(one.labels.get(name, "") for name in batch.names)
        name = f"{metric}:{one.labels['resource']}" if "resource" in one.labels else metric
        for service_id in by_key.get(key, ()):
            run.signals[service_id][name] = float(one.values[-1])


def _mark(run: _Run, members: list[TelemetryTarget], kind: str, reason: str) -> None:
    for target in members:
        if target.service_id not in run.issues:
            run.issues[target.service_id] = ServiceIssue(
                target.service_id, target.slug, kind, reason
            )


def _store(
    sessions: sessionmaker[Session], run: _Run, pending: Sequence[TelemetryTarget]
) -> tuple[int, int]:
    """Append the new hours of every service that had no failure; returns (services, rows)."""
    windows = []
    for target in pending:
        if target.service_id in run.issues:
            continue
        window = _window(run, target)
        if window.points == 0:
            run.issues[target.service_id] = ServiceIssue(
                target.service_id, target.slug, "no_data", "no series match the mapping"
            )
            continue
        windows.append(window)
    rows = 0
    try:
        with sessions.begin() as session:
            for window in windows:
                rows += insert_usage(session, window, source=run.config.source)
    except IntegrityError as error:
        # A concurrent collector stored some of these hours first (the sidecar's lock should
        # prevent it), or a target names a service that is not in the catalog.
        run.error = f"storing usage failed, nothing written: {type(error.orig).__name__}"
        log.warning("usage collection could not store its rows: %s", error.orig)
        return 0, 0
    return len(windows), rows


def _window(run: _Run, target: TelemetryTarget) -> UsageWindow:
    metrics = run.hourly[target.service_id].metrics
    first = int(run.starts[target.service_id].timestamp())
    last = int(run.window_end.timestamp())
    required = ("cpu_used_mean_cores", "cpu_used_p95_cores", "memory_used_max_bytes")
    hours = sorted(
        h
        for h in metrics.get("cpu_used_mean_cores", {})
        if first <= h < last and all(_finite(metrics.get(m, {}).get(h)) for m in required)
    )
    has_http = target.mapping.http is not None

    def column(name: str, default: float = math.nan) -> np.ndarray:
        return np.array([metrics.get(name, {}).get(h, default) for h in hours], dtype=np.float64)

    # Without an HTTP mapping the rate is unknown (NULL), not zero: zero would read as "no
    # traffic" to the idle rule and the latency model.
    rps = column("requests_per_s", 0.0) if has_http else np.full(len(hours), math.nan)
    errors = column("errors_per_s", 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        error_pct = np.where(rps > 0, 100.0 * errors / rps, math.nan)
    return UsageWindow(
        service_id=target.service_id,
        hour_start=np.array(hours, dtype="datetime64[s]"),
        cpu_used_mean_cores=column("cpu_used_mean_cores"),
        cpu_used_p95_cores=column("cpu_used_p95_cores"),
        memory_used_max_gib=column("memory_used_max_bytes") / GIB,
        requests_per_s=rps if not has_http else np.nan_to_num(rps, nan=0.0),
        latency_p95_ms=column("latency_p95_s") * 1000.0,
        error_rate_pct=error_pct if has_http else np.full(len(hours), math.nan),
    )


def _signals(run: _Run, service_id: int, values: Mapping[str, float]) -> SafetySignals:
    first = int(run.starts[service_id].timestamp())
    hourly = run.hourly[service_id].metrics.get("throttled_ratio", {})
    ratios = [v for h, v in hourly.items() if h >= first and _finite(v)]
    return SafetySignals(
        throttled_ratio_max=max(ratios) if ratios else None,
        oom_killed_containers=int(values.get("oom_killed_containers", 0.0)),
    )


def _resources(values: Mapping[str, float]) -> ResourceSpec:
    def gib(name: str) -> float | None:
        value = values.get(name)
        return value / GIB if value is not None else None

    return ResourceSpec(
        cpu_request_cores=values.get("requests:cpu"),
        memory_request_gib=gib("requests:memory"),
        cpu_limit_cores=values.get("limits:cpu"),
        memory_limit_gib=gib("limits:memory"),
    )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
