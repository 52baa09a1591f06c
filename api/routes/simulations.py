"""Saved simulator scenarios: list them, and promote one to an open recommendation.

Promotion goes through data.scenario_actions.ScenarioDesk, the service the Simulator page calls
(analyst; audited; promoting a scenario already live answers its recommendation unchanged).
Running and saving a scenario stay on the Simulator page for now (docs/api.md).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from fastapi import APIRouter, Response

from api import schemas
from api.auth import Caller, Deps
from data.repos.simulations import SavedScenario, list_scenarios
from data.scenario_actions import ScenarioDesk

router = APIRouter(prefix="/v1", tags=["simulations"])


@router.get("/simulations")
def list_simulations(
    deps: Deps, _who: Caller, service_id: int | None = None, team: str | None = None
) -> list[schemas.Simulation]:
    with deps.sessions() as session:
        saved = list_scenarios(session, service_id=service_id, team=team)
    return [_simulation(s) for s in saved]


@router.post(
    "/simulations/{simulation_id}/promote",
    responses={201: {"description": "A new open recommendation was made."}},
)
def promote(simulation_id: int, response: Response, deps: Deps, who: Caller) -> schemas.Promotion:
    desk = ScenarioDesk(deps.sessions, deps.policy.for_principal(who))
    made = desk.promote(who.actor, simulation_id, now=deps.now())
    response.status_code = 201 if made.created else 200
    return schemas.Promotion(recommendation_id=made.recommendation_id, created=made.created)


def _simulation(saved: SavedScenario) -> schemas.Simulation:
    summary = saved.summary or saved.team_summary
    return schemas.Simulation(
        id=saved.id, service_id=saved.service_id, team=saved.team, name=saved.name,
        created_by=saved.created_by, created_at=saved.created_at,
        scenario=_plain(dataclasses.asdict(saved.scenario)),
        summary=None if summary is None else _plain(dataclasses.asdict(summary)),
    )  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities (a summary's "no data") become null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
