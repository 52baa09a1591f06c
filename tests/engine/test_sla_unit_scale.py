"""A demand scale of 1 skips the multiplications: the verdicts of multiplying by ones."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sla import CandidateVerdicts, evaluate_many
from engine.sla.hours import _unit_scale
from engine.sla.judge import _unit_scale as _unit_scale_view
from tests.engine.test_sla_summary import judgement, wavy_usage


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    hours=st.sampled_from([24, 100, 2160]),
    cores=st.floats(0.02, 40.0),
    noise=st.floats(0.0, 0.6),
    hourly=st.booleans(),
)
def test_scale_one_gives_the_verdicts_of_multiplying_by_ones(
    seed: int, hours: int, cores: float, noise: float, hourly: bool
) -> None:
    """Scalar 1.0 (nothing multiplied) against an array of ones (every hour multiplied), with
    and without hourly arrays, services batched together: every field equal, cell for cell."""
    usage = wavy_usage(seed, hours, cores, noise)
    other = wavy_usage(seed + 1, hours, cores * 2, noise)
    plain = [replace(judgement(u, cores, 200.0, 1.0), hourly=hourly) for u in (usage, other)]
    ones = [replace(j, demand_scale=np.ones(hours)) for j in plain]
    for a, b in zip(evaluate_many(plain), evaluate_many(ones), strict=True):
        for field in fields(CandidateVerdicts):
            x, y = getattr(a, field.name), getattr(b, field.name)
            if field.name == "sub_scores":
                x, y = x.total, y.total
            np.testing.assert_array_equal(x, y, err_msg=field.name)  # NaN equals NaN here


def test_only_a_broadcast_one_is_a_unit_scale() -> None:
    assert _unit_scale(np.broadcast_to(np.float64(1.0), (48,)))
    assert not _unit_scale(np.broadcast_to(np.float64(2.0), (48,)))
    assert not _unit_scale(np.ones(48))  # read hour by hour: multiplied (the same values)
    assert _unit_scale(np.empty(0))


def test_the_default_scale_is_one_shared_read_only_view_per_window_length() -> None:
    """judge._hours_request's unit scale: stride 0 (hours reads it as unit without its hours),
    read-only (shared by every judgement of a window length), 1.0 everywhere."""
    scale = _unit_scale_view(48)

    assert scale is _unit_scale_view(48)
    assert scale.shape == (48,)
    assert _unit_scale(scale)
    assert not scale.flags.writeable
    assert (scale == 1.0).all()


@pytest.mark.parametrize("scale", [-1.0, -0.5, np.float64(-2.0)])
def test_a_negative_scalar_scale_is_still_refused(scale: float) -> None:
    usage = wavy_usage(3, 48, 1.0, 0.1)
    with pytest.raises(ValueError, match="demand_scale must be >= 0"):
        evaluate_many([replace(judgement(usage, 1.0, 200.0, 1.0), demand_scale=scale)])
