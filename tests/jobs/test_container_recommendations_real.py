"""Container recommendations end to end: `python -m data discover`, `python -m data kube-stats`
and `python -m jobs recompute` (twice) as subprocesses against a real Prometheus holding the
generated cluster, on SQLite and PostgreSQL. Each workload gets its own container_rightsize
result; the two Deployments whose containers are both `app` their own numbers; the HPA workload
its HPA sized with the pod; a second recompute changes nothing; apply and rollback work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessions
from data.models import KubeContainerSizingRow, RecommendationRow, RuleOutcomeRow, ServiceRow
from data.repos.services import current_config
from data.settings import Settings
from data.workflow.policy import WorkflowPolicy
from data.workflow.service import Workflow
from tests.support.kube_prometheus import KubePrometheus

pytestmark = pytest.mark.prometheus
RULE = "container_rightsize"
ACTOR = "ana"


@dataclass(frozen=True)
class Pipeline:
    sessions: sessionmaker[Session]
    first: str
    second: str
    before: list[tuple[Any, ...]]  # every recommendation row after the first recompute
    after: list[tuple[Any, ...]]  # … and after the second


def run(module: str, command: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", module, command], env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def rows(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions() as session:
        query = select(RecommendationRow).order_by(RecommendationRow.id)
        return [(r.id, r.version, r.status, r.updated_at, r.fingerprint)
                for r in session.scalars(query)]  # fmt: skip


def admin(server: str, statement: str) -> None:
    engine = make_engine(Settings(database_url=f"{server}/postgres"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


@contextmanager
def fresh_database(request: pytest.FixtureRequest, base: Path) -> Iterator[str]:
    """A migrated database copied from the session's template, dropped afterwards."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, base / "tightrope.db")
        yield f"sqlite:///{base / 'tightrope.db'}"
        return
    server = request.getfixturevalue("postgres_server_url")
    name = f"tightrope_krec_{uuid.uuid4().hex[:10]}"
    admin(
        server,
        f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("postgres_template")}"',
    )
    yield f"{server}/{name}"
    admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def pipeline(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    kube_prometheus: KubePrometheus,
) -> Iterator[Pipeline]:
    """Discovery, statistics and two recomputes through the CLIs, once per backend."""
    with fresh_database(request, tmp_path_factory.mktemp("container-recs")) as url:
        yield from _pipeline(url, kube_prometheus)


def _pipeline(url: str, kube_prometheus: KubePrometheus) -> Iterator[Pipeline]:
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": url,
        "TIGHTROPE_PROMETHEUS_URL": kube_prometheus.url,
        "TIGHTROPE_PROMETHEUS_TIMEOUT_S": "120",
        "TIGHTROPE_CLOCK_FIXED_AT": kube_prometheus.history.end.isoformat(),
        "TIGHTROPE_KUBE_SIZING_WINDOW_H": "72",
    }
    run("data", "discover", env)
    run("data", "kube-stats", env)
    engine = make_engine(Settings(database_url=url))
    sessions = make_sessions(engine)
    first = run("jobs", "recompute", env)
    before = rows(sessions)
    second = run("jobs", "recompute", env)
    yield Pipeline(sessions, first, second, before, rows(sessions))
    engine.dispose()


def service_id(sessions: sessionmaker[Session], slug: str) -> int:
    with sessions() as session:
        found = session.scalar(select(ServiceRow.id).where(ServiceRow.slug == slug))
    assert found is not None, slug
    return found


def live(sessions: sessionmaker[Session], slug: str) -> RecommendationRow:
    with sessions() as session:
        query = select(RecommendationRow).where(
            RecommendationRow.service_id == service_id(sessions, slug),
            RecommendationRow.rule == RULE,
            RecommendationRow.status == "open",
        )
        found = list(session.scalars(query))
    assert len(found) == 1, slug
    return found[0]


def containers(rec: RecommendationRow) -> dict[str, dict[str, Any]]:
    facts = rec.explanation["details"]
    return {row["container"]: row for row in facts["containers"]}


def sizing(sessions: sessionmaker[Session], slug: str) -> dict[str, KubeContainerSizingRow]:
    with sessions() as session:
        query = select(KubeContainerSizingRow).where(
            KubeContainerSizingRow.service_id == service_id(sessions, slug)
        )
        return {row.container: row for row in session.scalars(query)}


def test_every_discovered_workload_gets_a_container_outcome(pipeline: Pipeline) -> None:
    with pipeline.sessions() as session:
        services = set(session.scalars(select(ServiceRow.id)))
        query = select(RuleOutcomeRow.service_id).where(RuleOutcomeRow.kind == RULE)
        judged = set(session.scalars(query))

    assert judged == services
    assert len(services) == 56
    assert f"'{RULE}':" in pipeline.first or "'restore_sla':" in pipeline.first


def test_the_two_app_deployments_get_their_own_container_numbers(pipeline: Pipeline) -> None:
    cart, catalog = (
        live(pipeline.sessions, "shop.deploy.cart"),
        live(pipeline.sessions, "shop.deploy.catalog"),
    )

    mine = containers(cart), containers(catalog)

    assert set(mine[0]) == {"app", "envoy"}
    assert set(mine[1]) == {"app"}
    for slug, table in zip(("shop.deploy.cart", "shop.deploy.catalog"), mine, strict=True):
        stored = sizing(pipeline.sessions, slug)["app"]
        assert table["app"]["cpu_p95_cores"] == pytest.approx(stored.cpu_p95_cores, rel=1e-12)
        assert table["app"]["memory_max_gib"] == pytest.approx(stored.memory_max_gib, rel=1e-12)
    assert mine[0]["app"]["cpu_p95_cores"] != mine[1]["app"]["cpu_p95_cores"]
    pod_cpu = sum(row["proposed_cpu_request_cores"] for row in mine[0].values())
    assert cart.proposed_config["cpu_request_cores"] == pytest.approx(pod_cpu)


def test_the_hpa_workload_is_sized_with_its_hpa(pipeline: Pipeline) -> None:
    rec = live(pipeline.sessions, "payments.deploy.checkout")

    hpa = rec.explanation["details"]["hpa"]

    assert (hpa["current_min_replicas"], hpa["current_max_replicas"]) == (2, 6)
    assert hpa["current_target_cpu_utilization_pct"] == 70.0
    pod_cpu = rec.proposed_config["cpu_request_cores"]
    capacity_at_max = (
        hpa["proposed_max_replicas"] * pod_cpu * hpa["proposed_target_cpu_utilization_pct"] / 100
    )
    assert hpa["peak_demand_cores"] <= capacity_at_max
    assert hpa["proposed_min_replicas"] >= 2
    assert rec.proposed_config["min_replicas"] == hpa["proposed_min_replicas"]
    assert (
        hpa["proposed_min_replicas"]
        <= rec.proposed_config["replicas"]
        <= hpa["proposed_max_replicas"]
    )
    assert rec.sla_verdict["passes"] is True


def test_a_second_recompute_changes_nothing(pipeline: Pipeline) -> None:
    assert pipeline.after == pipeline.before
    assert f"created=0 updated=0 unchanged={len(pipeline.before)} superseded=0" in pipeline.second


def test_a_container_recommendation_applies_and_rolls_back(pipeline: Pipeline) -> None:
    flow = Workflow(pipeline.sessions, WorkflowPolicy(local_actor=ACTOR))
    rec = live(pipeline.sessions, "shop.deploy.catalog")
    with pipeline.sessions() as session:
        before = current_config(session, rec.service_id or 0)

    applied = flow.apply(ACTOR, rec.id, expected_version=rec.version, now=rec.updated_at)
    with pipeline.sessions() as session:
        during = current_config(session, rec.service_id or 0)
    assert applied.change_id is not None
    flow.rollback(ACTOR, applied.change_id, now=rec.updated_at)

    with pipeline.sessions() as session:
        after = current_config(session, rec.service_id or 0)
    assert during.cpu_request_cores == rec.proposed_config["cpu_request_cores"]
    assert during.replicas == rec.proposed_config["replicas"]
    assert after == before
