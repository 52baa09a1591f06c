"""Realized savings on synthetic series whose true saving is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.realized import (
    DAYS_PER_MONTH,
    DailySeries,
    NotEnoughData,
    Realized,
    accrued_usd,
    realized_saving,
)

FIRST = np.datetime64("2026-09-01")
CHANGE = np.datetime64("2026-10-07")  # a Wednesday


def _world(
    *,
    seed: int,
    unit_cut_pct: float,
    growth_pct: float = 0.0,
    days: int = 70,
    noise: float = 0.04,
) -> tuple[DailySeries, float]:
    """Demand with a weekly cycle (weekends at 60 %), cost = unit cost × demand × noise; after
    the change day the unit cost drops `unit_cut_pct` and demand grows `growth_pct`. Returns the
    series and the true saving per day over the first 4 weeks after the change."""
    rng = np.random.default_rng(seed)
    day = FIRST + np.arange(days).astype("timedelta64[D]")
    weekday = (day.astype(np.int64) + 3) % 7
    demand = 1e6 * np.where(weekday >= 5, 0.6, 1.0) * rng.lognormal(0.0, 0.05, days)
    after = day > CHANGE
    demand = demand * np.where(after, 1.0 + growth_pct / 100.0, 1.0)
    unit_usd = np.where(after, 1.0 - unit_cut_pct / 100.0, 1.0) * 1e-4  # $100 per million
    cost = unit_usd * demand * rng.lognormal(0.0, noise, days)
    window = after & (day <= CHANGE + np.timedelta64(28, "D"))
    true_daily = float(np.mean(1e-4 * unit_cut_pct / 100.0 * demand[window]))
    return DailySeries(day, cost, demand), true_daily


def _measure(series: DailySeries, *, last_day: np.datetime64 | None = None) -> Realized:
    result = realized_saving(series, change_day=CHANGE, last_day=last_day or series.day[-1])
    assert isinstance(result, Realized), result
    return result


def test_a_known_cut_lies_within_its_band() -> None:
    series, true_daily = _world(seed=1, unit_cut_pct=30.0)

    result = _measure(series)

    true_monthly = true_daily * DAYS_PER_MONTH
    assert result.low_monthly_usd <= true_monthly <= result.high_monthly_usd
    assert result.monthly_usd == pytest.approx(true_monthly, rel=0.1)
    assert result.pairs == 28


def test_demand_growth_after_the_change_is_not_counted_as_cost_growth() -> None:
    series, true_daily = _world(seed=2, unit_cut_pct=25.0, growth_pct=40.0)

    result = _measure(series)

    # Raw cost went up (40 % more demand at 25 % less per unit): only normalization sees it.
    assert series.cost_usd[series.day > CHANGE].mean() > series.cost_usd[series.day < CHANGE].mean()
    true_monthly = true_daily * DAYS_PER_MONTH
    assert result.low_monthly_usd <= true_monthly <= result.high_monthly_usd
    assert result.demand_change_pct == pytest.approx(40.0, abs=5.0)


def test_a_change_with_no_effect_reports_about_zero() -> None:
    series, _ = _world(seed=3, unit_cut_pct=0.0, growth_pct=20.0)

    result = _measure(series)

    monthly_cost = float(series.cost_usd[series.day > CHANGE].mean()) * DAYS_PER_MONTH
    assert result.low_monthly_usd <= 0.0 <= result.high_monthly_usd
    assert abs(result.monthly_usd) < 0.03 * monthly_cost


def _coverage(*, unit_cut_pct: float, growth_pct: float, trials: int = 300) -> float:
    covered = 0
    for seed in range(trials):
        series, true_daily = _world(
            seed=100 + seed, unit_cut_pct=unit_cut_pct, growth_pct=growth_pct
        )
        result = _measure(series)
        true_monthly = true_daily * DAYS_PER_MONTH
        covered += result.low_monthly_usd <= true_monthly <= result.high_monthly_usd
    return covered / trials


def test_the_band_of_a_null_change_covers_zero_about_95_percent_of_the_time() -> None:
    assert 0.90 <= _coverage(unit_cut_pct=0.0, growth_pct=20.0) <= 0.99


def test_the_band_of_a_real_cut_covers_it_at_least_95_percent_of_the_time() -> None:
    # Conservative: a saving that follows demand varies by weekday, which widens the band.
    assert _coverage(unit_cut_pct=20.0, growth_pct=15.0) >= 0.95


def test_six_complete_days_after_the_change_are_not_enough() -> None:
    series, _ = _world(seed=4, unit_cut_pct=30.0)

    result = realized_saving(series, change_day=CHANGE, last_day=CHANGE + np.timedelta64(6, "D"))

    assert isinstance(result, NotEnoughData)
    assert "needs 7 complete days after the change" in result.reason
    assert result.days_after == 6


def test_seven_complete_days_are_one_week_of_pairs() -> None:
    series, _ = _world(seed=5, unit_cut_pct=30.0)

    result = _measure(series, last_day=CHANGE + np.timedelta64(7, "D"))

    assert result.pairs == 7


def test_a_rolled_back_change_stops_accruing_at_the_rollback() -> None:
    # Cut for 14 days, then rolled back: the days after the rollback would read as no saving.
    series, _ = _world(seed=6, unit_cut_pct=30.0)
    rolled = series.day > CHANGE + np.timedelta64(14, "D")
    restored = np.where(rolled, series.cost_usd / 0.7, series.cost_usd)
    series = DailySeries(series.day, restored, series.demand)

    result = _measure(series, last_day=CHANGE + np.timedelta64(14, "D"))

    assert result.pairs == 14
    assert result.low_monthly_usd > 0.0


def test_days_without_billing_are_left_out_of_the_pairs() -> None:
    series, _ = _world(seed=7, unit_cut_pct=30.0)
    missing = series.day != CHANGE + np.timedelta64(3, "D")
    series = DailySeries(series.day[missing], series.cost_usd[missing], series.demand[missing])

    result = _measure(series)

    assert result.pairs == 27


def test_without_demand_costs_are_compared_as_they_are() -> None:
    series, _ = _world(seed=8, unit_cut_pct=30.0)
    series = DailySeries(series.day, series.cost_usd, np.full(len(series.day), math.nan))

    result = _measure(series)

    assert not result.normalized
    assert math.isnan(result.demand_change_pct)
    assert result.monthly_usd > 0.0


def test_accrued_money_is_the_daily_saving_times_the_days_in_effect() -> None:
    series, _ = _world(seed=9, unit_cut_pct=30.0)
    result = _measure(series)

    assert accrued_usd(result, 10) == pytest.approx(result.daily_usd * 10)
    assert accrued_usd(NotEnoughData("x", 2), 10) == 0.0
