"""The fleet simulation (simulate_fleet) in batches on the Dask cluster, or in-process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessions
from data.repos.fleet_usage import load_usage_windows
from data.repos.services import configured_fleet
from data.scenario_runs import HISTORY_DAYS
from data.settings import Settings
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.service import Service
from engine.simulation import FleetMember, FleetOutcome, FleetResult, simulate_fleet
from engine.simulation.scenario import MAX_GROWTH_PCT
from engine.usage import UsageWindow
from jobs.cluster import FleetCluster, gather_batches

Fleet = Sequence[tuple[Service, CapacityConfig]]


@dataclass(frozen=True, slots=True)
class Growth:
    """The scenario: demand × (1 + growth_pct / 100), replayed over the last horizon_days of
    the HISTORY_DAYS window that ends (exclusive) at `end`, as the Simulator's team view."""

    growth_pct: float
    end: datetime
    horizon_days: int = 90

    def __post_init__(self) -> None:
        # Checked here, before any batch ships: a worker's ValueError would be retried first.
        if not -100.0 < self.growth_pct <= MAX_GROWTH_PCT:
            raise ValueError(
                f"growth_pct must lie within (-100, {MAX_GROWTH_PCT}], got {self.growth_pct}"
            )

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=HISTORY_DAYS)


@dataclass(frozen=True, slots=True)
class SimulationBatch:
    """One task: where the usage lives, whose, and the scenario. Never usage arrays."""

    settings: Settings
    fleet: tuple[tuple[Service, CapacityConfig], ...]
    growth: Growth


def read_fleet(
    sessions: sessionmaker[Session], team: str | None = None
) -> list[tuple[Service, CapacityConfig]]:
    """Every service with a current config (of `team` when given), by name then id."""
    with sessions.begin() as session:
        found = [pair for chunk in configured_fleet(session) for pair in chunk]
    mine = [(s, config) for s, config in found if team is None or s.team == team]
    return sorted(mine, key=lambda pair: (pair[0].name, pair[0].id))


def simulate(
    sessions: sessionmaker[Session],
    fleet: Fleet,
    growth: Growth,
    catalog: Catalog,
    *,
    cluster: FleetCluster | None = None,
) -> FleetResult:
    """simulate_fleet over `fleet`'s services that have usage in the window: on the cluster
    in batches whose workers read their own usage when it is given and the fleet is larger
    than one batch, else in-process. WorkerFailed when a batch fails past its retries."""
    if cluster is None or len(fleet) <= cluster.batch_services:
        with sessions.begin() as session:
            windows = _windows(session, fleet, growth)
        return simulate_fleet(_members(fleet, windows), growth_pct=growth.growth_pct,
                              catalog=catalog, horizon_days=growth.horizon_days)  # fmt: skip
    size = cluster.batch_services
    work = [
        SimulationBatch(cluster.settings, tuple(fleet[i : i + size]), growth)
        for i in range(0, len(fleet), size)
    ]
    parts = gather_batches(cluster, simulate_batch, work, catalog, what="a fleet simulation")
    outcomes = tuple(outcome for part in parts for outcome in part)
    return FleetResult(growth_pct=growth.growth_pct, outcomes=outcomes)


def simulate_batch(batch: SimulationBatch, catalog: Catalog) -> tuple[FleetOutcome, ...]:
    """On a worker: read the batch's usage, simulate its services under the growth."""
    # One engine per task, as recompute's batches: a worker holds no connection between runs.
    engine = make_engine(batch.settings)
    try:
        with make_sessions(engine).begin() as session:
            windows = _windows(session, batch.fleet, batch.growth)
    finally:
        engine.dispose()
    members = _members(batch.fleet, windows)
    growth = batch.growth
    result = simulate_fleet(
        members, growth_pct=growth.growth_pct, catalog=catalog, horizon_days=growth.horizon_days
    )
    return result.outcomes


def _windows(session: Session, fleet: Fleet, growth: Growth) -> dict[int, UsageWindow]:
    ids = [service.id for service, _ in fleet]
    return load_usage_windows(session, ids, start=growth.start, end=growth.end)


def _members(fleet: Fleet, windows: Mapping[int, UsageWindow]) -> list[FleetMember]:
    """The fleet's services that have usage (simulate_fleet cannot judge one without)."""
    return [
        FleetMember(service=service, current=config, usage=windows[service.id])
        for service, config in fleet
        if windows[service.id].points > 0
    ]
