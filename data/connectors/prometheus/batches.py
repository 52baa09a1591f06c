"""Services grouped by mapping shape and cut into batches: one query covers a batch (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from data.connectors.prometheus.mapping import Kind, Labels, TelemetryTarget, group_key
from data.connectors.prometheus.promql import (
    Batch,
    Query,
    http_queries,
    resource_queries,
    signal_queries,
)
from data.connectors.prometheus.selectors import regex_literal

# The metric whose series a group's heaviest query reads, counted to size its batches.
PROBE_METRICS: dict[str, str] = {
    "kubernetes": "container_cpu_usage_seconds_total",
    "node": "node_cpu_seconds_total",
    "http": "http_request_duration_seconds_bucket",
}


@dataclass(frozen=True, slots=True)
class Work:
    """One batch and its time range: run on a worker thread, one query at a time."""

    members: tuple[TelemetryTarget, ...]
    http: bool
    start: datetime  # the earliest hour any member lacks
    end: datetime
    chunk_hours: int

    @property
    def kind(self) -> Kind:
        return self.members[0].mapping.kind

    @property
    def shape(self) -> str:
        return "http" if self.http else self.kind

    def batch(self, members: Sequence[TelemetryTarget]) -> Batch:
        return Batch.of([labels_of(t, http=self.http) for t in members])

    def range_queries(self, batch: Batch) -> tuple[Query, ...]:
        if self.http:
            return http_queries(batch, status_label=self.members[0].mapping.status_label)
        return resource_queries(self.kind, batch)

    def instant_queries(self, batch: Batch, *, window: str) -> tuple[Query, ...]:
        """Requests, limits and OOM kills: kubernetes resource batches only."""
        if self.http or self.kind != "kubernetes":
            return ()
        return signal_queries(batch, window=window)


def groups(targets: Sequence[TelemetryTarget], *, http: bool) -> list[list[TelemetryTarget]]:
    """Services whose selectors differ in one label only, in first-seen order."""
    by_shape: dict[tuple[object, ...], list[TelemetryTarget]] = defaultdict(list)
    for target in targets:
        labels = target.mapping.http if http else target.mapping.resource
        if labels is None:
            continue
        names, _, fixed = group_key(labels)
        tag = target.mapping.status_label if http else target.mapping.kind
        by_shape[(tag, names, fixed)].append(target)
    return list(by_shape.values())


def cut(
    members: Sequence[TelemetryTarget], *, max_services: int, max_regex_chars: int, http: bool
) -> list[list[TelemetryTarget]]:
    """Consecutive batches of at most `max_services` whose alternation of the varying label
    stays within `max_regex_chars` (a single over-long value still gets its own batch)."""
    batches: list[list[TelemetryTarget]] = []
    current: list[TelemetryTarget] = []
    chars = 0
    for target in members:
        labels = labels_of(target, http=http)
        varying = group_key(labels)[1]
        width = len(regex_literal(dict(labels)[varying])) + 1  # the "|" before it
        if current and (len(current) >= max_services or chars + width > max_regex_chars):
            batches.append(current)
            current, chars = [], 0
        current.append(target)
        chars += width
    if current:
        batches.append(current)
    return batches


def labels_of(target: TelemetryTarget, *, http: bool) -> Labels:
    labels = target.mapping.http if http else target.mapping.resource
    assert labels is not None, "grouped targets always have the labels asked for"
    return labels
