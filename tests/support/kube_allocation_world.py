"""A small discovered cluster with known prices, for the allocation tests (SQLite + PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data.models import KubeContainerRow, KubeNodeRow, KubeWorkloadRow, UsageHourlyRow
from data.repos import services
from engine.catalog import Catalog
from engine.kube.allocation import cost_split_for
from tests.factories import make_new_service

SEEN = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)  # day 2026-12-06 has 12 whole hours so far
NODE_TYPE, REGION = "m5.2xlarge", "us-east-1"  # 8 cores, 32 GiB


@dataclass(frozen=True, slots=True)
class World:
    api_id: int  # 2 replicas × (1 core, 2 GiB) requested, no usage rows
    worker_id: int  # 1 × (1 core, 8 GiB) requested, uses 3 cores and 2 GiB every hour


def hourly_prices(catalog: Catalog) -> tuple[float, float]:
    """(CPU USD, memory USD) per hour of the two-node pool, split as the allocation splits."""
    price = float(catalog.on_demand_usd_per_hour([NODE_TYPE], REGION)[0])
    shape = np.array([8.0]), np.array([32.0])
    share = float(cost_split_for(catalog, REGION).cpu_shares(*shape)[0])
    return 2 * price * share, 2 * price * (1 - share)


def build(
    sessions: sessionmaker[Session],
    *,
    extra_node_type: str | None = None,
    seen: datetime = SEEN,
    until: datetime = NOW,
) -> World:
    """Cluster c1 since `seen`: two m5.2xlarge nodes (plus, optionally, one of
    `extra_node_type`); the worker's usage for the 3 days before `until`."""
    with sessions.begin() as session:
        api, worker = services.add_services(
            session, [make_new_service("c1-api"), make_new_service("c1-worker")], now=seen
        )
        for name, kind in (("n1", NODE_TYPE), ("n2", NODE_TYPE), ("n3", extra_node_type)):
            if kind:
                _node(session, name, kind, seen)
        _workload(session, api.id, "api", seen, replicas=2, cpu=1.0, memory=2.0)
        _workload(session, worker.id, "worker", seen, replicas=1, cpu=1.0, memory=8.0)
        hour = until.replace(minute=0) - timedelta(days=3)
        while hour < until:
            session.add(UsageHourlyRow(
                service_id=worker.id, hour_start=hour, cpu_used_mean_cores=3.0,
                cpu_used_p95_cores=3.5, memory_used_max_gib=2.0, source="kube",
            ))  # fmt: skip
            hour += timedelta(hours=1)
    return World(api.id, worker.id)


def _node(session: Session, name: str, instance_type: str, seen: datetime) -> None:
    session.add(KubeNodeRow(
        cluster="c1", name=name, instance_type=instance_type, provider="aws", region=REGION,
        zone="us-east-1a", cpu_cores=8.0, memory_gib=32.0, first_seen_at=seen,
    ))  # fmt: skip


def _workload(session: Session, service_id: int, name: str, seen: datetime, *, replicas: int,
              cpu: float, memory: float) -> None:  # fmt: skip
    row = KubeWorkloadRow(
        service_id=service_id, cluster="c1", namespace="shop", kind="Deployment", name=name,
        replicas=replicas, labels={}, first_seen_at=seen,
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(KubeContainerRow(workload_id=row.id, name="app", cpu_request_cores=cpu,
                                 memory_request_gib=memory))  # fmt: skip
