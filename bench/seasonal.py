"""The synthetic service the engine benchmarks replay: 90 days, daily and weekly seasonality."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.usage import UsageWindow

HOURS = 2_160  # 90 days


def seasonal_window(
    noise: npt.NDArray[np.float64], rng: np.random.Generator, *, start: str
) -> UsageWindow:
    """~2–6 cores, ~200–600 req/s at 10 ms of CPU each, ~100 ms p95; `noise` (one factor per
    hour) multiplies traffic and latency, so each benchmark picks its own distribution."""
    hours = len(noise)
    t = np.arange(hours, dtype=np.float64)
    wave = 0.55 + 0.35 * np.sin(2 * np.pi * t / 24) + 0.1 * np.sin(2 * np.pi * t / 168)
    requests = 600.0 * wave * noise
    cpu = requests * 0.01
    return UsageWindow(
        service_id=1,
        hour_start=np.datetime64(start) + np.arange(hours) * np.timedelta64(1, "h"),
        cpu_used_mean_cores=cpu,
        cpu_used_p95_cores=cpu * rng.uniform(1.1, 1.4, hours),
        memory_used_max_gib=np.full(hours, 6.0),
        requests_per_s=requests,
        latency_p95_ms=80.0 + 40.0 * wave * noise,
        error_rate_pct=np.full(hours, 0.1),
    )
