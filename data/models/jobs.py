"""Sidecar job runs and on-demand job requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base


class JobRunRow(Base):
    """One run of a sidecar job: window, outcome, counts and timing."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    rows: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class JobRequestRow(Base):
    """An operator's "Run now": queued by the dashboard, claimed and finished by a sidecar."""

    __tablename__ = "job_request"
    __table_args__ = (Index("ix_job_request_job_status", "job", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # "pending" → "claimed" (a sidecar took it) → "done" | "failed".
    status: Mapped[str] = mapped_column(String(20))
