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
import numpy.typing as npt

from engine.arrays import BoolArray, FloatArray, IntArray
from engine.queueing_table import whole_table_answers
from engine.sla.latency import model_p95_cells_ms, model_p95_ms, saturated_ms

TOP_PAD = 2  # M: the TOP_PAD × top highest hours by λ, and as many by baseline
BUCKETS = 32  # buckets of equal λ width over the other hours, for the bound
# The bound assumes f_c(λ) ≤ f_c(λ_hi) for λ ≤ λ_hi. Inside the whole-server table it holds up
# to rounding (~1e-15 relative: TABLE_SLACK is ample); where a row's hours cross from a table to
# the exact solver the two may differ by the table's error (< 1e-3 relative, decision 007), and
# SEAM_SLACK keeps the bound a bound across that seam.
TABLE_SLACK = 1e-9
SEAM_SLACK = 1e-2
MIN_HOURS = 64  # below this the full projection is about as cheap


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
    """Per eligible service: M (hour indices, padded; `valid` marks real ones), the bound's
    buckets of the other hours (highest λ, highest baseline) and the highest CPU outside M."""

    chosen: IntArray  # (services × width) hour indices
    valid: BoolArray  # (services × width)
    rate_hi: FloatArray  # (services × BUCKETS)
    baseline_hi: FloatArray  # (services × BUCKETS), −inf for an empty bucket
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
    # Gathered once (a copy of services × hours each), and not at all when every service is in.
    mine_stack = stack if len(at) == len(eligible) else (rate[at], cpu[at], baseline[at])
    hours = _hours(*mine_stack, min(count, TOP_PAD * top))
    own = Rows(position[rows.service[mine]], rows.servers[mine], rows.target_ms[mine])
    done, breach, p95 = _certified(mine_stack, service_s[at], hours, own, top)
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
    line, hour = np.nonzero(chosen_mask)  # row-major: each service's hours together
    sizes = chosen_mask.sum(axis=1)
    place = np.arange(len(line)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    chosen = np.zeros((services, int(sizes.max())), dtype=np.intp)
    valid = np.zeros(chosen.shape, dtype=np.bool_)
    chosen[line, place], valid[line, place] = hour, True
    rate_hi, baseline_hi = _buckets(rate, baseline, ~chosen_mask)
    return _Hours(chosen, valid, rate_hi, baseline_hi, np.where(chosen_mask, -np.inf, cpu).max(1))


def _buckets(
    rate: FloatArray, baseline: FloatArray, outside: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Per service and bucket of equal λ width (up to the highest λ outside M), the highest λ
    and the highest baseline of the hours outside M in it (0 and −inf for an empty bucket)."""
    services, spare = rate.shape[0], BUCKETS + 1
    top_rate = np.where(outside, rate, 0.0).max(axis=1, keepdims=True)
    width = np.where(top_rate > 0, top_rate, 1.0) / BUCKETS
    bucket = np.minimum(rate / width, BUCKETS - 1).astype(np.intp)
    # M's hours go to a spare bucket per service, dropped below: the maxima of the others are
    # the same values, without compressing three services × hours matrices by the mask.
    flat = np.where(outside, bucket, BUCKETS)
    flat += np.arange(services)[:, None] * spare
    rate_hi = np.zeros(services * spare)
    baseline_hi = np.full(services * spare, -np.inf)
    np.maximum.at(rate_hi, flat.ravel(), rate.ravel())
    np.maximum.at(baseline_hi, flat.ravel(), baseline.ravel())
    kept = slice(0, BUCKETS)
    return rate_hi.reshape(services, spare)[:, kept], baseline_hi.reshape(services, spare)[:, kept]


def _certified(
    stack: tuple[FloatArray, FloatArray, FloatArray],
    service_s: FloatArray,
    hours: _Hours,
    rows: Rows,
    top: int,
) -> tuple[BoolArray, IntArray, FloatArray]:
    """Per row: certified?, breach hours and the p95 — exact on M, bounded elsewhere; the
    projection runs once per distinct (service, servers) pair, as in hours._project."""
    pair_service, pair_servers, inverse = distinct_pairs(rows.service, rows.servers)
    s, c = service_s[pair_service][:, None], pair_servers[:, None]
    ranked = _projected_on_m(stack, service_s, hours, pair_service, pair_servers)
    width = ranked.shape[1]
    p95: FloatArray = np.partition(ranked, width - top, axis=1)[:, width - top]
    breach = np.count_nonzero(ranked[inverse] > rows.target_ms[:, None], axis=1)
    with np.errstate(invalid="ignore"):  # −inf + inf (capacity 0): NaN, never certified
        bound_ms = hours.baseline_hi[pair_service] + model_p95_ms(hours.rate_hi[pair_service], s, c)
    top_rate = hours.rate_hi[pair_service].max(axis=1)
    one_method = whole_table_answers(top_rate, s[:, 0], c[:, 0])
    bound_ms = bound_ms.max(axis=1) * (1.0 + np.where(one_method, TABLE_SLACK, SEAM_SLACK))
    safe = (hours.cpu_out[pair_service] < pair_servers) & (bound_ms < p95)
    done = safe[inverse] & (bound_ms[inverse] < rows.target_ms)
    return done, breach.astype(np.int64), p95[inverse]


def _projected_on_m(
    stack: tuple[FloatArray, FloatArray, FloatArray],
    service_s: FloatArray,
    hours: _Hours,
    pair_service: IntArray,
    pair_servers: FloatArray,
) -> FloatArray:
    """Per pair, the projection of its service's hours in M (−inf in the padding): the full
    projection's cell expression (hours._project), baseline + saturated model, computed on
    the real hours only (M's sizes differ by service: the padding is a third of the matrix)."""
    line, place = np.nonzero(hours.valid[pair_service])
    owner = pair_service[line]
    flat = owner * stack[0].shape[1]  # one flat index, not two: a 2-D gather costs 3× a take
    flat += hours.chosen.ravel()[owner * hours.chosen.shape[1] + place]
    rate, cpu, baseline = (np.take(values, flat) for values in stack)
    model = model_p95_cells_ms(rate, service_s[pair_service], pair_servers, line)
    ranked = np.full((len(pair_service), hours.valid.shape[1]), -np.inf)
    ranked[line, place] = baseline + saturated_ms(model, cpu, pair_servers[line])
    return ranked


def distinct_pairs(
    rows: IntArray, servers: FloatArray
) -> tuple[IntArray, FloatArray, npt.NDArray[np.intp]]:
    """The distinct (row, servers) pairs, sorted, and each input's index among them (what
    np.unique(axis=0, return_inverse=True) gives, without its slow structured-array sort)."""
    order = np.lexsort((servers, rows))
    sorted_rows, sorted_servers = rows[order], servers[order]
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = (sorted_rows[1:] != sorted_rows[:-1]) | (sorted_servers[1:] != sorted_servers[:-1])
    inverse = np.empty(len(order), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return sorted_rows[first], sorted_servers[first], inverse
