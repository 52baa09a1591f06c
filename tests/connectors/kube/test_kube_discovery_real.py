"""Discovery against a real Prometheus holding the generated cluster: the CLI as a subprocess
stores every workload, container, request and limit; a second run changes nothing; a workload
gone from the history is retired."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.kube.discover import discover
from data.connectors.kube.drafts import KubeConfig
from data.connectors.prometheus import PrometheusClient, collect_usage
from data.models import (
    AuditEventRow,
    CapacityConfigRow,
    KubeContainerRow,
    KubeHpaRow,
    KubeNodeRow,
    KubeWorkloadRow,
    ServiceRow,
)
from data.repos.kube_summary import last_discovery
from tests.support.kube_history import GIB, ClusterHistory, Workload
from tests.support.kube_prometheus import KubePrometheus

pytestmark = pytest.mark.prometheus
DAY = timedelta(days=1)
TABLES = (ServiceRow, CapacityConfigRow, KubeWorkloadRow, KubeContainerRow, KubeHpaRow,
          KubeNodeRow, AuditEventRow)  # fmt: skip


def run_cli(database_url: str, kube: KubePrometheus, at: datetime) -> str:
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": database_url,
        "TIGHTROPE_PROMETHEUS_URL": kube.url,
        "TIGHTROPE_CLOCK_FIXED_AT": at.isoformat(),
        "TIGHTROPE_KUBE_TEAM_BY_NAMESPACE": '{"web": "frontend"}',
    }
    done = subprocess.run([sys.executable, "-m", "data", "discover"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def run_in_process(sessions: sessionmaker[Session], kube: KubePrometheus, at: datetime) -> None:
    client = PrometheusClient.from_url(kube.url, timeout_s=60.0)
    discover(sessions, client, KubeConfig(), actor="test", now=at)
    client.close()


def found(history: ClusterHistory, at: datetime) -> list[Workload]:
    return history.found(at - DAY, at)


def stored(sessions: sessionmaker[Session]) -> dict[tuple[str, str, str], Any]:
    with sessions() as session:
        rows = session.execute(select(KubeWorkloadRow, ServiceRow).join(ServiceRow)).all()
        return {(w.namespace, w.kind, w.name): (w, s) for w, s in rows}


def containers_of(sessions: sessionmaker[Session]) -> dict[tuple[str, str], set[tuple[Any, ...]]]:
    with sessions() as session:
        rows = session.execute(select(KubeWorkloadRow, KubeContainerRow).join(KubeContainerRow))
        out: dict[tuple[str, str], set[tuple[Any, ...]]] = {}
        for w, c in rows:
            out.setdefault((w.namespace, w.name), set()).add(
                (c.name, c.cpu_request_cores, c.cpu_limit_cores, c.memory_request_gib,
                 c.memory_limit_gib)
            )  # fmt: skip
        return out


def gib(value: float | None) -> float | None:
    return None if value is None else value / GIB


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in TABLES
        }


def test_the_cli_finds_every_workload_container_request_and_limit(
    database_url: str, sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history

    out = run_cli(database_url, kube_prometheus, history.end)

    want = found(history, history.end)
    assert len(want) >= 50
    rows = stored(sessions)
    assert set(rows) == {(w.namespace, w.kind, w.name) for w in want}
    specs = containers_of(sessions)
    for w in want:
        expected = {(c.name, c.cpu_request_cores, c.cpu_limit_cores, gib(c.memory_request_bytes),
                     gib(c.memory_limit_bytes)) for c in w.containers}  # fmt: skip
        assert specs[(w.namespace, w.name)] == expected, w.name
        workload, service = rows[(w.namespace, w.kind, w.name)]
        assert (workload.replicas, workload.active, service.platform) == (w.replicas, True,
                                                                          "kubernetes")  # fmt: skip
        mapping = {"kind": "workload", "namespace": w.namespace, "workload_kind": w.kind,
                   "workload": w.name}  # fmt: skip
        assert service.telemetry_selector == mapping
    assert "skipped pod platform/debug-shell: no owning controller" in out
    assert "Rollout/canary: owner kind Rollout is not supported" in out
    assert "Deployment/idle-worker: no running pods in the last 24 h" in out


def test_services_carry_team_environment_placement_and_capacity(
    database_url: str, sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history

    run_cli(database_url, kube_prometheus, history.end)

    rows = stored(sessions)
    checkout_row, checkout = rows[("payments", "Deployment", "checkout")]
    with sessions() as session:
        config = session.scalar(select(CapacityConfigRow).where(
            CapacityConfigRow.service_id == checkout.id, CapacityConfigRow.is_current))  # fmt: skip
        hpa = session.scalar(select(KubeHpaRow).where(KubeHpaRow.workload_id == checkout_row.id))
        nodes = session.scalars(select(KubeNodeRow).order_by(KubeNodeRow.name)).all()
    truth = next(w for w in history.workloads if w.name == "checkout")
    assert config is not None
    assert hpa is not None
    assert (config.replicas, config.min_replicas) == (3, 2)
    assert config.cpu_request_cores == pytest.approx(
        sum(c.cpu_request_cores or 0 for c in truth.containers)
    )
    assert (hpa.min_replicas, hpa.max_replicas, hpa.target_cpu_utilization_pct) == (2, 6, 70.0)
    assert (checkout.team, checkout.environment) == ("team-payments", "prod")
    assert (checkout.provider, checkout.region) == ("aws", "us-east-1")
    assert rows[("web", "Deployment", "web-svc-00")][1].team == "frontend"  # namespace map wins
    assert rows[("web", "Deployment", "web-svc-00")][1].environment == "staging"
    assert [(n.name, n.instance_type, n.zone, n.cpu_cores, n.memory_gib) for n in nodes] == [
        (n.name, n.instance_type, n.zone, n.cpu_cores, n.memory_bytes / GIB) for n in history.nodes
    ]


def test_two_deployments_whose_containers_are_both_app_are_two_services(
    database_url: str, sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    run_cli(database_url, kube_prometheus, kube_prometheus.history.end)

    rows = stored(sessions)
    cart, catalog = (
        rows[("shop", "Deployment", "cart")][1],
        rows[("shop", "Deployment", "catalog")][1],
    )
    assert cart.id != catalog.id
    assert (cart.slug, catalog.slug) == ("shop.deploy.cart", "shop.deploy.catalog")
    specs = containers_of(sessions)
    assert "app" in {c[0] for c in specs[("shop", "cart")]} & {
        c[0] for c in specs[("shop", "catalog")]
    }


def test_a_second_run_changes_nothing(
    database_url: str, sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    end = kube_prometheus.history.end
    run_cli(database_url, kube_prometheus, end)
    before = counts(sessions)

    out = run_cli(database_url, kube_prometheus, end + timedelta(minutes=2))

    assert "changes: none" in out
    assert counts(sessions) == before


def test_a_workload_gone_from_the_history_is_retired_not_deleted(
    sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    earlier = history.start + DAY
    run_in_process(sessions, kube_prometheus, earlier)
    assert ("web", "Deployment", "legacy-api") in stored(sessions)

    run_in_process(sessions, kube_prometheus, history.end)

    legacy, service = stored(sessions)[("web", "Deployment", "legacy-api")]
    assert (legacy.active, legacy.retired_at, service.active) == (False, history.end, False)
    active = {k for k, (w, _) in stored(sessions).items() if w.active}
    assert active == {(w.namespace, w.kind, w.name) for w in found(history, history.end)}
    with sessions() as session:
        summary = last_discovery(session)
    assert summary is not None
    assert summary.changes["retired"] == 1


def test_the_collector_reports_discovered_workloads_as_unsupported_without_failing(
    sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    end = kube_prometheus.history.end
    run_in_process(sessions, kube_prometheus, end)
    client = PrometheusClient.from_url(kube_prometheus.url, timeout_s=60.0)

    report = collect_usage(sessions, client, now=end)

    assert len(report.issues) == len(found(kube_prometheus.history, end))
    assert {i.kind for i in report.issues} == {"unsupported"}
    assert "collected by the collect_workload_stats job" in report.issues[0].reason
    assert not report.stale
    assert report.rows_written == 0
