"""Reject and postpone: status, reason, dates and one audit event; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.errors import InvalidInput, InvalidTransition
from data.repos.recommendations import save_recommendations
from data.repos.stored_recommendations import list_recommendations
from data.workflow.reject_postpone import REASON_MAX_CHARS
from tests.data.workflow.world import (
    NOW,
    add_open_rec,
    audit_rows,
    make_flow,
    make_rec,
    snapshot,
)
from tests.factories import make_vm_config


def test_reject_stores_the_reason_and_suppresses(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    outcome = make_flow(sessions).reject(
        "ana", rec.id, expected_version=rec.version, reason="  peak season  ", now=NOW
    )

    with sessions() as session:
        (stored,) = list_recommendations(session)
    assert (outcome.status, outcome.version) == ("rejected", rec.version + 1)
    assert (stored.status, stored.decision_reason) == ("rejected", "peak season")
    assert stored.suppressed_until == NOW + timedelta(days=30)


def test_reject_writes_one_audit_event(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    make_flow(sessions).reject("ana", rec.id, expected_version=rec.version, reason="no", now=NOW)

    (event,) = audit_rows(sessions)
    assert (event.actor, event.action, event.target_type, event.target_id) == (
        "ana",
        "reject",
        "recommendation",
        str(rec.id),
    )
    assert (event.before, event.detail["reason"]) == ({"status": "open"}, "no")


def test_rejected_proposal_is_not_reproposed_during_the_cooldown(
    sessions: sessionmaker[Session],
) -> None:
    rec = add_open_rec(sessions)
    make_flow(sessions).reject("ana", rec.id, expected_version=rec.version, reason="no", now=NOW)

    with sessions.begin() as session:
        report = save_recommendations(
            session, [make_rec(rec.service_id, make_vm_config())], now=NOW + timedelta(days=29)
        )

    assert (report.created, report.suppressed) == (0, 1)


@pytest.mark.parametrize("reason", ["", "   \n", "x" * (REASON_MAX_CHARS + 1)])
def test_reject_needs_a_reasonable_reason(sessions: sessionmaker[Session], reason: str) -> None:
    rec = add_open_rec(sessions)
    before = snapshot(sessions)

    with pytest.raises(InvalidInput):
        make_flow(sessions).reject(
            "ana", rec.id, expected_version=rec.version, reason=reason, now=NOW
        )

    assert snapshot(sessions) == before


def test_postpone_records_the_date(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    until = NOW + timedelta(days=7)

    outcome = make_flow(sessions).postpone(
        "ana", rec.id, expected_version=rec.version, until=until, now=NOW
    )

    with sessions() as session:
        (stored,) = list_recommendations(session)
    (event,) = audit_rows(sessions)
    assert (outcome.status, stored.status, stored.postponed_until) == (
        "postponed",
        "postponed",
        until,
    )
    assert (event.action, event.after) == (
        "postpone",
        {"status": "postponed", "postponed_until": until.isoformat()},
    )


def test_postpone_into_the_past_is_refused(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    before = snapshot(sessions)

    with pytest.raises(InvalidInput, match="after now"):
        make_flow(sessions).postpone(
            "ana", rec.id, expected_version=rec.version, until=NOW, now=NOW
        )

    assert snapshot(sessions) == before


def test_a_due_postponed_recommendation_can_be_rejected(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    until = NOW + timedelta(days=1)
    postponed = flow.postpone("ana", rec.id, expected_version=rec.version, until=until, now=NOW)

    outcome = flow.reject(
        "ana", rec.id, expected_version=postponed.version or 0, reason="no", now=until
    )

    assert outcome.status == "rejected"


def test_applied_recommendation_cannot_be_postponed(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    applied = flow.apply("apu", rec.id, expected_version=rec.version, now=NOW)
    before = snapshot(sessions)

    with pytest.raises(InvalidTransition, match="is applied"):
        flow.postpone(
            "ana",
            rec.id,
            expected_version=applied.version or 0,
            until=NOW + timedelta(days=1),
            now=NOW,
        )

    assert snapshot(sessions) == before


def test_a_reason_that_looks_like_sql_is_stored_verbatim(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    payload = "x'); DROP TABLE config_change;--"

    make_flow(sessions).reject("ana", rec.id, expected_version=rec.version, reason=payload, now=NOW)

    with sessions() as session:
        (stored,) = list_recommendations(session)
    assert stored.decision_reason == payload
