"""Kubernetes cost allocation per day: node cost per cluster, and its workload and idle lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base

# What these dollars are: a model over node prices, never a billed amount (decision 014).
ALLOCATION_BASIS = "modelled (allocated from node prices)"


class KubeClusterCostRow(Base):
    """One cluster-day: what its nodes cost at catalog prices, over the hours they ran."""

    __tablename__ = "kube_cluster_cost_daily"
    __table_args__ = (UniqueConstraint("day", "cluster"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    cluster: Mapped[str] = mapped_column(String(120))
    node_cost_usd: Mapped[Decimal]
    node_hours: Mapped[int] = mapped_column(Integer)
    # Node-hours with no catalog price (unknown type or region): capacity without a cost.
    unpriced_node_hours: Mapped[int] = mapped_column(Integer)
    overcommitted_hours: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(60), default=ALLOCATION_BASIS)
    computed_at: Mapped[datetime]


class KubeAllocationRow(Base):
    """One line of a cluster-day: a workload's share (service_id set) or the idle rest (NULL).

    The lines of a cluster-day sum to its node cost to the cent."""

    __tablename__ = "kube_allocation_daily"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    cluster: Mapped[str] = mapped_column(String(120))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    cpu_usd: Mapped[Decimal]
    memory_usd: Mapped[Decimal]
    total_usd: Mapped[Decimal]
    basis: Mapped[str] = mapped_column(String(60), default=ALLOCATION_BASIS)
