"""recommendation.rule and one live row per proposal: the fingerprint is the target and config

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:00:00

The fingerprint was sha256 of [service_id, scope, kind, proposed config], so two rules proposing
the same config were two open rows, and rejecting one left the other. It is now sha256 of
[target, proposed config] (target: the service id, else the scope), and the kind may be
"restore_sla", so the rule that proposed a row has its own column. Existing rows get the new
fingerprint; of live (open/postponed) rows sharing one, a postponed one (a reviewer touched it)
else the oldest stays and the rest are superseded, each with its audit event, before a partial
unique index makes the database refuse a second live row of one proposal.
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from data.clock import system_now
from data.types import PortableJSON, UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('open', 'postponed')"
ACTOR = "system:migration-0007"

recommendation = sa.table(
    "recommendation",
    sa.column("id", sa.Integer()),
    sa.column("service_id", sa.Integer()),
    sa.column("scope", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("rule", sa.String()),
    sa.column("status", sa.String()),
    sa.column("proposed_config", PortableJSON),
    sa.column("fingerprint", sa.String()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", UTCDateTime()),
)
audit_event = sa.table(
    "audit_event",
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.String()),
    sa.column("before", PortableJSON),
    sa.column("after", PortableJSON),
    sa.column("detail", PortableJSON),
)


def upgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule", sa.String(length=30), nullable=True))
    op.execute(recommendation.update().values(rule=recommendation.c.kind))
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.alter_column("rule", existing_type=sa.String(length=30), nullable=False)
    _refingerprint(_target_fingerprint)
    _supersede_live_duplicates()
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index(
            "uq_recommendation_live_fingerprint",
            ["fingerprint"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index("uq_recommendation_live_fingerprint")
    # The old schema knows no restore_sla kind: such a row becomes its rule's kind again.
    op.execute(
        recommendation.update()
        .where(recommendation.c.kind == "restore_sla")
        .values(kind=recommendation.c.rule)
    )
    _refingerprint(_kind_fingerprint)
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_column("rule")


# Frozen copies of engine.recommendation's key rules (0007 and before): a migration must not
# change meaning when the engine does.
def _target_fingerprint(row: Any) -> str:
    target = row.service_id if row.service_id is not None else row.scope
    return _sha([target, row.proposed_config or None])


def _kind_fingerprint(row: Any) -> str:
    return _sha([row.service_id, row.scope, row.kind, row.proposed_config or None])


def _sha(payload: list[Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _refingerprint(rule: Any) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            recommendation.c.id,
            recommendation.c.service_id,
            recommendation.c.scope,
            recommendation.c.kind,
            recommendation.c.proposed_config,
        )
    ).all()
    for row in rows:
        bind.execute(
            recommendation.update()
            .where(recommendation.c.id == row.id)
            .values(fingerprint=rule(row))
        )


def _supersede_live_duplicates() -> None:
    bind = op.get_bind()
    live = bind.execute(
        sa.select(
            recommendation.c.id,
            recommendation.c.service_id,
            recommendation.c.status,
            recommendation.c.fingerprint,
            recommendation.c.version,
        )
        .where(recommendation.c.status.in_(("open", "postponed")))
        .order_by(recommendation.c.id)
    ).all()
    groups: dict[str, list[Any]] = {}
    for row in live:
        groups.setdefault(row.fingerprint, []).append(row)
    now = system_now()
    for rows in groups.values():
        kept = min(rows, key=lambda r: (r.status != "postponed", r.id))
        for row in rows:
            if row is not kept:
                _supersede(bind, row, kept_id=kept.id, now=now)


def _supersede(bind: sa.Connection, row: Any, *, kept_id: int, now: Any) -> None:
    bind.execute(
        recommendation.update()
        .where(recommendation.c.id == row.id)
        .values(status="superseded", version=row.version + 1, updated_at=now)
    )
    bind.execute(
        audit_event.insert().values(
            at=now,
            actor=ACTOR,
            action="supersede",
            target_type="recommendation",
            target_id=str(row.id),
            before={"status": row.status},
            after={"status": "superseded"},
            detail={
                "version": row.version + 1,
                "service_id": row.service_id,
                "reason": f"the same proposal as recommendation {kept_id}",
            },
        )
    )
