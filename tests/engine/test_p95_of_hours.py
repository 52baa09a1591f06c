"""p95_of_hours: one series' p95 by the verdicts' rule, saturated hours counted, not dropped."""

from __future__ import annotations

import math

import numpy as np

from engine.sla.latency import hourly_shares, p95_of_hours


def test_it_is_the_nearest_rank_p95_a_verdict_reports() -> None:
    hours = np.random.default_rng(3).gamma(4.0, 30.0, size=500)
    hours[::37] = np.nan  # hours with no model: left out of the ranking

    shares = hourly_shares(hours[None, :], np.array([1e9]))
    modelled = np.sort(hours[~np.isnan(hours)])

    assert p95_of_hours(hours) == shares.p95_ms[0]
    assert p95_of_hours(hours) == modelled[math.ceil(0.95 * modelled.size) - 1]


def test_saturated_in_more_than_5_pct_of_hours_is_unbounded() -> None:
    hours = np.full(100, 80.0)
    hours[:6] = np.inf  # 6 % of the hours have no steady state

    assert p95_of_hours(hours) == math.inf


def test_saturated_in_at_most_5_pct_of_hours_keeps_a_finite_p95() -> None:
    hours = np.linspace(50.0, 150.0, 100)
    hours[-5:] = np.inf  # the top 5 %: the 95th value is the largest finite one

    assert p95_of_hours(hours) == hours[94]


def test_no_modelled_hour_is_not_a_number() -> None:
    assert math.isnan(p95_of_hours(np.full(24, np.nan)))
    assert math.isnan(p95_of_hours(np.array([])))
