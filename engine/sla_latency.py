"""Projected p95 latency: service demand per request, calibration, and the M/M/c projection.

Per hour t the service sees λₜ requests/s and uses Uₜ cores. It is modelled as an M/M/c queue with
c = replicas × vCPU per replica servers and a service time of s CPU-seconds per request, then
calibrated to the observed p95 latency:

    baseline_t  = max(observed p95_t − model p95_t(current config), 0)     (non-CPU latency)
    projected_t = baseline_t + model p95_t(candidate, λₜ × demand_scale)

so the current config reproduces the observed p95 in every hour the model does not overshoot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.capacity import CapacityConfig
from engine.queueing_table import response_time_quantile_table_s
from engine.usage import UsageWindow

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LATENCY_QUANTILE = 0.95  # the SLA target is a p95
# Below ~36 requests an hour the CPU is background work (GC, health checks), not requests.
MIN_TRAFFIC_REQUESTS_PER_S = 0.01


@dataclass(frozen=True, slots=True)
class ProjectedLatency:
    """Projected p95 (ms) per server count × hour; all NaN when latency is not modelled."""

    modelled: bool
    note: str  # why latency is not modelled; "" when it is
    cpu_seconds_per_request: float
    projected_ms: FloatArray
    # Per hour, the latency no capacity can remove: baseline + the service time's own p95
    # (the M/M/c limit with unlimited servers). Hours where this alone misses the target are
    # dependency or code slowness, not a sizing problem.
    floor_ms: FloatArray | None = None

    def irreducible_breach_pct(self, target_ms: float) -> float:
        """% of hours whose latency floor already exceeds `target_ms` (0 when not modelled)."""
        if self.floor_ms is None or not self.modelled:
            return 0.0
        known = ~np.isnan(self.floor_ms)
        if not known.any():
            return 0.0
        return float(100.0 * np.mean(self.floor_ms[known] > target_ms))


@dataclass(frozen=True, slots=True)
class HourlyShare:
    """Per row of a projection: % of modelled hours within target, breach hours, p95 over hours."""

    within_pct: FloatArray
    breach_hours: IntArray
    p95_ms: FloatArray


def cpu_seconds_per_request(usage: UsageWindow) -> float:
    """CPU-seconds per request s = Σ U / Σ λ over hours with traffic; NaN without traffic.

    Rule: mean CPU (cores) and requests/s of every hour where both are known and λ ≥ 0.01 req/s;
    a ratio of sums, so quiet hours weigh little and one odd hour cannot swing it.
    """
    cpu, rate = usage.cpu_used_mean_cores, usage.requests_per_s
    used = np.isfinite(cpu) & np.isfinite(rate) & (rate >= MIN_TRAFFIC_REQUESTS_PER_S)
    if not used.any():
        return float("nan")
    return float(np.maximum(cpu[used], 0.0).sum() / rate[used].sum())


def baseline_latency_ms(
    usage: UsageWindow, current: CapacityConfig, service_s: float
) -> FloatArray:
    """Per-hour non-CPU latency: observed p95 − model p95 at the current config, clamped ≥ 0.

    Hours without an observation (or without λ) take the median baseline; all NaN when there is
    no observation at all (the latency model is then skipped).
    """
    servers = np.asarray(current.cpu_capacity_cores, dtype=np.float64)
    model_ms = model_p95_ms(usage.requests_per_s, service_s, servers)
    baseline = np.maximum(usage.latency_p95_ms - model_ms, 0.0)  # NaN stays NaN, −inf → 0
    known = ~np.isnan(baseline)
    if known.any():
        baseline[~known] = np.median(baseline[known])
    return baseline


def project_latency(
    usage: UsageWindow, current: CapacityConfig, servers: FloatArray, demand_scale: FloatArray
) -> ProjectedLatency:
    """Projected p95 for each server count (rows) in each hour: baseline + model p95.

    λ is scaled by `demand_scale` (per hour); the baseline is calibrated at the current config on
    the unscaled history. Not modelled without traffic or without any latency observation.
    """
    service_s = cpu_seconds_per_request(usage)
    blank = np.full((len(servers), usage.points), np.nan)
    if not np.isfinite(service_s):
        return ProjectedLatency(False, "no traffic", service_s, blank)
    # Checked before calibrating: the calibration's M/M/c pass is the costly part and would be
    # thrown away (rules screen candidates on a latency-free window first).
    if np.isnan(usage.latency_p95_ms).all():
        return ProjectedLatency(False, "no p95 latency observations", service_s, blank)
    baseline = baseline_latency_ms(usage, current, service_s)
    if np.isnan(baseline).all():  # observations only in hours the model cannot price
        return ProjectedLatency(False, "no p95 latency observations", service_s, blank)
    distinct, row = np.unique(servers, return_inverse=True)  # one model row per server count
    rate = usage.requests_per_s * demand_scale
    projected = baseline + model_p95_ms(rate[None, :], service_s, distinct[:, None])
    floor = baseline - 1000.0 * service_s * np.log(1.0 - LATENCY_QUANTILE)
    return ProjectedLatency(True, "", service_s, projected[row], floor_ms=floor)


def model_p95_ms(rate_per_s: FloatArray, service_s: float, servers: FloatArray) -> FloatArray:
    """The M/M/c p95 response time (ms) with μ = 1/service_s, broadcast over rate and servers.

    Interpolated from the exact solver's table (engine/queueing_table.py, relative error < 1e-3).
    """
    return 1000.0 * response_time_quantile_table_s(LATENCY_QUANTILE, rate_per_s, service_s, servers)


def hourly_share(projected_ms: FloatArray, target_ms: float) -> HourlyShare:
    """Per row: share of modelled (non-NaN) hours ≤ target, hours above it, and the hours' p95.

    The p95 over hours is the nearest rank (no interpolation), so inf hours stay inf.
    """
    modelled_hours = np.sum(~np.isnan(projected_ms), axis=1)
    breach_hours = np.sum(projected_ms > target_ms, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        within_pct = 100.0 * (modelled_hours - breach_hours) / modelled_hours
    rank = np.maximum(np.ceil(0.95 * modelled_hours).astype(np.int64) - 1, 0)
    ordered = np.sort(projected_ms, axis=1)  # NaN sorts last
    p95_ms = np.take_along_axis(ordered, rank[:, None], axis=1)[:, 0]
    return HourlyShare(within_pct, breach_hours.astype(np.int64), p95_ms)
