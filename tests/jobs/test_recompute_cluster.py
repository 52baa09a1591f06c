"""Recompute on a real local Dask cluster: the same recommendations, and worker deaths."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import dask
import psutil
import pytest
from distributed import Client, LocalCluster
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.models import RecommendationRow
from data.repos.usage import USAGE_TABLE
from data.settings import Settings
from engine.catalog import Catalog
from engine.profiles import PROFILES
from engine.recommendation import Recommendation
from jobs import cluster_eval, fleet_eval
from jobs.cluster import FleetCluster, check_shared_database
from jobs.container_recs import with_containers
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.errors import ClusterUnusable
from jobs.recompute import RecomputeReport, _read_contexts, _read_fleet, recompute
from jobs.runner import RunResult, run_job

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
    with LocalCluster(
        n_workers=3, threads_per_worker=1, dashboard_address=None, silence_logs=40
    ) as cluster:
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


def _in_process(sessions: sessionmaker[Session], catalog: Catalog) -> tuple[Recommendation, ...]:
    fleet, sizings = _read_fleet(sessions, catalog)
    contexts = _read_contexts(sessions, catalog, fleet, profile=PROFILE, now=END)
    return with_containers(fleet_eval.evaluate(contexts), contexts, sizings)


def _on_cluster(
    sessions: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> tuple[Recommendation, ...]:
    fleet, sizings = _read_fleet(sessions, catalog)
    work = cluster_eval.batches(
        cluster.settings, fleet, sizings, profile=PROFILE, now=END, size=BATCH
    )
    return cluster_eval.evaluate_on(cluster, work, catalog)


def _recompute(
    sessions: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster | None = None
) -> RecomputeReport:
    return recompute(sessions, catalog, profile=PROFILE, now=END, cluster=cluster)


def _stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(RecommendationRow)) or 0)


def test_cluster_batches_give_the_in_process_recommendations(
    fleet: sessionmaker[Session], catalog: Catalog, cluster: FleetCluster
) -> None:
    local = _in_process(fleet, catalog)

    remote = _on_cluster(fleet, catalog, cluster)

    assert len(remote) == len(local) > N_SERVICES
    assert repr(remote) == repr(local)  # reprs: equal arrays inside compare elementwise


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
def test_local_cluster_evaluate_matches_in_process(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    fleet_, _ = _read_fleet(fleet, catalog)
    contexts = _read_contexts(fleet, catalog, fleet_, profile=PROFILE, now=END) * 12

    shipped = fleet_eval.evaluate(contexts, workers=2)

    assert repr(shipped) == repr(fleet_eval.evaluate(contexts))


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

    with _UsageLocked(db_engine):  # every batch blocks in its usage read until released
        result = _Background(lambda: _on_cluster(fleet, catalog, cluster))
        victim = _executing_worker_pid(client)
        _kill(victim)
    remote = result.join()

    assert repr(remote) == repr(expected)
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
        with _UsageLocked(db_engine):
            run = _Background(lambda: run_job(ctx, recompute_job, now=True))
            _kill(_executing_worker_pid(client))
        result = run.join()

    assert isinstance(result, RunResult)
    assert result.status == "failed"
    assert "KilledWorker" in (result.error or "")
    assert _stored(fleet) == 0


class _Background:
    """A call on a thread whose result (or exception) `join` returns (or raises)."""

    def __init__(self, call: object) -> None:
        self._call, self._out, self._error = call, None, None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._out = self._call()  # type: ignore[operator]
        except BaseException as error:
            self._error = error  # type: ignore[assignment]

    def join(self) -> object:
        self._thread.join(timeout=240)
        assert not self._thread.is_alive(), "the recompute did not finish"
        if self._error is not None:
            raise self._error
        return self._out


class _UsageLocked:
    """The usage table locked ACCESS EXCLUSIVE by another connection until the block ends."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(text(f"LOCK TABLE {USAGE_TABLE.name} IN ACCESS EXCLUSIVE MODE"))

    def __exit__(self, *exc: object) -> None:
        self.transaction.commit()
        self.connection.close()


def _executing_worker_pid(client: Client) -> int:
    """The pid of a worker running a batch (blocked on the lock), once there is one."""

    def busy() -> list[int]:
        states = client.run(_pid_if_executing)
        return [pid for pid in states.values() if pid is not None]

    wait_until(lambda: bool(busy()), timeout_s=120, what="a worker running a batch")
    return busy()[0]


def _pid_if_executing(dask_worker: object) -> int | None:
    executing = dask_worker.state.executing  # type: ignore[attr-defined]
    return os.getpid() if executing else None


def _kill(pid: int) -> None:
    process = psutil.Process(pid)
    os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_until(ready: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    """Poll `ready` until it holds; fail naming `what` after timeout_s (never a fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
