"""Hourly usage of one service as aligned numpy arrays (the engine's input)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray


@dataclass(frozen=True, slots=True)
class UsageWindow:
    """Service-level usage, one element per hour; NaN marks a missing SLI sample.

    `hour_start` is datetime64[s] in UTC. CPU is summed over replicas (cores); memory is the
    hourly max summed over replicas (GiB).
    """

    service_id: int
    hour_start: npt.NDArray[np.datetime64]
    cpu_used_mean_cores: FloatArray
    cpu_used_p95_cores: FloatArray
    memory_used_max_gib: FloatArray
    requests_per_s: FloatArray
    latency_p95_ms: FloatArray
    error_rate_pct: FloatArray

    def __post_init__(self) -> None:
        n = len(self.hour_start)
        for name in (
            "cpu_used_mean_cores",
            "cpu_used_p95_cores",
            "memory_used_max_gib",
            "requests_per_s",
            "latency_p95_ms",
            "error_rate_pct",
        ):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} points, expected {n}")

    def rows(self, keep: npt.NDArray[np.bool_] | npt.NDArray[np.intp] | slice) -> UsageWindow:
        """The same service's window restricted to `keep` (a mask, indices or a slice)."""
        return UsageWindow(
            service_id=self.service_id,
            hour_start=self.hour_start[keep],
            cpu_used_mean_cores=self.cpu_used_mean_cores[keep],
            cpu_used_p95_cores=self.cpu_used_p95_cores[keep],
            memory_used_max_gib=self.memory_used_max_gib[keep],
            requests_per_s=self.requests_per_s[keep],
            latency_p95_ms=self.latency_p95_ms[keep],
            error_rate_pct=self.error_rate_pct[keep],
        )

    @property
    def points(self) -> int:
        """Number of hours in the window (known or NaN)."""
        return len(self.hour_start)

    @property
    def days(self) -> float:
        """Span covered, in days (an hour of data counts as 1/24 day)."""
        if self.points == 0:
            return 0.0
        span_s = (self.hour_start[-1] - self.hour_start[0]) / np.timedelta64(1, "s")
        return (float(span_s) + 3600.0) / 86400.0
