"""An operator's path to real telemetry: catalogue services, point the sidecar's jobs at a real
Prometheus holding 14 days of history, and the stored usage is those services' real utilization."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from data.db import make_engine, make_sessions
from data.models import RuleOutcomeRow, UsageHourlyRow
from data.repos.services import list_services
from data.repos.usage import to_datetime64
from data.settings import Settings
from tests.support.prometheus import History
from tests.support.prometheus_history import (
    NodeService,
    expected,
)

pytestmark = pytest.mark.prometheus
REPO_ROOT = Path(__file__).resolve().parents[2]
DAYS = 14


def _catalog_file(history: History, path: Path) -> Path:
    entries = []
    for i, service in enumerate(history.services):
        vm = isinstance(service, NodeService)
        capacity = (
            {"replicas": 2, "zones": 2, "instance_type": "m5.large"}
            if vm
            else {"replicas": 2, "zones": 2, "cpu_request_cores": 1.0, "memory_request_gib": 2.0}
        )
        entries.append({
            "slug": f"svc-{i}", "name": f"Service {i}", "team": "payments",
            "owner": "payments@example.com", "environment": "prod",
            "platform": "vm" if vm else "kubernetes", "provider": "aws" if vm else "gcp",
            "region": "us-east-1" if vm else "us-central1",
            "sla": {"latency_p95_target_ms": 300, "availability_target_pct": 99.9},
            "telemetry_selector": service.mapping(), "capacity": capacity,
        })  # fmt: skip
    path.write_text(json.dumps({"services": entries}))
    return path


def _cli(history: History, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m …` as an operator runs it, its clock ten minutes past the history's end."""
    now = history.end + timedelta(minutes=10)
    env = {**os.environ, "TIGHTROPE_DATABASE_URL": url, "TIGHTROPE_LOG_JSON": "false",
           "TIGHTROPE_PROMETHEUS_URL": history.url,
           "TIGHTROPE_CLOCK_FIXED_AT": now.isoformat()}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_catalogued_services_get_their_real_utilization_from_prometheus(
    sqlite_template: Path, tmp_path: Path, prometheus_history: History
) -> None:
    database = tmp_path / "tightrope.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    catalog = _catalog_file(prometheus_history, tmp_path / "services.json")

    steps = [
        _cli(prometheus_history, url, "data", "import-services", str(catalog)),
        _cli(prometheus_history, url, "jobs", "once", "collect_usage", "--workers", "1"),
        _cli(prometheus_history, url, "jobs", "once", "recompute", "--workers", "1"),
    ]

    assert [s.returncode for s in steps] == [0, 0, 0], [s.stderr[-2000:] for s in steps]
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    with sessions() as session:
        services = {s.slug: s.id for s in list_services(session)}
        outcomes = session.scalars(select(RuleOutcomeRow)).all()
        rows = session.execute(
            select(UsageHourlyRow.service_id, UsageHourlyRow.hour_start,
                   UsageHourlyRow.cpu_used_mean_cores, UsageHourlyRow.source)
        ).all()  # fmt: skip
    engine.dispose()
    start = to_datetime64(prometheus_history.end - timedelta(days=DAYS))
    for i, service in enumerate(prometheus_history.services):
        mine = [r for r in rows if r.service_id == services[f"svc-{i}"]]
        assert len(mine) >= DAYS * 24 - 1  # the hour in progress may not have settled yet
        assert {r.source for r in mine} == {"prometheus"}
        at = [int((to_datetime64(r.hour_start) - start) // np.timedelta64(1, "h")) for r in mine]
        stored = np.array([r.cpu_used_mean_cores for r in mine])
        np.testing.assert_allclose(stored, expected(service).cpu_used_mean_cores[at], rtol=1e-6)
    assert {o.service_id for o in outcomes} == set(services.values())  # recomputed on it
