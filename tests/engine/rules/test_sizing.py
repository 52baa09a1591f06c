"""Tests of the shared sizing maths: lookback, data check, needs, rounding, confidence band."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.profiles import PROFILES
from engine.rules.sizing import (
    confidence,
    data_shortfall,
    lookback,
    needs,
    round_cpu_cores,
    round_memory_gib,
)
from tests.engine.rules.builders import flat_usage
from tests.factories import make_k8s_config

BALANCED = PROFILES["balanced"]


def test_needs_take_the_profile_percentile_and_memory_max_with_headroom() -> None:
    usage = flat_usage(100, cpu_p95_cores=np.arange(100.0), memory_gib=np.full(100, 4.0))

    need = needs(usage, 1, BALANCED)

    # p90 of 0..99 (linear interpolation) = 89.1; × 1.15 = 102.465. Memory 4 × 1.15 = 4.6.
    assert need.cpu_cores == pytest.approx(102.465)
    assert need.memory_gib == pytest.approx(4.6)


def test_needs_are_per_replica() -> None:
    usage = flat_usage(100, cpu_p95_cores=2.0, memory_gib=8.0)

    need = needs(usage, 4, BALANCED)

    assert need.cpu_cores == pytest.approx(0.5 * 1.15)
    assert need.memory_gib == pytest.approx(2.0 * 1.15)


def test_cpu_rounds_up_to_a_millicore_and_respects_the_floor() -> None:
    assert round_cpu_cores(0.1231, 0.01) == 0.124
    assert round_cpu_cores(0.5, 0.01) == 0.5
    assert round_cpu_cores(0.003, 0.01) == 0.01


def test_memory_rounds_up_to_a_mebibyte_and_respects_the_floor() -> None:
    assert round_memory_gib(1.0001, 100 / 1024) == 1025 / 1024
    assert round_memory_gib(2.0, 100 / 1024) == 2.0
    assert round_memory_gib(0.01, 100 / 1024) == 100 / 1024


def test_too_few_points_is_reported_with_the_counts() -> None:
    assert data_shortfall(flat_usage(41), BALANCED) == "not enough data: 41 of 100 points"


def test_enough_points_and_days_pass_the_data_check() -> None:
    assert data_shortfall(flat_usage(100), BALANCED) is None


def test_lookback_keeps_the_profile_days() -> None:
    window = lookback(flat_usage(30 * 24), make_k8s_config(), BALANCED)

    assert window.points == 14 * 24
    assert window.days == pytest.approx(14.0)


def test_lookback_blanks_hours_off_the_schedule() -> None:
    config = make_k8s_config(schedule="weekdays 08-18")

    window = lookback(flat_usage(7 * 24), config, BALANCED)

    assert np.count_nonzero(np.isfinite(window.cpu_used_p95_cores)) == 5 * 10


def test_confidence_band_follows_vpa_on_hourly_points() -> None:
    cpu = np.tile(np.arange(24.0), 14)
    usage = flat_usage(14 * 24, cpu_p95_cores=cpu)

    band = confidence(usage, 1, BALANCED)

    p50, p95 = np.percentile(cpu, [50, 95])
    assert band.points == 336
    assert band.days == pytest.approx(14.0)
    assert band.lower == pytest.approx(p50 * 1.15 * (1 + 0.001 / 14) ** -2)
    assert band.upper == pytest.approx(p95 * 1.15 * (1 + 1 / 14))


def test_balanced_profile_reproduces_the_vpa_target() -> None:
    rng = np.random.default_rng(42)
    cpu = rng.gamma(2.0, 0.2, 14 * 24)
    usage = flat_usage(14 * 24, cpu_p95_cores=cpu)

    target = round_cpu_cores(needs(usage, 1, BALANCED).cpu_cores, BALANCED.cpu_floor_cores)

    vpa_target = math.ceil(np.percentile(cpu, 90) * 1.15 * 1000) / 1000
    assert target == pytest.approx(vpa_target, abs=1e-9)


@given(
    cpu=st.lists(st.floats(0.0, 64.0), min_size=100, max_size=200),
    memory=st.floats(0.0, 256.0),
    replicas=st.integers(1, 20),
    profile=st.sampled_from(sorted(PROFILES)),
)
def test_rounded_needs_cover_percentile_with_headroom_and_floors(
    cpu: list[float], memory: float, replicas: int, profile: str
) -> None:
    sizing = PROFILES[profile]  # type: ignore[index]
    usage = flat_usage(len(cpu), cpu_p95_cores=np.array(cpu), memory_gib=memory)

    need = needs(usage, replicas, sizing)
    cpu_cores = round_cpu_cores(need.cpu_cores, sizing.cpu_floor_cores)
    memory_gib = round_memory_gib(need.memory_gib, sizing.memory_floor_gib)

    percentile = np.percentile(np.array(cpu) / replicas, sizing.cpu_percentile)
    assert cpu_cores >= max(sizing.cpu_floor_cores, percentile * sizing.cpu_factor - 1e-12)
    assert memory_gib >= max(sizing.memory_floor_gib, memory / replicas * sizing.memory_factor)
