"""What per-workload collection runs share: knobs, the scrape interval, shards run a few at a
time, and a report that says "partial: N of M" whenever a shard failed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from data.connectors.kube.shards import DEFAULT_MAX_SAMPLES, Shard, WorkloadTarget
from data.connectors.kube.usage_promql import interval_query
from data.connectors.prometheus.client import PrometheusClient
from data.connectors.prometheus.targets import ServiceIssue
from data.errors import TelemetryError
from data.settings import Settings

log = logging.getLogger(__name__)
FALLBACK_INTERVAL_S = 60


class Warned(TelemetryError):
    """Prometheus answered with warnings (partial data): the shard's services store nothing."""


def check_warnings(warnings: Sequence[str]) -> None:
    if warnings:
        raise Warned("Prometheus warned, nothing stored: " + "; ".join(warnings))


@dataclass(frozen=True, slots=True)
class StatsConfig:
    """TIGHTROPE_KUBE_* knobs of the sizing and hourly workload usage runs."""

    interval_s: int | None = None  # None: measured from the data
    window_s: int = 14 * 24 * 3600
    max_samples: int = DEFAULT_MAX_SAMPLES
    workers: int = 2
    lookback_hours: int = 14 * 24
    settle_minutes: int = 10
    source: str = "prometheus"
    cpu_every_intervals: int = 1  # 1: the CPU p95 sees every scrape interval (decision 018)

    def __post_init__(self) -> None:
        if self.interval_s is not None and not 1 <= self.interval_s <= 3600:
            raise ValueError("interval_s must be within 1..3600")
        if not 1 <= self.workers <= 8 or self.window_s < 3600 or self.max_samples < 1:
            raise ValueError("workers 1..8, window_s >= 3600, max_samples >= 1")
        if not 1 <= self.cpu_every_intervals <= 10:
            raise ValueError("cpu_every_intervals must be within 1..10")

    @classmethod
    def from_settings(cls, settings: Settings) -> StatsConfig:
        return cls(
            interval_s=settings.kube_scrape_interval_s or None,
            window_s=settings.kube_sizing_window_h * 3600,
            max_samples=settings.kube_query_max_samples,
            workers=settings.kube_query_workers,
        )


@dataclass(frozen=True, slots=True)
class StatsReport:
    """One run: services attempted and written, cost, and each service that was not."""

    at: datetime
    interval_s: int
    services: int
    services_written: int
    rows_written: int
    queries: int
    bytes_received: int
    shards: int
    issues: tuple[ServiceIssue, ...] = ()

    @classmethod
    def nothing(cls, at: datetime) -> StatsReport:
        """A run with no workload to read: no query was sent."""
        return cls(at, interval_s=0, services=0, services_written=0, rows_written=0, queries=0,
                   bytes_received=0, shards=0)  # fmt: skip

    @property
    def failed(self) -> int:
        return sum(1 for i in self.issues if i.kind in ("failed", "partial"))

    @property
    def status(self) -> str:
        """ "success", or "partial: N of M" (N services refreshed of M) when a shard failed."""
        if not self.failed:
            return "success"
        return f"partial: {self.services - self.failed} of {self.services}"


def finish(
    what: str,
    client: PrometheusClient,
    before: tuple[int, int],
    *,
    at: datetime,
    interval_s: int,
    services: int,
    written: tuple[int, int],
    shards: int,
    issues: Sequence[ServiceIssue],
) -> StatsReport:
    """The run's report (the client's requests and bytes since `before`), logged once."""
    report = StatsReport(
        at=at, interval_s=interval_s, services=services, services_written=written[0],
        rows_written=written[1], queries=client.stats.requests - before[0],
        bytes_received=client.stats.bytes_received - before[1], shards=shards,
        issues=tuple(issues),
    )  # fmt: skip
    log.info(
        "kube %s: %s, %d services, %d rows, %d queries, %d bytes", what, report.status,
        written[0], written[1], report.queries, report.bytes_received,
    )  # fmt: skip
    return report


@dataclass(slots=True)
class Outcomes:
    """Shard results and failures, filled by worker threads (each shard writes its own key)."""

    values: dict[int, object] = field(default_factory=dict)
    issues: dict[int, ServiceIssue] = field(default_factory=dict)


def scrape_interval(client: PrometheusClient, config: StatsConfig, *, at: datetime) -> int:
    """The configured interval, else 600 s / the median CPU samples per series in the last
    10 minutes (60 s when there is no cAdvisor series to measure)."""
    if config.interval_s is not None:
        return config.interval_s
    series = client.query(interval_query(), at=at).series
    if not series or not series[0].values[-1] > 0:
        log.warning("no cAdvisor samples to measure the scrape interval; assuming 60 s")
        return FALLBACK_INTERVAL_S
    return max(1, round(600 / float(series[0].values[-1])))


def run_shards(
    shards: Sequence[Shard],
    fetch: Callable[[Shard], object],
    *,
    workers: int,
) -> Outcomes:
    """`fetch` each shard, `workers` at a time; a shard that fails marks its services (with
    the reason) and the others go on."""
    outcomes = Outcomes()

    def one(index: int, shard: Shard) -> None:
        try:
            outcomes.values[index] = fetch(shard)
        except TelemetryError as error:
            kind = "partial" if isinstance(error, Warned) else "failed"
            for target in shard.members:
                outcomes.issues[target.service_id] = _issue(target, kind, str(error))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda pair: one(*pair), enumerate(shards)))
    return outcomes


def _issue(target: WorkloadTarget, kind: str, reason: str) -> ServiceIssue:
    return ServiceIssue(target.service_id, target.slug, kind, reason[:300])


def no_data(target: WorkloadTarget, what: str) -> ServiceIssue:
    return _issue(
        target,
        "no_data",
        f"no cAdvisor series joined to {target.kind} {target.namespace}/{target.name} ({what})",
    )
