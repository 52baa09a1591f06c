"""audit chain: prev_hash/hash on every audit event (backfilled in id order), append-only on SQLite

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.audit_chain import GENESIS_HASH, AuditFields, event_hash
from data.types import PortableJSON, UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's counterpart of 0002's PostgreSQL triggers (SQLite has no TRUNCATE: a DELETE without
# WHERE runs row by row once a table has a DELETE trigger, so this one refuses it too).
SQLITE_TRIGGERS = {
    "audit_event_no_update": "UPDATE",
    "audit_event_no_delete": "DELETE",
}
_SQLITE_TRIGGER = """
CREATE TRIGGER {name} BEFORE {operation} ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit_event is append-only: {operation} refused');
END
"""
_PG_ROW_TRIGGER = "audit_event_append_only"  # from 0002: refuses UPDATE and DELETE

# Typed view of the table the backfill reads and writes, frozen here so the migration does
# not change when the model does; the types are the app's, so values hash as record_event's.
_EVENT = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.String()),
    sa.column("before", PortableJSON),
    sa.column("after", PortableJSON),
    sa.column("detail", PortableJSON),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill()
    # On SQLite this copies the table (no foreign key points at audit_event, nothing cascades).
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_prev_hash"), ["prev_hash"])
    if op.get_bind().dialect.name == "sqlite":
        for name, operation in SQLITE_TRIGGERS.items():
            op.execute(_SQLITE_TRIGGER.format(name=name, operation=operation))


def _backfill() -> None:
    """Chain the events already stored, oldest id first, as record_event would have."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:  # the owner lifts its own guard for this one rewrite, inside this transaction
        op.execute(f"ALTER TABLE audit_event DISABLE TRIGGER {_PG_ROW_TRIGGER}")
    prev_hash, links = GENESIS_HASH, []
    for row in bind.execute(sa.select(_EVENT).order_by(_EVENT.c.id)):
        fields = AuditFields(
            at=row.at, actor=row.actor, action=row.action, target_type=row.target_type,
            target_id=row.target_id, before=row.before, after=row.after, detail=row.detail,
        )  # fmt: skip
        digest = event_hash(fields, prev_hash)
        links.append({"event_id": row.id, "prev": prev_hash, "digest": digest})
        prev_hash = digest
    if links:
        update = (
            _EVENT.update()
            .where(_EVENT.c.id == sa.bindparam("event_id"))
            .values(prev_hash=sa.bindparam("prev"), hash=sa.bindparam("digest"))
        )
        bind.execute(update, links)
    if postgres:
        op.execute(f"ALTER TABLE audit_event ENABLE TRIGGER {_PG_ROW_TRIGGER}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_prev_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
