"""Projected latency and utilization of a config in every observed hour, demand scaled."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray
from engine.capacity import CapacityConfig
from engine.cost import running_mask
from engine.sla.latency import (
    MIN_TRAFFIC_REQUESTS_PER_S,
    baseline_latency_ms,
    cpu_seconds_per_request,
    model_p95_ms,
    saturated_ms,
)
from engine.usage import UsageWindow


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """The calibration shared by every config of one simulation (done once, current config).

    `baseline_ms` is None when latency is not modelled; `note` says why.
    """

    cpu_seconds_per_request: float
    baseline_ms: FloatArray | None
    note: str

    @property
    def modelled(self) -> bool:
        """True when latency is projected (a baseline was calibrated)."""
        return self.baseline_ms is not None


@dataclass(frozen=True, slots=True)
class HourlyProjection:
    """Per observed hour (last axis; leading axes follow `replicas`): what the config sees.

    Latency is +inf exactly where the hour has no steady state: saturated (CPU demand ≥
    capacity, ρ ≥ 1, or the M/M/c load ≥ its servers), or off schedule with traffic arriving
    (unserved); off-schedule hours have NaN utilization, and NaN latency when no traffic
    arrives. Latency is NaN throughout when not modelled.
    """

    replicas: FloatArray
    running: FloatArray  # 1.0 while on schedule, else 0.0
    utilization: FloatArray
    memory_utilization: FloatArray
    latency_ms: FloatArray
    n_plus_one_utilization: FloatArray
    n_plus_one_latency_ms: FloatArray


def calibrate(window: UsageWindow, current: CapacityConfig) -> LatencyModel:
    """CPU-seconds per request and the per-hour non-CPU baseline, at the current config.

    Rule: engine.sla.latency's calibration; not modelled without traffic or without any
    latency observation (as in the SLA engine).
    """
    service_s = cpu_seconds_per_request(window)
    if not np.isfinite(service_s):
        return LatencyModel(service_s, None, "no traffic")
    if np.isnan(window.latency_p95_ms).all():
        return LatencyModel(service_s, None, "no p95 latency observations")
    baseline = baseline_latency_ms(window, current, service_s)
    if np.isnan(baseline).all():
        return LatencyModel(service_s, None, "no p95 latency observations")
    return LatencyModel(service_s, baseline, "")


def project_hours(
    window: UsageWindow,
    config: CapacityConfig,
    replicas: FloatArray,
    *,
    model: LatencyModel,
    demand_scale: float,
) -> HourlyProjection:
    """Utilization (hourly p95 CPU / capacity) and p95 latency (baseline + M/M/c) per hour.

    Rules: requests and CPU are multiplied by `demand_scale`, memory is not; c = replicas ×
    vCPU per replica (N+1: one replica fewer); the config runs only on its schedule; a
    saturated hour (utilization ≥ 1) has latency +inf (engine.sla.latency.saturated_ms).
    `replicas` broadcasts against the hours (one row per candidate count is fine).
    """
    running = running_mask(config.schedule, window.hour_start).astype(np.float64)
    servers = replicas * config.vcpu_per_replica
    n1_servers = np.maximum(replicas - 1.0, 0.0) * config.vcpu_per_replica
    cpu_cores = window.cpu_used_p95_cores * demand_scale
    rate = window.requests_per_s * demand_scale
    latency, n1_latency = _latency(rate, cpu_cores, (servers, n1_servers), running, model)
    return HourlyProjection(
        replicas=np.broadcast_to(replicas, servers.shape),
        running=running,
        utilization=_while_running(_ratio(cpu_cores, servers), running),
        memory_utilization=_while_running(
            _ratio(window.memory_used_max_gib, replicas * config.memory_gib_per_replica), running
        ),
        latency_ms=latency,
        n_plus_one_utilization=_while_running(_ratio(cpu_cores, n1_servers), running),
        n_plus_one_latency_ms=n1_latency,
    )


def _latency(
    rate: FloatArray,
    cpu_cores: FloatArray,
    servers: tuple[FloatArray, FloatArray],
    running: FloatArray,
    model: LatencyModel,
) -> tuple[FloatArray, FloatArray]:
    """Projected p95 at c and at c − one replica (N+1) in one model call; saturated hours and
    unserved hours with traffic → inf."""
    shape = np.broadcast_shapes(rate.shape, servers[0].shape)
    if model.baseline_ms is None:
        blank = np.full(shape, np.nan)
        return blank, blank
    both = np.stack(np.broadcast_arrays(*servers))
    queueing_ms = model_p95_ms(rate, model.cpu_seconds_per_request, both)
    projected = model.baseline_ms + saturated_ms(queueing_ms, cpu_cores, both)
    unserved = np.where(rate >= MIN_TRAFFIC_REQUESTS_PER_S, np.inf, np.nan)
    off = running == 0.0
    return np.where(off, unserved, projected[0]), np.where(off, unserved, projected[1])


def _ratio(used: FloatArray, capacity: FloatArray) -> FloatArray:
    """used / capacity with x/0 → inf for x > 0 and 0/0 → 0; NaN stays NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(used / capacity, dtype=np.float64)
    zero: FloatArray = np.where((capacity == 0) & (used == 0), 0.0, ratio)
    return zero


def _while_running(values: FloatArray, running: FloatArray) -> FloatArray:
    masked: FloatArray = np.where(running > 0, values, np.nan)
    return masked
