"""Two writers, one recommendation or one service: exactly one wins, the other gets told why."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_sessions
from data.errors import Conflict, DataError, RecommendationChanged
from data.models import RecommendationRow
from data.repos import changes
from data.repos.stored_recommendations import StoredRecommendation
from tests.data.workflow.world import NOW, add_open_rec, audit_rows, make_flow, make_rec, store

ROUNDS = 3


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; each result or its DataError."""
    start = threading.Barrier(len(calls))
    results: list[object] = [DataError("did not run")] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except DataError as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _after_load(sessions: sessionmaker[Session], winner: Callable[[], object]) -> None:
    """Run `winner` to completion right after `sessions` loads a recommendation (once)."""
    fired: list[bool] = []

    @event.listens_for(sessions, "loaded_as_persistent")
    def interleave(_session: Session, instance: Any) -> None:
        if isinstance(instance, RecommendationRow) and not fired:
            fired.append(True)
            winner()


def _second_rec(sessions: sessionmaker[Session], rec: StoredRecommendation) -> StoredRecommendation:
    """An off-hours recommendation for the same service, computed from the same config."""
    assert rec.current is not None
    other = make_rec(rec.service_id, rec.current, schedule="weekdays 07-19 UTC")
    return store(sessions, replace(other, kind="off_hours"))


def test_two_threads_applying_one_recommendation_apply_it_once(
    sessions: sessionmaker[Session],
) -> None:
    recs = [add_open_rec(sessions, f"svc-{i}") for i in range(ROUNDS)]
    flows = make_flow(sessions), make_flow(sessions)

    rounds = [
        _race(
            *(
                lambda f=f, r=r: f.apply("apu", r.id, expected_version=r.version, now=NOW)
                for f in flows
            )
        )
        for r in recs
    ]

    with sessions() as session:
        applied = changes.list_changes(session)
    for results in rounds:
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "Outcome"]
    assert len(applied) == ROUNDS
    assert len(audit_rows(sessions)) == ROUNDS


def test_a_writer_that_passed_the_version_check_still_loses(
    sessions: sessionmaker[Session], db_engine: Engine
) -> None:
    rec = add_open_rec(sessions)
    loser_sessions = make_sessions(db_engine)
    _after_load(
        loser_sessions,
        lambda: make_flow(sessions).apply("ada", rec.id, expected_version=rec.version, now=NOW),
    )

    with pytest.raises(
        Conflict, match="changed by ada at 2026-11-02 00:00 UTC, review again"
    ) as lost:
        make_flow(loser_sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)

    assert isinstance(lost.value.__cause__, RecommendationChanged)
    with sessions() as session:
        assert len(changes.list_changes(session)) == 1
    assert len(audit_rows(sessions)) == 1


def test_second_change_to_one_service_finds_its_proposal_superseded(
    sessions: sessionmaker[Session], db_engine: Engine
) -> None:
    rec = add_open_rec(sessions)
    other = _second_rec(sessions, rec)
    loser_sessions = make_sessions(db_engine)
    _after_load(
        loser_sessions,
        lambda: make_flow(sessions).apply("ada", rec.id, expected_version=rec.version, now=NOW),
    )

    # The winner's apply superseded the sibling (one more audit event), so the loser's
    # version-checked write finds a newer row.
    with pytest.raises(Conflict, match="system:workflow"):
        make_flow(loser_sessions).apply("apu", other.id, expected_version=other.version, now=NOW)

    with sessions() as session:
        assert len(changes.list_changes(session)) == 1
    assert [e.action for e in audit_rows(sessions)] == ["apply", "supersede"]


def test_two_threads_changing_one_service_change_it_once(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    other = _second_rec(sessions, rec)
    flow = make_flow(sessions)

    results = _race(
        lambda: flow.apply("apu", rec.id, expected_version=rec.version, now=NOW),
        lambda: flow.apply("ada", other.id, expected_version=other.version, now=NOW),
    )

    # The loser either drifts (it got past its claim) or finds its row superseded (Conflict).
    outcome, refused = sorted(results, key=lambda r: type(r).__name__ == "Outcome", reverse=True)
    assert type(outcome).__name__ == "Outcome"
    assert type(refused).__name__ in {"Drifted", "Conflict"}
    with sessions() as session:
        assert len(changes.list_changes(session)) == 1
    assert [e.action for e in audit_rows(sessions)].count("apply") == 1


def test_two_threads_rolling_back_one_change_roll_it_back_once(
    sessions: sessionmaker[Session],
) -> None:
    rec = add_open_rec(sessions)
    flow = make_flow(sessions)
    applied = flow.apply("apu", rec.id, expected_version=rec.version, now=NOW)

    results = _race(
        lambda: flow.rollback("apu", applied.change_id or 0, now=NOW),
        lambda: flow.rollback("ada", applied.change_id or 0, now=NOW),
    )

    assert sorted(type(r).__name__ for r in results) in (
        ["Conflict", "Outcome"],
        ["InvalidTransition", "Outcome"],
    )
    assert [e.action for e in audit_rows(sessions)] == ["apply", "rollback"]


def test_crossing_bulk_applies_do_not_deadlock(sessions: sessionmaker[Session]) -> None:
    """Batch one lists service b's recommendation first by id, batch two service a's."""
    b_first, a_first = add_open_rec(sessions, "svc-b"), add_open_rec(sessions, "svc-a")
    a_second, b_second = _second_rec(sessions, a_first), _second_rec(sessions, b_first)
    flow = make_flow(sessions, bulk_apply_max_fleet_pct=100.0)
    one = {b_first.id: b_first.version, a_first.id: a_first.version}
    two = {a_second.id: a_second.version, b_second.id: b_second.version}

    results = _race(
        lambda: flow.bulk_apply("apu", one, now=NOW), lambda: flow.bulk_apply("ada", two, now=NOW)
    )

    # The loser drifts, or finds its rows superseded by the winner's applies (Conflict).
    names = sorted(type(r).__name__ for r in results)
    assert names in (["Drifted", "list"], ["Conflict", "list"])
    assert [e.action for e in audit_rows(sessions)].count("apply") == 2
