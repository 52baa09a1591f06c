"""Saved scenarios through the API: listed, and promoted by the Simulator page's service."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from data.scenario_actions import ScenarioDesk
from data.workflow import WorkflowPolicy
from engine.simulation import Scenario
from tests.api.conftest import Api
from tests.data.test_simulations_repo import NOW, _add_service, _summary
from tests.data.workflow.world import audit_rows

SCENARIO = Scenario(replicas=2, horizon_days=14, paths=20, seed=3)


def _saved(sessions: sessionmaker[Session]) -> int:
    service_id = _add_service(sessions)
    desk = ScenarioDesk(sessions, WorkflowPolicy(local_actor="root"))
    return desk.save(
        "root", name="two replicas", scenario=SCENARIO,
        summary=_summary(sessions, service_id, SCENARIO), service_id=service_id,
        team="payments", now=NOW,
    )  # fmt: skip


def test_saved_scenarios_are_listed_and_an_analyst_promotes_one_once(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    saved_id = _saved(sessions)

    with api.client("analyst") as client:
        listed = client.get("/v1/simulations")
        first = client.post(f"/v1/simulations/{saved_id}/promote")
        again = client.post(f"/v1/simulations/{saved_id}/promote")
        rec = client.get(f"/v1/recommendations/{first.json()['recommendation_id']}")

    assert listed.status_code == 200, listed.text
    ((one),) = listed.json()
    assert (one["id"], one["name"], one["scenario"]["replicas"]) == (saved_id, "two replicas", 2)
    assert one["summary"]["proposed"]["replicas"] == 2
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()) == (200, {**first.json(), "created": False})
    assert rec.json()["status"] == "open"
    promoted = [e.actor for e in audit_rows(sessions) if e.action == "scenario_promote"]
    assert promoted == ["apikey:analyst-bot"]


def test_a_viewer_cannot_promote(api: Api, sessions: sessionmaker[Session]) -> None:
    saved_id = _saved(sessions)

    with api.client("viewer") as client:
        answer = client.post(f"/v1/simulations/{saved_id}/promote")

    assert answer.status_code == 403
