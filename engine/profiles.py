"""Sizing profiles: which usage percentile, how much headroom, how much data is enough."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProfileName = Literal["cost", "balanced", "performance"]


@dataclass(frozen=True, slots=True)
class SizingProfile:
    """How aggressively to size: CPU percentile × (1 + headroom), memory max × (1 + headroom).

    Defaults follow product.md (balanced = VPA's p90 + 15 %); target utilization for replica
    counts follows Kubecost's profiles (0.80 / 0.65 / 0.50).
    """

    name: str
    cpu_percentile: float
    cpu_headroom_pct: float
    memory_headroom_pct: float
    target_utilization: float
    lookback_days: int = 14
    min_points: int = 100
    min_days: float = 2.0
    cpu_floor_cores: float = 0.010
    memory_floor_gib: float = 100 / 1024

    def __post_init__(self) -> None:
        _check("cpu_percentile", self.cpu_percentile, 50.0, 100.0)
        _check("cpu_headroom_pct", self.cpu_headroom_pct, 0.0, 200.0)
        _check("memory_headroom_pct", self.memory_headroom_pct, 0.0, 200.0)
        _check("target_utilization", self.target_utilization, 0.1, 0.95)
        _check("lookback_days", self.lookback_days, 1, 400)
        _check("min_points", self.min_points, 1, 100_000)
        _check("min_days", self.min_days, 0.0, 400.0)
        _check("cpu_floor_cores", self.cpu_floor_cores, 0.001, 64.0)
        _check("memory_floor_gib", self.memory_floor_gib, 1 / 1024, 512.0)

    @property
    def cpu_factor(self) -> float:
        """1 + CPU headroom % / 100: what a CPU percentile is multiplied by."""
        return 1.0 + self.cpu_headroom_pct / 100.0

    @property
    def memory_factor(self) -> float:
        """1 + memory headroom % / 100: what peak memory is multiplied by."""
        return 1.0 + self.memory_headroom_pct / 100.0


def _check(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside [{low}, {high}]")


PROFILES: dict[ProfileName, SizingProfile] = {
    "cost": SizingProfile("cost", 60.0, 0.0, 20.0, target_utilization=0.80),
    "balanced": SizingProfile("balanced", 90.0, 15.0, 15.0, target_utilization=0.65),
    "performance": SizingProfile("performance", 98.0, 0.0, 20.0, target_utilization=0.50),
}
