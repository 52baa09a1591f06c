"""Valid-by-default container statistics for the Kubernetes engine tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.kube.container_sizing import ContainerStats

NAN = float("nan")


def make_stats(rows: list[dict[str, Any]] | None = None, **defaults: Any) -> ContainerStats:
    """One row per dict (keys as ContainerStats' fields, scalars); every row starts as a 1-core,
    1 GiB request container `app` of workload `w1` with 3 replicas, 0.2 cores p95, 0.5 GiB max,
    500 samples, no limits and no SLA headroom (target utilization 1.0)."""
    base: dict[str, Any] = {
        "workload_id": "w1",
        "container": "app",
        "cpu_p95_cores": 0.2,
        "memory_max_gib": 0.5,
        "samples": 500,
        "pods": 3,
        "replicas": 3,
        "cpu_request_cores": 1.0,
        "cpu_limit_cores": NAN,
        "memory_request_gib": 1.0,
        "memory_limit_gib": NAN,
        "cpu_target_utilization": 1.0,
        **defaults,
    }
    table = [{**base, **row} for row in (rows or [{}])]
    columns = {name: [row[name] for row in table] for name in base}
    return ContainerStats(
        workload_id=np.array(columns["workload_id"], dtype=np.str_),
        container=np.array(columns["container"], dtype=np.str_),
        cpu_p95_cores=np.array(columns["cpu_p95_cores"], dtype=np.float64),
        memory_max_gib=np.array(columns["memory_max_gib"], dtype=np.float64),
        samples=np.array(columns["samples"], dtype=np.int64),
        pods=np.array(columns["pods"], dtype=np.int64),
        replicas=np.array(columns["replicas"], dtype=np.int64),
        cpu_request_cores=np.array(columns["cpu_request_cores"], dtype=np.float64),
        cpu_limit_cores=np.array(columns["cpu_limit_cores"], dtype=np.float64),
        memory_request_gib=np.array(columns["memory_request_gib"], dtype=np.float64),
        memory_limit_gib=np.array(columns["memory_limit_gib"], dtype=np.float64),
        cpu_target_utilization=np.array(columns["cpu_target_utilization"], dtype=np.float64),
    )
