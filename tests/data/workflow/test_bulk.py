"""Bulk apply: all or nothing, refused over the count and fleet-% caps before any write."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.errors import BlastRadiusExceeded, Conflict, Drifted
from data.repos import services
from data.repos.stored_recommendations import StoredRecommendation
from tests.data.workflow.world import NOW, add_open_rec, audit_rows, make_flow, snapshot
from tests.factories import make_vm_config


def _recs(sessions: sessionmaker[Session], n: int) -> list[StoredRecommendation]:
    return [add_open_rec(sessions, f"svc-{i}") for i in range(n)]


def test_bulk_apply_applies_every_recommendation(sessions: sessionmaker[Session]) -> None:
    recs = _recs(sessions, 3)

    outcomes = make_flow(sessions, bulk_apply_max_fleet_pct=100.0).bulk_apply(
        "apu", {r.id: r.version for r in recs}, now=NOW
    )

    assert [(o.recommendation_id, o.status) for o in outcomes] == [(r.id, "applied") for r in recs]
    assert [e.action for e in audit_rows(sessions)] == ["apply"] * 3


def test_over_the_count_cap_is_refused_before_any_write(sessions: sessionmaker[Session]) -> None:
    recs = _recs(sessions, 3)
    before = snapshot(sessions)

    with pytest.raises(BlastRadiusExceeded, match="3 recommendations: bulk apply takes at most 2"):
        make_flow(sessions, bulk_apply_max_count=2, bulk_apply_max_fleet_pct=100.0).bulk_apply(
            "apu", {r.id: r.version for r in recs}, now=NOW
        )

    assert snapshot(sessions) == before


def test_over_the_fleet_share_is_refused_before_any_write(sessions: sessionmaker[Session]) -> None:
    recs = _recs(sessions, 4)
    before = snapshot(sessions)

    with pytest.raises(BlastRadiusExceeded, match="2 services of 4 active"):
        make_flow(sessions, bulk_apply_max_fleet_pct=25.0).bulk_apply(
            "apu", {r.id: r.version for r in recs[:2]}, now=NOW
        )

    assert snapshot(sessions) == before


def test_one_stale_version_aborts_the_whole_batch(sessions: sessionmaker[Session]) -> None:
    recs = _recs(sessions, 3)
    before = snapshot(sessions)
    versions = {r.id: r.version for r in recs} | {recs[2].id: recs[2].version + 5}

    with pytest.raises(Conflict, match=f"stopped at recommendation {recs[2].id}, nothing was"):
        make_flow(sessions, bulk_apply_max_fleet_pct=100.0).bulk_apply("apu", versions, now=NOW)

    assert snapshot(sessions) == before


def test_one_drifted_service_aborts_the_whole_batch(sessions: sessionmaker[Session]) -> None:
    recs = _recs(sessions, 3)
    with sessions.begin() as session:
        services.set_capacity(
            session, recs[1].service_id or 0, make_vm_config(replicas=7), actor="hand", now=NOW
        )
    before = snapshot(sessions)

    with pytest.raises(Drifted, match=f"stopped at recommendation {recs[1].id}"):
        make_flow(sessions, bulk_apply_max_fleet_pct=100.0).bulk_apply(
            "apu", {r.id: r.version for r in recs}, now=NOW
        )

    assert snapshot(sessions) == before
