"""What the SLA engine judges and what it returns: candidate configs and their verdicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arrays import BoolArray, FloatArray, IntArray
from engine.capacity import CapacityConfig
from engine.risk import RiskScores


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate configs as parallel 1-D arrays, one element per candidate."""

    replicas: IntArray
    vcpu_per_replica: FloatArray
    memory_gib_per_replica: FloatArray
    zones: IntArray

    def __post_init__(self) -> None:
        # Lean on purpose: this runs for every candidate batch of every service.
        columns = (self.replicas, self.vcpu_per_replica, self.memory_gib_per_replica, self.zones)
        # .shape, not np.shape(): a fifth of the cost (every column must be an array: .min below)
        shape = self.replicas.shape
        if len(shape) != 1 or any(column.shape != shape for column in columns[1:]):
            shapes = [np.shape(column) for column in columns]
            raise ValueError(f"candidate arrays must be 1-D and aligned, got shapes {shapes}")
        if shape[0] == 0:
            return
        if self.replicas.min() < 0 or self.zones.min() < 1:
            raise ValueError("replicas must be >= 0 and zones >= 1")
        if not min(self.vcpu_per_replica.min(), self.memory_gib_per_replica.min()) >= 0:
            raise ValueError("per-replica vCPU and memory must be >= 0")

    @classmethod
    def checked_already(
        cls,
        replicas: IntArray,
        vcpu_per_replica: FloatArray,
        memory_gib_per_replica: FloatArray,
        zones: IntArray,
    ) -> Candidates:
        """Candidates whose values the caller took from Candidates already checked (a sizing
        rule's shortlists, and a current config it checked itself): __post_init__ is skipped.
        Why: the rules build these twice per service, and the checks cost ~4 numpy reductions."""
        made = object.__new__(cls)
        for name, column in (
            ("replicas", replicas),
            ("vcpu_per_replica", vcpu_per_replica),
            ("memory_gib_per_replica", memory_gib_per_replica),
            ("zones", zones),
        ):
            object.__setattr__(made, name, column)
        return made

    @classmethod
    def of(cls, *configs: CapacityConfig) -> Candidates:
        """The candidates of some capacity configs, in order."""
        return cls(
            replicas=np.array([c.replicas for c in configs], dtype=np.int64),
            vcpu_per_replica=np.array([c.vcpu_per_replica for c in configs], dtype=np.float64),
            memory_gib_per_replica=np.array(
                [c.memory_gib_per_replica for c in configs], dtype=np.float64
            ),
            zones=np.array([c.zones for c in configs], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.replicas)

    @property
    def cpu_capacity_cores(self) -> FloatArray:
        """replicas × vCPU per replica, per candidate."""
        return self.replicas * self.vcpu_per_replica

    @property
    def n_plus_one_cpu_capacity_cores(self) -> FloatArray:
        """CPU left after losing one replica."""
        return np.maximum(self.replicas - 1, 0) * self.vcpu_per_replica

    @property
    def memory_capacity_gib(self) -> FloatArray:
        """replicas × GiB per replica, per candidate."""
        return self.replicas * self.memory_gib_per_replica


@dataclass(frozen=True, slots=True)
class CandidateVerdicts:
    """The SLA engine's verdict on each candidate (arrays of len(candidates)).

    `passes` = latency_ok & saturation_ok & ~error_risk & memory_ok & availability_ok
    & (n_plus_one_ok | ~n_plus_one_required). `sizing_ok` is the same test with the hours no
    capacity can fix (latency floor above target) allowed on top of the tolerance: what sizing
    rules search on, while `passes` stays the plain truth about the SLA. Percent shares count
    modelled hours only.
    `projected_latency_ms` / `projected_utilization` are candidates × hours, for charts
    (candidates × 0 when judged with Judgement.hourly False: a recompute keeps no chart);
    latency is +inf in the `saturated_hours` (utilization ≥ 1: no steady state), which are
    breach hours. `latency_floor_ms` is per hour the latency no capacity removes (baseline +
    the service time's own p95); None when latency is not modelled.
    """

    passes: BoolArray
    sizing_ok: BoolArray
    latency_ok: BoolArray
    saturation_ok: BoolArray
    error_risk: BoolArray
    memory_ok: BoolArray
    availability_ok: BoolArray
    n_plus_one_ok: BoolArray
    n_plus_one_required: bool
    replicas_needed: int
    latency_modelled: bool
    latency_note: str
    cpu_seconds_per_request: float
    hours_within_target_pct: FloatArray
    breach_hours: IntArray
    saturated_hours: IntArray
    p95_of_projected_latency_ms: FloatArray
    peak_utilization: FloatArray
    memory_peak_utilization: FloatArray
    n_plus_one_peak_utilization: FloatArray
    n_plus_one_hours_within_pct: FloatArray
    risk_score: IntArray
    sub_scores: RiskScores
    projected_latency_ms: FloatArray
    projected_utilization: FloatArray
    latency_floor_ms: FloatArray | None = None
