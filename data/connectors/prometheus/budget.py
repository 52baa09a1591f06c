"""Sample-budget arithmetic: how many services and hours one query may cover (pure functions).

Prometheus refuses a query that would hold more than `--query.max-samples` samples (HTTP 422,
"query processing would load too many samples"; VictoriaMetrics: "cannot select more than
... samples"). A query over `n` services and `h` hours reads about

    n x series_per_service x (h + 1) x 3600 / scrape_interval_s x READS_PER_SAMPLE

samples: the `+ 1` is the 1-hour lookback of the first step, and READS_PER_SAMPLE covers the
queries that read two metrics (throttling, node memory) or read each sample twice (the p95
subquery's 10-minute rates at 5-minute steps). Keeping `n x (h + 1)` under the budget's
"service-hours" leaves the number of queries about equal whichever way it is cut, so the
planner keeps whole windows (fewer lookback hours re-read) and shrinks batches first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

READS_PER_SAMPLE = 2
SECONDS_PER_HOUR = 3600
_SAMPLE_LIMIT_MESSAGES = (
    "would load too many samples",  # Prometheus: HTTP 422, errorType "execution"
    "cannot select more than",  # VictoriaMetrics: -search.maxSamplesPerQuery
)


@dataclass(frozen=True, slots=True)
class Shape:
    """What a batch's queries touch: series per service and the scrape interval."""

    series_per_service: float
    scrape_interval_s: float

    def __post_init__(self) -> None:
        if self.series_per_service <= 0 or self.scrape_interval_s <= 0:
            raise ValueError("series_per_service and scrape_interval_s must be positive")

    def samples_per_service_hour(self) -> float:
        per_series = SECONDS_PER_HOUR / self.scrape_interval_s
        return self.series_per_service * per_series * READS_PER_SAMPLE


@dataclass(frozen=True, slots=True)
class Plan:
    """At most `services` per batch and `chunk_hours` per range query."""

    services: int
    chunk_hours: int


def estimate_samples(shape: Shape, *, services: int, hours: int) -> int:
    """Samples one range query over `services` and `hours` (plus the lookback hour) reads."""
    return math.ceil(services * (hours + 1) * shape.samples_per_service_hour())


def plan(shape: Shape, *, hours: int, max_samples: int, max_services: int, max_points: int) -> Plan:
    """The largest batch that reads the whole window in one query, or, when even one service
    cannot, one service per batch in the longest chunks that fit (at least one hour)."""
    if hours < 1 or max_samples < 1 or max_services < 1 or max_points < 1:
        raise ValueError("hours, max_samples, max_services and max_points must be >= 1")
    window = min(hours, max_points)
    # Whole samples per service first: integer division then never rounds over the budget.
    whole = max_samples // math.ceil(shape.samples_per_service_hour() * (window + 1))
    if whole >= 1:
        return Plan(services=min(whole, max_services), chunk_hours=window)
    fit = math.floor(max_samples / shape.samples_per_service_hour()) - 1
    while fit > 1 and estimate_samples(shape, services=1, hours=fit) > max_samples:
        fit -= 1  # float rounding at the edge: at most a step or two
    return Plan(services=1, chunk_hours=max(1, min(window, fit)))


def is_sample_limit(message: str) -> bool:
    """Whether an error names the server's per-query sample limit (splitting would help)."""
    lowered = message.lower()
    return any(text in lowered for text in _SAMPLE_LIMIT_MESSAGES)
