"""The replayed window: the last N days of a service's hourly usage."""

from __future__ import annotations

import numpy as np

from engine.errors import InsufficientData
from engine.units import HOURS_PER_DAY
from engine.usage import UsageWindow


def recent(usage: UsageWindow, horizon_days: int) -> UsageWindow:
    """The last `horizon_days` × 24 hours of the window (by timestamp, newest hour last).

    Raises InsufficientData when the window has no hours.
    """
    if usage.points == 0:
        raise InsufficientData("the usage window has no hours to simulate")
    first = usage.hour_start[-1] - np.timedelta64(horizon_days * HOURS_PER_DAY - 1, "h")
    keep = usage.hour_start >= first
    return UsageWindow(
        service_id=usage.service_id,
        hour_start=usage.hour_start[keep],
        cpu_used_mean_cores=usage.cpu_used_mean_cores[keep],
        cpu_used_p95_cores=usage.cpu_used_p95_cores[keep],
        memory_used_max_gib=usage.memory_used_max_gib[keep],
        requests_per_s=usage.requests_per_s[keep],
        latency_p95_ms=usage.latency_p95_ms[keep],
        error_rate_pct=usage.error_rate_pct[keep],
    )
