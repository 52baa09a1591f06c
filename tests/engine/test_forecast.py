"""Month-end forecast: worked examples of the weekly seasonal naive rule and its invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.forecast import forecast_month, project_daily

WEEK = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 4.0, 4.0])  # weekdays, then a cheap weekend


def test_each_day_costs_the_median_of_its_last_three_weekdays() -> None:
    history = np.concatenate([WEEK, WEEK, WEEK])
    history[-7] = 100.0  # one incident, three weeks of the same weekday: the median ignores it

    projected = project_daily(history, horizon_days=9)

    np.testing.assert_allclose(projected, [10, 10, 10, 10, 10, 4, 4, 10, 10])


def test_month_end_forecast_adds_the_projection_to_month_to_date() -> None:
    # 28 days of history; the month (30 days) started 3 days ago: Mon Tue Wed observed.
    history = np.concatenate([WEEK, WEEK, WEEK, WEEK[:3], [12.0, 12.0, 12.0, 10.0]])[-28:]

    forecast = forecast_month(history, month_days_observed=3, days_in_month=30)

    # Month-to-date: 12 + 12 + 10 = 34. The next day is a Monday; medians of the last three
    # weeks give back WEEK (Thu 10/10/12 → 10, Sat 4/4/12 → 4, Sun 4/4/10 → 4), 58 a week:
    # 27 days = 3 weeks (174) + Mon–Sat (54).
    assert forecast.month_to_date_cost == pytest.approx(34.0)
    np.testing.assert_allclose(forecast.projected_daily_cost[:7], WEEK)
    assert forecast.forecast_cost == pytest.approx(34.0 + 174.0 + 54.0)


def test_less_than_a_week_of_history_projects_its_mean() -> None:
    forecast = forecast_month(np.array([2.0, 4.0]), month_days_observed=2, days_in_month=5)

    assert forecast.month_to_date_cost == 6.0
    assert forecast.forecast_cost == pytest.approx(6.0 + 3 * 3.0)


def test_no_history_forecasts_nothing() -> None:
    forecast = forecast_month(np.array([]), month_days_observed=0, days_in_month=31)

    assert forecast.forecast_cost == 0.0
    assert forecast.history_days == 0


def test_a_future_month_counts_only_its_own_days() -> None:
    flat = np.full(28, 5.0)

    forecast = forecast_month(flat, month_days_observed=0, days_in_month=30, gap_days=4)

    assert forecast.month_to_date_cost == 0.0
    assert forecast.forecast_cost == pytest.approx(150.0)


def test_missing_days_are_ignored_not_zero() -> None:
    history = np.full(21, 7.0)
    history[[0, 8]] = math.nan

    projected = project_daily(history, horizon_days=7)

    np.testing.assert_allclose(projected, np.full(7, 7.0))


def test_rows_are_forecast_independently() -> None:
    rows = np.stack([np.full(14, 1.0), np.tile(WEEK, 2)])

    projected = project_daily(rows, horizon_days=7)

    np.testing.assert_allclose(projected, [np.ones(7), WEEK])


def test_observed_days_beyond_the_month_are_refused() -> None:
    with pytest.raises(ValueError, match="month_days_observed"):
        forecast_month(np.ones(40), month_days_observed=32, days_in_month=31)


costs = st.floats(0.0, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(level=costs, days=st.integers(0, 60), observed=st.integers(0, 28))
def test_a_constant_series_is_forecast_exactly(level: float, days: int, observed: int) -> None:
    history = np.full(days + observed, level)

    forecast = forecast_month(history, month_days_observed=observed, days_in_month=28)

    expected = 28 * level if history.size else 0.0
    assert forecast.forecast_cost == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    week=arrays(np.float64, 7, elements=costs), weeks=st.integers(1, 6), horizon=st.integers(0, 40)
)
def test_a_strictly_weekly_series_continues_its_pattern(
    week: np.ndarray, weeks: int, horizon: int
) -> None:
    projected = project_daily(np.tile(week, weeks), horizon_days=horizon)

    np.testing.assert_allclose(projected, np.resize(week, horizon))


@settings(max_examples=200, deadline=None)
@given(
    history=arrays(np.float64, st.integers(0, 70), elements=costs), factor=st.floats(0.01, 100.0)
)
def test_forecast_scales_with_the_costs(history: np.ndarray, factor: float) -> None:
    base = project_daily(history, horizon_days=31)

    scaled = project_daily(history * factor, horizon_days=31)

    np.testing.assert_allclose(scaled, base * factor, rtol=1e-9, atol=1e-6)
