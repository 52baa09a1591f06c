"""Projected p95 latency: service demand per request, calibration, and the M/M/c projection.

Per hour t the service sees λₜ requests/s and uses Uₜ cores. It is modelled as an M/M/c queue with
c = replicas × vCPU per replica servers and a service time of s CPU-seconds per request, then
calibrated to the observed p95 latency:

    baseline_t  = max(observed p95_t − model p95_t(current config), 0)     (non-CPU latency)
    projected_t = baseline_t + model p95_t(candidate, λₜ × demand_scale)

so the current config reproduces the observed p95 in every hour the model does not overshoot.
An hour whose CPU demand (hourly p95 CPU × demand scale) reaches the capacity has ρ ≥ 1: no
steady state, the queue grows for as long as it lasts. Its projected p95 is +inf — a breach of
any target — whatever the mean-based M/M/c load says (see `saturated_ms`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray, IntArray
from engine.capacity import CapacityConfig
from engine.queueing_table import response_time_quantile_cells_s, response_time_quantile_table_s
from engine.usage import UsageWindow

LATENCY_QUANTILE = 0.95  # the SLA target is a p95
SATURATED_UTILIZATION = 1.0  # ρ ≥ 1: requests arrive faster than the CPUs can serve them
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
        # A count over the known hours: np.mean of the comparison's booleans sums 0s and 1s in
        # float64 (exact) and divides by n, the same quotient — without copying the known hours.
        known = self.floor_ms.size - int(np.count_nonzero(np.isnan(self.floor_ms)))
        if known == 0:
            return 0.0
        return float(100.0 * (int(np.count_nonzero(self.floor_ms > target_ms)) / known))


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
    rows = service_seconds_rows(usage.cpu_used_mean_cores[None, :], usage.requests_per_s[None, :])
    return float(rows[0])


def service_seconds_rows(cpu_mean_cores: FloatArray, rate_per_s: FloatArray) -> FloatArray:
    """cpu_seconds_per_request's rule for each row of (services × hours) matrices."""
    used = (
        np.isfinite(cpu_mean_cores)
        & np.isfinite(rate_per_s)
        & (rate_per_s >= MIN_TRAFFIC_REQUESTS_PER_S)
    )
    cpu = np.where(used, np.maximum(cpu_mean_cores, 0.0), 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        seconds = cpu / np.where(used, rate_per_s, 0.0).sum(axis=1)
    out: FloatArray = np.where(used.any(axis=1), seconds, np.nan)
    return out


def baseline_latency_ms(
    usage: UsageWindow, current: CapacityConfig, service_s: float
) -> FloatArray:
    """Per-hour non-CPU latency: observed p95 − model p95 at the current config, clamped ≥ 0.

    Hours without an observation (or without λ) take the median baseline; all NaN when there is
    no observation at all (the latency model is then skipped).
    """
    rows = baseline_rows(
        usage.requests_per_s[None, :],
        usage.latency_p95_ms[None, :],
        np.array([service_s]),
        np.array([current.cpu_capacity_cores]),
    )
    first: FloatArray = rows[0]
    return first


def baseline_rows(
    rate_per_s: FloatArray,
    observed_p95_ms: FloatArray,
    service_s: FloatArray,
    current_servers: FloatArray,
) -> FloatArray:
    """baseline_latency_ms's rule for each row of (services × hours) matrices."""
    model_ms = model_p95_ms(rate_per_s, service_s[:, None], current_servers[:, None])
    baseline = np.maximum(observed_p95_ms - model_ms, 0.0)  # NaN stays NaN, −inf → 0
    missing = np.isnan(baseline)
    if not missing.any():
        return baseline
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row's median is NaN
        medians = np.nanmedian(baseline, axis=1)
    filled: FloatArray = np.where(missing, medians[:, None], baseline)
    return filled


def model_p95_ms(
    rate_per_s: FloatArray, service_s: float | FloatArray, servers: FloatArray
) -> FloatArray:
    """The M/M/c p95 response time (ms) with μ = 1/service_s, broadcast over rate and servers.

    Interpolated from the exact solver's table (engine/queueing_table.py, relative error < 1e-3).
    """
    return 1000.0 * response_time_quantile_table_s(LATENCY_QUANTILE, rate_per_s, service_s, servers)


def model_p95_cells_ms(
    rate_per_s: FloatArray, service_s: FloatArray, servers: FloatArray, row: IntArray
) -> FloatArray:
    """model_p95_ms of ragged rows: cell k at rate_per_s[k] with row row[k]'s service time
    and servers (queueing_table.response_time_quantile_cells_s): the same values, cell for cell."""
    cells = response_time_quantile_cells_s(LATENCY_QUANTILE, rate_per_s, service_s, servers, row)
    return 1000.0 * cells


def saturated_ms(
    projected_ms: FloatArray, cpu_cores: FloatArray, servers: FloatArray
) -> FloatArray:
    """`projected_ms` with +inf in every saturated hour: CPU demand ≥ capacity (ρ ≥ 1).

    Why: the M/M/c load is λ × the window's mean CPU-seconds per request, so an hour whose p95
    CPU already fills the capacity can still look stable to it (a p95 near the baseline while
    the utilization chart reads 130 %). With no steady state the p95 is unbounded: +inf, a
    breach of any target. NaN CPU is not known to saturate; broadcasts like the arguments.
    """
    out: FloatArray = np.where(cpu_cores >= servers * SATURATED_UTILIZATION, np.inf, projected_ms)
    return out


def hourly_shares(projected_ms: FloatArray, target_ms: FloatArray) -> HourlyShare:
    """Per row: % of modelled (non-NaN) hours ≤ its target, hours above it, and the hours' p95
    by nearest rank (NaN with no modelled hour; inf hours stay inf).

    The p95 sits within the top ⌈5 %⌉ of each row's modelled hours, so one np.partition brings
    those to the end and only they are sorted — no full sort of rows × hours.
    """
    counts = np.sum(~np.isnan(projected_ms), axis=1)
    breach = np.sum(projected_ms > target_ms[:, None], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        within = 100.0 * (counts - breach) / counts
    return HourlyShare(within, breach.astype(np.int64), _nearest_rank_p95(projected_ms, counts))


def p95_of_hours(hourly_ms: FloatArray) -> float:
    """One series' p95 by hourly_shares' rule: nearest rank over the modelled (non-NaN) hours,
    saturated (inf) hours included — so a run saturated in more than 5 % of them is unbounded.
    NaN when no hour is modelled. What a verdict and a saved scenario both report."""
    values = np.asarray(hourly_ms, dtype=np.float64)[None, :]
    return float(_nearest_rank_p95(values, np.sum(~np.isnan(values), axis=1))[0])


def _nearest_rank_p95(values: FloatArray, counts: IntArray) -> FloatArray:
    rows, hours = values.shape
    if rows == 0 or hours == 0:
        return np.full(rows, np.nan)
    rank = np.maximum(np.ceil(0.95 * counts).astype(np.int64) - 1, 0)  # ascending, NaN excluded
    from_top = np.maximum(counts - 1 - rank, 0)  # 0 = the largest modelled value
    top = int(from_top.max()) + 1
    filled = np.where(np.isnan(values), -np.inf, values)  # NaN out of the top
    tail = np.sort(np.partition(filled, hours - top, axis=1)[:, hours - top :], axis=1)
    p95: FloatArray = np.take_along_axis(tail, (top - 1 - from_top)[:, None], axis=1)[:, 0]
    return np.where(counts > 0, p95, np.nan)
