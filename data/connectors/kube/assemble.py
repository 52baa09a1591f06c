"""Query answers → workloads, nodes and what was skipped (pure: no I/O, unit-testable)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from data.connectors.kube.owners import Key, workload_key
from data.connectors.kube.specs import (
    SUPPORTED_KINDS,
    Answers,
    ContainerSpec,
    HpaSpec,
    Inventory,
    Labels,
    NodeSpec,
    Skipped,
    WorkloadSpec,
)

GIB = float(2**30)
PodKey = tuple[str, str, str]
_NOT_CONTAINERS = ("", "POD")  # the pod-level cgroup and the pause container
_PROVIDERS = {"aws": "aws", "gce": "gcp", "azure": "azure"}


def assemble(a: Answers, *, at: datetime, window_s: int) -> Inventory:
    skipped: list[Skipped] = []
    pods = _pods_by_workload(a.owners, skipped)
    containers = _containers_by_pod(a.containers, skipped)
    requests, limits = _spec_values(a.requests), _spec_values(a.limits)
    replicas = {workload_key(labels): int(value) for labels, value in a.replicas}
    labels = {workload_key(item): _stripped(item) for item in a.workload_labels}
    namespaces = {(i.get("cluster", ""), i.get("namespace", "")): _stripped(i)
                  for i in a.namespace_labels}  # fmt: skip
    hpas = _hpas(a)
    workloads = []
    for key, members in sorted(pods.items()):
        alive = [pod for pod in members if (key[0], key[1], pod) in a.alive]
        chosen = [(key[0], key[1], pod) for pod in (alive or members)]
        names = sorted({name for pod in chosen for name in containers.get(pod, ())})
        if not names:
            skipped.append(Skipped("workload", key[1], f"{key[2]}/{key[3]}", "no containers"))
            continue
        specs = tuple(_container(name, chosen, requests, limits) for name in names)
        count = replicas.get(key, 1 if key[2] == "CronJob" else len(alive))
        workloads.append(
            WorkloadSpec(*key, count, specs, labels.get(key, {}),
                         namespaces.get(key[:2], {}), hpas.get(key), len(members))
        )  # fmt: skip
    hours = window_s // 3600
    for key in sorted(set(replicas) - set(pods)):
        reason = f"no running pods in the last {hours} h (replicas {replicas[key]})"
        skipped.append(Skipped("workload", key[1], f"{key[2]}/{key[3]}", reason))
    return Inventory(at, window_s, tuple(workloads), _nodes(a), tuple(skipped))


def _pods_by_workload(owners: Iterable[Labels], skipped: list[Skipped]) -> dict[Key, list[str]]:
    pods: dict[Key, list[str]] = defaultdict(list)
    unknown: set[tuple[str, str, str]] = set()
    for item in owners:
        kind, name = item.get("workload_type", ""), item.get("workload", "")
        namespace, pod = item.get("namespace", ""), item.get("pod", "")
        if kind in ("", "<none>") or name in ("", "<none>"):
            skipped.append(Skipped("pod", namespace, pod, "no owning controller"))
        elif kind not in SUPPORTED_KINDS:
            unknown.add((namespace, kind, name))
        else:
            pods[(item.get("cluster", ""), namespace, kind, name)].append(pod)
    skipped.extend(
        Skipped("workload", ns, f"{kind}/{name}", f"owner kind {kind} is not supported")
        for ns, kind, name in sorted(unknown)
    )
    return pods


def _containers_by_pod(items: Iterable[Labels], skipped: list[Skipped]) -> dict[PodKey, set[str]]:
    out: dict[PodKey, set[str]] = defaultdict(set)
    for item in items:
        name, pod = item.get("container", ""), _pod(item)
        if name in _NOT_CONTAINERS:
            skipped.append(Skipped("container", pod[1], f"{pod[2]}/{name}", "pause or pod cgroup"))
        else:
            out[pod].add(name)
    return out


def _spec_values(items: Iterable[tuple[Labels, float]]) -> dict[tuple[PodKey, str, str], float]:
    return {(_pod(labels), labels.get("container", ""), labels.get("resource", "")): value
            for labels, value in items}  # fmt: skip


def _container(
    name: str,
    pods: list[PodKey],
    requests: dict[tuple[PodKey, str, str], float],
    limits: dict[tuple[PodKey, str, str], float],
) -> ContainerSpec:
    """The largest value among the chosen pods (during a rollout's overlap, old and new pods
    both run: the larger spec is the one the cluster must hold)."""

    def most(values: dict[tuple[PodKey, str, str], float], resource: str) -> float | None:
        found = [values[(p, name, resource)] for p in pods if (p, name, resource) in values]
        return max(found) if found else None

    def gib(value: float | None) -> float | None:
        return None if value is None else value / GIB

    return ContainerSpec(
        name,
        most(requests, "cpu"),
        most(limits, "cpu"),
        gib(most(requests, "memory")),
        gib(most(limits, "memory")),
    )


def _hpas(a: Answers) -> dict[Key, HpaSpec]:
    values: dict[str, dict[tuple[str, str, str], float]] = {
        field: {_hpa_key(labels): value for labels, value in items}
        for field, items in a.hpa_values.items()
    }
    out = {}
    for info in a.hpa_info:
        hpa = _hpa_key(info)
        target = (hpa[0], hpa[1], info.get("scaletargetref_kind", ""),
                  info.get("scaletargetref_name", ""))  # fmt: skip
        low, high = values.get("min", {}).get(hpa), values.get("max", {}).get(hpa)
        out[target] = HpaSpec(
            hpa[2],
            None if low is None else int(low),
            None if high is None else int(high),
            values.get("target", {}).get(hpa),
        )
    return out


def _nodes(a: Answers) -> tuple[NodeSpec, ...]:
    labels = {_node_key(item): item for item in a.node_labels}
    info = {_node_key(item): item for item in a.node_info}
    capacity = {(_node_key(item), item.get("resource", "")): v for item, v in a.node_capacity}
    nodes = []
    for key in sorted(set(labels) | set(info)):
        tags, provider_id = labels.get(key, {}), info.get(key, {}).get("provider_id", "")
        memory = capacity.get((key, "memory"))
        nodes.append(
            NodeSpec(
                *key,
                instance_type=_first(tags, "node_kubernetes_io_instance_type",
                                     "beta_kubernetes_io_instance_type"),
                provider=_PROVIDERS.get(provider_id.split(":", 1)[0], "unknown"),
                region=_first(tags, "topology_kubernetes_io_region",
                              "failure_domain_beta_kubernetes_io_region"),
                zone=_first(tags, "topology_kubernetes_io_zone",
                            "failure_domain_beta_kubernetes_io_zone"),
                cpu_cores=capacity.get((key, "cpu")),
                memory_gib=None if memory is None else memory / GIB,
            )
        )  # fmt: skip
    return tuple(nodes)


def _first(tags: Labels, *names: str) -> str:
    return next((tags[f"label_{n}"] for n in names if tags.get(f"label_{n}")), "unknown")


def _stripped(labels: Labels) -> dict[str, str]:
    """kube-state-metrics' `label_<name>` series labels, without the prefix."""
    return {k.removeprefix("label_"): v for k, v in labels.items() if k.startswith("label_")}


def _pod(labels: Labels) -> PodKey:
    return labels.get("cluster", ""), labels.get("namespace", ""), labels.get("pod", "")


def _hpa_key(labels: Labels) -> tuple[str, str, str]:
    return (labels.get("cluster", ""), labels.get("namespace", ""),
            labels.get("horizontalpodautoscaler", ""))  # fmt: skip


def _node_key(labels: Labels) -> tuple[str, str]:
    return labels.get("cluster", ""), labels.get("node", "")
