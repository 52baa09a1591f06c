"""Builders valid by default: override only what a test is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from data.repos.services import NewService
from engine.capacity import CapacityConfig
from engine.service import Service, Sla
from engine.usage import UsageWindow

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def make_service(**overrides: Any) -> Service:
    """A dev VM service in us-east-1: 250 ms p95, 99.0 % availability (no N+1 needed)."""
    service = Service(
        id=1,
        slug="checkout-api",
        name="Checkout API",
        team="payments",
        owner="payments@example.com",
        environment="dev",
        platform="vm",
        provider="aws",
        region="us-east-1",
        policy_class="dev",
        sla=Sla(latency_p95_target_ms=250.0, availability_target_pct=99.0, max_error_rate_pct=1.0),
    )
    return replace(service, **overrides)


# A production service with a tight SLA: 150 ms p95 and 99.9 % (N+1 required).
PROD_SERVICE: dict[str, Any] = {
    "environment": "prod",
    "policy_class": "standard",
    "sla": Sla(latency_p95_target_ms=150.0, availability_target_pct=99.9, max_error_rate_pct=1.0),
}


def make_new_service(slug: str = "checkout-api", **overrides: Any) -> NewService:
    draft = NewService(
        slug=slug,
        name=slug.replace("-", " ").title(),
        team="payments",
        owner="payments@example.com",
        environment="prod",
        platform="vm",
        provider="aws",
        region="us-east-1",
        policy_class="standard",
        sla=Sla(latency_p95_target_ms=250.0, availability_target_pct=99.9, max_error_rate_pct=1.0),
        telemetry_selector={"job": slug},
        allocation_rule={"tag": "service", "value": slug},
    )
    return replace(draft, **overrides)


def make_vm_config(**overrides: Any) -> CapacityConfig:
    config = CapacityConfig(
        platform="vm",
        replicas=3,
        min_replicas=2,
        zones=2,
        vcpu_per_replica=2.0,
        memory_gib_per_replica=8.0,
        instance_type="m5.large",
    )
    return replace(config, **overrides)


def make_k8s_config(**overrides: Any) -> CapacityConfig:
    config = CapacityConfig(
        platform="kubernetes",
        replicas=4,
        min_replicas=2,
        zones=3,
        vcpu_per_replica=0.5,
        memory_gib_per_replica=1.0,
        cpu_request_cores=0.5,
        memory_request_gib=1.0,
    )
    return replace(config, **overrides)


def make_usage(
    service_id: int = 1, hours: int = 48, start: datetime = T0, **overrides: Any
) -> UsageWindow:
    """A gently daily-seasonal window: 1–3 cores, 4 GiB, 100–300 req/s, 80–120 ms."""
    t = np.arange(hours, dtype=np.float64)
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * t / 24)
    first = np.datetime64(start.replace(tzinfo=None), "s")
    fields: dict[str, Any] = {
        "service_id": service_id,
        "hour_start": first + np.arange(hours) * np.timedelta64(3600, "s"),
        "cpu_used_mean_cores": 1.0 + 2.0 * wave,
        "cpu_used_p95_cores": 1.2 + 2.4 * wave,
        "memory_used_max_gib": np.full(hours, 4.0),
        "requests_per_s": 100.0 + 200.0 * wave,
        "latency_p95_ms": 80.0 + 40.0 * wave,
        "error_rate_pct": np.full(hours, 0.1),
    }
    fields.update(overrides)
    return UsageWindow(**fields)
