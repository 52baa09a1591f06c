"""PromQL for one batch of services: aggregation pushed down, one series per service out.

Range queries run at step 1h and are evaluated at hour *ends*: the value at `t` describes the
hour [t - 1h, t). Counters use `rate(...[1h])` (the hourly mean), percentiles a subquery over
`rate(...[10m])` at 5 min resolution, gauges `max_over_time(...[1h])` per series, then summed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from data.connectors.prometheus.mapping import Kind, Labels, group_key
from data.connectors.prometheus.selectors import Matcher, by_clause, eq, one_of, selector

RATE_WINDOW = "10m"
SUBQUERY_STEP = "5m"
SUBQUERY_STEP_S = 300


@dataclass(frozen=True, slots=True)
class Batch:
    """Services whose selectors differ only in one label: one query covers all of them."""

    names: tuple[str, ...]
    matchers: tuple[Matcher, ...]
    members: tuple[Labels, ...]

    @classmethod
    def of(cls, members: Sequence[Labels]) -> Batch:
        names, varying, fixed = group_key(members[0])
        if any(group_key(m)[::2] != (names, fixed) for m in members):
            raise ValueError("a batch needs one label set and equal fixed labels")
        matchers = [eq(name, value) for name, value in fixed]
        matchers.append(one_of(varying, (dict(m)[varying] for m in members)))
        ordered = sorted(matchers, key=lambda m: names.index(m.name))
        return cls(names, tuple(ordered), tuple(members))

    def sel(self, metric: str, *extra: Matcher) -> str:
        return selector(metric, (*self.matchers, *extra))

    @property
    def by(self) -> str:
        return by_clause(self.names)

    def by_with(self, *labels: str) -> str:
        return by_clause((*self.names, *labels))


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL expression and what it measures (`metric` names the result)."""

    metric: str
    promql: str


def resource_queries(kind: Kind, batch: Batch) -> tuple[Query, ...]:
    """Hourly CPU mean and p95 (cores) and memory max (bytes), summed over replicas."""
    if kind == "kubernetes":
        cpu = batch.sel("container_cpu_usage_seconds_total")
        memory = f"max_over_time({batch.sel('container_memory_working_set_bytes')}[1h])"
    else:
        cpu = batch.sel("node_cpu_seconds_total", Matcher("mode", "!=", "idle"))
        # max(total) - min(available) over the hour's own samples: the peak used memory when
        # total is constant, without a subquery that would reach into the previous hour.
        memory = (
            f"max_over_time({batch.sel('node_memory_MemTotal_bytes')}[1h]) - "
            f"min_over_time({batch.sel('node_memory_MemAvailable_bytes')}[1h])"
        )
    return (
        Query("cpu_used_mean_cores", f"sum by {batch.by} (rate({cpu}[1h]))"),
        Query(
            "cpu_used_p95_cores",
            f"quantile_over_time(0.95, sum by {batch.by} (rate({cpu}[{RATE_WINDOW}]))"
            f"[1h:{SUBQUERY_STEP}])",
        ),
        Query("memory_used_max_bytes", f"sum by {batch.by} ({memory})"),
        *((_throttling(batch),) if kind == "kubernetes" else ()),
    )


def _throttling(batch: Batch) -> Query:
    """Hourly share of CFS periods throttled (an undersizing signal; max taken per window).

    Hourly rates rather than a 5-minute subquery over the whole window: the same question
    ("was it throttled hard in some hour?") for a tenth of Prometheus's work (bench).
    """
    throttled = batch.sel("container_cpu_cfs_throttled_periods_total")
    periods = batch.sel("container_cpu_cfs_periods_total")
    return Query(
        "throttled_ratio",
        f"sum by {batch.by} (rate({throttled}[1h])) / sum by {batch.by} (rate({periods}[1h]))",
    )


def http_queries(batch: Batch, *, status_label: str) -> tuple[Query, ...]:
    """Hourly requests/s, 5xx requests/s and p95 latency (seconds)."""
    total = batch.sel("http_requests_total")
    errors = batch.sel("http_requests_total", Matcher(status_label, "=~", "5.."))
    buckets = batch.sel("http_request_duration_seconds_bucket")
    return (
        Query("requests_per_s", f"sum by {batch.by} (rate({total}[1h]))"),
        Query("errors_per_s", f"sum by {batch.by} (rate({errors}[1h]))"),
        Query(
            "latency_p95_s",
            f"histogram_quantile(0.95, sum by {batch.by_with('le')} (rate({buckets}[1h])))",
        ),
    )


def signal_queries(batch: Batch, *, window: str) -> tuple[Query, ...]:
    """Instant queries at the window end: requests/limits per replica, OOM-killed containers."""
    spec = f"[{RATE_WINDOW}]"
    requests = batch.sel(
        "kube_pod_container_resource_requests", one_of("resource", ("cpu", "memory"))
    )
    limits = batch.sel("kube_pod_container_resource_limits", one_of("resource", ("cpu", "memory")))
    oom = batch.sel("kube_pod_container_status_last_terminated_reason", eq("reason", "OOMKilled"))
    return (
        Query("requests", f"max by {batch.by_with('resource')} (last_over_time({requests}{spec}))"),
        Query("limits", f"max by {batch.by_with('resource')} (last_over_time({limits}{spec}))"),
        Query("oom_killed_containers", f"sum by {batch.by} (max_over_time({oom}[{window}]))"),
    )
