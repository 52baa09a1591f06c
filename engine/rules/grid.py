"""A sizing rule's candidates as parallel arrays: priced and screened before any config exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray, IntArray
from engine.capacity import CapacityConfig
from engine.catalog import Catalog, InstanceTypes
from engine.cost import effective_ratio, scheduled_fraction
from engine.sla import Candidates, replicas_needed
from engine.units import HOURS_PER_MONTH

StrArray = npt.NDArray[np.str_]
_Column = TypeVar("_Column", StrArray, FloatArray)


@dataclass(frozen=True, slots=True)
class CandidateGrid:
    """Candidates of one service: `base` with other replicas, zones and per-replica sizes.

    VMs name an instance type per candidate (`instance_types`); pods carry their requests
    (`cpu_request_cores` / `memory_request_gib`). Pricing mix, schedule and min replicas are the
    base's. A CapacityConfig is built only for the candidates that reach the full SLA verdict.
    """

    base: CapacityConfig
    replicas: IntArray
    zones: IntArray
    vcpu_per_replica: FloatArray
    memory_gib_per_replica: FloatArray
    instance_types: StrArray | None = None
    cpu_request_cores: FloatArray | None = None
    memory_request_gib: FloatArray | None = None
    type_rows: npt.NDArray[np.intp] | None = None  # catalog rows of instance_types, when known

    @classmethod
    def single(cls, config: CapacityConfig) -> CandidateGrid:
        """A one-candidate grid whose only config is `config` itself."""
        pods = config.platform == "kubernetes"
        return cls(
            config,
            np.array([config.replicas], dtype=np.int64),
            np.array([config.zones], dtype=np.int64),
            np.array([config.vcpu_per_replica], dtype=np.float64),
            np.array([config.memory_gib_per_replica], dtype=np.float64),
            instance_types=None if pods else np.array([config.instance_type or ""]),
            cpu_request_cores=np.array([config.cpu_request_cores or 0.0]) if pods else None,
            memory_request_gib=np.array([config.memory_request_gib or 0.0]) if pods else None,
        )

    def __len__(self) -> int:
        return len(self.replicas)

    @property
    def candidates(self) -> Candidates:
        """The grid as the SLA engine's Candidates (validated there)."""
        return Candidates(
            self.replicas, self.vcpu_per_replica, self.memory_gib_per_replica, self.zones
        )

    def take(self, rows: npt.NDArray[np.intp]) -> CandidateGrid:
        """The sub-grid of `rows`, in that order."""
        return CandidateGrid(
            self.base,
            self.replicas[rows],
            self.zones[rows],
            self.vcpu_per_replica[rows],
            self.memory_gib_per_replica[rows],
            _take(self.instance_types, rows),
            _take(self.cpu_request_cores, rows),
            _take(self.memory_request_gib, rows),
            None if self.type_rows is None else self.type_rows[rows],
        )

    def config_at(self, row: int) -> CapacityConfig:
        """The CapacityConfig of candidate `row`: the base with this row's replicas, zones and
        size (built field by field: dataclasses.replace cost several times as much)."""
        base, requests = self.base, (self.cpu_request_cores, self.memory_request_gib)
        cpu, memory = base.cpu_request_cores, base.memory_request_gib
        if requests[0] is not None and requests[1] is not None:
            cpu, memory = float(requests[0][row]), float(requests[1][row])
        types = self.instance_types
        return CapacityConfig(
            base.platform, int(self.replicas[row]), base.min_replicas, int(self.zones[row]),
            float(self.vcpu_per_replica[row]), float(self.memory_gib_per_replica[row]),
            base.instance_type if types is None else str(types[row]), cpu, memory,
            base.commitment_coverage_pct, base.spot_pct, base.schedule,
        )  # fmt: skip

    def monthly_effective_usd(self, *, region: str, catalog: Catalog) -> FloatArray:
        """Effective monthly USD of every candidate (the rules of engine.cost.config_cost)."""
        if self.type_rows is not None:
            column = catalog.region_column(region)
            per_replica = catalog.on_demand_usd_per_hour_grid[self.type_rows, column]
        elif self.instance_types is not None:
            per_replica = catalog.on_demand_usd_per_hour(self.instance_types, region)
        else:
            cpu_usd, memory_usd = catalog.k8s_usd_per_hour(region)
            per_replica = _or_zero(self.cpu_request_cores) * cpu_usd
            per_replica = per_replica + _or_zero(self.memory_request_gib) * memory_usd
        mix = effective_ratio(self.base, catalog.discounts) * scheduled_fraction(self.base.schedule)
        monthly: FloatArray = per_replica * self.replicas * (mix * HOURS_PER_MONTH)
        return monthly


def spread_zones(config: CapacityConfig, replicas: IntArray, availability_pct: float) -> IntArray:
    """Zones per replica count: ≥ 2 once the availability target needs redundancy and r ≥ 2."""
    redundant = replicas_needed(availability_pct) >= 2
    zones = np.full(replicas.shape, config.zones, dtype=np.int64)
    if redundant:
        zones[replicas >= 2] = max(config.zones, 2)
    return zones


def same_size(base: CapacityConfig, replicas: IntArray, zones: IntArray) -> CandidateGrid:
    """The base's per-replica size (type or requests) at other replica counts and zones."""
    count = len(replicas)
    vm = base.platform == "vm"
    return CandidateGrid(
        base, replicas, zones,
        np.full(count, base.vcpu_per_replica), np.full(count, base.memory_gib_per_replica),
        instance_types=np.full(count, base.instance_type or "") if vm else None,
        cpu_request_cores=None if vm else np.full(count, base.cpu_request_cores or 0.0),
        memory_request_gib=None if vm else np.full(count, base.memory_request_gib or 0.0),
    )  # fmt: skip


def vm_grid(
    base: CapacityConfig,
    replicas: IntArray,
    zones: IntArray,
    type_rows: npt.NDArray[np.intp],
    types: InstanceTypes,
) -> CandidateGrid:
    """VM candidates: replicas and zones aligned with a catalog row (instance type) each."""
    return CandidateGrid(
        base, replicas, zones, types.vcpu[type_rows], types.memory_gib[type_rows],
        instance_types=types.name[type_rows], type_rows=type_rows,
    )  # fmt: skip


def pod_grid(
    base: CapacityConfig,
    replicas: IntArray,
    zones: IntArray,
    cpu_cores: FloatArray,
    memory_gib: FloatArray,
) -> CandidateGrid:
    """Pod candidates: requests (= per-replica capacity) aligned with replicas and zones."""
    return CandidateGrid(
        base, replicas, zones, cpu_cores, memory_gib,
        cpu_request_cores=cpu_cores, memory_request_gib=memory_gib,
    )  # fmt: skip


def _take(column: _Column | None, rows: npt.NDArray[np.intp]) -> _Column | None:
    return None if column is None else column[rows]


def _or_zero(values: FloatArray | None) -> FloatArray:
    return np.zeros(1) if values is None else values
