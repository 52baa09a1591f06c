"""The KRR-shaped export: KRR's field names, units, severities and score."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.kube.container_sizing import BYTES_PER_GIB, ContainerSizing, size_containers
from engine.kube.hpa import HpaSpec
from engine.kube.krr_export import (
    HPA_DETECTED,
    WorkloadIdentity,
    krr_result,
    krr_score,
    krr_severity,
)
from tests.engine.kube.builders import make_stats

WEB = WorkloadIdentity("prod", "shop", "Deployment", "web", pods=("web-1", "web-2"))
# The fields of KRR's pydantic models (robusta_krr/core/models/result.py, objects.py).
RESULT_KEYS = {
    "scans",
    "score",
    "resources",
    "description",
    "strategy",
    "errors",
    "clusterSummary",
    "config",
}
SCAN_KEYS = {"object", "recommended", "severity"}
OBJECT_KEYS = {"cluster", "name", "container", "pods", "hpa", "namespace", "kind", "allocations",
               "warnings", "labels", "annotations"}  # fmt: skip
HPA_KEYS = {"min_replicas", "max_replicas", "current_replicas", "desired_replicas",
            "target_cpu_utilization_percentage",
            "target_memory_utilization_percentage"}  # fmt: skip


def sizing(**stats: Any) -> ContainerSizing:
    """One container of w1 (1 core, 1 GiB requested; 0.2 cores p95, 0.5 GiB max)."""
    return size_containers(make_stats(**stats), usd_per_core_hour=0.02, usd_per_gib_hour=0.003)


def first_scan(sized: ContainerSizing, identity: WorkloadIdentity, **options: Any) -> Any:
    """The first scan of the export, after a trip through JSON (as the data side writes it)."""
    return json.loads(json.dumps(krr_result(sized, {"w1": identity}, **options)))["scans"][0]


def test_the_export_has_krrs_fields_and_survives_json() -> None:
    result = json.loads(json.dumps(krr_result(sizing(), {"w1": WEB})))

    scan = result["scans"][0]
    assert set(result) == RESULT_KEYS
    assert set(scan) == SCAN_KEYS
    assert set(scan["object"]) == OBJECT_KEYS
    assert set(scan["recommended"]) == {"requests", "limits", "info"}
    assert set(scan["object"]["allocations"]) == {"requests", "limits"}
    assert scan["object"]["pods"] == [
        {"name": "web-1", "deleted": False},
        {"name": "web-2", "deleted": False},
    ]


def test_values_are_cores_and_bytes_with_krrs_severity() -> None:
    scan = first_scan(sizing(), WEB)

    recommended = scan["recommended"]
    assert recommended["requests"]["cpu"] == {"value": pytest.approx(0.2), "severity": "CRITICAL"}
    assert recommended["limits"]["cpu"] == {"value": None, "severity": "GOOD"}
    memory = recommended["requests"]["memory"]
    assert memory["value"] == pytest.approx(-(-0.5 * 1.15 * BYTES_PER_GIB // 1e6) * 1e6)
    assert memory["severity"] == "WARNING"  # 1024 MiB → 589 MB (562 MiB): 462 MiB apart
    assert recommended["limits"]["memory"]["severity"] == "WARNING"  # none set now
    assert scan["object"]["allocations"]["requests"] == {"cpu": 1.0, "memory": float(BYTES_PER_GIB)}
    assert scan["severity"] == "CRITICAL"


def test_krr_values_leave_cpu_undecided_under_an_hpa_as_krr_does() -> None:
    hpa_web = WorkloadIdentity("prod", "shop", "Deployment", "web", hpa=HpaSpec(2, 10, 70.0))

    scan = first_scan(sizing(), hpa_web)

    assert scan["recommended"]["requests"]["cpu"] == {"value": "?", "severity": "UNKNOWN"}
    assert scan["recommended"]["info"]["cpu"] == HPA_DETECTED
    assert set(scan["object"]["hpa"]) == HPA_KEYS


def test_proposed_values_export_tightropes_headroom() -> None:
    scan = first_scan(sizing(cpu_target_utilization=0.75), WEB, values="proposed")

    assert scan["recommended"]["requests"]["cpu"]["value"] == pytest.approx(0.267)


def test_not_enough_data_is_a_question_mark_with_krrs_info() -> None:
    scan = first_scan(sizing(samples=5), WEB)

    assert scan["recommended"]["requests"]["memory"]["value"] == "?"
    assert scan["recommended"]["info"] == {"cpu": "Not enough data", "memory": "Not enough data"}
    assert scan["severity"] == "UNKNOWN"


def test_a_workload_without_an_identity_is_refused() -> None:
    with pytest.raises(ValueError, match="w1"):
        krr_result(sizing(), {})


@pytest.mark.parametrize(
    ("resource", "current", "recommended", "expected"),
    [
        ("cpu", 1.0, 0.5, "CRITICAL"),
        ("cpu", 1.0, 0.7, "WARNING"),
        ("cpu", 1.0, 0.85, "OK"),
        ("cpu", 1.0, 0.95, "GOOD"),
        ("cpu", None, None, "GOOD"),
        ("cpu", None, 0.5, "WARNING"),
        ("memory", 300 * 2**20, 50 * 2**20, "WARNING"),
        ("memory", 150 * 2**20, 40 * 2**20, "OK"),
        ("memory", 1.0, "?", "UNKNOWN"),
    ],
)
def test_severity_follows_krrs_thresholds(
    resource: str, current: float | None, recommended: float | str | None, expected: str
) -> None:
    assert krr_severity(resource, current, recommended) == expected  # type: ignore[arg-type]


def test_score_is_krrs() -> None:
    assert krr_score(["CRITICAL", "WARNING", "GOOD", "OK"]) == int((4 - 1.7) / 4 * 100)
    assert krr_score([]) == 0
