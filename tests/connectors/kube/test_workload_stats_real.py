"""Discovered workloads' hourly usage and sizing statistics through `python -m data
kube-stats` against a real Prometheus holding the generated cluster: usage_hourly equals the
truth computed from the generator's arrays (rollout hours included, memory not counted twice),
incremental runs add only new hours, and a failed shard makes the run "partial: N of M"."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.kube.discover import discover
from data.connectors.kube.drafts import KubeConfig
from data.connectors.kube.runs import StatsConfig
from data.connectors.kube.workload_usage import collect_workload_usage
from data.connectors.prometheus.client import PrometheusClient, QueryResult
from data.errors import PrometheusQueryError
from data.models import KubeWorkloadRow
from data.repos.sizing import load_sizing, workload_targets
from data.repos.usage import load_usage
from tests.support.kube_history import PER_HOUR, ClusterHistory, Workload
from tests.support.kube_prometheus import KubePrometheus
from tests.support.kube_truth import hourly_truth, old_style_memory

pytestmark = pytest.mark.prometheus
DAY = timedelta(days=1)


def discovered(
    sessions: sessionmaker[Session], kube: KubePrometheus
) -> dict[tuple[str, str, str], int]:
    """Discovery at the end of history; (namespace, kind, name) → service id."""
    client = PrometheusClient.from_url(kube.url, timeout_s=60.0)
    discover(sessions, client, KubeConfig(), actor="test", now=kube.history.end)
    client.close()
    with sessions() as session:
        rows = session.execute(select(KubeWorkloadRow)).scalars()
        return {(w.namespace, w.kind, w.name): w.service_id for w in rows}


def run_cli(database_url: str, kube: KubePrometheus, at: datetime) -> str:
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": database_url,
        "TIGHTROPE_PROMETHEUS_URL": kube.url,
        "TIGHTROPE_PROMETHEUS_TIMEOUT_S": "120",
        "TIGHTROPE_CLOCK_FIXED_AT": at.isoformat(),
        "TIGHTROPE_KUBE_SIZING_WINDOW_H": "72",
    }
    done = subprocess.run(
        [sys.executable, "-m", "data", "kube-stats"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def stored_hours(
    sessions: sessionmaker[Session], service_id: int, history: ClusterHistory
) -> dict[int, tuple[float, float, float]]:
    with sessions() as session:
        usage = load_usage(session, service_id, start=history.start, end=history.end)
    first = np.datetime64(history.start.replace(tzinfo=None), "s")
    hours = ((usage.hour_start - first) // np.timedelta64(3600, "s")).astype(int)
    return {
        int(h): (float(a), float(b), float(c))
        for h, a, b, c in zip(
            hours,
            usage.cpu_used_mean_cores,
            usage.cpu_used_p95_cores,
            usage.memory_used_max_gib,
            strict=True,
        )
    }


def truth_hours(history: ClusterHistory, w: Workload, last: int) -> dict[int, tuple[float, ...]]:
    truth = hourly_truth(history, w)
    columns = (truth.cpu_used_mean_cores, truth.cpu_used_p95_cores, truth.memory_used_max_gib)
    return {
        h: tuple(float(c[h]) for c in columns)
        for h in range(last)
        if not np.isnan(truth.memory_used_max_gib[h])
    }


def test_the_cli_stores_each_workloads_hourly_usage_and_container_sizing(
    database_url: str, sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    services = discovered(sessions, kube_prometheus)

    out = run_cli(database_url, kube_prometheus, history.end)

    assert "hourly usage: success" in out, out
    assert "sizing: success" in out, out
    last = history.samples // PER_HOUR - 1  # the last hour has not settled at `end`
    checked_rollout_hours = 0
    for w in history.found(history.end - DAY, history.end):
        got = stored_hours(sessions, services[(w.namespace, w.kind, w.name)], history)
        want = truth_hours(history, w, last)
        assert got.keys() == want.keys(), w.name
        for h, values in want.items():
            assert got[h] == pytest.approx(values, rel=1e-9, abs=1e-12), (w.name, h)
        if len(w.replicasets) == 2:
            rollout_hour = w.pods[-1].start // PER_HOUR
            assert got[rollout_hour][2] < old_style_memory(history, w)[rollout_hour]
            checked_rollout_hours += 1
    assert checked_rollout_hours >= 10
    with sessions() as session:
        sizing = load_sizing(session)
    containers = {(s.service_id, s.container) for s in sizing}
    assert containers == {
        (services[(w.namespace, w.kind, w.name)], c.name)
        for w in history.found(history.end - DAY, history.end)
        for c in w.containers
    }
    assert all(s.interval_s == 60 and s.cpu_p95_cores and s.memory_max_gib for s in sizing)


def test_a_later_run_adds_only_the_new_whole_hours(
    sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    discovered(sessions, kube_prometheus)
    with sessions() as session:
        targets = [t for t in workload_targets(session) if t.namespace == "data"]
    config = StatsConfig(lookback_hours=6, settle_minutes=0)
    client = PrometheusClient.from_url(kube_prometheus.url, timeout_s=120.0)
    first = collect_workload_usage(
        sessions, client, now=history.end - 2 * timedelta(hours=1), config=config, targets=targets
    )

    again = collect_workload_usage(
        sessions, client, now=history.end - timedelta(hours=1), config=config, targets=targets
    )
    same = collect_workload_usage(
        sessions, client, now=history.end - timedelta(minutes=50), config=config, targets=targets
    )

    client.close()
    assert first.status == again.status == "success"
    assert first.rows_written >= 6 * (len(targets) - 1)  # the CronJob runs every 6 h
    assert 0 < again.rows_written <= len(targets)
    # Only the CronJob, whose newest stored hour is its last run's, is asked again.
    assert (same.rows_written, same.status) == (0, "success")
    assert [i.slug for i in same.issues] == ["data.cronjob.nightly-report"]


class FailingNamespace(PrometheusClient):
    """The real Prometheus, except that queries touching one namespace fail."""

    namespace = "shop"

    def query_range(
        self, promql: str, *, start: datetime, end: datetime, step_s: int
    ) -> QueryResult:
        if f'namespace="{self.namespace}"' in promql:
            raise PrometheusQueryError("HTTP 422 query processing would load too many samples")
        return super().query_range(promql, start=start, end=end, step_s=step_s)


def test_a_failed_shard_stores_nothing_for_its_services_and_the_run_is_partial(
    sessions: sessionmaker[Session], kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    services = discovered(sessions, kube_prometheus)
    client = FailingNamespace.from_url(kube_prometheus.url, timeout_s=120.0)
    config = StatsConfig(lookback_hours=2, settle_minutes=0)

    report = collect_workload_usage(sessions, client, now=history.end, config=config)

    client.close()
    shop = {sid for (ns, _, _), sid in services.items() if ns == "shop"}
    failed = {i.service_id for i in report.issues if i.kind == "failed"}
    assert failed == shop
    assert report.status == f"partial: {len(services) - len(shop)} of {len(services)}"
    idle = [i.slug for i in report.issues if i.kind == "no_data"]  # no CronJob run in 2 h
    assert (report.services_written, idle) == (
        len(services) - len(shop) - 1,
        ["data.cronjob.nightly-report"],
    )
    for service_id in shop:
        assert stored_hours(sessions, service_id, history) == {}
