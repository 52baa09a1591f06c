"""Hourly shares of a projection from the hours that decide them, exact, without every row × hour.

A fleet recompute keeps three numbers per candidate row — hours within target, breach hours and
the p95 over hours — and never the hourly projection itself. For one row (server count c) the
projection of hour t is b_t + f_c(λ_t) (+inf when the hour's CPU reaches c), where b is the
service's hourly baseline and f_c the M/M/c p95, which rises with λ. So:

- the p95 over H hours is the `top`-th largest hour (top = H − nearest rank); the hours with the
  highest λ and the highest baseline hold it, so every row is projected exactly on those (M),
  `TOP_PAD` × top hours by each;
- every other hour t lies in a bucket of hours with λ ≤ λ_hi, so its projection is at most
  max b (bucket) + f_c(λ_hi) — K table cells per row instead of H − |M|.

A row is *certified* when that bound (with a margin for rounding) is below its target and below
the top-th largest of M, and no hour outside M saturates: then the hours outside M are all within
target and below the p95, which makes the three numbers exactly those of the full projection
(engine/sla/latency.hourly_shares). Rows that are not certified, and services with a NaN or
inf anywhere in their hours, are left to the caller's full projection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arrays import BoolArray, FloatArray, IntArray
from engine.queueing_table import whole_table_answers
from engine.sla.latency import model_p95_ms, saturated_ms

TOP_PAD = 2  # M: the TOP_PAD × top highest hours by λ, and as many by baseline
BUCKETS = 16  # buckets of the other hours by λ, for the bound
# The bound assumes f_c(λ) ≤ f_c(λ_hi) for λ ≤ λ_hi. Inside the whole-server table it holds up
# to rounding (~1e-15 relative: TABLE_SLACK is ample); where a row's hours cross from a table to
# the exact solver the two may differ by the table's error (< 1e-3 relative, decision 007), and
# SEAM_SLACK keeps the bound a bound across that seam.
TABLE_SLACK = 1e-9
SEAM_SLACK = 1e-2
MIN_HOURS = 4 * BUCKETS  # below this the full projection is as cheap


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows to summarize: each row's service (index into the stack), servers and target."""

    service: IntArray
    servers: FloatArray
    target_ms: FloatArray


@dataclass(frozen=True, slots=True)
class Summary:
    """Per row: `done` where the shares are exact (certified), else left to the full projection."""

    done: BoolArray
    within_pct: FloatArray
    breach_hours: IntArray
    p95_ms: FloatArray


@dataclass(frozen=True, slots=True)
class _Hours:
    """Per eligible service: M (hour indices, padded; `valid` marks real ones) and the bound's
    buckets of the other hours (highest λ, highest baseline, and the highest CPU outside M)."""

    chosen: IntArray  # (services × width) hour indices
    valid: BoolArray  # (services × width)
    rate_hi: FloatArray  # (services × BUCKETS)
    baseline_hi: FloatArray  # (services × BUCKETS), −inf for a bucket of M's hours only
    cpu_out: FloatArray  # (services,) highest CPU outside M, −inf when every hour is in M


def summarize(
    stack: tuple[FloatArray, FloatArray, FloatArray],
    service_s: FloatArray,
    rows: Rows,
) -> Summary:
    """The shares of `rows` (see the module docstring). `stack` is (rate × demand scale, CPU ×
    demand scale, baseline), each (services × hours); service_s per service."""
    rate, cpu, baseline = stack
    count = rate.shape[1]
    out = Summary(
        np.zeros(len(rows.service), dtype=np.bool_),
        np.full(len(rows.service), np.nan),
        np.zeros(len(rows.service), dtype=np.int64),
        np.full(len(rows.service), np.nan),
    )
    top = _top(count)
    eligible = _eligible(stack, service_s) if count >= MIN_HOURS else np.zeros(0, np.bool_)
    if not eligible.any():
        return out
    at = np.flatnonzero(eligible)
    position = np.full(len(eligible), -1)
    position[at] = np.arange(len(at))
    mine = np.flatnonzero(position[rows.service] >= 0)
    hours = _hours(rate[at], cpu[at], baseline[at], min(count, TOP_PAD * top))
    own = Rows(position[rows.service[mine]], rows.servers[mine], rows.target_ms[mine])
    done, breach, p95 = _certified(
        (rate[at], cpu[at], baseline[at]), service_s[at], hours, own, top
    )
    counts = np.full(len(mine), count, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):  # hourly_shares' expression, cell for cell
        within = 100.0 * (counts - breach) / counts
    out.done[mine], out.within_pct[mine] = done, within
    out.breach_hours[mine], out.p95_ms[mine] = breach, p95
    return out


def _top(count: int) -> int:
    """How many hours from the top the nearest-rank p95 of `count` hours sits (1 = the largest);
    latency._nearest_rank_p95's arithmetic."""
    counts = np.array([count], dtype=np.int64)
    rank = np.maximum(np.ceil(0.95 * counts).astype(np.int64) - 1, 0)
    return int(np.maximum(counts - 1 - rank, 0)[0]) + 1


def _eligible(stack: tuple[FloatArray, FloatArray, FloatArray], service_s: FloatArray) -> BoolArray:
    """Services with every hour finite (no NaN hour to leave out of the counts) and s > 0."""
    ok = np.isfinite(service_s) & (service_s > 0)
    for values in stack:
        ok &= np.isfinite(values).all(axis=1)
    return ok


def _hours(rate: FloatArray, cpu: FloatArray, baseline: FloatArray, m: int) -> _Hours:
    services, count = rate.shape
    chosen_mask = np.zeros((services, count), dtype=np.bool_)
    lines = np.arange(services)[:, None]
    for values in (rate, baseline):  # the m highest of each
        chosen_mask[lines, np.argpartition(values, count - m, axis=1)[:, count - m :]] = True
    width = int(chosen_mask.sum(axis=1).max())
    chosen = np.argsort(~chosen_mask, axis=1, kind="stable")[:, :width]
    valid = np.take_along_axis(chosen_mask, chosen, axis=1)
    # The rest by λ ascending (M's hours first, as λ 0 and baseline −inf: they bound nothing).
    order = np.argsort(np.where(chosen_mask, -1.0, rate), axis=1, kind="stable")
    rate_sorted = np.take_along_axis(np.where(chosen_mask, 0.0, rate), order, axis=1)
    base_sorted = np.take_along_axis(np.where(chosen_mask, -np.inf, baseline), order, axis=1)
    edges = np.linspace(0, count, BUCKETS + 1).astype(np.intp)
    return _Hours(
        chosen=chosen,
        valid=valid,
        rate_hi=rate_sorted[:, edges[1:] - 1],
        baseline_hi=np.maximum.reduceat(base_sorted, edges[:-1], axis=1),
        cpu_out=np.where(chosen_mask, -np.inf, cpu).max(axis=1),
    )


def _certified(
    stack: tuple[FloatArray, FloatArray, FloatArray],
    service_s: FloatArray,
    hours: _Hours,
    rows: Rows,
    top: int,
) -> tuple[BoolArray, IntArray, FloatArray]:
    """Per row: certified?, breach hours and the p95 — exact on M, bounded elsewhere."""
    rate, cpu, baseline = stack
    s, c = service_s[rows.service][:, None], rows.servers[:, None]
    chosen, valid = hours.chosen[rows.service], hours.valid[rows.service]
    lines = rows.service[:, None]
    # The full projection's cell expression (hours._project): baseline + saturated model.
    model = model_p95_ms(rate[lines, chosen], s, c)
    model = saturated_ms(model, cpu[lines, chosen], c)
    projected = baseline[lines, chosen] + model
    breach = np.count_nonzero((projected > rows.target_ms[:, None]) & valid, axis=1)
    ranked = np.where(valid, projected, -np.inf)
    width = ranked.shape[1]
    p95: FloatArray = np.partition(ranked, width - top, axis=1)[:, width - top]
    with np.errstate(invalid="ignore"):  # −inf + inf (capacity 0): NaN, never certified
        bound_ms = hours.baseline_hi[rows.service] + model_p95_ms(hours.rate_hi[rows.service], s, c)
    one_method = whole_table_answers(hours.rate_hi[rows.service, -1], s[:, 0], c[:, 0])
    bound_ms = bound_ms.max(axis=1) * (1.0 + np.where(one_method, TABLE_SLACK, SEAM_SLACK))
    done = (hours.cpu_out[rows.service] < rows.servers) & (bound_ms < rows.target_ms)
    done &= bound_ms < p95
    return done, breach.astype(np.int64), p95
