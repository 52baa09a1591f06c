"""Node cost allocated to discovered workloads per cluster-day, stored and read back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.kube_allocation import recompute_allocation, to_cents
from data.models import ALLOCATION_BASIS, KubeAllocationRow, KubeClusterCostRow
from data.repos.kube_allocation import cluster_allocations
from tests.support.kube_allocation_world import NOW, build, hourly_prices

CATALOG = load_catalog()
DAY1, DAY2 = date(2026, 12, 5), date(2026, 12, 6)


def _lines(sessions: sessionmaker[Session]) -> dict[tuple[date, int | None], KubeAllocationRow]:
    with sessions() as session:
        rows = session.scalars(select(KubeAllocationRow)).all()
    return {(r.day, r.service_id): r for r in rows}


def _clusters(sessions: sessionmaker[Session]) -> dict[date, KubeClusterCostRow]:
    with sessions() as session:
        return {r.day: r for r in session.scalars(select(KubeClusterCostRow)).all()}


def test_known_requests_usage_and_prices_give_the_known_allocation(
    sessions: sessionmaker[Session],
) -> None:
    world = build(sessions)

    report = recompute_allocation(sessions, CATALOG, now=NOW, days=2)

    cpu_h, memory_h = hourly_prices(CATALOG)  # capacity 16 cores, 64 GiB
    lines = _lines(sessions)
    for day, hours in ((DAY1, 24), (DAY2, 12)):
        api, worker = lines[(day, world.api_id)], lines[(day, world.worker_id)]
        # api holds its requests (2 cores, 4 GiB); worker max(1, 3) cores and max(8, 2) GiB.
        assert float(api.cpu_usd) == pytest.approx(hours * cpu_h * 2 / 16, abs=0.01)
        assert float(api.memory_usd) == pytest.approx(hours * memory_h * 4 / 64, abs=0.01)
        assert float(worker.cpu_usd) == pytest.approx(hours * cpu_h * 3 / 16, abs=0.01)
        assert float(worker.memory_usd) == pytest.approx(hours * memory_h * 8 / 64, abs=0.01)
        idle = lines[(day, None)]
        assert float(idle.total_usd) == pytest.approx(
            hours * (cpu_h * 11 / 16 + memory_h * 52 / 64), abs=0.02
        )
        assert idle.basis == ALLOCATION_BASIS
    assert (report.cluster_days, report.lines, report.unpriced_node_hours) == (2, 6, 0)


def test_workloads_plus_idle_equal_the_node_cost_to_the_cent_every_cluster_day(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)

    recompute_allocation(sessions, CATALOG, now=NOW, days=3)

    clusters, lines = _clusters(sessions), _lines(sessions)
    assert sorted(clusters) == [date(2026, 12, 4), DAY1, DAY2]
    for day, cluster in clusters.items():
        parts = [row for (d, _), row in lines.items() if d == day]
        assert sum((row.total_usd for row in parts), Decimal(0)) == cluster.node_cost_usd
        assert all(row.total_usd == row.cpu_usd + row.memory_usd for row in parts)
        assert cluster.node_hours == 2 * (12 if day == DAY2 else 24)


def test_a_node_without_a_catalog_price_adds_capacity_and_is_counted(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions, extra_node_type="x9.unknown")

    report = recompute_allocation(sessions, CATALOG, now=NOW, days=1)

    (cluster,) = _clusters(sessions).values()
    assert (cluster.node_hours, cluster.unpriced_node_hours) == (36, 12)
    assert report.unpriced_node_hours == 12
    cpu_h, memory_h = hourly_prices(CATALOG)
    assert float(cluster.node_cost_usd) == pytest.approx(12 * (cpu_h + memory_h), abs=0.01)


def test_a_second_run_rewrites_the_days_instead_of_adding_to_them(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)
    recompute_allocation(sessions, CATALOG, now=NOW, days=2)
    before = {k: row.total_usd for k, row in _lines(sessions).items()}

    recompute_allocation(sessions, CATALOG, now=NOW, days=2)

    assert {k: row.total_usd for k, row in _lines(sessions).items()} == before


def test_the_summary_names_node_cost_allocated_idle_and_the_top_workloads(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)
    recompute_allocation(sessions, CATALOG, now=NOW, days=2)

    with sessions() as session:
        (summary,) = cluster_allocations(session, since=DAY1)

    assert summary.allocated_usd + summary.idle_usd == summary.node_cost_usd
    assert [w.name for w in summary.top_workloads] == ["C1 Worker", "C1 Api"]
    assert (summary.first_day, summary.last_day) == (DAY1, DAY2)
    assert 0 < summary.idle_pct < 100


@pytest.mark.parametrize("seed", range(20))
def test_cents_sum_to_the_total_whatever_the_parts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    parts = rng.exponential(3.0, size=int(rng.integers(1, 40))).tolist()

    cents = to_cents(parts, round(sum(parts) * 100))

    assert sum(cents) == round(sum(parts) * 100)
    assert all(abs(c - p * 100) < 1 + 1e-9 for c, p in zip(cents, parts, strict=True))


def test_cents_come_off_the_smallest_remainders_when_float_sums_overshoot() -> None:
    # Parts whose floors already exceed the total's cents (float sums a hair over): the extra
    # cent comes off the part with the smallest remainder, never off a part at zero.
    assert to_cents([0.0, 1.0, 0.996], 198) == [0, 99, 99]
    assert to_cents([0.004, 0.004], 1) in ([1, 0], [0, 1])
