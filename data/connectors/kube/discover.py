"""Discovery end to end: read the cluster from Prometheus, store it in one transaction."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.connectors.kube.drafts import KubeConfig, capacity, cluster_name, draft, placements
from data.connectors.kube.inventory import read_inventory
from data.connectors.kube.specs import Inventory, NodeSpec, Skipped
from data.connectors.prometheus.client import PrometheusClient
from data.errors import DiscoveryEmpty
from data.guard import NO_ID
from data.repos.audit import record_event
from data.repos.kube_summary import save_summary
from data.repos.kubernetes import Planned, store_nodes, store_workloads

log = logging.getLogger(__name__)
ACTION = "kube_discovery"


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    """One run: what was found, what changed (all zero: nothing), what was skipped."""

    at: datetime
    found: Mapping[str, int]
    nodes: int
    changes: Mapping[str, int]
    skipped: tuple[Skipped, ...]
    queries: int

    @property
    def changed(self) -> int:
        return sum(self.changes.values())


def discover(
    sessions: sessionmaker[Session],
    client: PrometheusClient,
    config: KubeConfig,
    *,
    actor: str,
    now: datetime,
) -> DiscoveryReport:
    """Workloads with a pod in the window become (or stay) services; active ones no longer
    found are retired. Raises DiscoveryEmpty, storing nothing, when no pod is found at all:
    a kube-state-metrics outage must not retire the whole cluster."""
    requests_before = client.stats.requests
    inventory = read_inventory(client, at=now, window_s=config.window_s)
    if not inventory.workloads and not inventory.skipped:
        raise DiscoveryEmpty(
            f"{client.url}: no kube-state-metrics pods in the {config.window_s // 3600} h "
            "before now; nothing stored, nothing retired"
        )
    planned = _plan(inventory, config)
    nodes = [(n.cluster_label or config.cluster, n) for n in inventory.nodes]
    found = dict(sorted(Counter(w.kind for w in inventory.workloads).items()))
    with sessions.begin() as session:
        changes, skipped = _store(session, inventory, planned, nodes, actor=actor, now=now)
        save_summary(
            session, ran_at=now, window_s=config.window_s, found=found,
            nodes=[n.instance_type for _, n in nodes], changes=changes, skipped=skipped,
        )  # fmt: skip
    report = DiscoveryReport(now, found, len(nodes), changes, skipped,
                             client.stats.requests - requests_before)  # fmt: skip
    log.info("kube discovery: found %s, %d nodes, changes %s, %d skipped",
             found, len(nodes), changes, len(skipped))  # fmt: skip
    return report


def _store(
    session: Session,
    inventory: Inventory,
    planned: list[Planned],
    nodes: list[tuple[str, NodeSpec]],
    *,
    actor: str,
    now: datetime,
) -> tuple[dict[str, int], tuple[Skipped, ...]]:
    """Workloads and nodes, retiring within the clusters seen; one audit event if anything
    changed. Returns the changes and everything skipped (refused slugs included)."""
    clusters = {p.cluster for p in planned} | {c for c, _ in nodes}
    changes, refused = store_workloads(session, planned, clusters=clusters, actor=actor, now=now)
    changes |= store_nodes(session, nodes, clusters=clusters, now=now)
    if any(changes.values()):
        record_event(
            session, actor=actor, action=ACTION, target=("kube_workload", NO_ID), before=None,
            after=None, detail={**changes, "clusters": sorted(clusters)}, now=now,
        )  # fmt: skip
    return changes, inventory.skipped + tuple(
        Skipped("workload", p.spec.namespace, f"{p.spec.kind}/{p.spec.name}", reason)
        for p, reason in refused
    )


def _plan(inventory: Inventory, config: KubeConfig) -> list[Planned]:
    places = placements(inventory.nodes)
    planned = []
    for w in inventory.workloads:
        place = places.get(w.cluster_label)
        zones = place.zones if place else 1
        planned.append(
            Planned(w, draft(w, config, place), capacity(w, zones), cluster_name(w, config))
        )
    return planned
