"""The hand-off of an applied or rolled-back change: its patch, and where it went (decision 023)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class HandoffRow(Base):
    """One change's hand-off: written `pending` in the apply's (or rollback's) transaction,
    then `handed_off` (committed and pushed), `recorded_only` (no GitOps repository, or nothing
    to patch) or `failed` (retried while `next_attempt_at` is set) by the step after commit.

    Kept apart from the recommendation row so that recording the result never bumps the
    recommendation's version (its ETag) under a reviewer."""

    __tablename__ = "handoff"
    __table_args__ = (
        UniqueConstraint("change_id", "action"),
        Index("ix_handoff_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("config_change.id", ondelete="CASCADE"))
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))  # apply | rollback
    target: Mapped[str] = mapped_column(String(20))  # kubernetes | vm
    status: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(200))
    manifest: Mapped[str] = mapped_column(Text)  # the validated patch (YAML) or VM change text
    evidence: Mapped[Json]
    outbox_event_id: Mapped[int | None] = mapped_column(Integer)
    branch: Mapped[str | None] = mapped_column(String(250))
    path: Mapped[str | None] = mapped_column(String(500))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
