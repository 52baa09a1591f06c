"""Rollback restores `before` while the live config is still `after`; refuses otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Drifted, InvalidTransition, NotFound
from data.repos import changes, services
from data.repos.recommendations import save_recommendations
from data.repos.stored_recommendations import StoredRecommendation, list_recommendations
from data.workflow import Outcome
from tests.data.workflow.world import (
    NOW,
    add_open_rec,
    audit_rows,
    live,
    make_flow,
    make_rec,
    snapshot,
)
from tests.factories import make_vm_config

LATER = NOW + timedelta(hours=2)


def _applied(sessions: sessionmaker[Session]) -> tuple[StoredRecommendation, Outcome]:
    rec = add_open_rec(sessions)
    return rec, make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)


def test_rollback_restores_the_config_before(sessions: sessionmaker[Session]) -> None:
    rec, applied = _applied(sessions)

    outcome = make_flow(sessions).rollback("apu", applied.change_id or 0, now=LATER, reason="slow")

    assert (outcome.status, outcome.change_id, outcome.recommendation_id) == (
        "rolled_back",
        applied.change_id,
        rec.id,
    )
    assert outcome.message == (
        "Rolled back change 1: 2 × m5.large → 3 × m5.large. Not proposed again before 2026-12-02."
    )
    assert live(sessions, rec.service_id or 0) == rec.current


def test_rollback_marks_change_and_recommendation(sessions: sessionmaker[Session]) -> None:
    _, applied = _applied(sessions)

    make_flow(sessions).rollback("apu", applied.change_id or 0, now=LATER, reason="slow")

    with sessions() as session:
        (change,) = changes.list_changes(session)
        (stored,) = list_recommendations(session)
    assert (change.status, change.rolled_back_at, change.rolled_back_by) == (
        "rolled_back",
        LATER,
        "apu",
    )
    assert (stored.status, stored.suppressed_until, stored.decision_reason) == (
        "rolled_back",
        LATER + timedelta(days=30),
        "slow",
    )


def test_rollback_writes_one_audit_event_on_the_change(sessions: sessionmaker[Session]) -> None:
    _, applied = _applied(sessions)

    make_flow(sessions).rollback("apu", applied.change_id or 0, now=LATER)

    event = audit_rows(sessions)[-1]
    assert len(audit_rows(sessions)) == 2
    assert (event.action, event.target_type, event.target_id) == (
        "rollback",
        "config_change",
        str(applied.change_id),
    )
    assert event.before is not None
    assert event.after is not None
    assert (event.before["config"]["replicas"], event.after["config"]["replicas"]) == (2, 3)


def test_rollback_after_drift_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    rec, applied = _applied(sessions)
    with sessions.begin() as session:
        services.set_capacity(
            session, rec.service_id or 0, make_vm_config(replicas=6), actor="hand", now=LATER
        )
    before = snapshot(sessions)

    with pytest.raises(Drifted, match=r"drift detected \(replicas: current=6 expected=2\)"):
        make_flow(sessions).rollback("apu", applied.change_id or 0, now=LATER)

    assert snapshot(sessions) == before


def test_second_rollback_is_an_invalid_transition(sessions: sessionmaker[Session]) -> None:
    _, applied = _applied(sessions)
    flow = make_flow(sessions)
    flow.rollback("apu", applied.change_id or 0, now=LATER)
    before = snapshot(sessions)

    with pytest.raises(InvalidTransition, match="only an applied change"):
        flow.rollback("apu", applied.change_id or 0, now=LATER)

    assert snapshot(sessions) == before


def test_rolled_back_recommendation_cannot_be_applied_again(
    sessions: sessionmaker[Session],
) -> None:
    rec, applied = _applied(sessions)
    flow = make_flow(sessions)
    rolled = flow.rollback("apu", applied.change_id or 0, now=LATER)

    with pytest.raises(InvalidTransition, match="is rolled_back"):
        flow.apply("apu", rec.id, expected_version=rolled.version or 0, now=LATER)


def test_unknown_change_is_not_found(sessions: sessionmaker[Session]) -> None:
    add_open_rec(sessions)

    with pytest.raises(NotFound):
        make_flow(sessions).rollback("apu", 42, now=LATER)


def test_rolled_back_proposal_is_not_reproposed_by_recompute(
    sessions: sessionmaker[Session],
) -> None:
    rec, applied = _applied(sessions)
    make_flow(sessions).rollback("apu", applied.change_id or 0, now=LATER)

    with sessions.begin() as session:
        report = save_recommendations(
            session, [make_rec(rec.service_id, make_vm_config())], now=LATER + timedelta(days=1)
        )

    assert (report.created, report.suppressed) == (0, 1)


def test_blank_rollback_reason_counts_as_none(sessions: sessionmaker[Session]) -> None:
    _, applied = _applied(sessions)

    make_flow(sessions).rollback("apu", applied.change_id or 0, now=LATER, reason="  ")

    assert audit_rows(sessions)[-1].detail["reason"] is None
