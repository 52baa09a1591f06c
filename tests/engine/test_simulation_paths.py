"""Monte Carlo paths: hour-of-week draws, per-path sums and per-hour bands."""

from __future__ import annotations

import numpy as np
import pytest

from engine.simulation.paths import draw_paths, hour_of_week, hourly_band, week_weights
from tests.engine.simulation_builders import START

TWO_WEEKS = 336
HOURS = START + np.arange(TWO_WEEKS + 30) * np.timedelta64(3600, "s")


def test_every_path_draws_each_hour_from_its_own_hour_of_week() -> None:
    draws = draw_paths(HOURS, paths=50, seed=1)

    counts = draws.counts_by_observed_hour()
    how = hour_of_week(HOURS)
    per_how = np.stack([np.bincount(how, weights=row, minlength=168) for row in counts])
    np.testing.assert_array_equal(per_how, np.tile(np.bincount(how, minlength=168), (50, 1)))


def test_draws_are_uniform_within_an_hour_of_week() -> None:
    draws = draw_paths(HOURS, paths=4_000, seed=2)

    mean_draws = draws.counts_by_observed_hour().mean(axis=0)
    np.testing.assert_allclose(mean_draws, 1.0, atol=0.1)


def test_the_same_seed_draws_the_same_paths() -> None:
    first, second = draw_paths(HOURS, paths=20, seed=5), draw_paths(HOURS, paths=20, seed=5)

    np.testing.assert_array_equal(first.counts, second.counts)


def test_another_seed_draws_other_paths() -> None:
    first, second = draw_paths(HOURS, paths=20, seed=5), draw_paths(HOURS, paths=20, seed=6)

    assert not np.array_equal(first.counts, second.counts)


def test_path_sums_count_each_drawn_hour() -> None:
    draws = draw_paths(HOURS, paths=30, seed=3)
    rng = np.random.default_rng(0)
    columns = np.column_stack(
        [
            rng.integers(0, 2, len(HOURS)).astype(np.float64),  # a 0/1 indicator
            rng.uniform(0.0, 5.0, len(HOURS)),  # a price
            np.full(len(HOURS), 0.25),  # constant within every pool
        ]
    )

    sums = draws.path_sums(columns)

    np.testing.assert_allclose(sums, draws.counts_by_observed_hour() @ columns, rtol=1e-12)
    assert np.all(sums[:, 2] == columns[:, 2].sum())


def test_week_weights_count_every_hour_of_week_once() -> None:
    weights = week_weights(HOURS)

    assert weights.sum() == pytest.approx(1.0)
    how = hour_of_week(HOURS)
    np.testing.assert_allclose(np.bincount(how, weights=weights), 1 / 168)


def test_a_band_is_the_nearest_rank_of_the_hour_of_week_values() -> None:
    draws = draw_paths(HOURS, paths=10, seed=4)
    values = np.arange(len(HOURS), dtype=np.float64)  # hour t, t + 168, t + 336 share a pool

    band = hourly_band(values, draws)

    assert (band.p5[0], band.p50[0], band.p95[0]) == (0.0, 168.0, 336.0)
    assert (band.p5[40], band.p50[40], band.p95[40]) == (40.0, 40.0, 208.0)


def test_a_band_skips_missing_values_and_is_nan_without_any() -> None:
    draws = draw_paths(HOURS, paths=10, seed=4)
    values = np.arange(len(HOURS), dtype=np.float64)
    values[[0, 168]] = np.nan
    values[[1, 169, 337]] = np.nan

    band = hourly_band(values, draws)

    assert band.p50[0] == 336.0
    assert np.isnan(band.p50[1])


def test_a_resampled_residual_on_its_hour_of_week_median_is_the_drawn_hour() -> None:
    draws = draw_paths(HOURS, paths=5, seed=8)
    values = np.random.default_rng(1).lognormal(3.0, 0.5, len(HOURS))
    how = hour_of_week(HOURS)
    log_median = np.array([np.median(np.log(values[how == h])) for h in range(168)])
    residual = np.log(values) - log_median[how]

    members = draws.pool_members  # per hour t, the observed hours it can draw
    drawable = members < len(HOURS)
    rebuilt = np.exp(log_median[how][:, None] + residual[np.where(drawable, members, 0)])

    np.testing.assert_allclose(rebuilt[drawable], values[members[drawable]], rtol=1e-12)
