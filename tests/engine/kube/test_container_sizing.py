"""Per-container sizing: KRR's floor, the SLA headroom on top, deltas and their monthly cost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.kube.container_sizing import (
    BYTES_PER_GIB,
    NOT_ENOUGH_DATA,
    ContainerSizing,
    ContainerStats,
    KrrSettings,
    Resources,
    size_containers,
    target_utilization,
)
from engine.sla import policy_for
from tests.engine.kube.builders import NAN, make_stats


def sized(stats: ContainerStats, krr: KrrSettings | None = None) -> ContainerSizing:
    """size_containers at $0.02/core-h and $0.003/GiB-h."""
    return size_containers(stats, usd_per_core_hour=0.02, usd_per_gib_hour=0.003, krr=krr)


def test_a_container_at_0_2_cores_p95_with_a_1_core_request_gets_0_2_cores() -> None:
    sizing = sized(make_stats())

    proposal = sizing.at(0)
    assert proposal.krr.cpu_request_cores == pytest.approx(0.2)
    assert proposal.proposed.cpu_request_cores == pytest.approx(0.2)
    assert proposal.current.cpu_request_cores == 1.0


def test_memory_request_and_limit_are_the_max_plus_15_pct_rounded_up_to_a_megabyte() -> None:
    sizing = sized(make_stats(memory_max_gib=0.5))

    megabytes = -(-0.5 * 1.15 * BYTES_PER_GIB // 1e6)
    expected = megabytes * 1e6 / BYTES_PER_GIB
    assert sizing.at(0).proposed.memory_request_gib == pytest.approx(expected)
    assert sizing.at(0).proposed.memory_limit_gib == pytest.approx(expected)


def test_no_cpu_limit_is_proposed_even_when_one_is_set() -> None:
    sizing = sized(make_stats(cpu_limit_cores=2.0))

    assert sizing.at(0).current.cpu_limit_cores == 2.0
    assert sizing.at(0).proposed.cpu_limit_cores is None


def test_tiny_usage_is_floored_at_10m_and_100_megabytes() -> None:
    sizing = sized(make_stats(cpu_p95_cores=0.0004, memory_max_gib=0.001))

    assert sizing.at(0).proposed.cpu_request_cores == pytest.approx(0.010)
    assert sizing.at(0).proposed.memory_request_gib == pytest.approx(100e6 / BYTES_PER_GIB)


def test_cpu_rounds_up_to_a_whole_millicore() -> None:
    sizing = sized(make_stats(cpu_p95_cores=0.2301))

    assert sizing.at(0).proposed.cpu_request_cores == pytest.approx(0.231)


def test_an_sla_adds_headroom_up_to_its_saturation_limit_on_top_of_krr() -> None:
    limit = target_utilization(policy_for("standard"))  # 0.75

    sizing = sized(make_stats(cpu_target_utilization=limit))

    assert sizing.at(0).krr.cpu_request_cores == pytest.approx(0.2)
    assert sizing.at(0).proposed.cpu_request_cores == pytest.approx(0.267)


def test_too_few_samples_keep_the_current_values_and_say_why() -> None:
    sizing = sized(make_stats(samples=99, cpu_limit_cores=2.0))

    proposal = sizing.at(0)
    assert proposal.info == NOT_ENOUGH_DATA
    assert proposal.krr == Resources(None, None, None, None)
    assert proposal.proposed == proposal.current
    assert sizing.workloads.monthly_cost_usd.tolist() == [0.0]


def test_points_required_is_a_setting() -> None:
    sizing = sized(make_stats(samples=20), KrrSettings(points_required=10))

    assert sizing.at(0).info == ""


def test_deltas_sum_a_workloads_containers_and_scale_by_replicas() -> None:
    stats = make_stats(
        [
            {"container": "app", "cpu_p95_cores": 0.2, "memory_max_gib": 0.5},
            {"container": "sidecar", "cpu_p95_cores": 0.05, "memory_max_gib": 0.1},
            {"workload_id": "w2", "replicas": 1, "cpu_request_cores": NAN},
        ],
        memory_request_gib=1.0,
    )

    sizing = sized(stats)

    deltas = sizing.workloads
    memory = [sizing.at(i).proposed.memory_request_gib or 0.0 for i in range(3)]
    assert deltas.workload_id.tolist() == ["w1", "w2"]
    assert deltas.cpu_cores_per_replica.tolist() == pytest.approx([0.25 - 2.0, 0.2])
    assert deltas.memory_gib_per_replica.tolist() == pytest.approx(
        [memory[0] + memory[1] - 2.0, memory[2] - 1.0]
    )
    assert deltas.cpu_cores.tolist() == pytest.approx([3 * (0.25 - 2.0), 0.2])
    hourly_w1 = (0.25 - 2.0) * 0.02 + (memory[0] + memory[1] - 2.0) * 0.003
    assert deltas.monthly_cost_usd[0] == pytest.approx(hourly_w1 * 3 * 730)


def test_misaligned_columns_are_refused() -> None:
    stats = make_stats()

    with pytest.raises(ValueError, match="aligned"):
        type(stats)(**{**{f: getattr(stats, f) for f in stats.__slots__}, "pods": stats.pods[:0]})


@settings(max_examples=100, deadline=None)
@given(
    cpu_p95_cores=st.floats(0.0, 64.0),
    memory_max_gib=st.floats(0.0, 256.0),
    target=st.floats(0.1, 1.0),
    more=st.floats(0.0, 8.0),
)
def test_the_proposal_never_undercuts_krr_and_grows_with_usage(
    cpu_p95_cores: float, memory_max_gib: float, target: float, more: float
) -> None:
    row = {"cpu_p95_cores": cpu_p95_cores, "memory_max_gib": memory_max_gib}
    rows = [row, {**row, "cpu_p95_cores": cpu_p95_cores + more}]

    sizing = sized(make_stats(rows, cpu_target_utilization=target))

    low, high = sizing.at(0), sizing.at(1)
    assert (low.proposed.cpu_request_cores or 0) >= (low.krr.cpu_request_cores or 0)
    assert (low.proposed.cpu_request_cores or 0) >= cpu_p95_cores / target - 1e-9
    assert (high.proposed.cpu_request_cores or 0) >= (low.proposed.cpu_request_cores or 0)
    assert (low.proposed.memory_request_gib or 0) >= memory_max_gib * 1.15 - 1e-9
