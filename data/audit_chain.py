"""The audit trail's hash chain: an event's canonical form, its hash, the walk that checks them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# The first event's prev_hash: no event comes before it.
GENESIS_HASH = "0" * 64
# Bumped, never reused, if the canonical form ever changes (an old chain then stays checkable).
CHAIN_VERSION = 1
BROKEN_LINK = (
    "its prev_hash is not the previous event's hash: an event before it was deleted, inserted "
    "or rewritten"
)
CHANGED_CONTENT = "its content does not match its hash: a field was changed after it was written"


@dataclass(frozen=True, slots=True)
class AuditFields:
    """What an event says: everything its hash covers besides the previous hash."""

    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back: its id, its fields and the two hashes stored with it."""

    id: int
    fields: AuditFields
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first link that does not hold: which event, and what differs."""

    event_id: int
    problem: str
    stored: str
    expected: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of one walk: events checked, the last good hash, the first break if any."""

    events: int
    head_hash: str
    broken: ChainBreak | None


def event_hash(fields: AuditFields, prev_hash: str) -> str:
    """SHA-256 (hex) of the event's canonical JSON, which includes the previous event's hash."""
    return hashlib.sha256(canonical(fields, prev_hash).encode("utf-8")).hexdigest()


def canonical(fields: AuditFields, prev_hash: str) -> str:
    """One byte string per event whatever the backend: keys sorted, no spaces, timestamps as
    UTC ISO 8601 with microseconds, numbers as normalized decimals (JSONB rewrites 1e20 as
    100000000000000000000 and -0.0 as 0; the stored value must hash as the written one)."""
    record = {
        "v": CHAIN_VERSION,
        "at": _timestamp(fields.at),
        "actor": fields.actor,
        "action": fields.action,
        "target_type": fields.target_type,
        "target_id": fields.target_id,
        "before": fields.before,
        "after": fields.after,
        "detail": fields.detail,
        "prev_hash": prev_hash,
    }
    return _encode(record)


def as_stored(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON value as the database will give it back (tuples as lists, keys as strings), so
    the hash computed before the insert is the one the walk recomputes."""
    return None if value is None else json.loads(json.dumps(value))


def walk(events: Iterable[StoredEvent]) -> ChainReport:
    """Check events in id order: each must point at the previous one's hash and match its own."""
    expected_prev, count = GENESIS_HASH, 0
    for event in events:
        broken = _check(event, expected_prev)
        if broken is not None:
            return ChainReport(count, expected_prev, broken)
        expected_prev, count = event.hash, count + 1
    return ChainReport(count, expected_prev, None)


def _check(event: StoredEvent, expected_prev: str) -> ChainBreak | None:
    if event.prev_hash != expected_prev:
        return ChainBreak(event.id, BROKEN_LINK, stored=event.prev_hash, expected=expected_prev)
    computed = event_hash(event.fields, event.prev_hash)
    if computed != event.hash:
        return ChainBreak(event.id, CHANGED_CONTENT, stored=event.hash, expected=computed)
    return None


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: audit timestamps are aware UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode(value: Any) -> str:
    # A hand-written encoder rather than json.dumps: numbers need one spelling per value
    # (see canonical), and a number must never collide with a string or list spelling it.
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(((str(key), item) for key, item in value.items()), key=lambda kv: kv[0])
        return "{" + ",".join(f"{_encode(k)}:{_encode(v)}" for k, v in items) + "}"
    raise TypeError(f"audit events hold JSON values only, not {type(value).__name__}")


def _number(value: int | float | Decimal) -> str:
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite():
        return str(exact)  # NaN/Infinity: SQLite's JSON keeps them (JSONB refuses them)
    if exact.is_zero():
        return "0"
    return str(exact.normalize())
