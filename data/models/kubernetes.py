"""Kubernetes inventory found by discovery: workloads, their containers and HPA, nodes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class KubeWorkloadRow(Base):
    """A Deployment, StatefulSet, DaemonSet or CronJob; each is one catalogued service.

    A workload that disappears is retired (`active` false, `retired_at` set), never deleted:
    its service keeps its history and comes back if the workload does."""

    __tablename__ = "kube_workload"
    __table_args__ = (UniqueConstraint("cluster", "namespace", "kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    cluster: Mapped[str] = mapped_column(String(120))
    namespace: Mapped[str] = mapped_column(String(253))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(253))
    replicas: Mapped[int] = mapped_column(Integer)
    labels: Mapped[Json] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    first_seen_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class KubeContainerRow(Base):
    """One container of a workload's pod template: requests and limits (None: not set)."""

    __tablename__ = "kube_container"
    __table_args__ = (UniqueConstraint("workload_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workload_id: Mapped[int] = mapped_column(ForeignKey("kube_workload.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(253))
    cpu_request_cores: Mapped[float | None] = mapped_column(Float)
    cpu_limit_cores: Mapped[float | None] = mapped_column(Float)
    memory_request_gib: Mapped[float | None] = mapped_column(Float)
    memory_limit_gib: Mapped[float | None] = mapped_column(Float)


class KubeHpaRow(Base):
    """The HorizontalPodAutoscaler scaling a workload (at most one)."""

    __tablename__ = "kube_hpa"

    id: Mapped[int] = mapped_column(primary_key=True)
    workload_id: Mapped[int] = mapped_column(
        ForeignKey("kube_workload.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(253))
    min_replicas: Mapped[int | None] = mapped_column(Integer)
    max_replicas: Mapped[int | None] = mapped_column(Integer)
    target_cpu_utilization_pct: Mapped[float | None] = mapped_column(Float)


class KubeNodeRow(Base):
    """A node: its instance type, capacity and placement (retired like workloads)."""

    __tablename__ = "kube_node"
    __table_args__ = (UniqueConstraint("cluster", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(253))
    instance_type: Mapped[str] = mapped_column(String(80))
    provider: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(40))
    zone: Mapped[str] = mapped_column(String(60))
    cpu_cores: Mapped[float | None] = mapped_column(Float)
    memory_gib: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    first_seen_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class KubeDiscoveryRow(Base):
    """The last discovery run (one row, rewritten each run): what it found and skipped."""

    __tablename__ = "kube_discovery"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime]
    window_s: Mapped[int] = mapped_column(Integer)
    found: Mapped[Json] = mapped_column(default=dict)  # {"Deployment": 52, ..., "nodes": 4}
    nodes_by_type: Mapped[Json] = mapped_column(default=dict)
    changes: Mapped[Json] = mapped_column(default=dict)  # {"created": 3, "retired": 1, ...}
    skipped: Mapped[Json] = mapped_column(default=dict)  # {"items": [{what, namespace, ...}]}
