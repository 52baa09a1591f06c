"""A Judgement that brings its window's cpu_seconds_per_request is judged as one without it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.sla import cpu_seconds_per_request, evaluate_many
from tests.engine.test_sla_summary import judgement, wavy_usage


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    hours=st.sampled_from([24, 100, 336]),
    cores=st.floats(0.02, 40.0),
    quiet=st.sampled_from(["none", "some", "all", "unmeasured"]),
    hourly=st.booleans(),
)
def test_given_service_seconds_give_the_same_verdicts(
    seed: int, hours: int, cores: float, quiet: str, hourly: bool
) -> None:
    """Windows with quiet hours, no traffic at all or no request metrics (NaN service time),
    batched with another service: every field has the same repr with the value given."""
    usages = [wavy_usage(seed + i, hours, cores * (1 + i), 0.3) for i in range(2)]
    rate = usages[0].requests_per_s.copy()
    if quiet == "some":
        rate[::3] = 0.0
    elif quiet == "all":
        rate[:] = 0.0
    elif quiet == "unmeasured":
        rate[:] = np.nan
    usages[0] = replace(usages[0], requests_per_s=rate)
    plain = [replace(judgement(u, cores, 200.0, 1.0), hourly=hourly) for u in usages]
    given_s = [replace(j, service_s=cpu_seconds_per_request(j.usage)) for j in plain]

    for a, b in zip(evaluate_many(plain), evaluate_many(given_s), strict=True):
        assert repr(a) == repr(b)


def test_the_given_value_is_the_one_used() -> None:
    """A NaN service time given for a window with traffic leaves latency unmodelled."""
    usage = wavy_usage(7, 100, 1.0, 0.2)
    plain = replace(judgement(usage, 1.0, 200.0, 1.0), hourly=False)

    assert evaluate_many([plain])[0].latency_modelled
    assert not evaluate_many([replace(plain, service_s=float("nan"))])[0].latency_modelled
