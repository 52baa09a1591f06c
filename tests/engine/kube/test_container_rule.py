"""The container_rightsize rule: containers sized, the pod judged with its replicas or its HPA."""

from __future__ import annotations

from typing import Any

import pytest

from engine.context import ServiceContext
from engine.kube.container_lines import WorkloadSizing, lines_by_workload
from engine.kube.container_rule import container_rightsize
from engine.kube.container_sizing import size_containers
from engine.kube.hpa import HpaSpec
from engine.recommendation import Recommendation
from tests.engine.kube.builders import make_stats
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_k8s_config, make_service

NAN = float("nan")


def workload(
    rows: list[dict[str, Any]] | None = None,
    *,
    hpa: HpaSpec | None = None,
    target: float = 0.9,
    **defaults: Any,
) -> WorkloadSizing:
    """Workload w1's containers through the real sizing (make_stats' defaults: `app`, 1 core and
    1 GiB requested, 0.2 cores p95 and 0.5 GiB max per pod, 500 samples), dev's 0.9 target."""
    stats = make_stats(rows, cpu_target_utilization=target, **defaults)
    sizing = size_containers(stats, usd_per_core_hour=0.02, usd_per_gib_hour=0.003)
    return WorkloadSizing(lines_by_workload(sizing)["w1"], hpa, 72.0)


def ctx_at(
    cpu_p95_cores: float, *, memory_gib: float = 1.0, hours: int = 72, **config: Any
) -> ServiceContext:
    """A dev deployment (99.0 %: no N+1), `replicas` × the pod's summed requests, flat usage."""
    settings = {"replicas": 4, "min_replicas": 1, "zones": 1, "vcpu_per_replica": 1.0,
                "cpu_request_cores": 1.0, "memory_request_gib": 1.0, **config}  # fmt: skip
    usage = flat_usage(hours, cpu_p95_cores=cpu_p95_cores, memory_gib=memory_gib)
    service = make_service(platform="kubernetes", region="us-central1")
    return make_ctx(make_k8s_config(**settings), usage, service=service)


def table(rec: Recommendation) -> dict[str, dict[str, Any]]:
    rows = rec.explanation.fact("containers")
    assert isinstance(rows, list)
    return {row["container"]: row for row in rows}


def test_an_over_requested_pod_shrinks_to_its_containers_floor_at_its_replica_count() -> None:
    ctx = ctx_at(0.6)
    sized = workload([{"container": "app"}, {"container": "envoy", "cpu_p95_cores": 0.05}])

    rec = container_rightsize(ctx, sized)

    assert (rec.kind, rec.outcome) == ("container_rightsize", "recommend")
    assert rec.proposed is not None
    assert rec.proposed.replicas == 4
    assert rec.proposed.cpu_request_cores == pytest.approx(0.223 + 0.056)  # p95 / 0.9, 1m up
    app_memory_gib = sized.containers[0].proposed.memory_request_gib
    assert app_memory_gib is not None
    assert rec.proposed.memory_request_gib == pytest.approx(2 * app_memory_gib)
    assert rec.monthly_savings_usd > 0
    assert rec.sla is not None
    assert rec.sla.passes
    assert "modelled" in str(rec.explanation.fact("cost_basis"))


def test_the_explanation_has_each_containers_current_proposed_and_observed_numbers() -> None:
    sized = workload([{"container": "app", "cpu_limit_cores": 2.0, "memory_limit_gib": 2.0}])

    rec = container_rightsize(ctx_at(0.6), sized)

    app = table(rec)["app"]
    assert (app["current_cpu_request_cores"], app["current_cpu_limit_cores"]) == (1.0, 2.0)
    assert (app["current_memory_request_gib"], app["current_memory_limit_gib"]) == (1.0, 2.0)
    assert app["proposed_cpu_request_cores"] == pytest.approx(0.223)
    assert app["proposed_cpu_limit_cores"] is None  # no CPU limit: it throttles at peaks
    assert app["proposed_memory_limit_gib"] == app["proposed_memory_request_gib"]
    assert (app["cpu_p95_cores"], app["memory_max_gib"], app["samples"]) == (0.2, 0.5, 500)
    assert rec.explanation.fact("sizing_window_hours") == 72.0


def test_a_pod_too_small_at_todays_count_gets_more_replicas() -> None:
    ctx = ctx_at(1.0)  # the workload's total p95 is above 4 × 0.223 cores × 0.9

    rec = container_rightsize(ctx, workload())

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.replicas > 4
    assert rec.sla is not None
    assert rec.sla.passes


def test_requests_below_usage_are_raised_as_a_restore_of_the_sla() -> None:
    ctx = ctx_at(1.2, cpu_request_cores=0.1, vcpu_per_replica=0.1, memory_request_gib=0.6)
    sized = workload(cpu_request_cores=0.1, memory_request_gib=0.6, cpu_p95_cores=0.3)

    rec = container_rightsize(ctx, sized)

    assert (rec.kind, rec.rule_name, rec.outcome) == (
        "restore_sla",
        "container_rightsize",
        "recommend",
    )
    assert rec.monthly_savings_usd < 0
    assert rec.explanation.fact("current_fails_sla") is True


def test_no_count_keeping_the_sla_is_sla_unreachable() -> None:
    ctx = ctx_at(0.6, memory_gib=50.0)  # the workload's memory dwarfs 8 pods of 0.58 GiB

    rec = container_rightsize(ctx, workload())

    assert rec.outcome == "sla_unreachable"
    assert "memory" in rec.reason


def test_todays_requests_when_they_are_the_floor_are_already_optimal() -> None:
    ctx = ctx_at(0.6, cpu_request_cores=0.223, vcpu_per_replica=0.223, memory_request_gib=0.575)
    sized = workload(cpu_request_cores=0.223, memory_request_gib=0.575, memory_max_gib=0.5)

    rec = container_rightsize(ctx, sized)

    assert rec.outcome == "already_optimal"


def test_a_floor_costing_more_than_requests_that_keep_the_sla_is_not_proposed() -> None:
    ctx = ctx_at(0.2, memory_request_gib=0.25)  # 1 core each: CPU passes, 1 GiB of usage fits
    sized = workload(memory_request_gib=0.25, cpu_p95_cores=0.9)

    rec = container_rightsize(ctx, sized)

    assert rec.outcome == "already_optimal"
    assert "keep the SLA" in rec.reason


def test_a_saving_under_the_threshold_is_not_worth_a_change() -> None:
    ctx = ctx_at(0.6, cpu_request_cores=0.23, vcpu_per_replica=0.23, memory_request_gib=0.575)
    sized = workload(cpu_request_cores=0.23, memory_request_gib=0.575)

    rec = container_rightsize(ctx, sized)

    assert rec.outcome == "no_change_worth_making"


def test_with_an_hpa_the_pod_and_the_hpa_are_sized_together() -> None:
    ctx = ctx_at(12.0, replicas=14, min_replicas=2, memory_request_gib=2.0)
    hpa = HpaSpec(2, 15, 90.0)
    sized = workload(hpa=hpa, cpu_p95_cores=0.45, memory_request_gib=2.0)  # 0.5 cores a pod

    rec = container_rightsize(ctx, sized)

    assert rec.outcome == "recommend"
    facts = rec.explanation.fact("hpa")
    assert isinstance(facts, dict)
    peak, high = facts["peak_demand_cores"], facts["proposed_max_replicas"]
    target = facts["proposed_target_cpu_utilization_pct"]
    assert isinstance(peak, float)
    assert isinstance(high, int)
    assert isinstance(target, float)
    assert rec.proposed is not None
    assert rec.proposed.cpu_request_cores == pytest.approx(0.5)
    assert high > hpa.max_replicas  # half the request: the HPA needs more pods at peak
    assert peak <= high * (rec.proposed.cpu_request_cores or 0.0) * target / 100
    assert rec.proposed.min_replicas == facts["proposed_min_replicas"]
    assert facts["changes"] == [f"maxReplicas 15 → {high}"]


def test_without_a_sized_container_there_is_not_enough_data() -> None:
    rec = container_rightsize(ctx_at(0.6), workload(samples=99))

    assert rec.outcome == "not_enough_data"


def test_a_window_shorter_than_the_profiles_days_is_not_enough_data() -> None:
    rec = container_rightsize(ctx_at(0.6, hours=36), workload())

    assert (rec.outcome, rec.reason) == (
        "not_enough_data",
        "not enough data: 1.5 of 2 days of hourly usage",
    )


def test_two_workloads_with_an_app_container_each_keep_their_own_lines() -> None:
    stats = make_stats(
        [{"workload_id": "w1", "cpu_p95_cores": 0.2}, {"workload_id": "w2", "cpu_p95_cores": 0.7}]
    )

    lines = lines_by_workload(
        size_containers(stats, usd_per_core_hour=0.02, usd_per_gib_hour=0.003)
    )

    assert [(line.container, line.cpu_p95_cores) for line in lines["w1"]] == [("app", 0.2)]
    assert [(line.container, line.cpu_p95_cores) for line in lines["w2"]] == [("app", 0.7)]
