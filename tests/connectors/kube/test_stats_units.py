"""Shard planning under a sample budget, shards run with failures isolated, the run status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from data.connectors.kube.runs import StatsReport, Warned, run_shards
from data.connectors.kube.shards import Shard, WorkloadTarget, plan_shards
from data.connectors.kube.usage_promql import Cadence, Scope, hourly_queries, sizing_query
from data.connectors.prometheus.targets import ServiceIssue
from data.errors import PrometheusQueryError

DAY_S = 86_400


def target(i: int, namespace: str = "shop", containers: int = 1) -> WorkloadTarget:
    return WorkloadTarget(i, f"s{i}", None, namespace, "Deployment", f"w{i:02d}", containers)


def test_shards_stay_under_the_budget_and_never_mix_namespaces() -> None:
    targets = [target(i, "shop" if i < 6 else "web", containers=2) for i in range(9)]
    pods = {t.key: 3 for t in targets}  # 3 pods x 2 containers x 1,440 samples = 8,640 each

    shards = plan_shards(targets, pods, span_s=DAY_S, interval_s=60, max_samples=20_000)

    assert [len(s.members) for s in shards] == [2, 2, 2, 2, 1]
    assert all(s.samples <= 20_000 for s in shards)
    assert [s.scope.namespace for s in shards] == ["shop"] * 3 + ["web"] * 2


def test_a_workload_above_the_budget_gets_a_shard_of_its_own() -> None:
    big, small = target(1), target(2)

    shards = plan_shards(
        [big, small], {big.key: 100}, span_s=DAY_S, interval_s=60, max_samples=1_000
    )

    assert [[t.name for t in s.members] for s in shards] == [["w01"], ["w02"]]


def test_a_failing_shard_marks_only_its_services() -> None:
    shards = [
        Shard(Scope(None, ns, ("w",)), (target(i, ns),), 1) for i, ns in enumerate(("a", "b", "c"))
    ]

    def fetch(shard: Shard) -> str:
        if shard.scope.namespace == "b":
            raise PrometheusQueryError("HTTP 422 too many samples")
        if shard.scope.namespace == "c":
            raise Warned("Prometheus warned, nothing stored: partial")
        return shard.scope.namespace

    outcomes = run_shards(shards, fetch, workers=2)

    assert list(outcomes.values.values()) == ["a"]
    assert {sid: i.kind for sid, i in outcomes.issues.items()} == {1: "failed", 2: "partial"}


@pytest.mark.parametrize(("failed", "status"), [(0, "success"), (2, "partial: 8 of 10")])
def test_the_status_says_partial_with_the_count_refreshed(failed: int, status: str) -> None:
    issues = tuple(ServiceIssue(i, f"s{i}", "failed", "boom") for i in range(failed))
    no_data = (ServiceIssue(99, "idle", "no_data", "no pods"),)

    report = StatsReport(
        datetime(2026, 1, 1, tzinfo=UTC), 60, 10, 10 - failed, 0, 0, 0, 1, issues + no_data
    )

    assert report.status == status


def test_windows_follow_the_scrape_interval() -> None:
    scope = Scope("prod", "shop", ("cart", "a.b"))

    sizing = sizing_query(scope, Cadence(30), window_s=DAY_S)
    hourly = hourly_queries(scope, Cadence(30), owners_at_s=1_000, owners_window_s=4_200)

    assert "[60s])[86400s:30s]" in sizing
    assert 'pod=~"(a\\\\.b|cart)-.+"' in sizing
    assert 'cluster="prod"' in sizing
    assert "[4200s] @ 1000)" in hourly["cpu_used_mean_cores"]
    assert "/ 120" in hourly["cpu_used_mean_cores"]
    assert "[30s]))" in hourly["memory_used_max_bytes"]
