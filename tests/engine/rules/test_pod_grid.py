"""joint's pod grid: each count and its memory repeated per distinct CPU step, as masking the
counts broadcast over the steps gives (the rule's first, direct form)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rules.joint import _pod_grid
from engine.rules.sizing import Needs, round_memory_gib
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_k8s_config


@settings(max_examples=80, deadline=None)
@given(
    cpu_need=st.floats(0.0, 40.0),
    memory_need=st.floats(0.0, 64.0),
    current_cpu=st.sampled_from([0.0, 0.001, 0.25, 0.5, 1.0, 2.0]),
    first=st.integers(1, 4),
    count=st.integers(1, 20),
)
def test_the_grid_is_the_masked_broadcast(
    cpu_need: float, memory_need: float, current_cpu: float, first: int, count: int
) -> None:
    ctx = make_ctx(make_k8s_config(cpu_request_cores=current_cpu), flat_usage(48))
    replicas = np.arange(first, first + count, dtype=np.int64)

    grid = _pod_grid(ctx, Needs(cpu_need, memory_need, cpu_need, memory_need), replicas)

    steps = np.array([1.0, 1.25, 1.5, 2.0])
    wanted = cpu_need / replicas[:, None] * steps[None, :]
    cpu = np.maximum(np.ceil(np.round(wanted * 1000, 6)) / 1000, ctx.profile.cpu_floor_cores)
    cpu = np.sort(np.concatenate([np.full((count, 1), current_cpu), cpu], axis=1), axis=1)
    distinct = np.ones(cpu.shape, dtype=bool)
    distinct[:, 1:] = cpu[:, 1:] != cpu[:, :-1]
    floor = ctx.profile.memory_floor_gib
    memory = np.array([round_memory_gib(memory_need / n, floor) for n in replicas.tolist()])
    np.testing.assert_array_equal(
        grid.replicas, np.broadcast_to(replicas[:, None], cpu.shape)[distinct]
    )
    np.testing.assert_array_equal(grid.cpu_request_cores, cpu[distinct])
    np.testing.assert_array_equal(
        grid.memory_request_gib, np.broadcast_to(memory[:, None], cpu.shape)[distinct]
    )
    assert grid.replicas.dtype == np.int64
