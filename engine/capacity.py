"""A service's capacity configuration: replicas, size per replica, pricing mix and schedule."""

from __future__ import annotations

from dataclasses import dataclass

from engine.pickling import by_constructor
from engine.service import Platform

ALWAYS_ON = "always"


@by_constructor
@dataclass(frozen=True, slots=True)
class CapacityConfig:
    """Capacity of one service; VMs name an instance type, pods name their requests.

    `vcpu_per_replica` / `memory_gib_per_replica` are the resolved per-replica capacity
    (catalog spec for VMs, requests for pods) so utilization never needs the catalog again.
    """

    platform: Platform
    replicas: int
    min_replicas: int
    zones: int
    vcpu_per_replica: float
    memory_gib_per_replica: float
    instance_type: str | None = None
    cpu_request_cores: float | None = None
    memory_request_gib: float | None = None
    commitment_coverage_pct: float = 0.0
    spot_pct: float = 0.0
    schedule: str = ALWAYS_ON

    def __post_init__(self) -> None:
        if self.replicas < 0 or self.min_replicas < 0 or self.zones < 1:
            raise ValueError("replicas and min_replicas must be >= 0 and zones >= 1")
        if self.platform == "vm" and not self.instance_type:
            raise ValueError("a vm config needs an instance_type")
        if self.platform == "kubernetes" and (
            self.cpu_request_cores is None or self.memory_request_gib is None
        ):
            raise ValueError("a kubernetes config needs cpu_request_cores and memory_request_gib")
        if not 0 <= self.commitment_coverage_pct + self.spot_pct <= 100:
            raise ValueError("commitment coverage + spot share must lie within 0..100 %")

    @property
    def cpu_capacity_cores(self) -> float:
        """replicas × vCPU per replica."""
        return self.replicas * self.vcpu_per_replica

    @property
    def memory_capacity_gib(self) -> float:
        """replicas × GiB per replica."""
        return self.replicas * self.memory_gib_per_replica

    def describe(self) -> str:
        """Short human form: '3 × m5.large' or '4 × 500m / 1.0 GiB'."""
        if self.platform == "vm":
            return f"{self.replicas} × {self.instance_type}"
        cpu_m = round((self.cpu_request_cores or 0.0) * 1000)
        return f"{self.replicas} × {cpu_m}m / {self.memory_request_gib or 0.0:.2f} GiB"
