"""Small, hand-priced inputs for the simulation tests: a catalog and seasonal usage."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.catalog import Catalog, CommitmentDiscounts, InstanceTypes
from engine.usage import UsageWindow
from tests.factories import make_usage

HOURS_90_DAYS = 2_160
START = np.datetime64("2026-08-03T00:00:00")  # a Monday, so weeks line up with the schedule
# name, vcpu, memory_gib, family, us-east-1 USD/h
TYPES = (
    ("m5.2xlarge", 8.0, 32.0, "m5", 0.384),
    ("m5.large", 2.0, 8.0, "m5", 0.096),
    ("m5.xlarge", 4.0, 16.0, "m5", 0.192),
)


def make_catalog(one_year_pct: float = 37.0, spot_pct: float = 70.0) -> Catalog:
    count = len(TYPES)
    types = InstanceTypes(
        name=np.array([row[0] for row in TYPES]),
        vcpu=np.array([row[1] for row in TYPES]),
        memory_gib=np.array([row[2] for row in TYPES]),
        family=np.array([row[3] for row in TYPES]),
        generation=np.full(count, 5, dtype=np.int64),
        architecture=np.array(["x86_64"] * count),
        category=np.array(["General purpose"] * count),
        current_generation=np.ones(count, dtype=np.bool_),
        has_gpu=np.zeros(count, dtype=np.bool_),
    )
    return Catalog(
        instance_types=types,
        regions=("us-east-1",),
        on_demand_usd_per_hour_grid=np.array([[row[4]] for row in TYPES]),
        k8s_regions=("us-east-1",),
        k8s_cpu_usd_per_core_hour=np.array([0.0218]),
        k8s_memory_usd_per_gib_hour=np.array([0.0029]),
        k8s_series="e2",
        discounts=CommitmentDiscounts(one_year_pct, 55.0, spot_pct),
    )


def seasonal_usage(
    hours: int = HOURS_90_DAYS,
    *,
    seed: int = 7,
    requests_per_s: float = 300.0,
    latency_ms: float = 100.0,
    **overrides: Any,
) -> UsageWindow:
    """Daily and weekly waves with noise: 10 ms of CPU per request, latency around 100–150 ms."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours, dtype=np.float64)
    wave = 0.6 + 0.3 * np.sin(2 * np.pi * t / 24) + 0.1 * np.sin(2 * np.pi * t / 168)
    noise = rng.lognormal(0.0, 0.15, hours)
    rate = requests_per_s * wave * noise
    cpu = rate * 0.01
    fields: dict[str, Any] = {
        "hour_start": START + np.arange(hours) * np.timedelta64(3600, "s"),
        "cpu_used_mean_cores": cpu,
        "cpu_used_p95_cores": cpu * rng.uniform(1.1, 1.4, hours),
        "memory_used_max_gib": np.full(hours, 6.0),
        "requests_per_s": rate,
        "latency_p95_ms": latency_ms + 40.0 * wave * noise,
        "error_rate_pct": np.full(hours, 0.1),
    }
    fields.update(overrides)
    return make_usage(hours=hours, **fields)
