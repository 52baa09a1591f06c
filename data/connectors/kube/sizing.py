"""Per-container sizing statistics of every discovered workload, KRR-comparable, in one
query per shard (a namespace's workloads within a sample budget) instead of four per
container: each pod's CPU p95 and memory max, then the max over the workload's pods.

Cost per run: 1 query for the scrape interval (unless configured), 1 for the pods per
workload (kube-state-metrics only), 1 per shard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from data.connectors.kube.owners import Key, workload_key
from data.connectors.kube.runs import (
    StatsConfig,
    StatsReport,
    check_warnings,
    finish,
    no_data,
    run_shards,
    scrape_interval,
)
from data.connectors.kube.shards import Shard, WorkloadTarget, plan_shards
from data.connectors.kube.usage_promql import Cadence, pods_query, sizing_query, unpack
from data.connectors.prometheus.client import PrometheusClient, Series
from data.connectors.prometheus.targets import ServiceIssue
from data.repos.sizing import ContainerSizing, replace_sizing, workload_targets

GIB = float(2**30)
Stats = dict[Key, dict[str, dict[str, float]]]  # key → container → stat → value


def collect_sizing(
    sessions: sessionmaker[Session],
    client: PrometheusClient,
    *,
    now: datetime,
    config: StatsConfig | None = None,
    targets: Sequence[WorkloadTarget] | None = None,
) -> StatsReport:
    """Statistics over (now - window, now] for every active discovered workload (or
    `targets`); a service whose shard failed keeps its previous statistics and the report
    says "partial". Connector errors before any shard runs (no interval, no pods) raise."""
    config = config or StatsConfig()
    before = (client.stats.requests, client.stats.bytes_received)
    if targets is None:
        with sessions.begin() as session:
            targets = workload_targets(session)
    if not targets:  # no cluster discovered: a plain Prometheus costs nothing here
        return StatsReport.nothing(now)
    interval_s = scrape_interval(client, config, at=now)
    stats, shards, issues = fetch_sizing(client, targets, config, interval_s=interval_s, now=now)
    written, rows, missing = _store(
        sessions, targets, stats, issues, window=(now, config, interval_s)
    )
    return finish(
        "sizing", client, before, at=now, interval_s=interval_s, services=len(targets),
        written=(written, rows), shards=shards, issues=(*issues.values(), *missing),
    )  # fmt: skip


def fetch_sizing(
    client: PrometheusClient,
    targets: Sequence[WorkloadTarget],
    config: StatsConfig,
    *,
    interval_s: int,
    now: datetime,
) -> tuple[Stats, int, dict[int, ServiceIssue]]:
    """(statistics by workload and container, shards run, services whose shard failed)."""
    pods = pods_per_workload(client, window_s=config.window_s, at=now)
    shards = plan_shards(
        targets, pods, span_s=config.window_s, interval_s=interval_s, max_samples=config.max_samples
    )
    cadence = Cadence(interval_s, config.cpu_every_intervals)

    def fetch(shard: Shard) -> Stats:
        result = client.query(sizing_query(shard.scope, cadence, window_s=config.window_s), at=now)
        check_warnings(result.warnings)
        return parse_stats(result.series)

    outcomes = run_shards(shards, fetch, workers=config.workers)
    stats: Stats = {}
    for value in outcomes.values.values():
        assert isinstance(value, dict)
        stats.update(value)
    return stats, len(shards), outcomes.issues


def pods_per_workload(client: PrometheusClient, *, window_s: int, at: datetime) -> dict[Key, int]:
    result = client.query(pods_query(window_s=window_s), at=at)
    return {workload_key(s.labels): int(s.values[-1]) for s in result.series}


def parse_stats(series: Sequence[Series]) -> Stats:
    out: Stats = defaultdict(lambda: defaultdict(dict))
    for one in series:
        container = one.labels.get("container", "")
        out[workload_key(one.labels)][container][one.labels.get("stat", "")] = float(one.values[-1])
    return {key: dict(containers) for key, containers in out.items()}


def _store(
    sessions: sessionmaker[Session],
    targets: Sequence[WorkloadTarget],
    stats: Stats,
    issues: Mapping[int, ServiceIssue],
    *,
    window: tuple[datetime, StatsConfig, int],
) -> tuple[int, int, list[ServiceIssue]]:
    """Replace the statistics of every service whose shard answered; (services, rows, the
    services it answered nothing for)."""
    now, config, interval_s = window
    start = now - timedelta(seconds=config.window_s)
    written = rows = 0
    missing = []
    with sessions.begin() as session:
        for target in targets:
            if target.service_id in issues:
                continue
            found = stats.get(target.key)
            if not found:
                missing.append(no_data(target, "sizing window"))
                continue
            sizing = [
                _sizing(target.service_id, name, values, start, now, interval_s)
                for name, values in sorted(found.items())
            ]
            rows += replace_sizing(session, target.service_id, sizing)
            written += 1
    return written, rows, missing


def _sizing(
    service_id: int,
    container: str,
    values: Mapping[str, float],
    start: datetime,
    end: datetime,
    interval_s: int,
) -> ContainerSizing:
    memory = values.get("memory_max")
    pods, samples = unpack(values.get("counts", 0.0))
    return ContainerSizing(
        service_id=service_id,
        container=container,
        window_start=start,
        window_end=end,
        interval_s=interval_s,
        cpu_p95_cores=values.get("cpu_p95"),
        memory_max_gib=None if memory is None else memory / GIB,
        pods_seen=pods,
        samples=samples,
    )
