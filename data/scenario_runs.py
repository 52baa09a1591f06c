"""What-if runs: the Simulator page's inputs and engine calls, shared by every edge.

The page (dashboard/queries/simulator.py caches these) and the API (api/routes/simulations.py,
team_simulations.py) load the same usage windows and configs and call the engine the same way
(a service's scenario, or a team under a demand growth), so one scenario gives one answer
wherever it is run. `SimulationGate` bounds the CPU an edge spends on runs and runs them
in its own worker pool (data/pool.py), off the edge's request threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from data.catalog import load_catalog_for
from data.errors import NotFound, NothingToReplay, SimulationTooLarge, SimulatorBusy
from data.pool import ProcessRunner, Runner, usable_cpus
from data.repos import fleet, fleet_usage, services
from data.settings import Settings
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.service import Service
from engine.simulation import (
    FleetMember,
    FleetResult,
    Scenario,
    SimulationResult,
    simulate,
    simulate_fleet,
)
from engine.usage import UsageWindow

HISTORY_DAYS = 90  # the window the page replays at most
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ServiceInputs:
    """What one service's simulation needs: who it is, what runs now, its recent usage."""

    service: Service
    current: CapacityConfig
    usage: UsageWindow

    @property
    def longest_horizon_days(self) -> int:
        """The page's horizon slider's top (and start): the whole days of history, 1..90."""
        return max(min(int(self.usage.days + 0.999), HISTORY_DAYS), 1)


def usage_end(session: Session, now: datetime) -> datetime:
    """The exclusive end of the newest stored usage hour (`now` when there is none), as the
    pages' freshness status has it."""
    return fleet.fleet_status(session).usage_end or now


def load_service_inputs(session: Session, service_id: int, end: datetime) -> ServiceInputs | None:
    """The service, its current config and its last HISTORY_DAYS of usage before `end`
    (None: no config). NotFound if the service does not exist."""
    start = end - timedelta(days=HISTORY_DAYS)
    service = services.get_service(session, service_id)
    try:
        current = services.current_config(session, service_id)
    except NotFound:
        return None
    usage = fleet_usage.load_usage_windows(session, [service_id], start=start, end=end)
    return ServiceInputs(service, current, usage[service_id])


def load_team_members(session: Session, team: str, end: datetime) -> tuple[FleetMember, ...]:
    """The team's services that have a config and usage in the last HISTORY_DAYS before `end`,
    by name, with that usage (the team view's members)."""
    configs = services.current_configs(session)
    mine = [s for s in services.list_services(session) if s.team == team and s.id in configs]
    start = end - timedelta(days=HISTORY_DAYS)
    usage = fleet_usage.load_usage_windows(session, [s.id for s in mine], start=start, end=end)
    return tuple(
        FleetMember(service=s, current=configs[s.id], usage=usage[s.id])
        for s in sorted(mine, key=lambda s: s.name)
        if usage[s.id].points > 0
    )


def run_team(members: tuple[FleetMember, ...], growth_pct: float, catalog: Catalog) -> FleetResult:
    """The team under a demand growth (`simulate_fleet`: who breaks, what keeps them whole)."""
    return simulate_fleet(members, growth_pct=growth_pct, catalog=catalog)


def run_scenario(inputs: ServiceInputs, scenario: Scenario, catalog: Catalog) -> SimulationResult:
    """The engine's replay + Monte Carlo of `scenario` over the inputs (EngineError or
    ValueError when the scenario does not fit the service)."""
    return simulate(inputs.usage, inputs.current, scenario, service=inputs.service, catalog=catalog)


def replayable(inputs: ServiceInputs | None, service_id: int) -> ServiceInputs:
    """The inputs, or NothingToReplay naming what is missing."""
    if inputs is None:
        raise NothingToReplay(f"service {service_id} has no capacity configuration to simulate")
    if inputs.usage.points == 0:
        raise NothingToReplay(
            f"service {service_id} has no hourly usage in the last {HISTORY_DAYS} days to replay"
        )
    return inputs


class SimulationGate:
    """Runs on `catalog` in `runner`'s workers: at most `at_once` at a time, each of at most
    `max_path_hours` (paths x replayed hours). One per process (its slots are the process's)."""

    def __init__(
        self, catalog: Catalog, runner: Runner, *, max_path_hours: int, at_once: int
    ) -> None:
        self.catalog = catalog
        self.runner = runner
        self.max_path_hours = max_path_hours
        self._slots = threading.BoundedSemaphore(at_once)

    @classmethod
    def from_settings(cls, settings: Settings) -> SimulationGate:
        """The catalog the pages price with, the TIGHTROPE_API_SIMULATION* bounds, and a pool of
        one worker per slot, at most one per usable CPU, started at the first run."""
        at_once = settings.api_simulations_at_once
        return cls(
            load_catalog_for(settings),
            ProcessRunner(min(at_once, usable_cpus()), warm=False),
            max_path_hours=settings.api_simulation_max_path_hours,
            at_once=at_once,
        )

    def check(self, scenario: Scenario) -> None:
        """SimulationTooLarge when the run would replay more path-hours than allowed."""
        path_hours = scenario.paths * scenario.horizon_days * 24
        if path_hours > self.max_path_hours:
            raise SimulationTooLarge(
                f"{scenario.paths} paths x {scenario.horizon_days} days = {path_hours:,} "
                f"path-hours, over this server's {self.max_path_hours:,}: use fewer paths "
                "or a shorter horizon"
            )

    def run(self, inputs: ServiceInputs, scenario: Scenario) -> SimulationResult:
        """`run_scenario` in a free slot, in a pool worker; SimulatorBusy (never waits) when no
        slot is free, WorkerLost when the worker died."""
        self.check(scenario)
        return self._in_slot(run_scenario, inputs, scenario, self.catalog)

    def _in_slot(self, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        if not self._slots.acquire(blocking=False):
            raise SimulatorBusy("the simulator is busy with other runs: retry in a second")
        try:
            return self.runner.run(work, *args, **kwargs)
        finally:
            self._slots.release()

    def run_team(self, members: tuple[FleetMember, ...], growth_pct: float) -> FleetResult:
        """`run_team` in a free slot, in a pool worker, bounded as a run is: a team replays
        each member's hours (one path each), at most `max_path_hours` of them in all."""
        hours = sum(m.usage.points for m in members)
        if hours > self.max_path_hours:
            raise SimulationTooLarge(
                f"{len(members)} services x their hours = {hours:,} replayed hours, over this "
                f"server's {self.max_path_hours:,}: simulate a smaller team"
            )
        return self._in_slot(run_team, members, growth_pct, self.catalog)

    def shutdown(self) -> None:
        """Stop the pool's workers (at the app's shutdown)."""
        self.runner.shutdown()
