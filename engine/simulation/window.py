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
    return usage.rows(usage.hour_start >= first)
