"""A run's batches, sized to the sample budget from series and scrape interval probed per run.

A group's first batch is probed with two instant queries over its last hour (series alive,
samples per series) only when the conservative default shape would not fit the window in
full batches: an hourly incremental run costs no extra query.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from data.connectors.prometheus.batches import PROBE_METRICS, Work, cut, groups
from data.connectors.prometheus.budget import Shape, plan
from data.connectors.prometheus.client import PrometheusClient, QueryResult
from data.connectors.prometheus.config import CollectConfig
from data.connectors.prometheus.mapping import TelemetryTarget
from data.errors import PrometheusAuthError, PrometheusCircuitOpen, TelemetryError

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
# Many pods per workload scraped often: big enough that a window it fits is cheap for real.
DEFAULT_SHAPE = Shape(series_per_service=100.0, scrape_interval_s=10.0)


def plan_work(
    client: PrometheusClient,
    pending: Sequence[TelemetryTarget],
    starts: Mapping[int, datetime],
    window_end: datetime,
    config: CollectConfig,
    *,
    probe: bool = True,
) -> list[Work]:
    """Resource batches first, then HTTP ones, each group cut to its own budget. One probe
    per shape (kubernetes, node, http), not per group: a cluster has a group per namespace.
    Raises PrometheusAuthError or PrometheusCircuitOpen when probing finds Prometheus
    refusing; `probe=False` plans with the default shape and sends nothing."""
    shapes: dict[str, Shape] = {}
    works: list[Work] = []
    for http in (False, True):
        for members in groups(pending, http=http):
            group = _Group(members, starts, window_end, config, http=http)
            first = group.work(group.batches(config.batch_size)[0])
            if first.shape not in shapes:
                client_or_none = client if probe else None
                shapes[first.shape] = _shape(client_or_none, first, config, hours=group.hours)
            works.extend(group.planned(shapes[first.shape]))
    return works


class _Group:
    """Services sharing a mapping shape, to be cut into batches of one planned size."""

    def __init__(
        self,
        members: list[TelemetryTarget],
        starts: Mapping[int, datetime],
        window_end: datetime,
        config: CollectConfig,
        *,
        http: bool,
    ) -> None:
        self.members, self.starts, self.window_end = members, starts, window_end
        self.config, self.http = config, http
        self.hours = math.ceil((window_end - min(starts[t.service_id] for t in members)) / HOUR)

    def work(self, batch: Sequence[TelemetryTarget], chunk_hours: int = 1) -> Work:
        start = min(self.starts[t.service_id] for t in batch)
        return Work(tuple(batch), self.http, start, self.window_end, chunk_hours)

    def batches(self, size: int) -> list[list[TelemetryTarget]]:
        limit = self.config.max_regex_chars
        return cut(self.members, max_services=size, max_regex_chars=limit, http=self.http)

    def planned(self, shape: Shape) -> list[Work]:
        config = self.config
        sized = plan(
            shape,
            hours=self.hours,
            max_samples=config.max_samples_per_query,
            max_services=config.batch_size,
            max_points=config.max_points_per_query,
        )
        log.debug("prometheus batches: %s over %d h -> %s", shape, self.hours, sized)
        return [self.work(batch, sized.chunk_hours) for batch in self.batches(sized.services)]


def _shape(
    client: PrometheusClient | None, first: Work, config: CollectConfig, *, hours: int
) -> Shape:
    """The default shape when it fits the window in full batches, else the probed one."""
    default = Shape(DEFAULT_SHAPE.series_per_service, config.scrape_interval_s or 10.0)
    cheap = plan(
        default,
        hours=hours,
        max_samples=config.max_samples_per_query,
        max_services=config.batch_size,
        max_points=config.max_points_per_query,
    )
    whole = min(hours, config.max_points_per_query)
    if client is None or (cheap.services >= config.batch_size and cheap.chunk_hours >= whole):
        return default
    return probe(client, first, scrape_interval_s=config.scrape_interval_s)


def probe(client: PrometheusClient, work: Work, *, scrape_interval_s: float | None) -> Shape:
    """Series per service and the scrape interval of `work`'s heaviest metric, last hour."""
    selector = work.batch(work.members).sel(PROBE_METRICS[work.shape])
    try:
        series = _number(client.query(f"count(count_over_time({selector}[1h]))", at=work.end))
        per_hour = _number(client.query(f"max(count_over_time({selector}[1h]))", at=work.end))
    except (PrometheusAuthError, PrometheusCircuitOpen):
        raise
    except TelemetryError as error:
        if client.breaker.state == "open":
            raise
        log.warning("could not probe series and scrape interval, assuming many: %s", error)
        return DEFAULT_SHAPE
    interval_s = scrape_interval_s or (
        3600.0 / per_hour if per_hour >= 1 else DEFAULT_SHAPE.scrape_interval_s
    )
    return Shape(max(1.0, series / len(work.members)), interval_s)


def _number(result: QueryResult) -> float:
    """The single value of an aggregated instant query; 0 when no series matched."""
    return float(result.series[0].values[-1]) if result.series else 0.0
