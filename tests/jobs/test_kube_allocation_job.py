"""The discovery job re-allocates node cost over the discovered workloads (decision 014)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.clock import clock_for
from data.connectors.prometheus import PrometheusClient
from data.models import KubeAllocationRow, KubeClusterCostRow
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from tests.support.kube_allocation_world import NOW, build
from tests.support.kube_prometheus import KubePrometheus


def _job() -> Job:
    return next(job for job in default_jobs(60) if job.name == "discover_workloads")


def _totals(sessions: sessionmaker[Session]) -> tuple[Decimal, Decimal, int, int]:
    """(Σ node cost, Σ lines, node-hours, node-hours without a price) over every stored day."""
    with sessions() as session:
        cost, hours, unpriced = session.execute(
            select(func.sum(KubeClusterCostRow.node_cost_usd),
                   func.sum(KubeClusterCostRow.node_hours),
                   func.sum(KubeClusterCostRow.unpriced_node_hours))
        ).one()  # fmt: skip
        lines = session.scalar(select(func.sum(KubeAllocationRow.total_usd)))
    return Decimal(cost or 0), Decimal(lines or 0), int(hours or 0), int(unpriced or 0)


def test_without_a_prometheus_the_job_still_allocates_a_discovered_cluster(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    build(sessions)
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: NOW)

    run = run_job(ctx, _job(), now=True)

    cost, lines, hours, unpriced = _totals(sessions)
    assert (run.status, run.rows) == ("success", 0)
    # 7 days back from 12-06 12:30 reach 11-30; the nodes run from 12-01: 5 days and 12 hours.
    assert hours == 2 * (5 * 24 + 12)
    assert cost == lines > 0
    assert unpriced == 0


def test_nothing_discovered_nothing_allocated(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: NOW)

    run = run_job(ctx, _job(), now=True)

    assert run.status == "success"
    assert _totals(sessions) == (Decimal(0), Decimal(0), 0, 0)


@pytest.mark.prometheus
def test_the_synthetic_cluster_is_allocated_hours_after_its_discovery(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session],
    kube_prometheus: KubePrometheus,
) -> None:  # fmt: skip
    end = kube_prometheus.history.end
    client = PrometheusClient.from_url(kube_prometheus.url, timeout_s=60.0)
    for at in (end, end + timedelta(hours=3)):
        ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=clock_for(at).now,
                         prometheus=client)  # fmt: skip
        assert run_job(ctx, _job(), now=True).status == "success"

    cost, lines, hours, unpriced = _totals(sessions)
    # 4 nodes over the 3 whole hours since discovery; the shipped catalog has no us-east-1
    # price for m5.xlarge (2 of the 4), so those hours add capacity and no cost.
    first_hour = end.replace(minute=0, second=0, microsecond=0)
    whole_hours = int((end + timedelta(hours=3) - first_hour) // timedelta(hours=1))
    assert hours == 4 * whole_hours
    assert unpriced == 2 * whole_hours
    assert cost == lines > 0
