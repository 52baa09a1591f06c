"""Node cost allocated to workloads by max(request, usage) share, idle capacity as its own line.

OpenCost's method (spec/opencost-specv01.md, "Workload Costs" and "Idle Costs"): a container is
charged for the greater of what it reserved and what it used, per resource; what no container
holds is the cluster's idle cost. One row is one node (or one node-hour: pass a window as
node-hour rows and container-hour rows and every sum below still holds).

          node CPU capacity (cores) ─────────────────────────────┐
    ┌──────────────┬──────────┬──────────────────────────────────┐
    │ max(req,use) │ max(...) │               idle               │   capacity ≥ Σ max(req, use)
    │ container a  │ cont. b  │   (node CPU cost × free / cap)   │
    └──────────────┴──────────┴──────────────────────────────────┘
    overcommitted (Σ max(req, use) > capacity): cost split by share of the sum, idle = 0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.catalog import Catalog
from engine.errors import UnknownRegion

IntArray = npt.NDArray[np.intp]
StrArray = npt.NDArray[np.str_]
BoolArray = npt.NDArray[np.bool_]
# OpenCost's default custom prices (configs/default.json, "based on GCP us-central1"): the
# marginal rates that split a node's price when the catalog has no per-resource prices.
OPENCOST_CPU_USD_PER_CORE_HOUR = 0.031611
OPENCOST_MEMORY_USD_PER_GIB_HOUR = 0.004237


@dataclass(frozen=True, slots=True)
class CostSplit:
    """How a node's price divides into CPU and memory.

    By prices (the default): each node's CPU share = cores × cpu price / (cores × cpu price +
    GiB × memory price), the OpenCost spec's Appendix A — marginal rates scaled so the parts
    sum to the node's price, so the share follows the node's shape. By ratio: `cpu_share` of
    every node's price is CPU (Goldilocks uses 0.5), whatever its shape.
    """

    cpu_usd_per_core_hour: float = OPENCOST_CPU_USD_PER_CORE_HOUR
    memory_usd_per_gib_hour: float = OPENCOST_MEMORY_USD_PER_GIB_HOUR
    cpu_share: float | None = None

    def __post_init__(self) -> None:
        if self.cpu_share is not None and not 0.0 <= self.cpu_share <= 1.0:
            raise ValueError("cpu_share must lie within [0, 1]")
        if min(self.cpu_usd_per_core_hour, self.memory_usd_per_gib_hour) < 0:
            raise ValueError("per-resource prices must be >= 0")

    def cpu_shares(self, cpu_cores: FloatArray, memory_gib: FloatArray) -> FloatArray:
        """Per node, the share of its price that is CPU (rule in the class docstring)."""
        if self.cpu_share is not None:
            return np.full(len(cpu_cores), self.cpu_share)
        cpu = cpu_cores * self.cpu_usd_per_core_hour
        total = cpu + memory_gib * self.memory_usd_per_gib_hour
        shares: FloatArray = np.divide(cpu, total, out=np.full(len(cpu), 0.5), where=total > 0)
        return shares


def cost_split_for(catalog: Catalog, region: str) -> CostSplit:
    """Split by the catalog's Kubernetes per-core and per-GiB prices in `region` when it has
    them (the provider's own marginal rates), else by OpenCost's default rates."""
    try:
        usd_per_core_hour, usd_per_gib_hour = catalog.k8s_usd_per_hour(region)
    except UnknownRegion:
        return CostSplit()
    return CostSplit(usd_per_core_hour, usd_per_gib_hour)


@dataclass(frozen=True, slots=True)
class Nodes:
    """Nodes (or node-hours) as parallel arrays: cost per row, capacity and the cluster."""

    node_id: StrArray
    cluster_id: StrArray
    cost_usd: FloatArray  # what the row costs: an hour's price for a node-hour
    cpu_cores: FloatArray
    memory_gib: FloatArray

    def __post_init__(self) -> None:
        _aligned(self.node_id, self.cluster_id, self.cost_usd, self.cpu_cores, self.memory_gib)
        if len(self.cost_usd) and min(self.cost_usd.min(), self.cpu_cores.min()) < 0:
            raise ValueError("node cost and capacity must be >= 0")
        if len(self.memory_gib) and self.memory_gib.min() < 0:
            raise ValueError("node capacity must be >= 0")


@dataclass(frozen=True, slots=True)
class Containers:
    """Containers (or container-hours) as parallel arrays; `node` indexes Nodes' rows.

    NaN marks an unset request or a missing usage sample: it counts as 0.
    """

    workload_id: StrArray
    node: IntArray
    cpu_request_cores: FloatArray
    cpu_usage_cores: FloatArray
    memory_request_gib: FloatArray
    memory_usage_gib: FloatArray

    def __post_init__(self) -> None:
        columns = (self.cpu_request_cores, self.cpu_usage_cores)
        _aligned(self.workload_id, self.node, *columns, self.memory_request_gib)
        _aligned(self.workload_id, self.memory_usage_gib)


@dataclass(frozen=True, slots=True)
class Allocation:
    """USD per workload (CPU, memory, total) and per cluster idle, over the rows given.

    sum(workload total_usd) + sum(idle_usd) == sum(node cost_usd) to float precision.
    `overcommitted_cpu` / `overcommitted_memory` flag the nodes whose containers held more than
    their capacity: there the cost is split by share of the sum and nothing is idle.
    """

    workload_id: StrArray
    cpu_usd: FloatArray
    memory_usd: FloatArray
    cluster_id: StrArray
    idle_cpu_usd: FloatArray
    idle_memory_usd: FloatArray
    overcommitted_cpu: BoolArray
    overcommitted_memory: BoolArray

    @property
    def total_usd(self) -> FloatArray:
        """CPU + memory USD per workload."""
        total: FloatArray = self.cpu_usd + self.memory_usd
        return total

    @property
    def idle_usd(self) -> FloatArray:
        """CPU + memory idle USD per cluster."""
        total: FloatArray = self.idle_cpu_usd + self.idle_memory_usd
        return total


def allocate(nodes: Nodes, containers: Containers, *, split: CostSplit) -> Allocation:
    """Allocate every node's cost to the containers on it, then sum by workload and cluster.

    Per node and resource: resource cost = node cost × share (`split`); a container's charge
    = resource cost × max(request, usage) / max(Σ max(request, usage), capacity); idle = the
    rest. Summing by workload and by cluster keeps every dollar: workloads + idle = nodes.
    """
    nodes_given = len(nodes.node_id)
    if (
        len(containers.node)
        and not 0 <= containers.node.min() <= containers.node.max() < nodes_given
    ):
        raise ValueError("a container's node index is outside the nodes given")
    cpu_share = split.cpu_shares(nodes.cpu_cores, nodes.memory_gib)
    cpu = _resource(
        nodes.cost_usd * cpu_share,
        nodes.cpu_cores,
        containers.node,
        _held(containers.cpu_request_cores, containers.cpu_usage_cores),
    )
    memory = _resource(
        nodes.cost_usd * (1.0 - cpu_share),
        nodes.memory_gib,
        containers.node,
        _held(containers.memory_request_gib, containers.memory_usage_gib),
    )
    workloads, by_workload = np.unique(containers.workload_id, return_inverse=True)
    clusters, by_cluster = np.unique(nodes.cluster_id, return_inverse=True)
    return Allocation(
        workload_id=workloads,
        cpu_usd=_sum_by(by_workload, cpu.charged_usd, len(workloads)),
        memory_usd=_sum_by(by_workload, memory.charged_usd, len(workloads)),
        cluster_id=clusters,
        idle_cpu_usd=_sum_by(by_cluster, cpu.idle_usd, len(clusters)),
        idle_memory_usd=_sum_by(by_cluster, memory.idle_usd, len(clusters)),
        overcommitted_cpu=cpu.overcommitted,
        overcommitted_memory=memory.overcommitted,
    )


@dataclass(frozen=True, slots=True)
class _Charged:
    charged_usd: FloatArray  # per container
    idle_usd: FloatArray  # per node
    overcommitted: BoolArray  # per node


def _held(request: FloatArray, usage: FloatArray) -> FloatArray:
    """max(request, usage), NaN (unset, unsampled) as 0, never negative."""
    held: FloatArray = np.maximum(np.nan_to_num(request), np.nan_to_num(usage)).clip(min=0.0)
    return held


def _resource(
    cost_usd: FloatArray, capacity: FloatArray, node: IntArray, held: FloatArray
) -> _Charged:
    """One resource's charge per container and idle per node (rule of `allocate`)."""
    held_on_node = _sum_by(node, held, len(cost_usd))
    overcommitted = held_on_node > capacity
    base = np.maximum(held_on_node, capacity)
    # held / base ≤ 1 (never cost / base: a near-zero capacity would overflow); a node with
    # neither capacity nor holders charges nobody and is all idle.
    base_here = base[node]
    share = np.divide(held, base_here, out=np.zeros(len(held)), where=base_here > 0)
    charged = cost_usd[node] * share
    idle = cost_usd - _sum_by(node, charged, len(cost_usd))
    # Overcommitted nodes hand out exactly their cost; what is left there is rounding only.
    idle = np.where(overcommitted, 0.0, np.maximum(idle, 0.0))
    return _Charged(charged, idle, overcommitted)


def _sum_by(group: IntArray, values: FloatArray, groups: int) -> FloatArray:
    """Σ values per group (np.bincount with weights, typed as the float array it returns)."""
    summed: FloatArray = np.bincount(group, values, minlength=groups).astype(np.float64)
    return summed


def _aligned(*columns: npt.NDArray[np.generic]) -> None:
    shapes = {np.shape(column) for column in columns}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"columns must be 1-D and aligned, got shapes {sorted(shapes)}")
