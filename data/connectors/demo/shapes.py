"""Hourly usage of a demo service: seasonality, growth, real noise textures, incidents (numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.connectors.demo.fleet import DemoService
from engine.arrays import FloatArray
from engine.cost import running_mask
from engine.units import HOURS_PER_DAY, HOURS_PER_WEEK
from engine.usage import UsageWindow

Hours = npt.NDArray[np.datetime64]
Mask = npt.NDArray[np.bool_]

TEXTURE_DIRECTORY = Path(__file__).with_name("shapes")
_TEXTURE_HOURS = 14 * HOURS_PER_DAY
_USAGE_STREAM = 1  # the fleet draws from stream 0 of each service's seed
_SERVICE_TIME_STREAM = 2
# Latency p95 grows like a queue's waiting time, base × (1 + k·u / (1 − u)), and is capped there.
_QUEUEING_K = 0.4
_MAX_UTILIZATION_FOR_LATENCY = 0.97
_INCIDENTS_PER_90_DAYS = 3.0
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; weekday 0 is Monday


@dataclass(frozen=True, slots=True)
class Texture:
    """A real series reduced to two hourly patterns of 14 days, repeated as noise."""

    residual_z: FloatArray  # standardized residual of log hourly mean, hour-of-day removed
    burst: FloatArray  # (hourly p95 / hourly mean − 1), scaled to mean 1


def hour_starts(end: datetime, days: int) -> Hours:
    """UTC hours [end − days, end) as datetime64[s]; `end` must be an aware, whole hour."""
    if end.tzinfo is None or end.minute or end.second or end.microsecond:
        raise ValueError(f"end must be a timezone-aware whole hour, got {end!r}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    last = np.datetime64(end.astimezone(UTC).replace(tzinfo=None), "s")
    hours = days * HOURS_PER_DAY
    return last - np.timedelta64(3600, "s") * np.arange(hours, 0, -1)


def usage_window(service: DemoService, *, service_id: int, end: datetime, days: int) -> UsageWindow:
    """`days` of hourly usage ending before `end`; hours off the service's schedule are empty."""
    hours = hour_starts(end, days)
    rng = np.random.default_rng([service.seed, service.index, _USAGE_STREAM])
    off = ~running_mask(service.config.schedule, hours)
    load = _load(service, hours, off, rng)
    capacity_cores = service.config.cpu_capacity_cores
    cpu_mean = capacity_cores * service.load.peak_utilization * load
    cpu_p95 = cpu_mean * _burst_ratio(service, len(hours), rng)
    latency_factor, error_add_pct, saturated = _incidents(service, len(hours), rng)
    cpu_mean = np.where(saturated, capacity_cores * rng.uniform(0.9, 0.98, len(hours)), cpu_mean)
    cpu_p95 = np.minimum(np.where(saturated, capacity_cores, cpu_p95), capacity_cores)
    cpu_mean = np.minimum(cpu_mean, cpu_p95)
    utilization = cpu_mean / capacity_cores if capacity_cores > 0 else np.zeros(len(hours))
    noise = rng.lognormal(0.0, 0.03, len(hours))
    requests = _requests_per_s(service, cpu_mean, load) * noise
    latency = _latency(service, utilization, rng) * latency_factor
    errors = _error_rate(utilization, rng) + error_add_pct
    return UsageWindow(
        service_id=service_id,
        hour_start=hours,
        cpu_used_mean_cores=np.where(off, 0.0, cpu_mean),
        cpu_used_p95_cores=np.where(off, 0.0, cpu_p95),
        memory_used_max_gib=np.where(off, 0.0, _memory(service, load, rng)),
        requests_per_s=np.where(off, 0.0, requests),
        # No replica, no request: latency and error rate are undefined, not zero.
        latency_p95_ms=np.where(off, np.nan, latency),
        error_rate_pct=np.where(off, np.nan, np.minimum(errors, 100.0)),
    )


def _load(service: DemoService, hours: Hours, off: Mask, rng: np.random.Generator) -> FloatArray:
    """Relative load, 1.0 at its 99th percentile over running hours: seasonality × growth × noise.

    Batch services run nightly jobs instead of a daily wave; bursty ones add sparse bursts.
    """
    profile = service.load
    hour_index = hours.astype("datetime64[h]").astype(np.int64)
    hour_of_day = hour_index % HOURS_PER_DAY
    weekday = (hour_index // HOURS_PER_DAY + _EPOCH_WEEKDAY) % 7
    if service.archetype == "batch":
        # Nightly jobs: four busy hours from 01:00 UTC, a trickle otherwise.
        daily = np.where((hour_of_day >= 1) & (hour_of_day < 5), 1.0, 0.06)
    else:
        phase = 2 * np.pi * (hour_of_day - profile.peak_hour_utc) / HOURS_PER_DAY
        daily = profile.night_floor + (1 - profile.night_floor) * ((1 + np.cos(phase)) / 2) ** 1.5
    weekly = np.where(weekday >= 5, profile.weekend_factor, 1.0)
    weeks_before_end = (hour_index - hour_index[-1]) / HOURS_PER_WEEK
    growth = (1 + profile.growth_pct_per_week / 100) ** weeks_before_end
    seasonal = daily * weekly
    load = seasonal * growth * _noise(service, len(hours), rng)
    if service.archetype == "bursty":
        # Bursts (campaigns, cron storms) mostly strike when people are about.
        load = load * 0.35 + _bursts(len(hours), rng) * seasonal
    busiest = np.quantile(load[~off], 0.99) if np.any(~off) else 1.0
    return np.asarray(load / busiest, dtype=np.float64)


def _noise(service: DemoService, n: int, rng: np.random.Generator) -> FloatArray:
    """Multiplicative noise around 1: a real series' residual, else smoothed Gaussian noise."""
    texture = service.load.texture
    if texture is not None:
        z = _tiled(textures()[texture].residual_z, n, rng)
    else:
        kernel = np.ones(4) / 2.0  # 4-hour moving sum / 2 keeps unit variance, adds persistence
        z = np.convolve(rng.standard_normal(n + 3), kernel, mode="valid")
    sigma = 0.04 if service.archetype == "idle" else rng.uniform(0.06, 0.12)
    return np.asarray(np.clip(1 + sigma * z, 0.3, 1.8), dtype=np.float64)


def _bursts(n: int, rng: np.random.Generator) -> FloatArray:
    """Sparse multi-hour bursts (about 6 % of hours start one) of 0.6-1.0 the peak load."""
    starts = np.where(rng.random(n) < 0.06, rng.uniform(0.6, 1.0, n), 0.0)
    return np.convolve(starts, np.ones(3), mode="full")[:n].clip(0.0, 1.0)


def _burst_ratio(service: DemoService, n: int, rng: np.random.Generator) -> FloatArray:
    """CPU p95 / mean within each hour (≥ 1): sub-hour spikiness."""
    strength = rng.uniform(0.08, 0.3)
    texture = service.load.texture
    pattern = (
        _tiled(textures()[texture].burst, n, rng)
        if texture is not None
        else rng.lognormal(0.0, 0.3, n)
    )
    return np.asarray(1 + np.clip(strength * pattern, 0.0, 0.8), dtype=np.float64)


_SATURATING = frozenset({"under-provisioned", "bursty"})


def _incidents(
    service: DemoService, n: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, Mask]:
    """Latency multiplier, added error rate (%) and CPU-saturated hours from a few incidents."""
    latency_factor, error_add_pct = np.ones(n), np.zeros(n)
    saturated = np.zeros(n, dtype=np.bool_)
    if service.archetype == "idle":
        return latency_factor, error_add_pct, saturated
    count = rng.poisson(_INCIDENTS_PER_90_DAYS * n / (90 * HOURS_PER_DAY))
    for start, length in zip(rng.integers(0, n, count), rng.integers(2, 7, count), strict=True):
        window = slice(start, start + length)
        latency_factor[window] = rng.uniform(2.0, 5.0)
        error_add_pct[window] = rng.uniform(1.0, 15.0)
        # Only services that already run hot saturate their CPU in an incident; elsewhere an
        # incident is a dependency outage (latency and errors), so a well-sized service's
        # capacity verdict is not decided by a few outage hours. The draw is kept either way
        # so the rest of the fleet's random stream does not shift.
        saturated[window] = (rng.random() < 0.4) and service.archetype in _SATURATING
    return latency_factor, error_add_pct, saturated


def _latency(service: DemoService, utilization: FloatArray, rng: np.random.Generator) -> FloatArray:
    u = np.clip(utilization, 0.0, _MAX_UTILIZATION_FOR_LATENCY)
    queueing = 1 + _QUEUEING_K * u / (1 - u)
    base_ms = service.load.base_latency_ms
    return np.asarray(base_ms * queueing * rng.lognormal(0.0, 0.05, len(u)), dtype=np.float64)


def _requests_per_s(service: DemoService, cpu_mean: FloatArray, load: FloatArray) -> FloatArray:
    """Traffic consistent with CPU: requests/s = CPU cores used / CPU-seconds per request.

    Each service's CPU time per request is drawn so that its service-time p95 (s · ln 20) is
    15–40 % of its base latency, the rest being I/O and downstream calls; that is what lets
    the SLA engine's M/M/c model calibrate on demo services. Idle services keep their
    near-zero request rate (their CPU is housekeeping, not traffic).
    """
    if service.archetype == "idle":
        return np.asarray(service.load.peak_requests_per_s * load, dtype=np.float64)
    share = np.random.default_rng([service.seed, service.index, _SERVICE_TIME_STREAM]).uniform(
        0.15, 0.40
    )
    cpu_s_per_request = service.load.base_latency_ms / 1000.0 * share / np.log(20.0)
    return np.asarray(cpu_mean / cpu_s_per_request, dtype=np.float64)


def _error_rate(utilization: FloatArray, rng: np.random.Generator) -> FloatArray:
    """A small background rate, plus errors once the CPU is nearly saturated."""
    base_pct = rng.uniform(0.01, 0.2) * rng.lognormal(0.0, 0.3, len(utilization))
    return np.asarray(base_pct + 40.0 * np.clip(utilization - 0.95, 0.0, None), dtype=np.float64)


def _memory(service: DemoService, load: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Memory max: slow drift, a little load coupling and, for some, leak-and-restart sawtooths."""
    n = len(load)
    drift = np.convolve(rng.standard_normal(n + 71), np.ones(72) / np.sqrt(72), mode="valid")
    share = service.load.memory_utilization * (1 + 0.05 * drift + 0.08 * (load - load.mean()))
    if service.load.memory_leak_days is not None:
        period_h = service.load.memory_leak_days * HOURS_PER_DAY
        since_restart = (np.arange(n) + rng.uniform(0, period_h)) % period_h
        share = share + rng.uniform(0.1, 0.25) * since_restart / period_h
    return np.asarray(
        service.config.memory_capacity_gib * np.clip(share, 0.02, 0.97), dtype=np.float64
    )


def _tiled(pattern: FloatArray, n: int, rng: np.random.Generator) -> FloatArray:
    """The pattern repeated to n hours from a random starting hour."""
    return np.resize(np.roll(pattern, -int(rng.integers(len(pattern)))), n)


@cache
def textures() -> dict[str, Texture]:
    """Every shipped series as a Texture, read once per process."""
    return {path.stem: _texture(path) for path in sorted(TEXTURE_DIRECTORY.glob("*.csv"))}


def _texture(path: Path) -> Texture:
    """5-minute samples → hourly mean and p95 → 14 days of normalized residual and burst."""
    samples = pd.read_csv(path, parse_dates=["timestamp"]).set_index("timestamp")["value"]
    # Resampler methods, not .agg with a lambda: the same values (checked equal on every shipped
    # series) without a Python call per hour (~0.4 s a series, 3 s of every seed).
    by_hour = samples.resample("1h")
    hourly = pd.DataFrame(
        {"mean": by_hour.mean(), "p95": by_hour.quantile(0.95), "count": by_hour.count()}
    )
    # The first and last hours are partial; keep 14 full days of well-sampled hours.
    hourly = hourly[hourly["count"] >= 6].iloc[:_TEXTURE_HOURS]
    mean = hourly["mean"].to_numpy(np.float64)
    floor = 0.01 * mean.mean()  # keeps log() finite on near-zero samples
    log_mean = np.log(mean + floor)
    hour_of_day = pd.DatetimeIndex(hourly.index).hour.to_numpy()
    seasonal = pd.Series(log_mean).groupby(hour_of_day).transform("mean").to_numpy()
    residual = log_mean - seasonal  # the series' own daily cycle is replaced by ours
    residual_z = np.clip(residual / residual.std(), -3.0, 3.0)
    burst = np.maximum(hourly["p95"].to_numpy(np.float64) / (mean + floor) - 1.0, 0.0)
    return Texture(residual_z=residual_z, burst=np.clip(burst / burst.mean(), 0.0, 4.0))
