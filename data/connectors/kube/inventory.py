"""What a cluster runs, read from kube-state-metrics through Prometheus (about 15 instant
queries, each one result vector whatever the cluster's size)."""

from __future__ import annotations

from datetime import datetime

from data.connectors.kube.assemble import assemble
from data.connectors.kube.owners import pod_owner_expr
from data.connectors.kube.specs import Answers, Inventory, Labels
from data.connectors.prometheus.client import PrometheusClient

_KIND_METRICS = (
    ("Deployment", "deployment", "kube_deployment_spec_replicas", "kube_deployment_labels"),
    ("StatefulSet", "statefulset", "kube_statefulset_replicas", "kube_statefulset_labels"),
    ("DaemonSet", "daemonset", "kube_daemonset_status_desired_number_scheduled",
     "kube_daemonset_labels"),
    ("CronJob", "cronjob", None, "kube_cronjob_labels"),
)  # fmt: skip


def read_inventory(client: PrometheusClient, *, at: datetime, window_s: int) -> Inventory:
    """Workloads with a pod in (at - window, at], their containers, replicas, HPA and labels,
    and the nodes; what cannot become a service is in `skipped` with the reason."""
    answers = fetch(client, at=at, window_s=window_s)
    return assemble(answers, at=at, window_s=window_s)


def fetch(client: PrometheusClient, *, at: datetime, window_s: int) -> Answers:
    w = f"[{window_s}s]"

    def labels(promql: str) -> list[Labels]:
        return [s.labels for s in client.query(promql, at=at).series]

    def valued(promql: str) -> list[tuple[Labels, float]]:
        return [(s.labels, float(s.values[-1])) for s in client.query(promql, at=at).series]

    spec_by = "cluster, namespace, pod, container, resource"
    resources = '{resource=~"cpu|memory"}'
    container_by = "cluster, namespace, pod, container"
    return Answers(
        owners=labels(pod_owner_expr(window_s=window_s)),
        alive={_pod_key(s) for s in labels("group by (cluster, namespace, pod) (kube_pod_owner)")},
        containers=labels(f"group by ({container_by}) (max_over_time(kube_pod_container_info{w}))"),
        requests=valued(
            f"max by ({spec_by}) "
            f"(last_over_time(kube_pod_container_resource_requests{resources}{w}))"
        ),
        limits=valued(
            f"max by ({spec_by}) (last_over_time(kube_pod_container_resource_limits{resources}{w}))"
        ),
        replicas=valued(_per_kind(2, w)),
        workload_labels=labels(_per_kind(3, w)),
        namespace_labels=labels(f"last_over_time(kube_namespace_labels{w})"),
        hpa_info=labels(f"last_over_time(kube_horizontalpodautoscaler_info{w})"),
        hpa_values={
            name: valued(f"last_over_time(kube_horizontalpodautoscaler_{metric}{w})")
            for name, metric in (
                ("min", "spec_min_replicas"),
                ("max", "spec_max_replicas"),
                (
                    "target",
                    'spec_target_metric{metric_name="cpu",metric_target_type="utilization"}',
                ),
            )
        },
        node_info=labels(f"last_over_time(kube_node_info{w})"),
        node_labels=labels(f"last_over_time(kube_node_labels{w})"),
        node_capacity=valued(
            f'last_over_time(kube_node_status_capacity{{resource=~"cpu|memory"}}{w})'
        ),
    )


def _per_kind(column: int, window: str) -> str:
    """One query over the per-kind metrics (`column` 2: replicas, 3: labels), each series
    relabelled with {workload, workload_type} so the kinds share one shape."""
    parts = []
    for kind, label, *metrics in _KIND_METRICS:
        metric = metrics[column - 2]
        if metric is None:
            continue
        named = (
            f'label_replace(last_over_time({metric}{window}), "workload", "$1", "{label}", "(.*)")'
        )
        parts.append(f'label_replace({named}, "workload_type", "{kind}", "", "")')
    return " or ".join(parts)


def _pod_key(labels: Labels) -> tuple[str, str, str]:
    return labels.get("cluster", ""), labels.get("namespace", ""), labels.get("pod", "")
