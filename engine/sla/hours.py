"""The SLA engine's per-hour work for many services at once: projected latency, shares, peaks.

evaluate_candidates judges one service; a fleet recompute judges thousands. Per service the
work is a few dozen small array operations, so their fixed cost dominated. Here the requests
that share an hour count are stacked into (services × hours) and (rows × hours) matrices and
every step runs once per group — the same rules as engine/sla/latency.py, cell for cell.
Requests that want no hourly projection (a recompute) get their shares from
engine/sla/summary.py where it can certify them, with the same values.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray, IntArray
from engine.capacity import CapacityConfig
from engine.sla.latency import (
    LATENCY_QUANTILE,
    HourlyShare,
    ProjectedLatency,
    baseline_rows,
    hourly_shares,
    model_p95_ms,
    saturated_ms,
    service_seconds_rows,
)
from engine.sla.summary import Rows, Summary, distinct_pairs, summarize
from engine.usage import UsageWindow

_SERVICE_TIME_P95 = -math.log(1.0 - LATENCY_QUANTILE)  # the service time's own p95, × s


@dataclass(frozen=True, slots=True)
class HoursRequest:
    """One service's window and the server counts (rows) to project, with each row's target."""

    usage: UsageWindow
    current_servers: float  # the config the observed latency was measured on
    servers: FloatArray  # per row
    target_ms: FloatArray  # per row: the latency target that row's share is counted against
    demand_scale: FloatArray  # per hour, multiplies λ and CPU
    # False: only the rows' shares are wanted, not their hourly projection (a fleet recompute):
    # engine/sla/summary.py computes them from the hours that decide them, exactly.
    hourly: bool = True
    # The window's cpu_seconds_per_request when the caller has it (the rules work it out for
    # their calibration check): not worked out again from the window's hours.
    service_s: float | None = None


@dataclass(frozen=True, slots=True)
class HoursResult:
    """Per request: the latency projection, each row's share of hours within its target, and
    the window's peaks (CPU scaled by demand)."""

    latency: ProjectedLatency
    share: HourlyShare
    cpu_cores: FloatArray  # hourly p95 CPU × demand scale
    peak_cpu_cores: float
    peak_memory_gib: float


def project_latency(
    usage: UsageWindow, current: CapacityConfig, servers: FloatArray, demand_scale: FloatArray
) -> ProjectedLatency:
    """Projected p95 for each server count (rows) in each hour: baseline + model p95.

    λ is scaled by `demand_scale` (per hour); the baseline is calibrated at the current config on
    the unscaled history. Not modelled without traffic or without any latency observation.
    """
    request = HoursRequest(
        usage, current.cpu_capacity_cores, servers, np.full(len(servers), np.inf), demand_scale
    )
    return hours_many([request])[0].latency


def hours_many(requests: Sequence[HoursRequest]) -> list[HoursResult]:
    """HoursResult per request, in order; requests with the same hour count run as one batch."""
    groups: defaultdict[int, list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        groups[request.usage.points].append(index)
    results: list[HoursResult | None] = [None] * len(requests)
    for indices in groups.values():
        for index, result in zip(indices, _group([requests[i] for i in indices]), strict=True):
            results[index] = result
    return [r for r in results if r is not None]


@dataclass(frozen=True, slots=True)
class _Stack:
    rate: FloatArray  # (services × hours), unscaled
    scale: FloatArray  # (services × hours), or (services × 1) ones when `unit`
    cpu_p95: FloatArray
    latency: FloatArray
    memory: FloatArray
    unit: bool  # every demand scale is 1 (the recompute's case): nothing to multiply


def _scaled(stack: _Stack, values: FloatArray, rows: IntArray | None = None) -> FloatArray:
    """values × demand scale (of `rows` when given). At scale 1 the values themselves: x × 1.0
    is x in every bit (NaN, ±inf and −0.0 included), so three passes over the stack are saved."""
    if stack.unit:
        return values if rows is None else values[rows]
    if rows is None:
        return values * stack.scale
    scaled: FloatArray = values[rows] * stack.scale[rows]
    return scaled


def _group(requests: list[HoursRequest]) -> list[HoursResult]:
    stack = _stack(requests)
    service_s = _service_seconds(requests, stack)
    baseline, notes = _baselines(stack, service_s, requests)
    modelled = np.array([note == "" for note in notes])
    rows = np.repeat(np.arange(len(requests)), [len(r.servers) for r in requests])
    servers = np.concatenate([r.servers for r in requests])
    targets = np.concatenate([r.target_ms for r in requests])
    summary = _summarized(requests, stack, (service_s, baseline, modelled), rows, servers, targets)
    rest = np.flatnonzero(~summary.done)  # rows projected hour by hour
    projected = np.full((len(rest), stack.rate.shape[1]), np.nan)
    live = modelled[rows[rest]]
    if live.any():
        projected[live] = _project(
            stack, service_s, baseline, rows[rest][live], servers[rest][live]
        )
    share = hourly_shares(projected, targets[rest])
    summary.within_pct[rest], summary.breach_hours[rest] = share.within_pct, share.breach_hours
    summary.p95_ms[rest] = share.p95_ms
    everyone = HourlyShare(summary.within_pct, summary.breach_hours, summary.p95_ms)
    floor = baseline + 1000.0 * service_s[:, None] * _SERVICE_TIME_P95
    where = np.full(len(rows), -1)
    where[rest] = np.arange(len(rest))
    return _split(requests, stack, (service_s, notes, floor), (projected, where), everyone)


def _summarized(
    requests: list[HoursRequest],
    stack: _Stack,
    latency_parts: tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]],
    rows: IntArray,
    servers: FloatArray,
    targets: FloatArray,
) -> Summary:
    """summary.summarize over the rows of modelled requests that want no hourly projection
    (the others come back not done)."""
    service_s, baseline, modelled = latency_parts
    wanted = modelled & np.array([not r.hourly for r in requests], dtype=np.bool_)
    picked = np.flatnonzero(wanted[rows])
    out = Summary(
        np.zeros(len(rows), dtype=np.bool_),
        np.full(len(rows), np.nan),
        np.zeros(len(rows), dtype=np.int64),
        np.full(len(rows), np.nan),
    )
    if not len(picked):
        return out
    effective = (_scaled(stack, stack.rate), _scaled(stack, stack.cpu_p95), baseline)
    part = summarize(effective, service_s, Rows(rows[picked], servers[picked], targets[picked]))
    out.done[picked], out.within_pct[picked] = part.done, part.within_pct
    out.breach_hours[picked], out.p95_ms[picked] = part.breach_hours, part.p95_ms
    return out


def _project(
    stack: _Stack, service_s: FloatArray, baseline: FloatArray, rows: IntArray, servers: FloatArray
) -> FloatArray:
    """baseline + model p95 per (row, hour), +inf where saturated (latency.saturated_ms);
    the queueing model runs once per distinct (service, server count): candidates and their
    N+1 rows often share one."""
    at, distinct_servers, inverse = distinct_pairs(rows, servers)
    rate = _scaled(stack, stack.rate, at)
    model = model_p95_ms(rate, service_s[at][:, None], distinct_servers[:, None])
    cpu_cores = _scaled(stack, stack.cpu_p95, at)
    model = saturated_ms(model, cpu_cores, distinct_servers[:, None])
    projected: FloatArray = baseline[rows] + model[inverse]
    return projected


def _split(
    requests: list[HoursRequest],
    stack: _Stack,
    latency_parts: tuple[FloatArray, list[str], FloatArray],
    projection: tuple[FloatArray, IntArray],
    share: HourlyShare,
) -> list[HoursResult]:
    """Per request its result; `projection` is the hour-by-hour rows and each row's place among
    them (−1: summarized)."""
    service_s, notes, floor = latency_parts
    projected, where = projection
    cpu = _scaled(stack, stack.cpu_p95)
    peaks_cpu = np.fmax.reduce(cpu, axis=1) if cpu.shape[1] else np.full(len(requests), np.nan)
    peaks_memory = np.fmax.reduce(stack.memory, axis=1) if cpu.shape[1] else peaks_cpu
    out, start = [], 0
    for i, request in enumerate(requests):
        rows = slice(start, start + len(request.servers))
        start = rows.stop
        modelled = notes[i] == ""
        latency = ProjectedLatency(
            modelled, notes[i], float(service_s[i]), _hourly(request, projected, where, rows),
            floor_ms=floor[i] if modelled else None,
        )  # fmt: skip
        part = HourlyShare(share.within_pct[rows], share.breach_hours[rows], share.p95_ms[rows])
        out.append(HoursResult(latency, part, cpu[i], float(peaks_cpu[i]), float(peaks_memory[i])))
    return out


def _hourly(
    request: HoursRequest, projected: FloatArray, where: IntArray, rows: slice
) -> FloatArray:
    """The request's rows of the hour-by-hour projection (all of them are there when it asked
    for them); rows × 0 when it did not: none was made."""
    if not request.hourly or rows.stop == rows.start:
        return np.empty((rows.stop - rows.start, projected.shape[1] if request.hourly else 0))
    first = int(where[rows.start])
    out: FloatArray = projected[first : first + rows.stop - rows.start]
    return out


def _stack(requests: list[HoursRequest]) -> _Stack:
    def rows(name: str) -> FloatArray:
        return np.stack([getattr(r.usage, name) for r in requests])

    unit = all(_unit_scale(r.demand_scale) for r in requests)

    return _Stack(
        rate=rows("requests_per_s"),
        scale=np.ones((len(requests), 1)) if unit else np.stack([r.demand_scale for r in requests]),
        unit=unit,
        cpu_p95=rows("cpu_used_p95_cores"),
        latency=rows("latency_p95_ms"),
        memory=rows("memory_used_max_gib"),
    )


def _service_seconds(requests: list[HoursRequest], stack: _Stack) -> FloatArray:
    """Each request's cpu_seconds_per_request: the callers' when every one gave it (a float
    from service_seconds_rows' row, the value this row would get: its rule is row by row),
    else service_seconds_rows over the stacked mean CPU."""
    given = [r.service_s for r in requests]
    if all(s is not None for s in given):
        return np.array(given, dtype=np.float64)
    cpu_mean = np.stack([r.usage.cpu_used_mean_cores for r in requests])
    return service_seconds_rows(cpu_mean, stack.rate)


def _unit_scale(scale: FloatArray) -> bool:
    """A scale broadcast from the scalar 1.0 (judge._hours_request's view of a scalar demand
    scale: stride 0), known without reading its hours."""
    return scale.ndim == 1 and (len(scale) == 0 or (scale.strides[0] == 0 and scale[0] == 1.0))


def _baselines(
    stack: _Stack, service_s: FloatArray, requests: list[HoursRequest]
) -> tuple[FloatArray, list[str]]:
    """Non-CPU latency per service-hour (engine.sla.latency.baseline_latency_ms's rule) and,
    per service, why latency is not modelled ("" when it is)."""
    unmeasured = _any_per_row(~np.isnan(stack.rate))
    notes = [
        "" if math.isfinite(s) else ("no traffic" if seen else "no request metrics")
        for s, seen in zip(service_s.tolist(), unmeasured, strict=True)
    ]
    observed = _any_per_row(~np.isnan(stack.latency))
    notes = [
        n or ("" if seen else "no p95 latency observations")
        for n, seen in zip(notes, observed, strict=True)
    ]
    todo = np.flatnonzero([n == "" for n in notes])
    current = np.array([requests[i].current_servers for i in todo])
    if len(todo) == len(requests):  # every service (the usual batch): no gather, no scatter
        baseline = baseline_rows(stack.rate, stack.latency, service_s, current)
    else:
        baseline = np.full(stack.rate.shape, np.nan)
        if len(todo):
            rows = (stack.rate[todo], stack.latency[todo], service_s[todo], current)
            baseline[todo] = baseline_rows(*rows)
    known = _any_per_row(~np.isnan(baseline))
    notes = [
        n or ("" if k else "no p95 latency observations") for n, k in zip(notes, known, strict=True)
    ]
    return baseline, notes


def _any_per_row(mask: npt.NDArray[np.bool_]) -> list[bool]:
    return [bool(value) for value in np.asarray(mask.any(axis=1)).ravel()]
