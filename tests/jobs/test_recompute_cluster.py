"""Recompute on a real local Dask cluster: the same recommendations, and worker deaths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import dask
import pytest
from distributed import LocalCluster
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.models import RecommendationRow, RuleOutcomeRow
from data.repos.recommendation_values import PreparedRecommendation, prepare
from data.settings import Settings
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.profiles import PROFILES
from engine.recommendation import Recommendation
from jobs import cluster_eval, fleet_eval
from jobs.cluster import FleetCluster, check_shared_database, gather_batches
from jobs.container_recs import with_containers
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.errors import ClusterUnusable, WorkerFailed
from jobs.recompute import (
    RecomputeReport,
    _read_contexts,
    _Tally,
    _write,
    read_fleet,
    recompute,
)
from jobs.runner import RunResult, run_job
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
PROFILE = PROFILES["balanced"]
# The worker-death tests hold a PostgreSQL table lock so a batch is surely running when its
# worker is killed; SQLite (WAL) lets readers past a writer, so it has no such lock.
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


def _in_process(
    sessions: sessionmaker[Session], catalog: Catalog
) -> tuple[PreparedRecommendation, ...]:
    fleet, sizings = read_fleet(sessions, catalog)
    contexts = _read_contexts(sessions, catalog, fleet, profile=PROFILE, now=END)
    recs = with_containers(fleet_eval.evaluate(contexts), contexts, sizings)
    return tuple(prepare(rec) for rec in recs)


def _on_cluster(
    sessions: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> tuple[PreparedRecommendation, ...]:
    fleet, sizings = read_fleet(sessions, catalog)
    work = cluster_eval.batches(
        cluster.settings, fleet, sizings, profile=PROFILE, now=END, size=BATCH
    )
    return tuple(rec for batch in cluster_eval.evaluate_on(cluster, work, catalog) for rec in batch)


def _recompute(
    sessions: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster | None = None
) -> RecomputeReport:
    return recompute(sessions, catalog, profile=PROFILE, now=END, cluster=cluster)


def _stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return _count(session)


def _count(
    session: Session, row: type[RecommendationRow | RuleOutcomeRow] = RecommendationRow
) -> int:
    return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_cluster_batches_give_the_in_process_recommendations(
    fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    local = _in_process(fleet, catalog)

    remote = _on_cluster(fleet, catalog, cluster)

    assert len(remote) == len(local) > N_SERVICES
    assert remote == local  # every key, outcome, reason and stored column value


def test_recompute_on_a_cluster_stores_what_in_process_stored(
    fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    one = _recompute(fleet, catalog)

    two = _recompute(fleet, catalog, cluster)

    assert (two.outcomes, two.recommendations) == (one.outcomes, one.recommendations)
    assert (two.saved.created, two.saved.updated, two.saved.superseded) == (0, 0, 0)
    assert two.saved.unchanged == one.saved.created


def test_an_in_memory_sqlite_database_is_refused_with_its_reason() -> None:
    with pytest.raises(ClusterUnusable, match="in-memory SQLite"):
        check_shared_database("sqlite://")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # one cluster start
def test_results_shipped_from_the_cluster_equal_the_in_process_ones(
    fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    fleet_, _ = read_fleet(fleet, catalog)
    contexts = _read_contexts(fleet, catalog, fleet_, profile=PROFILE, now=END) * 12
    parts = [contexts[a : a + fleet_eval.BATCH] for a in range(0, len(contexts), fleet_eval.BATCH)]

    shipped = gather_batches(cluster, _evaluate_part, parts, None, what="a test")

    assert len(parts) > 1
    assert repr(tuple(r for part in shipped for r in part)) == repr(fleet_eval.evaluate(contexts))


def _evaluate_part(part: list[ServiceContext], _: None) -> tuple[Recommendation, ...]:
    return fleet_eval.evaluate(part)


@ON_POSTGRES
def test_a_batch_whose_worker_is_killed_is_retried_and_the_run_completes(
    db_engine: Engine,
    fleet: sessionmaker[Session],
    catalog: Catalog,
    cluster: FleetCluster,
) -> None:
    expected = _in_process(fleet, catalog)
    client = cluster.client()
    before = set(client.run(os.getpid).values())

    with UsageLocked(db_engine):  # every batch blocks in its usage read until released
        result = Background(lambda: _on_cluster(fleet, catalog, cluster))
        victim = executing_worker_pid(client)
        kill(victim)
    remote = result.join()

    assert remote == expected
    after = set(client.run(os.getpid).values())
    assert victim in before
    assert victim not in after  # its nanny started a new worker


@ON_POSTGRES
def test_a_run_whose_worker_dies_past_its_retries_fails_and_writes_nothing(
    db_engine: Engine, settings: Settings, fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    recompute_job = next(job for job in default_jobs(60) if job.name == "recompute")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        FleetCluster(settings, workers=2, batch_services=BATCH) as cluster,
    ):
        ctx = JobContext(settings, db_engine, fleet, catalog, clock=lambda: END, cluster=cluster)
        client = cluster.client()
        with UsageLocked(db_engine):
            run = Background(lambda: run_job(ctx, recompute_job, now=True))
            kill(executing_worker_pid(client))
        result = run.join()

    assert isinstance(result, RunResult)
    assert result.status == "failed"
    assert "KilledWorker" in (result.error or "")
    assert _stored(fleet) == 0


def test_a_batch_failing_after_others_were_written_leaves_nothing_written(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    written: list[tuple[int, int]] = []

    def batches(session: Session) -> Iterator[tuple[PreparedRecommendation, ...]]:
        yield _in_process(fleet, catalog)
        written.append((_count(session), _count(session, RuleOutcomeRow)))
        raise WorkerFailed("a recompute batch failed on the cluster: KilledWorker(...)")

    with pytest.raises(WorkerFailed), fleet.begin() as session:
        _write(session, batches(session), (), _Tally(), now=END)

    [(recommendations, outcomes)] = written
    assert recommendations > 0  # the first batch was written in the transaction
    assert outcomes > N_SERVICES
    with fleet() as session:
        assert (_count(session), _count(session, RuleOutcomeRow)) == (0, 0)
