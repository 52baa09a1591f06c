"""Collection knobs: the sidecar's settings reach the collector, out-of-range values do not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from data.connectors.prometheus import CollectConfig
from data.settings import Settings


def test_the_sidecar_collects_with_the_concurrency_budget_and_interval_from_settings() -> None:
    settings = Settings(
        _env_file=None,
        prometheus_max_concurrent_queries=4,
        prometheus_max_samples_per_query=5_000_000,
        prometheus_scrape_interval_s=30,
    )

    config = CollectConfig.from_settings(settings)

    assert (config.max_concurrent_queries, config.max_samples_per_query) == (4, 5_000_000)
    assert config.scrape_interval_s == 30


def test_by_default_three_queries_run_at_once_under_twenty_million_samples() -> None:
    config = CollectConfig.from_settings(Settings(_env_file=None))

    assert (config.max_concurrent_queries, config.max_samples_per_query) == (3, 20_000_000)
    assert config.scrape_interval_s is None  # measured from the data


@pytest.mark.parametrize("queries", [0, 9])
def test_concurrency_outside_one_to_eight_is_refused(queries: int) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, prometheus_max_concurrent_queries=queries)
    with pytest.raises(ValueError, match="max_concurrent_queries"):
        CollectConfig(max_concurrent_queries=queries)
