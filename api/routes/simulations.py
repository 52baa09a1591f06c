"""What-if scenarios: run one (a service's or a team's), save it, list and read saved ones,
promote one.

A run loads the Simulator page's inputs and calls the engine the page's way
(data.scenario_runs), bounded by the process's SimulationGate and run in its worker pool (off
the request threads, so other requests keep the interpreter; decision 032); a save runs the
scenario again and stores what it said. Save and promotion go through
data.scenario_actions.ScenarioDesk, the service the Simulator page calls (analyst; audited;
promoting a scenario already live answers its recommendation unchanged).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response

from api import schemas
from api.auth import Caller, Deps
from api.deps import ApiDeps
from api.problems import Problem
from api.scenario_schemas import (
    Levers,
    RunRequest,
    SaveRequest,
    SimulationRun,
    TeamRunRequest,
    TeamSaveRequest,
    TeamSimulationRun,
)
from data import scenario_runs
from data.errors import InvalidInput, NothingToReplay, SimulatorBusy, WorkerLost
from data.repos.simulations import (
    SavedScenario,
    ScenarioSummary,
    get_scenario,
    list_scenarios,
    summarize,
    summarize_team,
)
from data.scenario_actions import ScenarioDesk
from data.scenario_runs import ServiceInputs
from engine.errors import EngineError
from engine.simulation import FleetResult, Scenario

router = APIRouter(prefix="/v1", tags=["simulations"])
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid levers, no usage to replay, or a run over the bound."}
}
BUSY: dict[int | str, dict[str, Any]] = {
    429: {"description": "Every simulation slot is busy (Retry-After)."},
    503: {"description": "The run's worker died; the pool was restarted (Retry-After)."},
}


@router.post("/simulation-runs", responses={**TOO_LARGE, **BUSY})
def run(body: RunRequest, deps: Deps, _who: Caller) -> SimulationRun:
    """Run a scenario on a service's recent history, as the Simulator page does; nothing stored."""
    ran = _run(deps, body)
    return SimulationRun(
        service_id=body.service_id, usage_end=ran.usage_end,
        scenario=_plain(dataclasses.asdict(ran.scenario)),
        summary=_plain(dataclasses.asdict(ran.summary)),
    )  # fmt: skip


@router.post(
    "/simulations",
    status_code=201,
    responses={**TOO_LARGE, **BUSY, 403: {"description": "No role"}},
)
def save(body: SaveRequest, response: Response, deps: Deps, who: Caller) -> schemas.Simulation:
    """Run a scenario and save it with what the run said (analyst), as the page's Save does."""
    ran = _run(deps, body)
    desk = ScenarioDesk(deps.sessions, deps.policy.for_principal(who))
    saved_id = desk.save(
        who.actor, name=body.name, scenario=ran.scenario, summary=ran.summary,
        service_id=body.service_id, team=ran.inputs.service.team, now=deps.now(),
    )  # fmt: skip
    response.headers["Location"] = f"/v1/simulations/{saved_id}"
    return _read(deps, saved_id)


@router.post("/team-simulation-runs", responses={**TOO_LARGE, **BUSY})
def run_team(body: TeamRunRequest, deps: Deps, _who: Caller) -> TeamSimulationRun:
    """Run a team under a demand growth, as the Simulator page's team view does; nothing stored."""
    usage_end, result = _run_team(deps, body)
    return TeamSimulationRun(
        team=body.team, usage_end=usage_end,
        summary=_plain(dataclasses.asdict(summarize_team(result))),
        outcomes=[_plain(dataclasses.asdict(o)) for o in result.outcomes],
    )  # fmt: skip


@router.post(
    "/team-simulations",
    status_code=201,
    responses={**TOO_LARGE, **BUSY, 403: {"description": "No role"}},
)
def save_team(
    body: TeamSaveRequest, response: Response, deps: Deps, who: Caller
) -> schemas.Simulation:
    """Run a team scenario and save it with what the run said (analyst), as the page does."""
    _, result = _run_team(deps, body)
    desk = ScenarioDesk(deps.sessions, deps.policy.for_principal(who))
    saved_id = desk.save(
        who.actor, name=body.name, scenario=Scenario(growth_pct=result.growth_pct),
        summary=summarize_team(result), service_id=None, team=body.team, now=deps.now(),
    )  # fmt: skip
    response.headers["Location"] = f"/v1/simulations/{saved_id}"
    return _read(deps, saved_id)


@router.get("/simulations/{simulation_id}")
def get_simulation(simulation_id: int, deps: Deps, _who: Caller) -> schemas.Simulation:
    return _read(deps, simulation_id)


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


@dataclasses.dataclass(frozen=True, slots=True)
class _Ran:
    inputs: ServiceInputs
    usage_end: datetime
    scenario: Scenario
    summary: ScenarioSummary


def _run(deps: ApiDeps, body: RunRequest) -> _Ran:
    """The page's inputs for the service, the levers as a Scenario, and the gated run."""
    now = deps.now()
    with deps.sessions() as session:
        end = scenario_runs.usage_end(session, now)
        loaded = scenario_runs.load_service_inputs(session, body.service_id, end)
    inputs = scenario_runs.replayable(loaded, body.service_id)
    scenario = _scenario(body, inputs)
    with _gated():
        result = deps.simulator.run(inputs, scenario)
    return _Ran(inputs, end, scenario, summarize(result, inputs.current, scenario))


def _run_team(deps: ApiDeps, body: TeamRunRequest) -> tuple[datetime, FleetResult]:
    """The team view's members (NothingToReplay when none) and the gated run."""
    with deps.sessions() as session:
        end = scenario_runs.usage_end(session, deps.now())
        members = scenario_runs.load_team_members(session, body.team, end)
    if not members:
        raise NothingToReplay(
            f"no service of team {body.team!r} has a config and hourly usage in the last "
            f"{scenario_runs.HISTORY_DAYS} days to replay"
        )
    with _gated():
        return end, deps.simulator.run_team(members, body.growth_pct)


@contextmanager
def _gated() -> Iterator[None]:
    """The gate's and the engine's refusals as the problems a client can act on."""
    try:
        yield
    except SimulatorBusy as error:
        raise Problem(429, "simulator-busy", str(error), {"Retry-After": "1"}) from error
    except WorkerLost as error:
        raise Problem(503, "simulation-worker-lost", str(error), {"Retry-After": "1"}) from error
    except (EngineError, ValueError) as error:
        raise InvalidInput(f"this scenario cannot be simulated: {error}") from error


def _scenario(body: RunRequest, inputs: ServiceInputs) -> Scenario:
    levers = body.model_dump(include=set(Levers.model_fields))
    levers["horizon_days"] = min(
        levers["horizon_days"] or inputs.longest_horizon_days, inputs.longest_horizon_days
    )
    try:
        return Scenario(**levers)
    except ValueError as error:
        raise InvalidInput(f"this scenario cannot be simulated: {error}") from error


def _read(deps: ApiDeps, simulation_id: int) -> schemas.Simulation:
    with deps.sessions() as session:
        return _simulation(get_scenario(session, simulation_id))


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
