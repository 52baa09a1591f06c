"""The pod → workload owner chain in PromQL, from kube-state-metrics alone (no kube API).

The shape follows kubernetes-mixin's `namespace_workload_pod:kube_pod_owner:relabel` rules:

    kube_pod_owner{owner_kind="ReplicaSet"} ──replicaset──► kube_replicaset_owner ─► Deployment
                                                                         (or Rollout, <none> …)
    kube_pod_owner{owner_kind="Job"}        ──job_name────► kube_job_owner        ─► CronJob
                                                                         (or <none>: a bare Job)
    kube_pod_owner{any other owner_kind}    ─────────────────────────────────────► itself
                                                       (StatefulSet, DaemonSet, Node, <none> …)

The result has one series per pod, valued 1, labelled {cluster, namespace, pod, workload,
workload_type}; `workload_type` is the owner's kind as kube-state-metrics spells it, unknown
kinds included, so the caller decides what it supports and reports the rest. Usage per
workload joins it onto cAdvisor series:

    sum by (namespace, workload, workload_type, container) (
      rate(container_cpu_usage_seconds_total{container!="", container!="POD"}[75s])
      * on (cluster, namespace, pod) group_left (workload, workload_type) <pod_owner_expr()>
    )

`cluster` sits in every grouping: a Prometheus holding one cluster (no such label) matches on
the empty value, one holding several never joins a pod to another cluster's ReplicaSet.
"""

from __future__ import annotations

from collections.abc import Mapping

from data.connectors.prometheus.selectors import quote

OUT_LABELS = ("cluster", "namespace", "pod", "workload", "workload_type")
_BY = "cluster, namespace, pod, workload, workload_type"
Key = tuple[str, str, str, str]  # (cluster label, namespace, workload kind, workload name)


def workload_key(labels: Mapping[str, str]) -> Key:
    """The workload a series of the owner join (or a query grouped by its labels) names."""
    return (labels.get("cluster", ""), labels.get("namespace", ""),
            labels.get("workload_type", ""), labels.get("workload", ""))  # fmt: skip


def pod_owner_expr(
    *, window_s: int | None = None, matchers: Mapping[str, str] | None = None
) -> str:
    """Pod → workload. With `window_s`, every pod seen in the last `window_s` seconds before
    the evaluation time (`max_over_time`: discovery); without, the pods alive at each
    evaluation step (an instant vector a range query can join onto usage series).
    `matchers` are exact label values (cluster, namespace) applied to every input series."""
    extra = [f"{name}={quote(value)}" for name, value in sorted((matchers or {}).items())]

    def series(metric: str, own: str) -> str:
        inside = ",".join([own, *extra] if own else extra)
        selected = f"{metric}{{{inside}}}" if inside else metric
        return f"max_over_time({selected}[{window_s}s])" if window_s else selected

    via_replicaset = _via_parent(
        series("kube_pod_owner", 'owner_kind="ReplicaSet"'),
        series("kube_replicaset_owner", ""),
        parent_label="replicaset",
    )
    via_job = _via_parent(
        series("kube_pod_owner", 'owner_kind="Job"'),
        series("kube_job_owner", ""),
        parent_label="job_name",
    )
    direct = _rename_owner(series("kube_pod_owner", 'owner_kind!~"ReplicaSet|Job"'))
    return f"max by ({_BY}) (\n  {via_replicaset}\n  or {via_job}\n  or {direct}\n)"


def _via_parent(pods: str, parents: str, *, parent_label: str) -> str:
    """Pods owned by a ReplicaSet/Job, relabelled with that parent's own owner. `topk` keeps
    one owner per parent (two kube-state-metrics replicas, or an owner changed within the
    window, would otherwise make the join many-to-many and fail the whole query)."""
    keyed = f'label_replace({pods}, "{parent_label}", "$1", "owner_name", "(.*)")'
    owner_of_parent = (
        f"topk by (cluster, namespace, {parent_label}) (1, "
        f"max by (cluster, namespace, {parent_label}, owner_kind, owner_name) ({parents}))"
    )
    joined = (
        f"({keyed} * on (cluster, namespace, {parent_label}) "
        f"group_left (owner_kind, owner_name) {owner_of_parent})"
    )
    return _rename_owner(joined)


def _rename_owner(expr: str) -> str:
    """owner_name → workload, owner_kind → workload_type."""
    named = f'label_replace({expr}, "workload", "$1", "owner_name", "(.*)")'
    return f'label_replace({named}, "workload_type", "$1", "owner_kind", "(.*)")'
