"""What the sizing rules read of a window, worked out once per service instead of once per rule.

The rules read CPU percentiles per replica (needs: the profile's percentile at the current count
and at one; confidence: p50 and p95 per replica), the CPU peak, the count of known hours, the
span in days and the screen's peaks: before, each read partitioned or scanned the 2,160 hours
again (six partitions and ten scans a service at 90 days). One partition at every rank they
read gives the same values: x ↦ x / r (r ≥ 1) never reverses two hours' order, so the k-th
smallest of CPU / r is the k-th smallest of CPU divided by r — the same division of the same
two numbers, bit for bit — and stats.nan_percentiles' interpolation is then applied to those
values as it would be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray
from engine.profiles import SizingProfile
from engine.sla import window_peaks
from engine.usage import UsageWindow

BAND_PERCENTILES = (50.0, 95.0)  # the confidence band's lower and upper percentiles


@dataclass(frozen=True, slots=True)
class WindowStats:
    """A window's CPU partitioned at every rank the sizing rules read, and its counts."""

    finite_points: int  # hours with a finite CPU sample (data sufficiency, confidence)
    known: int  # hours with a non-NaN CPU sample (the percentiles' n)
    days: float  # UsageWindow.days
    ordered: FloatArray  # CPU, NaN last, partitioned at the ranks the rules read and the peak
    screen_peaks: tuple[np.float64, np.float64] | None  # sla.window_peaks, None without hours
    memory_max_gib: float | None = None  # the largest finite memory hour (None: none is)

    def cpu_percentile(self, percentile: float, replicas: int) -> float:
        """nan_percentile(CPU / max(replicas, 1), percentile), from the partition."""
        return self.cpu_percentiles((percentile,), replicas)[0]

    def cpu_percentiles(self, percentiles: tuple[float, ...], replicas: int) -> tuple[float, ...]:
        """nan_percentiles(CPU / max(replicas, 1), percentiles), from the partition (each rank
        must be one `window_stats` partitioned at)."""
        if self.known == 0:
            return tuple(math.nan for _ in percentiles)
        per_replica = max(replicas, 1)
        return tuple(self._at(p, per_replica) for p in percentiles)

    def cpu_peak_cores(self) -> float:
        """np.nanmax(CPU): the largest known hour (NaN without one)."""
        return float(self.ordered[self.known - 1]) if self.known else math.nan

    def _at(self, percentile: float, per_replica: int) -> float:
        rank = (self.known - 1) * percentile / 100.0  # stats.nan_percentiles' arithmetic
        low = math.floor(rank)
        high = min(low + 1, self.known - 1)
        below = float(self.ordered[low] / per_replica)
        above = float(self.ordered[high] / per_replica)
        if below == above:
            return below
        return below + (above - below) * (rank - low)


def window_stats(window: UsageWindow, profile: SizingProfile) -> WindowStats:
    """The window's WindowStats for the profile's percentile and the confidence band."""
    cpu = window.cpu_used_p95_cores
    finite = int(np.count_nonzero(np.isfinite(cpu)))
    known = int(np.count_nonzero(~np.isnan(cpu)))
    peaks = window_peaks(window) if window.points else None
    memory = window.memory_used_max_gib[np.isfinite(window.memory_used_max_gib)]
    memory_max = float(np.max(memory)) if len(memory) else None  # sizing.needs' rule, once
    if known == 0:
        return WindowStats(finite, known, window.days, cpu, peaks, memory_max)
    kth = {known - 1}  # the peak
    for percentile in (profile.cpu_percentile, *BAND_PERCENTILES):
        low = math.floor((known - 1) * percentile / 100.0)
        kth |= {low, min(low + 1, known - 1)}
    ordered = np.partition(cpu, sorted(kth))
    return WindowStats(finite, known, window.days, ordered, peaks, memory_max)
