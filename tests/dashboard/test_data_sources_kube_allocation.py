"""The Data sources page's Kubernetes allocation section (modelled dollars), with AppTest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components.data_sources.kube_allocation import NOT_YET
from data.catalog import load_catalog
from data.kube_allocation import recompute_allocation
from data.repos.kube_allocation import cluster_allocations
from tests.dashboard.conftest import NOW, open_page, sessions_on
from tests.support.kube_allocation_world import build

PAGE = "app_pages/data_sources.py"


@pytest.fixture
def db(empty_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(empty_database)


def _open() -> AppTest:
    at = open_page(PAGE)
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_section_shows_node_cost_allocated_idle_and_top_workloads_named_modelled(
    db: sessionmaker[Session],
) -> None:
    build(db, extra_node_type="x9.unknown", seen=NOW - timedelta(days=2), until=NOW)
    recompute_allocation(db, load_catalog(), now=NOW, days=7)
    with db() as session:
        (stored,) = cluster_allocations(session, since=NOW.date() - timedelta(days=6))

    at = _open()

    tables = {tuple(d.value.columns)[:2]: d.value for d in at.dataframe}
    clusters = tables[("cluster", "days")]
    assert list(clusters["cluster"]) == ["c1"]
    assert clusters["node_cost_usd"][0] == pytest.approx(float(stored.node_cost_usd))
    assert clusters["allocated_usd"][0] + clusters["idle_usd"][0] == pytest.approx(
        clusters["node_cost_usd"][0], abs=0.005
    )
    assert clusters["idle_pct"][0] == pytest.approx(round(stored.idle_pct, 1))
    assert clusters["unpriced_node_hours"][0] == 48  # x9.unknown over the two days
    top = tables[("cluster", "workload")]
    assert list(top["workload"]) == ["C1 Worker", "C1 Api"]
    text = "\n".join(str(m.value) for m in at.markdown).replace("\\", "")
    assert "modelled (allocated from node prices)" in text
    assert "not part of the billed totals" in text
    warnings = "\n".join(str(w.value) for w in at.warning).replace("\\", "")
    assert "48 node-hours had no catalog price" in warnings


def test_before_any_allocation_the_section_says_where_it_comes_from(
    db: sessionmaker[Session],
) -> None:
    at = _open()

    assert any(NOT_YET in str(i.value) for i in at.info)
