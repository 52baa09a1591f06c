"""PromQL for per-workload statistics: cAdvisor per pod, joined onto the owner chain, one
series per workload (and container) out, whatever the number of pods.

Windows are tied to the scrape interval (decision 018). With samples every `interval`:

    rate(cpu[2 × interval])      holds exactly two samples: the rate over one scrape interval
    max_over_time(mem[interval]) holds exactly one: the sample itself, gone when the pod is
                                 (a bare selector would repeat a dead pod's last value for 5 min)
    [window:interval]            one subquery step per sample: every interval counted once

KRR's `rate[75s]` at 75 s steps on 60 s scrapes holds two samples at one step in four, so its
p95 is over every fifth minute; ours is over every minute, and agrees within sampling noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from data.connectors.kube.owners import pod_owner_expr
from data.connectors.prometheus.selectors import Matcher, eq, regex_literal, selector

WORKLOAD_BY = "cluster, namespace, workload, workload_type"
CONTAINER_BY = f"{WORKLOAD_BY}, container"
_POD_BY = "cluster, namespace, pod, container"
_JOIN = "on (cluster, namespace, pod) group_left (workload, workload_type)"
CPU = "container_cpu_usage_seconds_total"
MEMORY = "container_memory_working_set_bytes"
COUNTS_BASE = 2**32


@dataclass(frozen=True, slots=True)
class Cadence:
    """The scrape interval and the windows derived from it. `sizing_every` > 1 takes the CPU
    p95 over every n-th interval's rate only (n times less subquery work; KRR's 75 s steps on
    60 s scrapes amount to every fifth)."""

    interval_s: int
    sizing_every: int = 1

    @property
    def rate_window(self) -> str:
        return f"{2 * self.interval_s}s"

    @property
    def sample_window(self) -> str:
        return f"{self.interval_s}s"

    @property
    def step(self) -> str:
        return f"{self.interval_s}s"

    @property
    def sizing_step(self) -> str:
        return f"{self.interval_s * self.sizing_every}s"


@dataclass(frozen=True, slots=True)
class Scope:
    """The series one query reads: one namespace (and cluster), pods of the named workloads.

    Pods are named after their workload (`<deployment>-<hash>-<hash>`, `<statefulset>-<n>`,
    `<cronjob>-<job>-<hash>`), so a name-prefix regex keeps a big namespace's shards apart; a
    pod of another workload sharing the prefix is read, then dropped by the owner join."""

    cluster: str | None
    namespace: str
    workloads: tuple[str, ...]

    def matchers(self) -> tuple[Matcher, ...]:
        exact = [eq("cluster", self.cluster)] if self.cluster else []
        exact.append(eq("namespace", self.namespace))
        names = "|".join(regex_literal(name) for name in sorted(set(self.workloads)))
        pods = Matcher("pod", "=~", f"({names})-.+")
        return (*exact, Matcher("container", "!=", ""), Matcher("container", "!=", "POD"), pods)

    def owner_matchers(self) -> Mapping[str, str]:
        exact = {"namespace": self.namespace}
        return {**exact, "cluster": self.cluster} if self.cluster else exact


def sizing_query(scope: Scope, cadence: Cadence, *, window_s: int) -> str:
    """Instant query: per workload and container, the max over its pods of each pod's CPU p95
    (`stat="cpu_p95"`, cores) and memory max (`"memory_max"`, bytes), and the CPU samples and
    pods seen packed in one value (`"counts"`: pods × COUNTS_BASE + samples; see `unpack`),
    over the `window_s` before the evaluation time."""
    owners = pod_owner_expr(window_s=window_s, matchers=scope.owner_matchers())
    cpu = selector(CPU, scope.matchers())
    memory = selector(MEMORY, scope.matchers())
    # Duplicate series (two scrape jobs) are merged after the percentile, not at every step:
    # an aggregation inside the subquery costs 2.6x the whole query (measured, 3 days).
    rates = f"rate({cpu}[{cadence.rate_window}])[{window_s}s:{cadence.sizing_step}]"
    p95 = f"max by ({_POD_BY}) (quantile_over_time(0.95, {rates}))"
    peak = f"max by ({_POD_BY}) (max_over_time({memory}[{window_s}s]))"
    # One pass for both counts: summed over pods, COUNTS_BASE + samples carries the pods in
    # its high part (exact in a float while pods < 2^21 and samples per pod < 2^32).
    counts = f"max by ({_POD_BY}) (count_over_time({cpu}[{window_s}s])) + {COUNTS_BASE}"

    def joined(aggregate: str, per_pod: str) -> str:
        return f"{aggregate} by ({CONTAINER_BY}) (({per_pod}) * {_JOIN} {owners})"

    return _stats(
        {
            "cpu_p95": joined("max", p95),
            "memory_max": joined("max", peak),
            "counts": joined("sum", counts),
        }
    )


def unpack(counts: float) -> tuple[int, int]:
    """(pods, samples) from a `"counts"` value."""
    pods, samples = divmod(int(counts), COUNTS_BASE)
    return pods, samples


def hourly_queries(
    scope: Scope, cadence: Cadence, *, owners_at_s: int, owners_window_s: int
) -> dict[str, str]:
    """Range queries at step 1 h (the value at `t` is the hour before `t`) of the workload's
    *summed* usage at each scrape: CPU mean (minutes without pods count 0) and p95 (over the
    minutes it ran), and memory max of the instantaneous sum, so a rollout's old and new pods
    add up only at instants when both run. The pod → workload map is the one of every pod
    seen in the `owners_window_s` before `owners_at_s` (the query's range), pinned with `@`:
    Prometheus evaluates it once, not at every scrape step (4.7x faster, measured)."""
    owners = pinned_owners(scope, window_s=owners_window_s, at_s=owners_at_s)
    cpu = selector(CPU, scope.matchers())
    memory = selector(MEMORY, scope.matchers())
    per_pod_cpu = f"max by ({_POD_BY}) (rate({cpu}[{cadence.rate_window}]))"
    per_pod_memory = f"max by ({_POD_BY}) (max_over_time({memory}[{cadence.sample_window}]))"

    def summed(per_pod: str) -> str:
        inner = f"sum by ({WORKLOAD_BY}) (({per_pod}) * {_JOIN} {owners})"
        # 3599 s: the hour's own steps only, on either side of Prometheus 3's left-open ranges.
        return f"({inner})[3599s:{cadence.step}]"

    per_hour = 3600 // cadence.interval_s
    return {
        "cpu_used_mean_cores": f"sum_over_time({summed(per_pod_cpu)}) / {per_hour}",
        "cpu_used_p95_cores": f"quantile_over_time(0.95, {summed(per_pod_cpu)})",
        "memory_used_max_bytes": f"max_over_time({summed(per_pod_memory)})",
    }


def pinned_owners(scope: Scope, *, window_s: int, at_s: int) -> str:
    """`pod_owner_expr(window_s=...)` with every range selector pinned at `at_s`.

    owners.py has no `at` parameter yet; its windowed selectors all end in `[<w>s])`."""
    windowed = pod_owner_expr(window_s=window_s, matchers=scope.owner_matchers())
    token = f"[{window_s}s])"
    if windowed.count(token) < 3:
        raise ValueError("pod_owner_expr changed shape: pin its selectors another way")
    return windowed.replace(token, f"[{window_s}s] @ {at_s})")


def interval_query() -> str:
    """The median number of CPU samples per series over the last 10 minutes (600 / it: the
    scrape interval)."""
    cpu = selector(CPU, (Matcher("container", "!=", ""), Matcher("container", "!=", "POD")))
    return f"quantile(0.5, count_over_time({cpu}[10m]))"


def pods_query(*, window_s: int, matchers: Mapping[str, str] | None = None) -> str:
    """Pods seen in the window per workload: what a shard's sample estimate is built from."""
    owners = pod_owner_expr(window_s=window_s, matchers=matchers)
    return f"count by ({WORKLOAD_BY}) ({owners})"


def _stats(parts: Mapping[str, str]) -> str:
    """One query, several answers told apart by a `stat` label."""
    tagged: Sequence[str] = [
        f'label_replace({expr}, "stat", "{name}", "", "")' for name, expr in parts.items()
    ]
    return "\n  or ".join(tagged)
