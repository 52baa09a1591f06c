"""handoff: an applied or rolled-back change's patch and where it was handed off

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:30:00

Decision 023: the apply's transaction writes a pending row; the step after commit commits the
patch to the GitOps repository (when one is configured) and records the commit, or the reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("outbox_event_id", sa.Integer(), nullable=True),
        sa.Column("branch", sa.String(length=250), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", _WHEN, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"], ["config_change.id"],
            name=op.f("fk_handoff_change_id_config_change"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"], ["recommendation.id"],
            name=op.f("fk_handoff_recommendation_id_recommendation"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff")),
        sa.UniqueConstraint("change_id", "action", name=op.f("uq_handoff_change_id_action")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_handoff_recommendation_id"), "handoff", ["recommendation_id"], unique=False
    )
    op.create_index("ix_handoff_status_next", "handoff", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_status_next", table_name="handoff")
    op.drop_index(op.f("ix_handoff_recommendation_id"), table_name="handoff")
    op.drop_table("handoff")
