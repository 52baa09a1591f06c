"""API keys: issue (the secret shown once), revoke, list, and find one by its secret's hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from data.errors import InvalidInput, NotFound
from data.models import ApiKeyRow
from data.repos.audit import record_event
from data.settings import Role

SECRET_PREFIX = "trk_"  # noqa: S105 (a marker that makes leaked keys greppable, not a secret)
PREFIX_CHARS = 12  # "trk_" and 8 random characters: enough to tell keys apart, useless to guess
SECRET_BYTES = 32
# A key used every second must not write every second: last_used_at is a "roughly when".
TOUCH_EVERY = timedelta(minutes=1)
ROLE_NAMES: frozenset[str] = frozenset({"viewer", "analyst", "approver", "admin"})


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as people see it: never its secret, nor its hash."""

    id: int
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def actor(self) -> str:
        """Who the audit trail says acted when this key was used."""
        return f"apikey:{self.name}"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key and its secret: the only moment the secret exists outside the caller."""

    key: ApiKey
    secret: str


def secret_hash(secret: str) -> str:
    """SHA-256 of the secret: 256 random bits need no slow hash (nothing to brute-force)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(session: Session, *, name: str, role: str, actor: str, now: datetime) -> IssuedKey:
    """A new key named `name` with `role`, and its audit event (never the secret)."""
    name = _valid_name(name)
    if role not in ROLE_NAMES:
        raise InvalidInput(f"role must be one of {', '.join(sorted(ROLE_NAMES))}, not {role!r}")
    if session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.name == name)) is not None:
        raise InvalidInput(f"an API key named {name!r} exists already (names are never reused)")
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    row = ApiKeyRow(
        name=name, prefix=secret[:PREFIX_CHARS], hash=secret_hash(secret), role=role,
        created_by=actor, created_at=now, revoked_at=None, last_used_at=None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    key = to_key(row)
    record_event(
        session, actor=actor, action="api_key_create", target=("api_key", row.id), before=None,
        after=_snapshot(key), detail={"name": name}, now=now,
    )  # fmt: skip
    return IssuedKey(key, secret)


def revoke_key(session: Session, *, name: str, actor: str, now: datetime) -> ApiKey:
    """Revoke the key named `name` (a revoked key stays listed, for the audit trail)."""
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name).with_for_update())
    if row is None:
        raise NotFound(f"no API key is named {name!r}")
    if row.revoked_at is not None:
        raise InvalidInput(f"API key {name!r} is already revoked")
    before = _snapshot(to_key(row))
    row.revoked_at = now
    session.flush()
    key = to_key(row)
    record_event(
        session, actor=actor, action="api_key_revoke", target=("api_key", row.id),
        before=before, after=_snapshot(key), detail={"name": name}, now=now,
    )  # fmt: skip
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return [to_key(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]


def find_active(session: Session, secret: str) -> ApiKey | None:
    """The unrevoked key whose secret this is, or None (looked up by hash: no secret compared)."""
    row = session.scalar(
        select(ApiKeyRow).where(
            ApiKeyRow.hash == secret_hash(secret), ApiKeyRow.revoked_at.is_(None)
        )
    )
    return None if row is None else to_key(row)


def due_for_touch(key: ApiKey, *, now: datetime) -> bool:
    return key.last_used_at is None or key.last_used_at < now - TOUCH_EVERY


def touch(session: Session, key_id: int, *, now: datetime) -> bool:
    """Set last_used_at to `now` unless it was set less than TOUCH_EVERY ago; True if written."""
    result = session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id,
            or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )
    return bool(cast(Any, result).rowcount)


def to_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id, name=row.name, prefix=row.prefix, role=cast(Role, row.role),
        created_by=row.created_by, created_at=row.created_at, revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )  # fmt: skip


def _valid_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 80 or not all(c.isalnum() or c in "-_." for c in name):
        raise InvalidInput("a key's name is 1-80 letters, digits, '-', '_' or '.'")
    return name


def _snapshot(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "prefix": key.prefix,
        "role": key.role,
        "revoked_at": None if key.revoked_at is None else key.revoked_at.isoformat(),
    }
