"""ScenarioDesk on SQLite and PostgreSQL: save, delete, promote — role, audit, one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data import scenario_actions
from data.errors import Forbidden, NotFound
from data.models import RecommendationRow, SimulationRow
from data.repos.audit import record_event
from data.scenario_actions import ScenarioDesk
from engine.simulation import Scenario
from tests.data.guard_world import POLICY, DiskFull, count, events, failing_after
from tests.data.test_simulations_repo import NOW, _add_service, _save, _summary

SCENARIO = Scenario(replicas=2, horizon_days=14, paths=20, seed=3)


def _desk(sessions: sessionmaker[Session]) -> ScenarioDesk:
    return ScenarioDesk(sessions, POLICY)


def _save_as(sessions: sessionmaker[Session], actor: str, service_id: int) -> int:
    summary = _summary(sessions, service_id, SCENARIO)
    return _desk(sessions).save(
        actor, name=" two replicas ", scenario=SCENARIO, summary=summary, service_id=service_id,
        team="payments", now=NOW,
    )  # fmt: skip


def test_an_analyst_saves_a_scenario_with_its_audit_event(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)

    saved_id = _save_as(sessions, "ana", service_id)

    assert count(sessions, SimulationRow) == 1
    assert events(sessions) == [("ana", "scenario_save", "simulation", str(saved_id), {})]


def test_a_viewer_cannot_save_and_the_attempt_is_audited(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)

    with pytest.raises(Forbidden, match="vera is a viewer: saving a scenario needs the analyst"):
        _save_as(sessions, "vera", service_id)

    assert count(sessions, SimulationRow) == 0
    ((actor, action, target, target_id, detail),) = events(sessions)
    assert (actor, action, target, target_id) == ("vera", "denied", "simulation", "0")
    assert detail == {
        "attempted": "scenario_save", "role": "viewer", "needed": "analyst",
        "service_id": service_id, "team": "payments",
    }  # fmt: skip


def test_a_failed_audit_write_leaves_no_scenario(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    service_id = _add_service(sessions)
    # Fault injection at the audit write (the one thing a real database rarely refuses).
    monkeypatch.setattr(scenario_actions, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        _save_as(sessions, "ana", service_id)

    assert count(sessions, SimulationRow) == 0
    assert events(sessions) == []


def test_a_viewer_cannot_promote_and_no_recommendation_opens(
    sessions: sessionmaker[Session],
) -> None:
    saved_id = _save(sessions, _add_service(sessions), SCENARIO)

    with pytest.raises(Forbidden):
        _desk(sessions).promote("vera", saved_id, now=NOW)

    assert count(sessions, RecommendationRow) == 0
    assert [e[:4] for e in events(sessions)] == [("vera", "denied", "simulation", str(saved_id))]


def test_an_analyst_promotes_once_and_the_event_names_the_recommendation(
    sessions: sessionmaker[Session],
) -> None:
    saved_id = _save(sessions, _add_service(sessions), SCENARIO)

    first = _desk(sessions).promote("ana", saved_id, now=NOW)
    again = _desk(sessions).promote("ana", saved_id, now=NOW)

    assert (first.created, again.created) == (True, False)
    assert again.recommendation_id == first.recommendation_id
    assert events(sessions) == [
        ("ana", "scenario_promote", "recommendation", str(first.recommendation_id),
         {"simulation_id": saved_id}),
    ]  # fmt: skip


def test_a_failed_audit_write_opens_no_recommendation(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_id = _save(sessions, _add_service(sessions), SCENARIO)
    monkeypatch.setattr(scenario_actions, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        _desk(sessions).promote("ana", saved_id, now=NOW)

    assert count(sessions, RecommendationRow) == 0
    assert events(sessions) == []


def test_an_analyst_deletes_a_scenario_and_the_event_keeps_what_it_was(
    sessions: sessionmaker[Session],
) -> None:
    saved_id = _save(sessions, _add_service(sessions), SCENARIO, name="gone soon")

    _desk(sessions).delete("ana", saved_id, now=NOW)

    assert count(sessions, SimulationRow) == 0
    assert [e[:4] for e in events(sessions)] == [
        ("ana", "scenario_delete", "simulation", str(saved_id))
    ]


def test_a_viewer_cannot_delete(sessions: sessionmaker[Session]) -> None:
    saved_id = _save(sessions, _add_service(sessions), SCENARIO)

    with pytest.raises(Forbidden):
        _desk(sessions).delete("vera", saved_id, now=NOW)

    assert count(sessions, SimulationRow) == 1
    assert [e[1] for e in events(sessions)] == ["denied"]


def test_deleting_a_missing_scenario_is_not_found_and_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(NotFound):
        _desk(sessions).delete("ana", 404, now=NOW)

    assert events(sessions) == []


def test_a_failed_audit_write_keeps_the_scenario(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_id = _save(sessions, _add_service(sessions), SCENARIO)
    monkeypatch.setattr(scenario_actions, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        _desk(sessions).delete("ana", saved_id, now=NOW)

    assert count(sessions, SimulationRow) == 1
    assert events(sessions) == []
