"""The service catalog: services, their capacity configs and hourly usage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class ServiceRow(Base):
    """A service in the catalog: ownership, placement, SLA, telemetry and billing mapping."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(80), index=True)
    owner: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(20), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(40))
    policy_class: Mapped[str] = mapped_column(String(30))
    latency_p95_target_ms: Mapped[float] = mapped_column(Float)
    availability_target_pct: Mapped[float] = mapped_column(Float)
    max_error_rate_pct: Mapped[float] = mapped_column(Float)
    telemetry_selector: Mapped[Json] = mapped_column(default=dict)
    allocation_rule: Mapped[Json] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime]


class CapacityConfigRow(Base):
    """One version of a service's capacity; exactly one row per service is current."""

    __tablename__ = "capacity_config"
    __table_args__ = (
        UniqueConstraint("service_id", "version"),
        Index("ix_capacity_config_current", "service_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    replicas: Mapped[int] = mapped_column(Integer)
    min_replicas: Mapped[int] = mapped_column(Integer)
    zones: Mapped[int] = mapped_column(Integer)
    instance_type: Mapped[str | None] = mapped_column(String(40))
    cpu_request_cores: Mapped[float | None] = mapped_column(Float)
    memory_request_gib: Mapped[float | None] = mapped_column(Float)
    # Per-replica capacity resolved when the config is written (catalog for VMs, requests for
    # pods), so utilization queries can divide in SQL.
    vcpu_per_replica: Mapped[float] = mapped_column(Float)
    memory_gib_per_replica: Mapped[float] = mapped_column(Float)
    commitment_coverage_pct: Mapped[float] = mapped_column(Float, default=0.0)
    spot_pct: Mapped[float] = mapped_column(Float, default=0.0)
    schedule: Mapped[str] = mapped_column(String(80), default="always")
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(120))


class UsageHourlyRow(Base):
    """Service-level usage for one hour (all replicas together)."""

    __tablename__ = "usage_hourly"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    hour_start: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    cpu_used_mean_cores: Mapped[float] = mapped_column(Float)
    cpu_used_p95_cores: Mapped[float] = mapped_column(Float)
    memory_used_max_gib: Mapped[float] = mapped_column(Float)
    # NULL: the service has no request metrics (not "no requests": that is 0).
    requests_per_s: Mapped[float | None] = mapped_column(Float)
    latency_p95_ms: Mapped[float | None] = mapped_column(Float)
    error_rate_pct: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(40))
