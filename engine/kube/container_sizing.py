"""Per-container requests and limits: a KRR-comparable floor, SLA headroom on top, cost deltas.

The floor is KRR's `simple` strategy (recommender-reference B.1): CPU request = the per-pod p95
(max over pods), no CPU limit; memory request = limit = per-pod max (max over pods) + 15 %;
CPU rounded up to 1m, memory up to 1 MB (10⁶ bytes, as KRR's runner does); floors 10m and
100 MB; fewer than 100 samples is "not enough data". Tightrope's proposal divides the CPU floor
by the service's utilization target (the SLA policy's saturation limit when it has an SLA,
engine.sla.policy), so the request the SLA engine treats as capacity keeps p95 within it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.sla import SlaPolicy
from engine.units import HOURS_PER_MONTH, MIB_PER_GIB

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]
BYTES_PER_GIB = MIB_PER_GIB**3
NOT_ENOUGH_DATA = "Not enough data"


@dataclass(frozen=True, slots=True)
class KrrSettings:
    """KRR `simple`'s defaults (robusta_krr/strategies/simple.py, core/runner.py)."""

    memory_buffer_pct: float = 15.0
    points_required: int = 100
    cpu_min_cores: float = 0.010  # cpu_min_value = 10 (m)
    memory_min_gib: float = 100e6 / BYTES_PER_GIB  # memory_min_value = 100 (MB, 10⁶ bytes)


@dataclass(frozen=True, slots=True)
class ContainerStats:
    """Per container of a workload, parallel arrays; NaN marks an unset request or limit.

    `cpu_p95_cores` is each pod's p95 taken as the max over pods, `memory_max_gib` each pod's
    max taken as the max over pods (never summed over a rollout's old and new pods); `samples`
    counts CPU samples over all pods; `replicas` is the workload's replica count (repeated on
    each of its containers); `cpu_target_utilization` is 1.0 for KRR's answer, the SLA
    policy's saturation limit for a service with an SLA (`target_utilization`).
    """

    workload_id: StrArray
    container: StrArray
    cpu_p95_cores: FloatArray
    memory_max_gib: FloatArray
    samples: IntArray
    pods: IntArray
    replicas: IntArray
    cpu_request_cores: FloatArray
    cpu_limit_cores: FloatArray
    memory_request_gib: FloatArray
    memory_limit_gib: FloatArray
    cpu_target_utilization: FloatArray

    def __post_init__(self) -> None:
        shapes = {np.shape(getattr(self, column.name)) for column in fields(self)}
        if len(shapes) != 1 or len(next(iter(shapes))) != 1:
            raise ValueError(f"container columns must be 1-D and aligned, got {sorted(shapes)}")
        target = self.cpu_target_utilization
        if len(target) and not (np.all(target > 0) and np.all(target <= 1)):
            raise ValueError("cpu_target_utilization must lie within (0, 1]")

    def __len__(self) -> int:
        return len(self.workload_id)


def target_utilization(policy: SlaPolicy | None) -> float:
    """The CPU utilization a request is sized for: the policy's saturation limit, 1.0 without
    an SLA (then the proposal is KRR's floor)."""
    return 1.0 if policy is None else policy.saturation_limit


@dataclass(frozen=True, slots=True)
class Resources:
    """One container's requests and limits; None is unset (or, proposed, "not decided")."""

    cpu_request_cores: float | None
    cpu_limit_cores: float | None
    memory_request_gib: float | None
    memory_limit_gib: float | None


@dataclass(frozen=True, slots=True)
class ContainerProposal:
    """One container: what runs now, KRR's floor, what Tightrope proposes, and why not."""

    workload_id: str
    container: str
    pods: int
    current: Resources
    krr: Resources
    proposed: Resources
    info: str  # "" when sized, else why not (KRR's info text)


@dataclass(frozen=True, slots=True)
class WorkloadDeltas:
    """Per workload: request changes per replica and in all, and the monthly USD they move.

    An unset current request counts as 0 (a request added costs its full price).
    """

    workload_id: StrArray
    replicas: IntArray
    cpu_cores_per_replica: FloatArray
    memory_gib_per_replica: FloatArray
    cpu_cores: FloatArray
    memory_gib: FloatArray
    monthly_cost_usd: FloatArray


@dataclass(frozen=True, slots=True)
class ContainerSizing:
    """Every container's proposal (arrays, NaN = unset or undecided) and workload deltas."""

    stats: ContainerStats
    krr_cpu_request_cores: FloatArray
    krr_memory_gib: FloatArray  # request = limit
    cpu_request_cores: FloatArray
    cpu_limit_cores: FloatArray
    memory_request_gib: FloatArray
    memory_limit_gib: FloatArray
    info: tuple[str, ...]
    workloads: WorkloadDeltas

    def at(self, row: int) -> ContainerProposal:
        """Container `row` as a value: current, KRR's floor and the proposal."""
        s = self.stats
        krr_memory = _opt(self.krr_memory_gib[row])
        return ContainerProposal(
            workload_id=str(s.workload_id[row]),
            container=str(s.container[row]),
            pods=int(s.pods[row]),
            current=_resources(
                s.cpu_request_cores,
                s.cpu_limit_cores,
                s.memory_request_gib,
                s.memory_limit_gib,
                row,
            ),
            krr=Resources(_opt(self.krr_cpu_request_cores[row]), None, krr_memory, krr_memory),
            proposed=_resources(
                self.cpu_request_cores,
                self.cpu_limit_cores,
                self.memory_request_gib,
                self.memory_limit_gib,
                row,
            ),
            info=self.info[row],
        )


def size_containers(
    stats: ContainerStats,
    *,
    usd_per_core_hour: float,
    usd_per_gib_hour: float,
    krr: KrrSettings | None = None,
) -> ContainerSizing:
    """Requests and limits per container (module docstring) and the workload deltas.

    KRR floor: CPU = round_up_1m(p95) ≥ 10m; memory = round_up_1MB(max × (1 + buffer)) ≥ 100 MB.
    Proposal: CPU request = round_up_1m(p95 / target utilization) ≥ the floor; CPU limit unset
    (a limit throttles at peaks with idle cores on the node: the latency the SLA protects);
    memory request = limit = the floor (memory is not compressible: the limit is the OOM line).
    Without enough samples or statistics the floor is NaN ("?") and the proposal keeps the
    current values. Deltas and cost: engine.kube.container_sizing.workload_deltas.
    """
    krr = krr or KrrSettings()
    undecided = _undecided(stats, krr)
    krr_cpu = np.where(undecided, np.nan, round_cpu_cores(stats.cpu_p95_cores, krr.cpu_min_cores))
    buffered = stats.memory_max_gib * (1.0 + krr.memory_buffer_pct / 100.0)
    krr_memory = np.where(undecided, np.nan, round_memory_gib(buffered, krr.memory_min_gib))
    wanted = round_cpu_cores(stats.cpu_p95_cores / stats.cpu_target_utilization, krr.cpu_min_cores)
    cpu = np.where(undecided, stats.cpu_request_cores, np.fmax(wanted, krr_cpu))
    memory = np.where(undecided, stats.memory_request_gib, krr_memory)
    return ContainerSizing(
        stats=stats,
        krr_cpu_request_cores=krr_cpu,
        krr_memory_gib=krr_memory,
        cpu_request_cores=cpu,
        cpu_limit_cores=np.where(undecided, stats.cpu_limit_cores, np.nan),
        memory_request_gib=memory,
        memory_limit_gib=np.where(undecided, stats.memory_limit_gib, krr_memory),
        info=tuple(NOT_ENOUGH_DATA if u else "" for u in undecided.tolist()),
        workloads=workload_deltas(
            stats,
            cpu,
            memory,
            usd_per_core_hour=usd_per_core_hour,
            usd_per_gib_hour=usd_per_gib_hour,
        ),
    )


def workload_deltas(
    stats: ContainerStats,
    cpu_request_cores: FloatArray,
    memory_request_gib: FloatArray,
    *,
    usd_per_core_hour: float,
    usd_per_gib_hour: float,
) -> WorkloadDeltas:
    """Σ over a workload's containers of (proposed − current) requests per replica, × replicas;
    monthly USD = (Δ cores × USD/core-h + Δ GiB × USD/GiB-h) × 730. Unset counts as 0."""
    s = stats
    cpu = np.nan_to_num(cpu_request_cores) - np.nan_to_num(s.cpu_request_cores)
    memory = np.nan_to_num(memory_request_gib) - np.nan_to_num(s.memory_request_gib)
    ids, first, group = np.unique(s.workload_id, return_index=True, return_inverse=True)
    cpu_per_replica = np.bincount(group, cpu, minlength=len(ids)).astype(np.float64)
    memory_per_replica = np.bincount(group, memory, minlength=len(ids)).astype(np.float64)
    replicas = s.replicas[first]
    usd_per_hour = cpu_per_replica * usd_per_core_hour + memory_per_replica * usd_per_gib_hour
    return WorkloadDeltas(
        workload_id=ids,
        replicas=replicas,
        cpu_cores_per_replica=cpu_per_replica,
        memory_gib_per_replica=memory_per_replica,
        cpu_cores=cpu_per_replica * replicas,
        memory_gib=memory_per_replica * replicas,
        monthly_cost_usd=usd_per_hour * replicas * HOURS_PER_MONTH,
    )


def round_cpu_cores(cores: FloatArray, floor_cores: float) -> FloatArray:
    """Up to a whole millicore (KRR and VPA), then at least `floor_cores`; NaN stays NaN."""
    rounded: FloatArray = np.fmax(np.ceil(np.round(cores * 1000.0, 6)) / 1000.0, floor_cores)
    return np.where(np.isnan(cores), np.nan, rounded)


def round_memory_gib(gib: FloatArray, floor_gib: float) -> FloatArray:
    """Up to a whole MB (10⁶ bytes, KRR's runner), then at least `floor_gib`; NaN stays NaN."""
    megabytes = np.ceil(np.round(gib * BYTES_PER_GIB / 1e6, 6))
    rounded: FloatArray = np.fmax(megabytes * 1e6 / BYTES_PER_GIB, floor_gib)
    return np.where(np.isnan(gib), np.nan, rounded)


def _undecided(stats: ContainerStats, krr: KrrSettings) -> npt.NDArray[np.bool_]:
    """KRR's "?": too few samples, or a statistic missing."""
    missing = np.isnan(stats.cpu_p95_cores) | np.isnan(stats.memory_max_gib)
    undecided: npt.NDArray[np.bool_] = missing | (stats.samples < krr.points_required)
    return undecided


def _resources(
    cpu_request: FloatArray,
    cpu_limit: FloatArray,
    memory_request: FloatArray,
    memory_limit: FloatArray,
    row: int,
) -> Resources:
    return Resources(
        _opt(cpu_request[row]),
        _opt(cpu_limit[row]),
        _opt(memory_request[row]),
        _opt(memory_limit[row]),
    )


def _opt(value: np.float64 | float) -> float | None:
    return None if math.isnan(value) else float(value)
