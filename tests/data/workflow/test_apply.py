"""Apply writes config, change, status and one audit event in one transaction, or nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Conflict, Drifted, InvalidTransition, NotFound
from data.models import CapacityConfigRow, RecommendationRow
from data.repos import changes, services
from data.repos.stored_recommendations import list_recommendations
from data.workflow import Outcome
from engine.recommendation import Money
from tests.data.workflow.world import (
    ADMIN,
    NOW,
    add_open_rec,
    add_service,
    audit_rows,
    live,
    make_commitment_rec,
    make_flow,
    make_rec,
    snapshot,
    store,
)
from tests.factories import make_vm_config


def test_apply_makes_the_proposed_config_current(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    outcome = make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    assert outcome == Outcome(
        rec.id, outcome.change_id, "applied", rec.version + 1, outcome.message, outcome.handoff
    )
    assert outcome.message == "Applied recommendation 1: 3 × m5.large → 2 × m5.large."
    # No hand-off step in this workflow: the row waits for the sidecar, and the label says so.
    assert outcome.handoff == (
        "recorded; hand-off to the GitOps repository pending — not changed anywhere yet"
    )
    assert live(sessions, rec.service_id or 0) == rec.proposed


def test_apply_closes_the_previous_config_version(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    with sessions() as session:
        rows = session.scalars(select(CapacityConfigRow).order_by(CapacityConfigRow.version))
        versions = [(r.version, r.is_current, r.valid_to, r.created_by) for r in rows]
    assert versions == [(1, False, NOW, "seed"), (2, True, None, ADMIN)]


def test_apply_records_the_change_and_the_decision(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    outcome = make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    with sessions() as session:
        (change,) = changes.list_changes(session)
        (stored,) = list_recommendations(session)
        row = session.get(RecommendationRow, rec.id)
        assert row is not None
        decided = (row.decided_by, row.decided_at, row.updated_at)
    assert (change.id, change.recommendation_id, change.status) == (
        outcome.change_id,
        rec.id,
        "applied",
    )
    assert (change.before, change.after, change.actor, change.applied_at) == (
        rec.current,
        rec.proposed,
        ADMIN,
        NOW,
    )
    assert stored.status == "applied"
    assert decided == (ADMIN, NOW, NOW)


def test_apply_writes_one_audit_event(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    outcome = make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    (event,) = audit_rows(sessions)
    assert (event.actor, event.action, event.target_type, event.target_id, event.at) == (
        ADMIN,
        "apply",
        "recommendation",
        str(rec.id),
        NOW,
    )
    assert event.before is not None
    assert event.after is not None
    assert (event.before["status"], event.after["status"]) == ("open", "applied")
    assert event.after["config"]["replicas"] == 2
    assert event.detail["change_id"] == outcome.change_id


def test_idle_recommendation_decommissions_to_zero_replicas(
    sessions: sessionmaker[Session],
) -> None:
    rec = add_open_rec(sessions, replicas=0, min_replicas=0)

    make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    assert live(sessions, rec.service_id or 0).replicas == 0


def test_off_hours_recommendation_changes_the_schedule(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions, schedule="weekdays 07-19 UTC")

    make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    assert live(sessions, rec.service_id or 0).schedule == "weekdays 07-19 UTC"


def test_fleet_commitment_records_status_and_audit_only(sessions: sessionmaker[Session]) -> None:
    rec = store(sessions, make_commitment_rec())

    outcome = make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    with sessions() as session:
        assert changes.list_changes(session) == []
    assert (outcome.status, outcome.change_id) == ("applied", None)
    assert [e.action for e in audit_rows(sessions)] == ["apply"]


def test_stale_version_is_a_conflict_naming_who_changed_it(
    sessions: sessionmaker[Session],
) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    flow.postpone(
        "ana", rec.id, expected_version=rec.version, until=NOW + timedelta(days=7), now=NOW
    )
    before = snapshot(sessions)

    with pytest.raises(Conflict, match=r"changed by ana at 2026-11-02 00:00 UTC, review again"):
        flow.apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    assert snapshot(sessions) == before


def test_recompute_refresh_is_named_as_the_conflicting_writer(
    sessions: sessionmaker[Session],
) -> None:
    rec = add_open_rec(sessions)
    dearer = replace(make_rec(rec.service_id, make_vm_config()), cost_current=Money(250.0, 240.0))
    store(sessions, dearer, now=NOW)

    with pytest.raises(Conflict, match="changed by recompute at 2026-11-02 00:00 UTC"):
        make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)


def test_double_apply_with_one_version_applies_once(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    flow.apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    with pytest.raises(Conflict):
        flow.apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    with sessions() as session:
        assert len(changes.list_changes(session)) == 1
    assert len(audit_rows(sessions)) == 1


def test_apply_refuses_when_the_live_config_drifted(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    with sessions.begin() as session:
        services.set_capacity(
            session, rec.service_id or 0, make_vm_config(replicas=5), actor="hand", now=NOW
        )
    before = snapshot(sessions)

    with pytest.raises(Drifted, match=r"replicas: current=5 expected=3"):
        make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    assert snapshot(sessions) == before


def test_rejected_recommendation_cannot_be_applied(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    rejected = flow.reject("ana", rec.id, expected_version=rec.version, reason="no", now=NOW)
    before = snapshot(sessions)

    with pytest.raises(InvalidTransition, match="is rejected"):
        flow.apply(ADMIN, rec.id, expected_version=rejected.version or 0, now=NOW)

    assert snapshot(sessions) == before


def test_a_recommendation_failing_its_own_sla_verdict_cannot_be_applied(
    sessions: sessionmaker[Session],
) -> None:
    rec = add_open_rec(sessions)
    with sessions.begin() as session:  # as stored before recompute stopped offering such rows
        row = session.get_one(RecommendationRow, rec.id)
        row.sla_verdict = {"passes": False, "reasons": ["p95 latency above 200 ms"]}
    with sessions() as session:
        version = session.get_one(RecommendationRow, rec.id).version
    before = snapshot(sessions)

    with pytest.raises(InvalidTransition, match="does not keep the SLA"):
        make_flow(sessions).apply(ADMIN, rec.id, expected_version=version, now=NOW)
    with pytest.raises(InvalidTransition, match="does not keep the SLA"):
        make_flow(sessions, bulk_apply_max_fleet_pct=100.0).bulk_apply(
            ADMIN, {rec.id: version}, now=NOW
        )

    assert snapshot(sessions) == before


def test_postponed_recommendation_can_be_applied(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    until = NOW + timedelta(days=1)
    postponed = flow.postpone("ana", rec.id, expected_version=rec.version, until=until, now=NOW)

    outcome = flow.apply(
        ADMIN, rec.id, expected_version=postponed.version or 0, now=until + timedelta(hours=1)
    )

    assert outcome.status == "applied"


def test_unknown_recommendation_is_not_found(sessions: sessionmaker[Session]) -> None:
    add_service(sessions)

    with pytest.raises(NotFound):
        make_flow(sessions).apply(ADMIN, 999, expected_version=1, now=NOW)


def test_naive_now_is_refused(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    with pytest.raises(ValueError, match="naive"):
        make_flow(sessions).apply(
            ADMIN, rec.id, expected_version=rec.version, now=NOW.replace(tzinfo=None)
        )
