"""Screened as one batch (a fleet recompute), every grid gets screen_candidates' booleans."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.service import Sla
from engine.sla import Candidates, policy_for, screen_candidates
from engine.sla.screens import Screen, checked, screen_many
from tests.factories import make_usage

USAGE = make_usage(hours=24)  # screen_candidates reads the window's hours only through its peaks
SLAS = (Sla(300.0, 99.0, 1.0), Sla(300.0, 99.9, 1.0), Sla(200.0, 99.99, 1.0))
POLICIES = (policy_for("standard"), policy_for("latency-critical"), policy_for("batch"))

sizes = st.floats(0.0, 8.0, allow_subnormal=False)
peaks = st.floats(0.0, 40.0, allow_subnormal=False) | st.just(float("nan"))


@st.composite
def screens(draw: st.DrawFn) -> Screen:
    """A grid of 1–12 candidates (replicas 0–9, zones 1–3, vCPU and memory 0–8, zero
    capacities included), peaks 0–40 or NaN, one of three SLAs and policies."""
    count = draw(st.integers(1, 12))
    candidates = Candidates(
        np.array(draw(st.lists(st.integers(0, 9), min_size=count, max_size=count))),
        np.array(draw(st.lists(sizes, min_size=count, max_size=count))),
        np.array(draw(st.lists(sizes, min_size=count, max_size=count))),
        np.array(draw(st.lists(st.integers(1, 3), min_size=count, max_size=count))),
    )
    found = (np.float64(draw(peaks)), np.float64(draw(peaks)))
    return Screen(candidates, found, draw(st.sampled_from(SLAS)), draw(st.sampled_from(POLICIES)))


@given(batch=st.lists(screens(), min_size=1, max_size=8))
def test_a_batch_screens_each_grid_as_alone(batch: list[Screen]) -> None:
    """Grids of several SLAs and policies, screened together: each grid's booleans are those
    of screen_candidates on that grid alone, in order."""
    alone = [
        screen_candidates(USAGE, s.candidates, sla=s.sla, policy=s.policy, peaks=s.peaks)
        for s in batch
    ]
    together = screen_many(batch)
    assert len(together) == len(alone)
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)


def _unchecked(replicas: list[int], vcpu: list[float], zones: list[int]) -> Candidates:
    return Candidates.checked_already(
        np.array(replicas), np.array(vcpu), np.full(len(vcpu), 1.0), np.array(zones)
    )


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([_unchecked([1], [1.0], [1]), _unchecked([1], [-1.0], [1])], "vCPU and memory"),
        ([_unchecked([1], [-1.0], [1]), _unchecked([-1], [1.0], [1])], "vCPU and memory"),
        ([_unchecked([1], [float("nan")], [1])], "vCPU and memory"),
        ([_unchecked([1], [1.0], [0]), _unchecked([1], [-1.0], [1])], "replicas must be"),
        ([_unchecked([1, 2], [1.0], [1]), _unchecked([1], [1.0, 2.0], [1])], "aligned"),
    ],
)
def test_a_bad_grid_raises_what_checking_it_alone_raises(
    parts: list[Candidates], message: str
) -> None:
    """The first bad part raises its own error (as planning the grids one by one does), even
    when the joined columns would be aligned or another part fails another check."""
    with pytest.raises(ValueError, match=message):
        checked(parts)


def test_good_grids_are_joined_in_order() -> None:
    joined = checked([_unchecked([1, 2], [1.0, 2.0], [1, 2]), _unchecked([3], [4.0], [3])])
    np.testing.assert_array_equal(joined.replicas, [1, 2, 3])
    np.testing.assert_array_equal(joined.vcpu_per_replica, [1.0, 2.0, 4.0])
