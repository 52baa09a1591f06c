"""Cached inputs of the Simulator: a slider move reads these from memory, never the database.

The usage window of a service (the last HISTORY_DAYS days up to the newest hour) and its
config are cached per service and data version (`usage_end`), the catalog once per process.
The current config's own cost breakdown is cached too: it does not depend on the sliders.
Runs go to the server's shared pool (dashboard/pool.py) and are cached by their inputs (the
service's inputs by content, the scenario): ten analysts on one scenario share one run (a
second caller of a key being computed waits for it). Saved scenarios are cached until a save
clears them (`forget_saved`).
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps, pool
from data import scenario_runs
from data.catalog import load_catalog_for
from data.repos import services, simulations
from data.repos.simulations import SavedScenario
from data.scenario_runs import ServiceInputs
from engine.catalog import Catalog
from engine.simulation import (
    FleetMember,
    FleetResult,
    MonthlyCost,
    Scenario,
    SimulationResult,
)

Sessions = sessionmaker[Session]


@st.cache_resource(show_spinner=False)
def catalog() -> Catalog:
    """The pricing catalog with the configured discounts, loaded once per process."""
    return load_catalog_for(deps.settings())


@deps.cached_query()
def service_choices(_sessions: Sessions) -> dict[int, tuple[str, str, str, str]]:
    """Every service with a config: id → (name, team, environment, platform), by name."""
    with _sessions() as session:
        configured = services.current_configs(session)
        found = sorted(services.list_services(session), key=lambda s: (s.name, s.id))
    return {s.id: (s.name, s.team, s.environment, s.platform) for s in found if s.id in configured}


@deps.cached_query()
def service_inputs(
    _sessions: Sessions, service_id: int, usage_end: datetime
) -> ServiceInputs | None:
    """The service, its current config and its last HISTORY_DAYS of usage (None: no config)."""
    with _sessions() as session:
        return scenario_runs.load_service_inputs(session, service_id, usage_end)


@deps.cached_query()
def current_cost(
    _sessions: Sessions, service_id: int, usage_end: datetime, horizon_days: int
) -> MonthlyCost | None:
    """Monthly cost of the current config over the horizon (one replay: it has no spread)."""
    inputs = service_inputs(_sessions, service_id, usage_end)
    if inputs is None or inputs.usage.points == 0:
        return None
    return scenario_result(inputs, Scenario(horizon_days=horizon_days, paths=1)).cost


RUNS_KEPT = 256  # a result pickles to ~180 KB: at most ~46 MB of runs per server


@st.cache_data(max_entries=RUNS_KEPT, show_spinner=False)
def scenario_result(inputs: ServiceInputs, scenario: Scenario) -> SimulationResult:
    """The engine's run of `scenario` on `inputs`, in the shared pool (EngineError or
    ValueError when it does not fit; WorkerLost when the worker died). Keyed by the inputs'
    content, not by a TTL: a new config or new usage is a new key, never a stale hit."""
    return pool.shared().run(scenario_runs.run_scenario, inputs, scenario, catalog())


@deps.cached_query()
def fleet_result(
    _sessions: Sessions, team: str, usage_end: datetime, growth_pct: float
) -> FleetResult:
    """The team under a demand growth (`simulate_fleet`), in the shared pool."""
    members = team_members(_sessions, team, usage_end)
    return pool.shared().run(scenario_runs.run_team, members, growth_pct, catalog())


@deps.cached_query()
def team_members(_sessions: Sessions, team: str, usage_end: datetime) -> tuple[FleetMember, ...]:
    """The team's services that have a config and usage, with their last HISTORY_DAYS."""
    with _sessions() as session:
        return scenario_runs.load_team_members(session, team, usage_end)


@deps.cached_query()
def saved_scenarios(_sessions: Sessions, service_id: int) -> tuple[SavedScenario, ...]:
    with _sessions() as session:
        return tuple(simulations.list_scenarios(session, service_id=service_id))


@deps.cached_query()
def saved_team_scenarios(_sessions: Sessions, team: str) -> tuple[SavedScenario, ...]:
    with _sessions() as session:
        return tuple(simulations.list_scenarios(session, team=team, team_only=True))


def forget_saved() -> None:
    """After a save: the next read of the saved scenarios goes to the database."""
    saved_scenarios.clear()
    saved_team_scenarios.clear()
