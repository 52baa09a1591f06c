"""Small, hand-priced inputs for the rule tests: a catalog, flat usage, a context."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from engine.capacity import CapacityConfig
from engine.catalog import Catalog, CommitmentDiscounts, InstanceTypes
from engine.context import ServiceContext
from engine.profiles import PROFILES, SizingProfile
from engine.service import Service
from engine.sla import SlaPolicy, policy_for
from engine.usage import UsageWindow
from tests.factories import T0, make_service, make_usage

NOW = datetime(2026, 12, 1, tzinfo=UTC)
# name, vcpu, memory_gib, family, generation, architecture, category, has_gpu, us-east-1 USD/h
TYPES = (
    ("c5.large", 2, 4.0, "c5", 5, "x86_64", "Compute optimized", False, 0.085),
    ("m5.2xlarge", 8, 32.0, "m5", 5, "x86_64", "General purpose", False, 0.384),
    ("m5.large", 2, 8.0, "m5", 5, "x86_64", "General purpose", False, 0.096),
    ("m5.xlarge", 4, 16.0, "m5", 5, "x86_64", "General purpose", False, 0.192),
    ("m6g.large", 2, 8.0, "m6g", 6, "arm64", "General purpose", False, 0.077),
    ("m6i.large", 2, 8.0, "m6i", 6, "x86_64", "General purpose", False, 0.090),
    ("p3.2xlarge", 8, 61.0, "p3", 3, "x86_64", "GPU instance", True, 0.010),
)
K8S_USD_PER_CORE_HOUR = 0.02
K8S_USD_PER_GIB_HOUR = 0.003


def small_catalog() -> Catalog:
    """TYPES priced in us-east-1; Kubernetes at $0.02/core-h and $0.003/GiB-h in us-central1."""
    columns = list(zip(*TYPES, strict=True))
    types = InstanceTypes(
        name=np.array(columns[0]),
        vcpu=np.array(columns[1], dtype=np.float64),
        memory_gib=np.array(columns[2], dtype=np.float64),
        family=np.array(columns[3]),
        generation=np.array(columns[4], dtype=np.int64),
        architecture=np.array(columns[5]),
        category=np.array(columns[6]),
        current_generation=np.ones(len(TYPES), dtype=np.bool_),
        has_gpu=np.array(columns[7]),
    )
    return Catalog(
        instance_types=types,
        regions=("us-east-1",),
        on_demand_usd_per_hour_grid=np.array(columns[8], dtype=np.float64)[:, None],
        k8s_regions=("us-central1",),
        k8s_cpu_usd_per_core_hour=np.array([K8S_USD_PER_CORE_HOUR]),
        k8s_memory_usd_per_gib_hour=np.array([K8S_USD_PER_GIB_HOUR]),
        k8s_series="e2",
        discounts=CommitmentDiscounts(one_year_pct=37.0, three_year_pct=55.0, spot_pct=70.0),
    )


def flat_usage(
    hours: int = 14 * 24,
    *,
    cpu_p95_cores: float | np.ndarray = 1.0,
    memory_gib: float | np.ndarray = 2.0,
    rps: float | np.ndarray = 100.0,
    latency_ms: float = float("nan"),
    start: datetime = T0,
) -> UsageWindow:
    """Hourly usage with constant (or given) series; latency NaN by default (not modelled)."""
    cpu = np.broadcast_to(np.asarray(cpu_p95_cores, dtype=np.float64), (hours,)).copy()
    return make_usage(
        hours=hours,
        start=start,
        cpu_used_mean_cores=cpu * 0.8,
        cpu_used_p95_cores=cpu,
        memory_used_max_gib=np.broadcast_to(np.asarray(memory_gib, dtype=np.float64), (hours,)),
        requests_per_s=np.broadcast_to(np.asarray(rps, dtype=np.float64), (hours,)),
        latency_p95_ms=np.full(hours, latency_ms),
        error_rate_pct=np.zeros(hours),
    )


def make_ctx(
    config: CapacityConfig,
    usage: UsageWindow,
    *,
    service: Service | None = None,
    profile: SizingProfile | None = None,
    policy: SlaPolicy | None = None,
    catalog: Catalog | None = None,
) -> ServiceContext:
    """A context on the small catalog, balanced profile and the service's class policy."""
    service = service or make_service(platform=config.platform)
    if config.platform == "kubernetes" and service.region == "us-east-1":
        service = replace(service, region="us-central1")
    return ServiceContext(
        service=service,
        config=config,
        usage=usage,
        catalog=catalog or small_catalog(),
        profile=profile or PROFILES["balanced"],
        policy=policy or policy_for(service.policy_class),
        now=NOW,
    )
