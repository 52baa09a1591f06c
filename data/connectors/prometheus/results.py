"""A run's answers, gathered in the caller's thread and stored all-or-nothing per service."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus.fetch import Outcome, Part
from data.connectors.prometheus.mapping import TelemetryTarget
from data.connectors.prometheus.targets import ServiceIssue
from data.repos.usage import insert_usage
from engine.usage import UsageWindow

log = logging.getLogger(__name__)
GIB = float(2**30)


@dataclass(slots=True)
class Results:
    """Hour-start epoch → value per metric per service, instant values, and what went wrong."""

    window_end: datetime
    starts: dict[int, datetime]
    hourly: dict[int, dict[str, dict[int, float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )
    signals: dict[int, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    issues: dict[int, ServiceIssue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    circuit_open: bool = False
    splits: int = 0

    def absorb(self, outcome: Outcome) -> None:
        """Keep one batch's answers; its failures mark its services (the first reason wins)."""
        members = outcome.work.members
        self.warnings.extend(outcome.warnings)
        self.error = self.error or outcome.error
        self.circuit_open = self.circuit_open or outcome.circuit_open
        self.splits += outcome.splits
        if outcome.issue is not None:
            self.mark(members, *outcome.issue)
            return
        for target in members:
            if target.service_id in outcome.failed:
                self.mark([target], "failed", outcome.failed[target.service_id])
        names, by_key = _index(outcome)
        for part in outcome.parts:
            self._keep(part, by_key, names)

    def mark(self, members: Sequence[TelemetryTarget], kind: str, reason: str) -> None:
        for target in members:
            if target.service_id not in self.issues:
                self.issues[target.service_id] = ServiceIssue(
                    target.service_id, target.slug, kind, reason
                )

    def _keep(
        self, part: Part, by_key: dict[tuple[str, ...], list[int]], names: tuple[str, ...]
    ) -> None:
        for one in part.series:
            key = tuple(one.labels.get(name, "") for name in names)
            for service_id in by_key.get(key, ()):
                if part.instant:
                    resource = one.labels.get("resource")
                    name = f"{part.metric}:{resource}" if resource else part.metric
                    self.signals[service_id][name] = float(one.values[-1])
                    continue
                values = self.hourly[service_id][part.metric]
                for ts, value in zip(one.timestamps, one.values, strict=True):
                    values[int(ts) - 3600] = float(value)


def _index(outcome: Outcome) -> tuple[tuple[str, ...], dict[tuple[str, ...], list[int]]]:
    """The batch's label names, and their values → the services they belong to."""
    work = outcome.work
    batch = work.batch(work.members)
    by_key: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for target, labels in zip(work.members, batch.members, strict=True):
        values = dict(labels)
        by_key[tuple(values[name] for name in batch.names)].append(target.service_id)
    return batch.names, by_key


def store(
    sessions: sessionmaker[Session],
    results: Results,
    pending: Sequence[TelemetryTarget],
    *,
    source: str,
) -> tuple[int, int]:
    """Append the new hours of every service that had no failure; returns (services, rows)."""
    windows = []
    for target in pending:
        if target.service_id in results.issues:
            continue
        window = usage_window(results, target)
        if window.points == 0:
            results.issues[target.service_id] = ServiceIssue(
                target.service_id, target.slug, "no_data", "no series match the mapping"
            )
            continue
        windows.append(window)
    rows = 0
    try:
        with sessions.begin() as session:
            for window in windows:
                rows += insert_usage(session, window, source=source)
    except IntegrityError as error:
        # A concurrent collector stored some of these hours first (the sidecar's lock should
        # prevent it), or a target names a service that is not in the catalog.
        results.error = f"storing usage failed, nothing written: {type(error.orig).__name__}"
        log.warning("usage collection could not store its rows: %s", error.orig)
        return 0, 0
    return len(windows), rows


def usage_window(results: Results, target: TelemetryTarget) -> UsageWindow:
    """The complete hours (CPU mean and p95 and memory all present) of one service."""
    metrics = results.hourly[target.service_id]
    first = int(results.starts[target.service_id].timestamp())
    last = int(results.window_end.timestamp())
    required = ("cpu_used_mean_cores", "cpu_used_p95_cores", "memory_used_max_bytes")
    hours = sorted(
        h
        for h in metrics.get("cpu_used_mean_cores", {})
        if first <= h < last and all(finite(metrics.get(m, {}).get(h)) for m in required)
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


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
