"""The series of a generated cluster (kube_history) as OpenMetrics files for promtool backfill.

Labels are the ones kube-state-metrics v2 and the kubelet's cAdvisor endpoint expose
(recommender-reference.md §"data sources"); every series exists only while its object does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.support.kube_history import (
    KSM_EVERY,
    OFFSET_S,
    PER_DAY,
    STEP_S,
    ClusterHistory,
    Floats,
    Node,
    Pod,
    Workload,
    suffix,
)

# (metric, labels, first sample, values at each sample from `first` on, sample stride)
Series = tuple[str, dict[str, str], int, Floats, int]
KSM = {"job": "kube-state-metrics"}
_SPEC_METRIC = {
    "Deployment": ("kube_deployment_spec_replicas", "deployment"),
    "StatefulSet": ("kube_statefulset_replicas", "statefulset"),
    "DaemonSet": ("kube_daemonset_status_desired_number_scheduled", "daemonset"),
}
_LABELS_METRIC = {
    "Deployment": "kube_deployment_labels",
    "StatefulSet": "kube_statefulset_labels",
    "DaemonSet": "kube_daemonset_labels",
    "CronJob": "kube_cronjob_labels",
}


def write_openmetrics(history: ClusterHistory, out_dir: Path) -> list[Path]:
    """One file per day (promtool re-reads a file per block); returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = int(history.start.timestamp()) + OFFSET_S
    days = -(-history.samples // PER_DAY)
    chunks: list[dict[str, list[str]]] = [{} for _ in range(days)]
    for name, labels, first, values, stride in series(history):
        if history.cluster is not None:
            labels = {**labels, "cluster": history.cluster}
        head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "} "
        index = np.arange(first, first + len(values) * stride, stride)
        for day in range(index[0] // PER_DAY, (index[-1] // PER_DAY) + 1 if len(index) else 0):
            keep = (index >= day * PER_DAY) & (index < (day + 1) * PER_DAY)
            times = (t0 + index[keep] * STEP_S).tolist()
            lines = [
                f"{head}{v!r} {t}\n" for t, v in zip(times, values[keep].tolist(), strict=True)
            ]
            chunks[day].setdefault(name, []).extend(lines)
    paths = []
    for day, families in enumerate(chunks):
        path = out_dir / f"day-{day:03d}.om"
        with path.open("w") as out:
            for lines in families.values():
                out.writelines(lines)
            out.write("# EOF\n")
        paths.append(path)
    return paths


def series(history: ClusterHistory) -> Iterator[Series]:
    """Every series of the cluster: nodes, namespaces, workloads, pods, containers."""
    for node in history.nodes:
        yield from _node_series(node, history.samples)
    for ns, labels in history.namespace_labels.items():
        yield _ksm("kube_namespace_labels", {"namespace": ns, **_prefixed(labels)}, 0,
                   history.samples, 1.0)  # fmt: skip
    for workload in history.workloads:
        yield from _workload_series(workload, history.samples)
        for pod in workload.pods:
            yield from _pod_series(workload, pod, history)


def _ksm(name: str, labels: dict[str, str], start: int, end: int, value: float) -> Series:
    first = start + (-start % KSM_EVERY)
    count = max(0, -(-(end - first) // KSM_EVERY))
    return name, {**KSM, **labels}, first, np.full(count, value), KSM_EVERY


def _prefixed(labels: dict[str, str]) -> dict[str, str]:
    return {f"label_{k.replace('.', '_').replace('/', '_')}": v for k, v in labels.items()}


def _node_series(node: Node, end: int) -> Iterator[Series]:
    name = node.name
    yield _ksm("kube_node_info", {"node": name, "provider_id": node.provider_id,
               "kubelet_version": "v1.30.4", "os_image": "Bottlerocket"}, 0, end, 1.0)  # fmt: skip
    labels = {
        "node": name,
        "label_node_kubernetes_io_instance_type": node.instance_type,
        "label_topology_kubernetes_io_region": node.region,
        "label_topology_kubernetes_io_zone": node.zone,
    }
    yield _ksm("kube_node_labels", labels, 0, end, 1.0)
    capacity = {"node": name, "resource": "cpu", "unit": "core"}
    yield _ksm("kube_node_status_capacity", capacity, 0, end, node.cpu_cores)
    memory = {"node": name, "resource": "memory", "unit": "byte"}
    yield _ksm("kube_node_status_capacity", memory, 0, end, node.memory_bytes)


def _workload_series(w: Workload, samples: int) -> Iterator[Series]:
    end = w.alive_until(samples)
    ns = {"namespace": w.namespace}
    if w.kind in _SPEC_METRIC:
        metric, label = _SPEC_METRIC[w.kind]
        yield _ksm(metric, {**ns, label: w.name}, 0, end, float(w.replicas))
    if w.kind in _LABELS_METRIC and w.labels:
        key = "cronjob" if w.kind == "CronJob" else w.kind.lower()
        yield _ksm(_LABELS_METRIC[w.kind], {**ns, key: w.name, **_prefixed(w.labels)}, 0, end, 1)
    for rs, owner_kind in w.replicasets:
        owner = {"owner_kind": owner_kind, "owner_name": w.name, "owner_is_controller": "true"}
        yield _ksm("kube_replicaset_owner", {**ns, "replicaset": rs, **owner}, 0, end, 1.0)
    for pod, job in zip(w.pods, w.jobs, strict=False):
        owner = {"owner_kind": "CronJob", "owner_name": w.name, "owner_is_controller": "true"}
        # A finished Job object outlives its pod (until the CronJob's history limit drops it).
        yield _ksm("kube_job_owner", {**ns, "job_name": job, **owner}, pod.start,
                   min(pod.end + 6 * 60, samples), 1.0)  # fmt: skip
    if w.hpa is not None:
        yield from _hpa_series(w, end)


def _hpa_series(w: Workload, end: int) -> Iterator[Series]:
    assert w.hpa is not None
    hpa = {"namespace": w.namespace, "horizontalpodautoscaler": w.hpa.name}
    target = {"scaletargetref_api_version": "apps/v1", "scaletargetref_kind": w.kind,
              "scaletargetref_name": w.name}  # fmt: skip
    yield _ksm("kube_horizontalpodautoscaler_info", {**hpa, **target}, 0, end, 1.0)
    yield _ksm("kube_horizontalpodautoscaler_spec_min_replicas", hpa, 0, end, w.hpa.min_replicas)
    yield _ksm("kube_horizontalpodautoscaler_spec_max_replicas", hpa, 0, end, w.hpa.max_replicas)
    metric = {**hpa, "metric_name": "cpu", "metric_target_type": "utilization"}
    value = w.hpa.target_cpu_utilization_pct
    yield _ksm("kube_horizontalpodautoscaler_spec_target_metric", metric, 0, end, value)
    current = float(w.hpa.current_replicas)
    yield _ksm("kube_horizontalpodautoscaler_status_current_replicas", hpa, 0, end, current)


def _pod_series(w: Workload, pod: Pod, history: ClusterHistory) -> Iterator[Series]:
    uid = suffix("uid", w.namespace, pod.name, n=12)
    ids = {"namespace": w.namespace, "pod": pod.name, "uid": uid}
    owner = {"owner_kind": pod.owner_kind, "owner_name": pod.owner_name}
    yield _ksm("kube_pod_owner", {**ids, **owner, "owner_is_controller": "true"}, pod.start,
               pod.end, 1.0)  # fmt: skip
    created = {"created_by_kind": pod.owner_kind, "created_by_name": pod.owner_name}
    yield _ksm("kube_pod_info", {**ids, "node": pod.node, **created}, pod.start, pod.end, 1.0)
    for c in pod.containers:
        container = {**ids, "container": c.name}
        image = {"image": f"registry.example/{c.name}:1.0"}
        yield _ksm("kube_pod_container_info", {**container, **image}, pod.start, pod.end, 1.0)
        for metric, cpu, memory in (
            ("kube_pod_container_resource_requests", c.cpu_request_cores, c.memory_request_bytes),
            ("kube_pod_container_resource_limits", c.cpu_limit_cores, c.memory_limit_bytes),
        ):
            spec = {**container, "node": pod.node}
            if cpu is not None:
                yield _ksm(metric, {**spec, "resource": "cpu", "unit": "core"}, pod.start,
                           pod.end, cpu)  # fmt: skip
            if memory is not None:
                yield _ksm(metric, {**spec, "resource": "memory", "unit": "byte"}, pod.start,
                           pod.end, memory)  # fmt: skip
        yield from _cadvisor(w, pod, c.name, history)


def _cadvisor(w: Workload, pod: Pod, container: str, history: ClusterHistory) -> Iterator[Series]:
    usage = history.usage[(w.namespace, pod.name, container)]
    labels = {
        "job": "kubelet",
        "instance": pod.node,
        "namespace": w.namespace,
        "pod": pod.name,
        "container": container,
        "image": f"registry.example/{container}:1.0",
    }
    counter = 1e4 + np.cumsum(usage.cpu_cores * STEP_S)
    yield "container_cpu_usage_seconds_total", labels, pod.start, counter, 1
    yield "container_memory_working_set_bytes", labels, pod.start, usage.memory_bytes, 1


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
