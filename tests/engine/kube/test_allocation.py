"""Node cost allocation: max(request, usage) shares, idle per cluster, every dollar kept."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.kube.allocation import (
    Allocation,
    Containers,
    CostSplit,
    Nodes,
    allocate,
    cost_split_for,
)
from tests.engine.rules.builders import small_catalog

HALF = CostSplit(cpu_share=0.5)


def one_node(cost_usd: float = 1.0, cpu_cores: float = 4.0, memory_gib: float = 16.0) -> Nodes:
    """One node in cluster "c1"."""
    return Nodes(
        node_id=np.array(["n1"]),
        cluster_id=np.array(["c1"]),
        cost_usd=np.array([cost_usd]),
        cpu_cores=np.array([cpu_cores]),
        memory_gib=np.array([memory_gib]),
    )


def containers(
    workloads: list[str],
    cpu_request: list[float],
    cpu_usage: list[float],
    memory_request: list[float],
    memory_usage: list[float],
    node: list[int] | None = None,
) -> Containers:
    """Containers on node 0 unless `node` says otherwise."""
    return Containers(
        workload_id=np.array(workloads),
        node=np.array(node if node is not None else [0] * len(workloads), dtype=np.intp),
        cpu_request_cores=np.array(cpu_request, dtype=np.float64),
        cpu_usage_cores=np.array(cpu_usage, dtype=np.float64),
        memory_request_gib=np.array(memory_request, dtype=np.float64),
        memory_usage_gib=np.array(memory_usage, dtype=np.float64),
    )


def by_workload(result: Allocation) -> dict[str, tuple[float, float]]:
    return {
        str(w): (float(c), float(m))
        for w, c, m in zip(result.workload_id, result.cpu_usd, result.memory_usd, strict=True)
    }


def test_two_workloads_on_one_node_pay_their_max_of_request_and_usage() -> None:
    # $1/h node, half CPU: $0.125 per core-h (4 cores), $0.03125 per GiB-h (16 GiB).
    pods = containers(["a", "b"], [1.0, 0.5], [0.5, 1.5], [4.0, 2.0], [2.0, 3.0])

    result = allocate(one_node(), pods, split=HALF)

    costs = by_workload(result)
    assert costs["a"] == pytest.approx((0.125, 4 * 0.03125))  # request 1 core, 4 GiB
    assert costs["b"] == pytest.approx((1.5 * 0.125, 3 * 0.03125))  # usage 1.5 cores, 3 GiB
    assert float(result.idle_cpu_usd[0]) == pytest.approx(1.5 * 0.125)  # 4 − 2.5 cores
    assert float(result.idle_memory_usd[0]) == pytest.approx(9 * 0.03125)


def test_an_overcommitted_node_is_split_by_share_and_leaves_no_idle() -> None:
    # 6 cores held on a 4-core node: a holds 2 of 6, b holds 4 of 6 of the $0.5 CPU cost.
    pods = containers(["a", "b"], [2.0, 1.0], [1.0, 4.0], [1.0, 1.0], [1.0, 1.0])

    result = allocate(one_node(), pods, split=HALF)

    costs = by_workload(result)
    assert costs["a"][0] == pytest.approx(0.5 * 2 / 6)
    assert costs["b"][0] == pytest.approx(0.5 * 4 / 6)
    assert float(result.idle_cpu_usd[0]) == 0.0
    assert result.overcommitted_cpu.tolist() == [True]
    assert result.overcommitted_memory.tolist() == [False]


def test_unset_requests_and_missing_usage_count_as_zero() -> None:
    pods = containers(["a"], [float("nan")], [1.0], [2.0], [float("nan")])

    result = allocate(one_node(), pods, split=HALF)

    assert by_workload(result)["a"] == pytest.approx((0.125, 2 * 0.03125))


def test_split_by_prices_follows_the_node_shape() -> None:
    split = CostSplit(cpu_usd_per_core_hour=0.03, memory_usd_per_gib_hour=0.005)

    shares = split.cpu_shares(np.array([4.0, 2.0]), np.array([16.0, 16.0]))

    assert shares.tolist() == pytest.approx([0.12 / 0.2, 0.06 / 0.14])


def test_the_split_uses_the_catalogs_per_resource_prices_where_it_has_them() -> None:
    catalog = small_catalog()  # us-central1: $0.02 per core-h, $0.003 per GiB-h

    assert cost_split_for(catalog, "us-central1") == CostSplit(0.02, 0.003)
    assert cost_split_for(catalog, "mars-north1") == CostSplit()


def test_idle_is_reported_per_cluster() -> None:
    nodes = Nodes(
        node_id=np.array(["n1", "n2", "n3"]),
        cluster_id=np.array(["east", "west", "east"]),
        cost_usd=np.array([1.0, 2.0, 3.0]),
        cpu_cores=np.array([4.0, 4.0, 4.0]),
        memory_gib=np.array([16.0, 16.0, 16.0]),
    )
    pods = containers(["a"], [4.0], [0.0], [16.0], [0.0], node=[1])

    result = allocate(nodes, pods, split=HALF)

    assert result.cluster_id.tolist() == ["east", "west"]
    assert result.idle_usd.tolist() == pytest.approx([4.0, 0.0])
    assert result.total_usd.tolist() == pytest.approx([2.0])


def test_a_container_on_an_unknown_node_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the nodes"):
        allocate(one_node(), containers(["a"], [1.0], [1.0], [1.0], [1.0], node=[3]), split=HALF)


def test_a_cpu_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="cpu_share"):
        CostSplit(cpu_share=1.5)


_amount = st.floats(min_value=0.0, max_value=64.0, allow_nan=False)


@st.composite
def fleets(draw: st.DrawFn) -> tuple[Nodes, Containers]:
    n_nodes = draw(st.integers(1, 5))
    n_pods = draw(st.integers(0, 12))
    nodes = Nodes(
        node_id=np.array([f"n{i}" for i in range(n_nodes)]),
        cluster_id=np.array([draw(st.sampled_from(["c1", "c2"])) for _ in range(n_nodes)]),
        cost_usd=np.array([draw(st.floats(0.0, 10.0)) for _ in range(n_nodes)]),
        cpu_cores=np.array([draw(_amount) for _ in range(n_nodes)]),
        memory_gib=np.array([draw(_amount) for _ in range(n_nodes)]),
    )
    column = st.lists(_amount, min_size=n_pods, max_size=n_pods)
    pods = Containers(
        workload_id=np.array([draw(st.sampled_from("abc")) for _ in range(n_pods)], dtype=np.str_),
        node=np.array(
            draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_pods, max_size=n_pods)),
            dtype=np.intp,
        ),
        cpu_request_cores=np.array(draw(column)),
        cpu_usage_cores=np.array(draw(column)),
        memory_request_gib=np.array(draw(column)),
        memory_usage_gib=np.array(draw(column)),
    )
    return nodes, pods


@settings(max_examples=200, deadline=None)
@given(fleets(), st.sampled_from([HALF, CostSplit(), CostSplit(cpu_share=0.9)]))
def test_workloads_plus_idle_add_up_to_the_node_cost(
    fleet: tuple[Nodes, Containers], split: CostSplit
) -> None:
    nodes, pods = fleet

    result = allocate(nodes, pods, split=split)

    allocated = result.total_usd.sum() + result.idle_usd.sum()
    assert allocated == pytest.approx(nodes.cost_usd.sum(), rel=1e-9, abs=1e-9)
    assert (result.total_usd >= 0).all()
    assert (result.idle_usd >= 0).all()


@settings(max_examples=200, deadline=None)
@given(fleets(), st.floats(0.0, 16.0), st.booleans())
def test_holding_more_never_costs_a_container_less_nor_adds_idle(
    fleet: tuple[Nodes, Containers], extra: float, on_cpu: bool
) -> None:
    nodes, pods = fleet
    if not len(pods.node):
        return
    column = "cpu_usage_cores" if on_cpu else "memory_request_gib"
    more = getattr(pods, column).copy()
    more[0] += extra
    bigger = Containers(**{**_columns(pods), column: more})

    before = allocate(nodes, pods, split=HALF)
    after = allocate(nodes, bigger, split=HALF)

    at = int(np.flatnonzero(before.workload_id == pods.workload_id[0])[0])
    assert after.total_usd[at] >= before.total_usd[at] - 1e-9
    assert after.idle_usd.sum() <= before.idle_usd.sum() + 1e-9


def _columns(pods: Containers) -> dict[str, np.ndarray]:
    return {field.name: getattr(pods, field.name) for field in fields(Containers)}
