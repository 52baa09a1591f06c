"""The fleet simulation on a real local Dask cluster: the in-process result, and worker deaths."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dask
import pytest
from distributed import LocalCluster
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.settings import Settings
from engine.catalog import Catalog
from engine.simulation import FleetResult
from jobs.cluster import FleetCluster
from jobs.cluster_simulation import Growth, read_fleet, simulate
from jobs.errors import WorkerFailed
from tests.support.dask_cluster import (
    Background,
    UsageLocked,
    executing_worker_pid,
    kill,
    three_workers,
)

END = datetime(2026, 11, 20, tzinfo=UTC)
N_SERVICES = 12
BATCH = 4  # three batches over three worker processes
GROWTH = Growth(growth_pct=60.0, end=END)
REPO_ROOT = Path(__file__).resolve().parents[2]
# A PostgreSQL table lock holds every batch inside its usage read while a worker is killed.
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[LocalCluster]:
    """Three single-threaded worker processes, each under a nanny that restarts it."""
    with three_workers() as cluster:
        yield cluster


@pytest.fixture
def fleet(sessions: sessionmaker[Session], catalog: Catalog) -> sessionmaker[Session]:
    seed_demo_fleet(sessions, catalog, seed=7, n_services=N_SERVICES, days=21, end=END)
    return sessions


@pytest.fixture
def cluster(settings: Settings, local_cluster: LocalCluster) -> Iterator[FleetCluster]:
    """The parent joins the running cluster by its address, as TIGHTROPE_CLUSTER_ADDRESS does."""
    joined = settings.model_copy(update={"cluster_address": local_cluster.scheduler_address})
    with FleetCluster(joined, workers=1, batch_services=BATCH) as fleet_cluster:
        yield fleet_cluster


def _simulate(
    sessions: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster | None = None
) -> FleetResult:
    return simulate(sessions, read_fleet(sessions), GROWTH, catalog, cluster=cluster)


def test_the_cluster_gives_the_in_process_fleet_result(
    fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    local = _simulate(fleet, catalog)

    remote = _simulate(fleet, catalog, cluster)

    assert remote == local
    assert len(remote.outcomes) == N_SERVICES
    assert 0 < remote.breaking_count < N_SERVICES  # the growth breaks some, not all


def test_a_team_is_simulated_alone_on_the_cluster(
    fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    teams = sorted({service.team for service, _ in read_fleet(fleet)})
    biggest = max(teams, key=lambda team: len(read_fleet(fleet, team)))
    mine = read_fleet(fleet, biggest)

    with FleetCluster(cluster.settings, workers=1, batch_services=1) as one_by_one:
        remote = simulate(fleet, mine, GROWTH, catalog, cluster=one_by_one)

    assert len(mine) > 1  # more than one batch: the cluster path
    assert [o.service_id for o in remote.outcomes] == [s.id for s, _ in mine]
    assert remote == simulate(fleet, mine, GROWTH, catalog)


def test_a_growth_out_of_range_is_refused_before_anything_ships() -> None:
    with pytest.raises(ValueError, match="growth_pct"):
        Growth(growth_pct=-100.0, end=END)


@ON_POSTGRES
def test_a_batch_whose_worker_is_killed_is_retried_and_the_simulation_completes(
    db_engine: Engine, fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    expected = _simulate(fleet, catalog)
    client = cluster.client()
    before = set(client.run(os.getpid).values())

    with UsageLocked(db_engine):  # every batch blocks in its usage read until released
        run = Background(lambda: _simulate(fleet, catalog, cluster))
        victim = executing_worker_pid(client)
        kill(victim)
    remote = run.join()

    assert remote == expected
    assert victim in before
    assert victim not in set(client.run(os.getpid).values())  # its nanny started a new one


@ON_POSTGRES
def test_a_simulation_whose_worker_dies_past_its_retries_fails_cleanly(
    db_engine: Engine, settings: Settings, fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        FleetCluster(settings, workers=2, batch_services=BATCH) as cluster,
    ):
        client = cluster.client()
        with UsageLocked(db_engine):
            run = Background(lambda: _simulate(fleet, catalog, cluster))
            kill(executing_worker_pid(client))
        with pytest.raises(WorkerFailed, match="KilledWorker"):
            run.join()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_prints_who_breaks(fleet: sessionmaker[Session], database_url: str) -> None:
    env = {**os.environ, "TIGHTROPE_DATABASE_URL": database_url, "TIGHTROPE_LOG_JSON": "false"}
    ran = subprocess.run(
        [sys.executable, "-m", "jobs", "simulate-fleet", "--growth-pct", "60", "--workers", "1"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip

    assert ran.returncode == 0, ran.stderr
    headline, *breaking = ran.stdout.splitlines()
    assert headline.startswith(f"fleet at +60 % demand: {N_SERVICES} services, ")
    assert f", {len(breaking)} break, " in headline
    assert breaking
    assert all("replica" in line for line in breaking)
