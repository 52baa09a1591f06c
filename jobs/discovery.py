"""The sidecar's Kubernetes discovery job: workloads and nodes from kube-state-metrics."""

from __future__ import annotations

import logging

from data.connectors.kube.discover import discover
from data.connectors.kube.drafts import KubeConfig
from data.errors import DiscoveryEmpty
from data.kube_allocation import recompute_allocation
from data.kube_cli import ACTOR
from data.repos.kube_summary import has_discovered
from jobs.context import JobContext
from jobs.runs import Window

log = logging.getLogger(__name__)


def discover_workloads(ctx: JobContext, window: Window) -> int:
    """Workloads with a pod in the last TIGHTROPE_KUBE_DISCOVERY_WINDOW_H hours become
    services, the ones gone are retired (data.connectors.kube); rows = changes (0 on a run
    that found what was stored). Without a Prometheus, nothing to do. A Prometheus holding no
    kube-state-metrics at all is not a cluster (0, logged) until discovery has once found
    one; after that, finding no pods fails the run instead of retiring every workload.
    Then, once a cluster was ever discovered, node cost is re-allocated over its workloads
    (data.kube_allocation; not counted in rows: those are modelled, derived lines)."""
    changed = _discover(ctx)
    _allocate(ctx)
    return changed


def _discover(ctx: JobContext) -> int:
    if ctx.prometheus is None:
        return 0
    try:
        report = discover(
            ctx.sessions, ctx.prometheus, KubeConfig.from_settings(ctx.settings),
            actor=ACTOR, now=ctx.clock(),
        )  # fmt: skip
    except DiscoveryEmpty:
        with ctx.sessions() as session:
            if has_discovered(session):
                raise
        log.info("no kube-state-metrics series in Prometheus: no Kubernetes to discover")
        return 0
    return report.changed


def _allocate(ctx: JobContext) -> None:
    """Re-allocate node cost over the workloads for the last TIGHTROPE_KUBE_ALLOCATION_DAYS
    (modelled, decision 014): the inventory may have changed, and usage arrived since."""
    with ctx.sessions() as session:
        if not has_discovered(session):
            return
    report = recompute_allocation(
        ctx.sessions, ctx.catalog, now=ctx.clock(), days=ctx.settings.kube_allocation_days
    )
    log.info(
        "kube allocation %s..%s: %d cluster-days, %d lines, %d node-hours without a price",
        report.first_day, report.last_day, report.cluster_days, report.lines,
        report.unpriced_node_hours,
    )  # fmt: skip
