"""Recommendations expire when their service's telemetry stops, each with one audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Conflict
from data.models import AuditEventRow
from data.repos.stored_recommendations import list_recommendations
from data.repos.usage import insert_usage
from data.workflow.expire import expire_stale
from tests.data.workflow.world import (
    ADMIN,
    NOW,
    add_service,
    make_commitment_rec,
    make_flow,
    make_rec,
    store,
)
from tests.factories import T0, make_usage, make_vm_config

STALE_AFTER = timedelta(days=7)


def _with_usage(sessions: sessionmaker[Session], service_id: int, hours: int) -> None:
    with sessions.begin() as session:
        insert_usage(session, make_usage(hours=hours, service_id=service_id), source="test")


def _statuses(sessions: sessionmaker[Session]) -> dict[int | None, str]:
    with sessions() as session:
        return {r.service_id: r.status for r in list_recommendations(session)}


def test_only_services_without_recent_usage_expire(sessions: sessionmaker[Session]) -> None:
    fresh = add_service(sessions, "fresh-api")
    silent = add_service(sessions, "silent-api")
    _with_usage(sessions, fresh, hours=24)  # usage up to T0 + 23 h
    for service_id in (fresh, silent):
        store(sessions, make_rec(service_id, make_vm_config()))
    store(sessions, make_commitment_rec())

    expired = expire_stale(sessions, now=T0 + timedelta(days=2), stale_after=STALE_AFTER)

    assert expired == 1
    assert _statuses(sessions) == {fresh: "open", silent: "expired", None: "open"}


def test_each_expiry_writes_one_audit_event_and_bumps_the_version(
    sessions: sessionmaker[Session],
) -> None:
    service_id = add_service(sessions)
    _with_usage(sessions, service_id, hours=24)
    before = store(sessions, make_rec(service_id, make_vm_config()))
    later = T0 + timedelta(days=30)

    expire_stale(sessions, now=later, stale_after=STALE_AFTER)
    again = expire_stale(sessions, now=later, stale_after=STALE_AFTER)

    with sessions() as session:
        events = session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "expire")
        ).all()
    assert again == 0
    assert len(events) == 1
    assert (events[0].before, events[0].after) == ({"status": "open"}, {"status": "expired"})
    assert events[0].actor == "system:sidecar"
    assert events[0].detail["version"] == before.version + 1


def test_a_reviewer_holding_the_old_version_gets_a_conflict(
    sessions: sessionmaker[Session],
) -> None:
    service_id = add_service(sessions)
    rec = store(sessions, make_rec(service_id, make_vm_config()))
    expire_stale(sessions, now=NOW + timedelta(days=30), stale_after=STALE_AFTER)

    with pytest.raises(Conflict):
        make_flow(sessions).apply(
            ADMIN, rec.id, expected_version=rec.version, now=NOW + timedelta(days=30)
        )

    with sessions() as session:
        changes = session.scalar(select(func.count()).select_from(AuditEventRow))
    assert changes == 1  # the expiry's event only
