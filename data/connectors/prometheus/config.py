"""The knobs of one collection run, validated so that no setting can overload Prometheus."""

from __future__ import annotations

from dataclasses import dataclass

from data.connectors.prometheus.client import MAX_POINTS_PER_SERIES
from data.settings import Settings

MAX_CONCURRENT_QUERIES = 8
# Prometheus's own default `--query.max-samples` is 50,000,000; stay well under it, since other
# dashboards query the same server while we collect.
DEFAULT_MAX_SAMPLES_PER_QUERY = 20_000_000
# Characters of one label alternation (`a|b|c`): queries travel as GET parameters, and proxies
# in front of Prometheus commonly refuse request lines over 8 KiB (nginx's default buffers).
DEFAULT_MAX_REGEX_CHARS = 3_000


@dataclass(frozen=True, slots=True)
class CollectConfig:
    """Knobs of one collection run (validated: nothing here can overload Prometheus).

    `batch_size` caps services per query; the sample budget may make batches smaller and cut
    the window into chunks; `scrape_interval_s=None` measures it from the data once per run.
    """

    lookback_hours: int = 14 * 24
    settle_minutes: int = 10
    batch_size: int = 50
    max_points_per_query: int = MAX_POINTS_PER_SERIES
    store_partial: bool = False
    source: str = "prometheus"
    max_concurrent_queries: int = 3
    max_samples_per_query: int = DEFAULT_MAX_SAMPLES_PER_QUERY
    scrape_interval_s: float | None = None
    max_regex_chars: int = DEFAULT_MAX_REGEX_CHARS

    def __post_init__(self) -> None:
        if not 1 <= self.max_points_per_query <= MAX_POINTS_PER_SERIES:
            raise ValueError(f"max_points_per_query must be within 1..{MAX_POINTS_PER_SERIES}")
        if not 1 <= self.batch_size <= 200 or self.lookback_hours < 1 or self.settle_minutes < 0:
            raise ValueError("batch_size 1..200, lookback_hours >= 1, settle_minutes >= 0")
        if not 1 <= self.max_concurrent_queries <= MAX_CONCURRENT_QUERIES:
            raise ValueError(f"max_concurrent_queries must be within 1..{MAX_CONCURRENT_QUERIES}")
        if self.max_samples_per_query < 1 or self.max_regex_chars < 64:
            raise ValueError("max_samples_per_query >= 1 and max_regex_chars >= 64")
        if self.scrape_interval_s is not None and self.scrape_interval_s <= 0:
            raise ValueError("scrape_interval_s must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> CollectConfig:
        """The sidecar's run: concurrency, sample budget and scrape interval from settings."""
        return cls(
            max_concurrent_queries=settings.prometheus_max_concurrent_queries,
            max_samples_per_query=settings.prometheus_max_samples_per_query,
            scrape_interval_s=settings.prometheus_scrape_interval_s,
        )
