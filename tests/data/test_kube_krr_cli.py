"""`python -m data export-krr`: discovered workloads sized and written in KRR's JSON shape."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.__main__ import main
from data.models import KubeContainerSizingRow, KubeHpaRow, KubeWorkloadRow
from tests.engine.kube.test_krr_export import HPA_KEYS, OBJECT_KEYS, RESULT_KEYS, SCAN_KEYS
from tests.support.kube_allocation_world import NOW, build

GIB = 2**30


def _stats(sessions: sessionmaker[Session], service_id: int) -> None:
    with sessions.begin() as session:
        session.add(KubeContainerSizingRow(
            service_id=service_id, container="app", window_start=NOW - timedelta(days=2),
            window_end=NOW, interval_s=30, cpu_p95_cores=0.4321, memory_max_gib=1.0,
            pods_seen=1, samples=5760,
        ))  # fmt: skip


def _export(database_url: str, out: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> dict:  # type: ignore[type-arg]
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", database_url)
    assert main(["export-krr", "--out", str(out), *extra]) == 0
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_the_export_has_krrs_field_set_and_krrs_values_per_container(
    database_url: str, db_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    world = build(sessions)
    with sessions.begin() as session:
        api = session.scalars(sa.select(KubeWorkloadRow).where(KubeWorkloadRow.name == "api")).one()
        session.add(KubeHpaRow(workload_id=api.id, name="api", min_replicas=2, max_replicas=6,
                               target_cpu_utilization_pct=70.0))  # fmt: skip
    _stats(sessions, world.worker_id)

    result = _export(database_url, tmp_path / "krr.json", monkeypatch)

    assert set(result) == RESULT_KEYS
    scans = {scan["object"]["name"]: scan for scan in result["scans"]}
    assert sorted(scans) == ["api", "worker"]
    for scan in scans.values():
        assert set(scan) == SCAN_KEYS
        assert set(scan["object"]) == OBJECT_KEYS
    assert set(scans["api"]["object"]["hpa"]) == HPA_KEYS
    worker = scans["worker"]
    assert (worker["object"]["cluster"], worker["object"]["namespace"]) == ("c1", "shop")
    # KRR simple: CPU = p95 rounded up to 1m, no limit; memory = max × 1.15 rounded up to 1 MB.
    assert worker["recommended"]["requests"]["cpu"]["value"] == pytest.approx(0.433)
    assert worker["recommended"]["limits"]["cpu"]["value"] is None
    memory = worker["recommended"]["requests"]["memory"]["value"]
    assert memory == pytest.approx(-(-1.15 * GIB // 1e6) * 1e6)
    assert result["strategy"]["settings"]["history_duration"] == pytest.approx(48.0)
    # No statistics for the api container: KRR's "Not enough data".
    assert scans["api"]["recommended"]["info"]["cpu"] == "Not enough data"
    assert scans["api"]["recommended"]["requests"]["cpu"]["value"] == "?"


def test_without_the_statistics_table_every_container_is_not_enough_data(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    build(sessions)

    result = _export(database_url, tmp_path / "krr.json", monkeypatch, "--values", "proposed")

    assert [s["recommended"]["info"]["cpu"] for s in result["scans"]] == ["Not enough data"] * 2
    assert result["description"] == "Tightrope container sizing (proposed values)"
