"""Who did what: the tamper-evident audit trail and the people who signed in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class AuditEventRow(Base):
    """Append-only audit trail of every mutating action, hash-chained in id order
    (data.audit_chain): `hash` covers the event and `prev_hash`, the previous event's hash.
    prev_hash is unique: two writers that read the same chain head cannot both append."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(120))
    before: Mapped[Json | None]
    after: Mapped[Json | None]
    detail: Mapped[Json] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class AppUserRow(Base):
    """A person who logged in through OIDC: the name shown beside their stable audit actor."""

    __tablename__ = "app_user"

    # Principal.actor: what audit_event.actor and the other *_by columns hold for this person.
    actor: Mapped[str] = mapped_column(String(120), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(400))
    subject: Mapped[str] = mapped_column(String(255))
    display: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    first_login_at: Mapped[datetime]
    last_login_at: Mapped[datetime]
    # `iat` of the ID token behind the last login: a new token is a new login (audited once).
    last_token_issued_at: Mapped[datetime]


class ApiKeyRow(Base):
    """A key for automation calling the REST API (api/): only the SHA-256 of its secret is kept.

    `prefix` (the secret's first characters) is shown so people can tell keys apart; the
    secret itself is printed once, when the key is created."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
