"""Drift: the live config of a service compared with the one an action expects to replace."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import Drifted
from data.models import ServiceRow
from data.repos import services
from engine.capacity import CapacityConfig


def live_config(session: Session, service_id: int) -> CapacityConfig:
    """The service's current config, read after locking the service row.

    The lock (FOR UPDATE on PostgreSQL; SQLite already holds its database write lock) makes two
    actions on one service queue up, so the second one compares against the first one's result.
    """
    session.execute(select(ServiceRow.id).where(ServiceRow.id == service_id).with_for_update())
    return services.current_config(session, service_id)


def check_unchanged(live: CapacityConfig, expected: CapacityConfig, *, subject: str) -> None:
    """Raise Drifted, naming each differing field as current=… expected=…, unless equal."""
    if live == expected:
        return
    differences = ", ".join(
        f"{name}: current={getattr(live, name)!r} expected={getattr(expected, name)!r}"
        for name in (f.name for f in dataclasses.fields(CapacityConfig))
        if getattr(live, name) != getattr(expected, name)
    )
    raise Drifted(f"{subject}: drift detected ({differences}); recompute and review again")
