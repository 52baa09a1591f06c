"""Workloads cut into query shards that each stay within a sample budget.

The estimate is deliberately simple: a workload's query reads about `pods seen × containers ×
window / scrape interval` samples per pass. This module is the seam where a generic budget
and splitting module (data/connectors/prometheus) plugs in later: `plan_shards` only needs an
estimate per workload and a budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from data.connectors.kube.usage_promql import Scope
from data.connectors.prometheus.selectors import MAX_ALTERNATIVES

# Prometheus refuses a query loading more than --query.max-samples (default 50 million);
# stay well below it: the per-pod CPU subquery holds one point per pod and step besides.
DEFAULT_MAX_SAMPLES = 20_000_000


@dataclass(frozen=True, slots=True)
class WorkloadTarget:
    """A discovered workload whose statistics are collected (one catalogued service)."""

    service_id: int
    slug: str
    cluster: str | None  # the series' `cluster` label; None: the Prometheus has none
    namespace: str
    kind: str
    name: str
    containers: int = 1

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.cluster or "", self.namespace, self.kind, self.name


@dataclass(frozen=True, slots=True)
class Shard:
    scope: Scope
    members: tuple[WorkloadTarget, ...]
    samples: int  # the estimate


def estimate_samples(target: WorkloadTarget, pods: int, *, span_s: int, interval_s: int) -> int:
    return max(pods, 1) * max(target.containers, 1) * max(span_s // interval_s, 1)


def plan_shards(
    targets: Sequence[WorkloadTarget],
    pods: Mapping[tuple[str, str, str, str], int],
    *,
    span_s: int,
    interval_s: int,
    max_samples: int = DEFAULT_MAX_SAMPLES,
) -> list[Shard]:
    """Per (cluster, namespace), workloads packed in order into shards under `max_samples`
    (a workload above the budget alone gets its own shard: the caller splits it in time)."""
    by_namespace: dict[tuple[str | None, str], list[WorkloadTarget]] = defaultdict(list)
    for target in targets:
        by_namespace[(target.cluster, target.namespace)].append(target)
    shards = []
    for (cluster, namespace), members in sorted(by_namespace.items(), key=_order):
        for chunk, samples in _pack(
            members, pods, span_s=span_s, interval_s=interval_s, max_samples=max_samples
        ):
            scope = Scope(cluster, namespace, tuple(t.name for t in chunk))
            shards.append(Shard(scope, tuple(chunk), samples))
    return shards


def _pack(
    members: Sequence[WorkloadTarget],
    pods: Mapping[tuple[str, str, str, str], int],
    *,
    span_s: int,
    interval_s: int,
    max_samples: int,
) -> Iterator[tuple[list[WorkloadTarget], int]]:
    chunk: list[WorkloadTarget] = []
    total = 0
    for target in sorted(members, key=lambda t: (t.name, t.kind)):
        cost = estimate_samples(
            target, pods.get(target.key, 1), span_s=span_s, interval_s=interval_s
        )
        if chunk and (total + cost > max_samples or len(chunk) >= MAX_ALTERNATIVES):
            yield chunk, total
            chunk, total = [], 0
        chunk.append(target)
        total += cost
    if chunk:
        yield chunk, total


def _order(item: tuple[tuple[str | None, str], object]) -> tuple[str, str]:
    (cluster, namespace), _ = item
    return cluster or "", namespace
