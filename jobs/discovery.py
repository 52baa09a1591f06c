"""The sidecar's Kubernetes discovery job: workloads and nodes from kube-state-metrics."""

from __future__ import annotations

import logging

from data.connectors.kube.discover import discover
from data.connectors.kube.drafts import KubeConfig
from data.errors import DiscoveryEmpty
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
    one; after that, finding no pods fails the run instead of retiring every workload."""
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
