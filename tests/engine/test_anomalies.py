"""Robust z-score anomalies: worked examples, the MAD = 0 fallbacks, drivers, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.anomalies import Z_CAP, AnomalyPolicy, detect, robust_scores

POLICY = AnomalyPolicy(window_days=7, min_history_days=5)
CATEGORIES = ("Compute", "Storage", "Networking")


def _cube(*categories: list[float]) -> np.ndarray:
    """One series: categories × days."""
    return np.array([categories], dtype=np.float64)


def test_robust_z_of_a_worked_example() -> None:
    # Window 10 11 9 10 12 10 8: median 10, |x − 10| = 0 1 1 0 2 0 2 → MAD 1.
    series = np.array([[10, 11, 9, 10, 12, 10, 8, 16]], dtype=np.float64)

    scores = robust_scores(series, first_day=7, policy=POLICY)

    # z = 0.6745 × (16 − 10) / 1 = 4.047
    assert scores.baseline_cost[0, 0] == 10.0
    assert scores.robust_z[0, 0] == pytest.approx(4.047)


def test_mad_of_zero_falls_back_to_the_mean_absolute_deviation() -> None:
    # Window 10 10 10 10 10 13 13: median 10, MAD 0, mean |x − 10| = 6/7.
    series = np.array([[10, 10, 10, 10, 10, 13, 13, 14]], dtype=np.float64)

    scores = robust_scores(series, first_day=7, policy=POLICY)

    assert scores.robust_z[0, 0] == pytest.approx(4.0 / (1.2533 * 6.0 / 7.0))


def test_a_change_from_a_constant_baseline_is_capped_and_no_change_scores_zero() -> None:
    series = np.array([[5.0] * 7 + [9.0, 5.0]])

    scores = robust_scores(series, first_day=7, policy=POLICY)

    assert scores.robust_z[0, 0] == Z_CAP
    assert scores.robust_z[0, 1] == 0.0


def test_too_little_history_gives_no_verdict() -> None:
    series = np.array([[math.nan] * 3 + [10, 10, 10, 10, 50]])

    scores = robust_scores(series, first_day=7, policy=POLICY)

    assert math.isnan(scores.robust_z[0, 0])


def test_a_compute_spike_is_reported_with_compute_as_its_driver() -> None:
    compute = [8.0, 8.5, 7.5, 8.0, 8.2, 7.8, 8.0, 20.0]
    storage = [2.0, 2.0, 2.1, 1.9, 2.0, 2.0, 2.0, 2.5]
    network = [1.0] * 8

    found = detect(_cube(compute, storage, network), CATEGORIES, first_day=7, policy=POLICY)

    assert len(found) == 1
    anomaly = found[0]
    assert (anomaly.series, anomaly.day, anomaly.direction) == (0, 7, "spike")
    assert anomaly.effective_cost == pytest.approx(23.5)
    assert anomaly.baseline_cost == pytest.approx(11.0)
    # Compute +12 of the +12.5 that moved up: 96 % ≥ 80 %, so it alone explains the spike.
    assert [d.category for d in anomaly.drivers] == ["Compute"]
    assert anomaly.drivers[0].delta_cost == pytest.approx(12.0)
    assert anomaly.drivers[0].share_pct == pytest.approx(96.0)


def test_a_drop_lists_the_categories_that_fell() -> None:
    compute = [10.0, 10.5, 9.5, 10.0, 10.2, 9.8, 10.0, 4.0]
    storage = [5.0, 5.0, 5.2, 4.8, 5.0, 5.0, 5.0, 1.0]

    found = detect(_cube(compute, storage), CATEGORIES[:2], first_day=7, policy=POLICY)

    assert found[0].direction == "drop"
    # Compute −6, storage −4 of −10: 60 %, then 100 %.
    assert [(d.category, round(d.share_pct)) for d in found[0].drivers] == [
        ("Compute", 60),
        ("Storage", 40),
    ]


def test_an_immaterial_change_is_not_an_anomaly() -> None:
    # z is large (steady baseline) but the change is 2 % of the baseline.
    compute = [100.0, 100.1, 99.9, 100.0, 100.1, 99.9, 100.0, 102.0]

    found = detect(_cube(compute), CATEGORIES[:1], first_day=7, policy=POLICY)

    assert found == ()


def test_series_are_scored_independently() -> None:
    steady = [[10.0] * 8]
    spiky = [[10.0, 11, 9, 10, 12, 10, 8, 30]]
    cube = np.array([steady, spiky])

    found = detect(cube, CATEGORIES[:1], first_day=7, policy=POLICY)

    assert [(a.series, a.day) for a in found] == [(1, 7)]


def test_nothing_to_evaluate_finds_nothing() -> None:
    found = detect(_cube([1.0] * 8), CATEGORIES[:1], first_day=8, policy=POLICY)

    assert found == ()


# Money in cents: sub-cent noise would only test float rounding, not the rule.
series_values = arrays(np.int64, (3, 20), elements=st.integers(0, 10_000_000)).map(
    lambda a: a / 100
)


@settings(max_examples=200, deadline=None)
@given(series=series_values, factor=st.floats(1e-3, 1e3))
def test_robust_z_is_invariant_to_scaling(series: np.ndarray, factor: float) -> None:
    base = robust_scores(series, first_day=7, policy=POLICY)

    scaled = robust_scores(series * factor, first_day=7, policy=POLICY)

    np.testing.assert_allclose(scaled.robust_z, base.robust_z, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(scaled.baseline_cost, base.baseline_cost * factor, rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(series=series_values, factor=st.floats(1e-3, 1e3))
def test_detection_is_invariant_to_scaling(series: np.ndarray, factor: float) -> None:
    cube = series[:, None, :]

    base = detect(cube, CATEGORIES[:1], first_day=7, policy=POLICY)
    scaled = detect(cube * factor, CATEGORIES[:1], first_day=7, policy=POLICY)

    assert [(a.series, a.day, a.direction) for a in scaled] == [
        (a.series, a.day, a.direction) for a in base
    ]


@settings(max_examples=200, deadline=None)
@given(series=series_values, shift=st.integers(-1_000_000, 1_000_000).map(lambda c: c / 100))
def test_robust_z_is_invariant_to_a_shift(series: np.ndarray, shift: float) -> None:
    base = robust_scores(series, first_day=7, policy=POLICY)

    shifted = robust_scores(series + shift, first_day=7, policy=POLICY)

    np.testing.assert_allclose(shifted.robust_z, base.robust_z, rtol=1e-6, atol=1e-4)


@settings(max_examples=200, deadline=None)
@given(series=series_values)
def test_drivers_explain_at_least_the_required_share(series: np.ndarray) -> None:
    cube = np.stack([series, series[::-1]], axis=1)

    found = detect(cube, CATEGORIES[:2], first_day=7, policy=POLICY)

    for anomaly in found:
        shares = [d.share_pct for d in anomaly.drivers]
        assert not shares or sum(shares) >= POLICY.driver_share_pct - 1e-9 or len(shares) == 2
        assert all(s > 0 for s in shares)


WEEKLY = AnomalyPolicy(window_days=28, min_history_days=14)


def _weekdays_only(weeks: int, *, weekday_usd: float = 10.0) -> np.ndarray:
    """A dev service that stops at weekends: about weekday_usd Monday–Friday (a cent or two of
    drift, as real bills have), 0.10 on days 5 and 6 (its disk)."""
    days = np.arange(7 * weeks)
    return np.where(days % 7 < 5, weekday_usd + 0.01 * (days % 3), 0.10)


def test_a_weekend_stop_that_happens_every_week_is_not_an_anomaly() -> None:
    series = _weekdays_only(6)

    found = detect(_cube(series.tolist()), CATEGORIES[:1], first_day=28, policy=WEEKLY)

    # Against the 28-day median alone every Saturday and Sunday would be a drop (MAD ≈ 1 cent).
    plain = robust_scores(series[None, :], first_day=28, policy=WEEKLY).robust_z
    assert np.nanmin(plain) < -100
    assert found == ()


def test_a_spike_on_a_usual_weekend_day_is_still_found_against_that_weekday() -> None:
    series = _weekdays_only(6)
    series[-2] = 30.0  # a Saturday left running at three times a weekday's cost

    (anomaly,) = detect(_cube(series.tolist()), CATEGORIES[:1], first_day=28, policy=WEEKLY)

    assert (anomaly.day, anomaly.direction) == (len(series) - 2, "spike")
    assert anomaly.baseline_cost == pytest.approx(0.10)  # the four Saturdays before it
