"""A discovered workload as a catalogued service: slug, team, environment, SLA, capacity."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from data.connectors.kube.specs import NodeSpec, WorkloadSpec
from data.repos.services import NewService
from data.settings import Settings
from engine.capacity import CapacityConfig
from engine.service import Environment, Sla

# The "standard" policy class's middle targets (the demo fleet's catalog defaults): a
# discovered workload promises what most services do until someone says otherwise.
DEFAULT_SLA = Sla(latency_p95_target_ms=300.0, availability_target_pct=99.9, max_error_rate_pct=1.0)
_KIND_SLUG = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "CronJob": "cronjob"}
_ENVIRONMENTS: dict[str, Environment] = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging",
    "dev": "dev", "development": "dev", "test": "dev", "qa": "dev", "sandbox": "dev",
}  # fmt: skip
_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")
MAX_SLUG = 120


@dataclass(frozen=True, slots=True)
class KubeConfig:
    """The TIGHTROPE_KUBE_* settings discovery needs."""

    cluster: str = "default"
    window_s: int = 24 * 3600
    team_label: str = "team"
    team_by_namespace: Mapping[str, str] = field(default_factory=dict)
    environment_label: str = "environment"
    environment_by_namespace: Mapping[str, str] = field(default_factory=dict)
    default_environment: Environment = "prod"

    @classmethod
    def from_settings(cls, settings: Settings) -> KubeConfig:
        return cls(
            cluster=settings.kube_cluster,
            window_s=settings.kube_discovery_window_h * 3600,
            team_label=settings.kube_team_label,
            team_by_namespace=dict(settings.kube_team_by_namespace),
            environment_label=settings.kube_environment_label,
            environment_by_namespace=dict(settings.kube_environment_by_namespace),
            default_environment=settings.kube_default_environment,
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a cluster's nodes are: the most common provider and region, and how many zones."""

    provider: str
    region: str
    zones: int = 1


def placements(nodes: Sequence[NodeSpec]) -> dict[str, Placement]:
    """Cluster label → its nodes' most common provider and region."""
    out = {}
    for cluster in sorted({n.cluster_label for n in nodes}):
        mine = [n for n in nodes if n.cluster_label == cluster]
        provider = Counter(n.provider for n in mine).most_common(1)[0][0]
        region = Counter(n.region for n in mine).most_common(1)[0][0]
        zones = len({n.zone for n in mine if n.zone})
        out[cluster] = Placement(provider[:20], region[:40], max(zones, 1))
    return out


def cluster_name(workload: WorkloadSpec, config: KubeConfig) -> str:
    return workload.cluster_label or config.cluster


def slug(workload: WorkloadSpec) -> str:
    """`[cluster.]namespace.kind.name`, lower-case and slug-safe; a hash keeps long ones unique."""
    parts = [workload.cluster_label] if workload.cluster_label else []
    parts += [workload.namespace, _KIND_SLUG.get(workload.kind, workload.kind), workload.name]
    text = _SLUG_BAD.sub("-", ".".join(parts).lower()).strip("-.") or "workload"
    if len(text) <= MAX_SLUG and text[0].isalnum():
        return text
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()[:10]
    return f"k{text[: MAX_SLUG - 13]}-{digest}"


def draft(workload: WorkloadSpec, config: KubeConfig, placement: Placement | None) -> NewService:
    team = _team(workload, config)[:80]
    where = placement or Placement("unknown", "unknown")
    return NewService(
        slug=slug(workload),
        name=f"{workload.namespace}/{workload.name}"[:200],
        team=team,
        owner=team,
        environment=_environment(workload, config),
        platform="kubernetes",
        provider=where.provider,
        region=where.region,
        policy_class="standard",
        sla=DEFAULT_SLA,
        telemetry_selector=telemetry_selector(workload),
    )


def telemetry_selector(workload: WorkloadSpec) -> dict[str, Any]:
    """The `workload` mapping shape (data.connectors.prometheus.mapping)."""
    raw = {"kind": "workload", "namespace": workload.namespace,
           "workload_kind": workload.kind, "workload": workload.name}  # fmt: skip
    if workload.cluster_label:
        raw["cluster"] = workload.cluster_label
    return raw


def capacity(workload: WorkloadSpec, cluster_zones: int = 1) -> CapacityConfig:
    """Replicas and one pod's summed requests; the HPA's minimum is the floor when one scales it.

    Zones: pod placement is not read (kube-state-metrics' pod → node join is not collected), so
    the replicas are taken as spread over the cluster's node zones, as the scheduler's default
    topology spread places them. Counting one zone instead made every multi-zone workload fail
    the availability rule and turned its proposals into costly Restore-SLA changes (decision 021).
    """
    cpu, memory = workload.cpu_request_cores, workload.memory_request_gib
    floor = workload.hpa.min_replicas if workload.hpa and workload.hpa.min_replicas else None
    minimum = min(floor if floor is not None else workload.replicas, workload.replicas)
    zones = max(1, min(workload.replicas, cluster_zones))
    return CapacityConfig(
        "kubernetes", workload.replicas, minimum, zones, cpu, memory, None, cpu, memory
    )


def _team(workload: WorkloadSpec, config: KubeConfig) -> str:
    label = _label_key(config.team_label)
    return (
        config.team_by_namespace.get(workload.namespace)
        or workload.labels.get(label)
        or workload.namespace_labels.get(label)
        or workload.namespace
    )


def _environment(workload: WorkloadSpec, config: KubeConfig) -> Environment:
    label = _label_key(config.environment_label)
    for raw in (
        config.environment_by_namespace.get(workload.namespace),
        workload.labels.get(label),
        workload.namespace_labels.get(label),
    ):
        if raw and raw.lower() in _ENVIRONMENTS:
            return _ENVIRONMENTS[raw.lower()]
    return config.default_environment


def _label_key(name: str) -> str:
    """kube-state-metrics' spelling of a Kubernetes label name (`app.kubernetes.io/team` →
    `app_kubernetes_io_team`), as the `label_` series labels carry it."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)
