"""Per-container sizing statistics of discovered workloads (KRR-comparable, decision 018)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base


class KubeContainerSizingRow(Base):
    """One container of a workload over the sizing window: the max over its pods of each
    pod's CPU p95 and memory max. Rewritten by each sizing run (the newest window only)."""

    __tablename__ = "kube_container_sizing"
    __table_args__ = (UniqueConstraint("service_id", "container"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    container: Mapped[str] = mapped_column(String(253))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    interval_s: Mapped[int] = mapped_column(Integer)
    cpu_p95_cores: Mapped[float | None] = mapped_column(Float)
    memory_max_gib: Mapped[float | None] = mapped_column(Float)
    pods_seen: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer)
