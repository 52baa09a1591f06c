"""One batch's queries on a worker thread; the results come back as a value, never shared state.

A query refused for loading too many samples is split: the batch in two halves (down to one
service), then one service's time chunk in two (down to one hour); only then does that service
fail, and the rest of the batch is still stored. Any other error fails the whole batch, as a
partial hour stored by an incremental collector would never be filled in.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from data.connectors.prometheus.batches import Work
from data.connectors.prometheus.client import PrometheusClient, QueryResult, Series
from data.connectors.prometheus.mapping import TelemetryTarget
from data.errors import (
    PrometheusAuthError,
    PrometheusCircuitOpen,
    PrometheusSampleLimit,
    TelemetryError,
)

HOUR = timedelta(hours=1)
Span = tuple[datetime, datetime]  # [start, end) in whole hours; the query evaluates hour ends


class _Partial(TelemetryError):
    """Prometheus answered with warnings: the data may be incomplete, so nothing is stored."""


class Stop:
    """Set once by the first worker that finds every further query would fail too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reason: str | None = None

    def set(self, reason: str) -> None:
        with self._lock:
            self.reason = self.reason or reason


@dataclass(frozen=True, slots=True)
class Part:
    """One query's answer for some of a batch's services."""

    metric: str
    instant: bool
    series: tuple[Series, ...]


@dataclass(slots=True)
class Outcome:
    """What one batch produced; `issue` (kind, reason) fails every member."""

    work: Work
    parts: list[Part] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # service id → why, after splitting
    issue: tuple[str, str] | None = None
    error: str | None = None
    circuit_open: bool = False
    splits: int = 0


def run(work: Work, client: PrometheusClient, stop: Stop, *, store_partial: bool) -> Outcome:
    """Every range query chunk by chunk, then the instant queries; never raises connector errors.

    An open breaker or rejected credentials set `stop`: every further query would fail too."""
    outcome = Outcome(work)
    if stop.reason is not None:
        outcome.issue = ("skipped", f"not queried: {stop.reason}")
        return outcome
    try:
        _queries(work, client, outcome, store_partial=store_partial)
    except _Partial as error:
        outcome.issue = ("partial", f"Prometheus warned, nothing stored: {error}")
    except TelemetryError as error:
        refused = isinstance(error, PrometheusCircuitOpen)
        outcome.issue, outcome.error = ("skipped" if refused else "failed", str(error)), str(error)
        outcome.circuit_open = refused or client.breaker.state == "open"
        if outcome.circuit_open or isinstance(error, PrometheusAuthError):
            stop.set(str(error))
    return outcome


def _queries(
    work: Work, client: PrometheusClient, outcome: Outcome, *, store_partial: bool
) -> None:
    everyone = work.batch(work.members)
    for span in chunks(work.start, work.end, hours=work.chunk_hours):
        for index, query in enumerate(work.range_queries(everyone)):

            def ranged(
                members: Sequence[TelemetryTarget], span: Span, index: int = index
            ) -> QueryResult:
                promql = work.range_queries(work.batch(members))[index].promql
                return client.query_range(promql, start=span[0] + HOUR, end=span[1], step_s=3600)

            _gather(outcome, list(work.members), span, query.metric, ranged, store_partial)
    window = f"{math.ceil((work.end - work.start) / HOUR)}h"
    for index, query in enumerate(work.instant_queries(everyone, window=window)):

        def instant(
            members: Sequence[TelemetryTarget], _span: Span, index: int = index
        ) -> QueryResult:
            promql = work.instant_queries(work.batch(members), window=window)[index].promql
            return client.query(promql, at=work.end)

        _gather(outcome, list(work.members), None, query.metric, instant, store_partial)


def _gather(
    outcome: Outcome,
    members: list[TelemetryTarget],
    span: Span | None,
    metric: str,
    send: Callable[[Sequence[TelemetryTarget], Span], QueryResult],
    store_partial: bool,
) -> None:
    """Send one query for `members` over `span`, halving on the sample limit (see module doc)."""
    alive = [t for t in members if t.service_id not in outcome.failed]
    if not alive:
        return
    try:
        result = send(alive, span or (outcome.work.end, outcome.work.end))
    except PrometheusSampleLimit as error:
        halves = _halves(alive, span)
        if halves is None:
            outcome.failed[alive[0].service_id] = f"too many samples even alone: {error}"
            return
        outcome.splits += 1
        for part_members, part_span in halves:
            _gather(outcome, part_members, part_span, metric, send, store_partial)
        return
    if result.warnings:
        outcome.warnings.extend(result.warnings)
        if not store_partial:
            raise _Partial("; ".join(result.warnings))
    outcome.parts.append(Part(metric, span is None, result.series))


def _halves(
    members: list[TelemetryTarget], span: Span | None
) -> list[tuple[list[TelemetryTarget], Span | None]] | None:
    """Two halves of the batch, else of one service's span in hours; None below one hour."""
    if len(members) > 1:
        middle = len(members) // 2
        return [(members[:middle], span), (members[middle:], span)]
    if span is None or span[1] - span[0] <= HOUR:
        return None
    cut_at = span[0] + ((span[1] - span[0]) // HOUR // 2) * HOUR
    return [(members, (span[0], cut_at)), (members, (cut_at, span[1]))]


def chunks(start: datetime, end: datetime, *, hours: int) -> Iterator[Span]:
    """[start, end) cut into spans of at most `hours` hours."""
    step = hours * HOUR
    while start < end:
        yield start, min(start + step, end)
        start += step
