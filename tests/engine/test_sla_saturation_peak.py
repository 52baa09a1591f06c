"""Without hourly arrays, candidates whose peak hour is below capacity count no saturated hour:
the counts equal the utilization matrix's, hour by hour, on the edges of that shortcut."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.capacity import CapacityConfig
from engine.service import Sla
from engine.sla import Candidates, Judgement, evaluate_many, policy_for
from tests.factories import make_usage

CPU = st.floats(-1.0, 6.0, allow_subnormal=False) | st.sampled_from(
    [float("nan"), float("inf"), 0.0, -0.0, 2.0, float(np.nextafter(2.0, 0.0))]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(cpu=[2.0] + [1.0] * 23, vcpu=[2.0, 1.0, 4.0])  # the peak hour exactly at capacity
@example(cpu=[np.nextafter(2.0, 0.0)] * 24, vcpu=[2.0, np.nextafter(2.0, 0.0)])
@example(cpu=[float("nan")] * 24, vcpu=[0.0, 2.0])  # no CPU hour: a NaN peak
@example(cpu=[0.0] * 12 + [-1.0] * 12, vcpu=[0.0, 2.0])  # 0 / 0 and x < 0 on no capacity
@given(
    cpu=st.lists(CPU, min_size=24, max_size=24),
    vcpu=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0, np.inf]), min_size=1, max_size=20),
)
def test_the_counts_equal_the_matrix(cpu: list[float], vcpu: list[float]) -> None:
    """Hours at, one ulp below and above capacity (2 cores), NaN, ±0, negative and +inf CPU;
    capacities 0, inf and finite; few candidates (the matrix) and many (the bisection)."""
    usage = make_usage(hours=24, cpu_used_p95_cores=np.array(cpu))
    n = len(vcpu)
    candidates = Candidates(
        np.ones(n, dtype=np.int64), np.array(vcpu), np.full(n, 8.0), np.full(n, 2, dtype=np.int64)
    )
    current = CapacityConfig("kubernetes", 1, 1, 2, 1.0, 8.0, None, 1.0, 8.0)
    hourly = Judgement(usage, current, candidates, Sla(300.0, 99.0, 1.0), policy_for("standard"))
    other = replace(hourly, usage=make_usage(hours=24))  # a second service in the batch

    with_matrix = evaluate_many([hourly, other])
    counted = evaluate_many([replace(hourly, hourly=False), replace(other, hourly=False)])

    for a, b in zip(with_matrix, counted, strict=True):
        np.testing.assert_array_equal(a.saturated_hours, b.saturated_hours)
        np.testing.assert_array_equal(a.breach_hours, b.breach_hours)
