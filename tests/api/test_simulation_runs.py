"""What-if runs through the API: the Simulator page's answer, its saves and promotions, bounded.

The page runs in AppTest on the same database the real uvicorn serves (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data import scenario_runs
from data.models import AuditEventRow, RecommendationRow, SimulationRow
from data.repos import services
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy
from tests.api.conftest import Api, serve_api
from tests.dashboard.conftest import NOW as PAGE_NOW
from tests.dashboard.conftest import open_page, seed_small_fleet
from tests.factories import make_new_service, make_vm_config
from tests.support import pool_work

PAGE = "app_pages/simulator.py"
RUN_TEAM = "/v1/team-simulation-runs"


@pytest.fixture
def fleet(
    sessions: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, int]]:
    """The dashboard tests' three services, in the database both the page and the API use."""
    ids = seed_small_fleet(sessions)
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", database_url)
    monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", PAGE_NOW.isoformat())
    st.cache_data.clear()  # the page's caches outlive AppTest runs within one process
    st.cache_resource.clear()
    yield ids
    st.cache_data.clear()
    st.cache_resource.clear()


def _page_on(service_id: int, replicas: int) -> AppTest:
    at = open_page(PAGE, timeout_s=90)
    at.selectbox(key="sim_service").set_value(service_id).run()
    at.slider(key="sim_replicas").set_value(replicas).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _page_saves(at: AppTest, name: str) -> None:
    at.text_input(key="sim_save_name").input(name).run()
    at.button(key="sim_save").click().run()
    assert not at.exception, [e.message for e in at.exception]


def _saved_rows(sessions: sessionmaker[Session]) -> list[SimulationRow]:
    with sessions() as session:
        return list(session.scalars(select(SimulationRow).order_by(SimulationRow.id)))


def _levers(row: SimulationRow) -> dict[str, Any]:
    """The page's saved scenario as an API body: every lever the sliders set."""
    return {k: v for k, v in row.scenario.items() if v is not None}


def _events(sessions: sessionmaker[Session], action: str) -> list[AuditEventRow]:
    with sessions() as session:
        query = select(AuditEventRow).where(AuditEventRow.action == action)
        return list(session.scalars(query.order_by(AuditEventRow.id)))


def test_a_run_through_the_api_answers_what_the_page_showed_and_saved(
    api: Api, sessions: sessionmaker[Session], fleet: dict[str, int]
) -> None:
    _page_saves(_page_on(fleet["checkout"], replicas=2), "two replicas")
    (page_row,) = _saved_rows(sessions)
    body = {"service_id": fleet["checkout"], **_levers(page_row)}

    with api.client("viewer") as client:  # a run stores nothing: a viewer may run one
        answer = client.post("/v1/simulation-runs", json=body)
        page_saved = client.get(f"/v1/simulations/{page_row.id}")

    assert answer.status_code == 200, answer.text
    assert page_saved.status_code == 200, page_saved.text
    assert answer.json()["scenario"] == page_saved.json()["scenario"]
    assert answer.json()["summary"] == page_saved.json()["summary"]
    assert answer.json()["summary"]["proposed"]["replicas"] == 2
    assert answer.json()["scenario"]["horizon_days"] == 14  # the page's default: all history
    assert len(_saved_rows(sessions)) == 1


def test_save_and_promote_through_the_api_write_what_the_page_writes(
    api: Api, sessions: sessionmaker[Session], fleet: dict[str, int]
) -> None:
    at = _page_on(fleet["etl"], replicas=3)  # 1 replica saturates: 3 keep the SLA
    _page_saves(at, "three replicas")
    at.button(key="sim_promote").click().run()
    assert not at.exception, [e.message for e in at.exception]
    (page_row,) = _saved_rows(sessions)
    _reject_all(sessions)  # the same proposal may be live once: the page's is closed first

    with api.client("analyst") as client:
        saved = client.post(
            "/v1/simulations",
            json={"service_id": fleet["etl"], "name": "three replicas", **_levers(page_row)},
        )
        promoted = client.post(f"/v1/simulations/{saved.json()['id']}/promote")

    assert saved.status_code == 201, saved.text
    assert saved.headers["Location"] == f"/v1/simulations/{saved.json()['id']}"
    assert (promoted.status_code, promoted.json()["created"]) == (201, True)
    page_row, api_row = _saved_rows(sessions)
    assert _row(api_row, "id", "created_by", "created_at") == _row(
        page_row, "id", "created_by", "created_at"
    )
    (page_rec, api_rec) = _recommendations(sessions)
    assert api_rec.id == promoted.json()["recommendation_id"]
    skip: tuple[str, ...] = ("id", "fingerprint", "status", "created_at", "updated_at")
    skip += ("explanation", "version")
    skip += ("decided_by", "decided_at", "decision_reason", "suppressed_until")  # the rejection
    assert _row(api_rec, *skip) == _row(page_rec, *skip)
    for action in ("scenario_save", "scenario_promote"):
        page_event, api_event = _events(sessions, action)
        assert (page_event.actor, api_event.actor) == ("local-admin", "apikey:analyst-bot")
        assert _event(api_event, api_row.id) == _event(page_event, page_row.id)


def _reject_all(sessions: sessionmaker[Session]) -> None:
    workflow = Workflow(sessions, WorkflowPolicy(local_actor="root"))
    for rec in _recommendations(sessions):
        workflow.reject(
            "root", rec.id, expected_version=rec.version, reason="compare", now=PAGE_NOW
        )


def _recommendations(sessions: sessionmaker[Session]) -> list[RecommendationRow]:
    with sessions() as session:
        rows = session.scalars(select(RecommendationRow).order_by(RecommendationRow.id))
        return list(rows)


def _row(row: Any, *skip: str) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


def _event(event: AuditEventRow, simulation_id: int) -> tuple[Any, ...]:
    """What an event says, with its own simulation's id (and its recommendation's) abstracted."""
    detail = {k: ("<sim>" if v == simulation_id else v) for k, v in event.detail.items()}
    target = "<sim>" if event.target_type == "simulation" else "<rec>"
    return (event.action, event.target_type, target, event.before, event.after, detail)


def test_an_oversize_run_is_refused_before_any_work(api: Api, fleet: dict[str, int]) -> None:
    body = {"service_id": fleet["checkout"], "paths": 10_000, "horizon_days": 14}

    with api.client("analyst") as client:
        answer = client.post("/v1/simulation-runs", json=body)

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "urn:tightrope:problem:simulation-too-large"
    assert "3,360,000 path-hours" in problem["detail"]


@pytest.mark.parametrize(
    ("levers", "slug", "says"),
    [
        ({"replicas": 2, "profile": "cost"}, "invalid-input", "at most one of replicas"),
        ({"schedule": "sometimes"}, "invalid-input", "cannot be simulated"),
        ({"paths": 0}, "invalid-request", "body.paths"),
    ],
)
def test_levers_the_engine_refuses_are_a_422_problem(
    api: Api, fleet: dict[str, int], levers: dict[str, Any], slug: str, says: str
) -> None:
    with api.client("analyst") as client:
        answer = client.post("/v1/simulation-runs", json={"service_id": fleet["etl"], **levers})

    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == f"urn:tightrope:problem:{slug}"
    assert says in answer.json()["detail"]


def test_a_viewer_cannot_save_and_nobody_unauthenticated_runs(
    api: Api, sessions: sessionmaker[Session], fleet: dict[str, int]
) -> None:
    body = {"service_id": fleet["etl"], "replicas": 3}

    with api.client("viewer") as client:
        refused = client.post("/v1/simulations", json={**body, "name": "mine"})
    with api.client() as client:
        anonymous = client.post("/v1/simulation-runs", json=body)
        unsaved = client.post("/v1/simulations", json={**body, "name": "mine"})

    assert refused.status_code == 403
    assert (anonymous.status_code, unsaved.status_code) == (401, 401)
    assert _saved_rows(sessions) == []
    (denied,) = _events(sessions, "denied")
    assert (denied.actor, denied.detail["attempted"]) == ("apikey:viewer-bot", "scenario_save")


def test_a_service_with_nothing_to_replay_or_unknown_is_answered_plainly(
    api: Api, sessions: sessionmaker[Session], fleet: dict[str, int]
) -> None:
    with sessions.begin() as session:
        (idle,) = services.add_services(session, [make_new_service("idle")], now=PAGE_NOW)
        services.set_capacity(session, idle.id, make_vm_config(), actor="t", now=PAGE_NOW)

    with api.client("analyst") as client:
        unknown = client.post("/v1/simulation-runs", json={"service_id": 9_999})
        missing = client.get("/v1/simulations/9999")
        idle_run = client.post("/v1/simulation-runs", json={"service_id": idle.id})

    assert (unknown.status_code, missing.status_code) == (404, 404)
    assert idle_run.status_code == 422
    assert idle_run.json()["type"] == "urn:tightrope:problem:nothing-to-replay"
    assert "no hourly usage in the last 90 days" in idle_run.json()["detail"]


def test_a_dead_worker_is_a_503_and_the_next_run_is_answered(
    api: Api, fleet: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"service_id": fleet["etl"], "replicas": 3}
    real_run = scenario_runs.run_scenario
    monkeypatch.setattr(scenario_runs, "run_scenario", pool_work.die)  # dies in the API's pool

    with api.client("analyst") as client:
        lost = client.post("/v1/simulation-runs", json=body)
        monkeypatch.setattr(scenario_runs, "run_scenario", real_run)
        again = client.post("/v1/simulation-runs", json=body)

    assert lost.status_code == 503, lost.text
    assert lost.headers["Retry-After"] == "1"
    assert lost.json()["type"] == "urn:tightrope:problem:simulation-worker-lost"
    assert "stopped while running die" in lost.json()["detail"]
    assert again.status_code == 200, again.text
    assert again.json()["summary"]["proposed"]["replicas"] == 3


def _page_saves_team(team: str, growth_pct: int, name: str) -> None:
    at = open_page(PAGE, timeout_s=90)
    at.segmented_control(key="sim_mode").set_value("A team").run()
    at.selectbox(key="sim_team").set_value(team).run()
    at.slider(key="sim_fleet_growth_pct").set_value(growth_pct).run()
    at.text_input(key="sim_team_save_name").input(name).run()
    at.button(key="sim_team_save").click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_a_team_run_answers_what_the_team_view_saved_and_a_save_writes_what_it_writes(
    api: Api, sessions: sessionmaker[Session], fleet: dict[str, int]
) -> None:
    _page_saves_team("payments", 100, "payments doubles")
    (page_row,) = _saved_rows(sessions)
    body = {"team": "payments", "growth_pct": 100}

    with api.client("viewer") as client:  # a run stores nothing: a viewer may run one
        answer = client.post("/v1/team-simulation-runs", json=body)
        page_saved = client.get(f"/v1/simulations/{page_row.id}")
    with api.client("analyst") as client:
        saved = client.post("/v1/team-simulations", json={**body, "name": "payments doubles"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["summary"] == page_saved.json()["summary"]
    assert answer.json()["summary"]["services"] == len(answer.json()["outcomes"]) > 0
    breaking = [o["slug"] for o in answer.json()["outcomes"] if not o["sla_holds"]]
    assert breaking == answer.json()["summary"]["breaking"]
    assert saved.status_code == 201, saved.text
    assert saved.headers["Location"] == f"/v1/simulations/{saved.json()['id']}"
    page_row, api_row = _saved_rows(sessions)
    assert _row(api_row, "id", "created_by", "created_at") == _row(
        page_row, "id", "created_by", "created_at"
    )
    page_event, api_event = _events(sessions, "scenario_save")
    assert (page_event.actor, api_event.actor) == ("local-admin", "apikey:analyst-bot")
    assert _event(api_event, api_row.id) == _event(page_event, page_row.id)


def test_a_team_nobody_can_replay_or_a_viewer_saving_is_refused_and_nothing_stored(
    api: Api, sessions: sessionmaker[Session], fleet: dict[str, int]
) -> None:
    with api.client("analyst") as client:
        nobody = client.post("/v1/team-simulation-runs", json={"team": "ghosts", "growth_pct": 10})
        too_much = client.post(
            "/v1/team-simulation-runs", json={"team": "data", "growth_pct": 5000}
        )
    with api.client("viewer") as client:
        refused = client.post(
            "/v1/team-simulations", json={"team": "data", "growth_pct": 10, "name": "mine"}
        )

    assert nobody.status_code == 422, nobody.text
    assert nobody.json()["type"] == "urn:tightrope:problem:nothing-to-replay"
    assert "team 'ghosts'" in nobody.json()["detail"]
    assert (too_much.status_code, too_much.json()["type"]) == (
        422, "urn:tightrope:problem:invalid-request")  # fmt: skip
    assert refused.status_code == 403
    assert _saved_rows(sessions) == []


def test_a_team_too_large_for_the_server_is_refused_before_any_work(
    api_settings: Settings,
    sessions: sessionmaker[Session],
    fleet: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scenario_runs, "run_team", pool_work.die)  # any work would be a 503
    small = api_settings.model_copy(update={"api_simulation_max_path_hours": 24})

    with serve_api(small, sessions) as api, api.client("analyst") as client:
        answer = client.post("/v1/team-simulation-runs", json={"team": "payments", "growth_pct": 9})

    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == "urn:tightrope:problem:simulation-too-large"
    assert "replayed hours, over this server's 24" in answer.json()["detail"]
