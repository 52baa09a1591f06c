"""The generated cluster at a chosen size (benches): `workloads` Deployments and friends over
namespaces of about 50, a third of the Deployments with a rollout, plus the special workloads
of kube_fleet (StatefulSet, DaemonSet, CronJob, HPA, the two 'app' Deployments)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from tests.support.kube_fleet import (
    _checkout,
    _cronjob,
    _daemonset,
    _deployment,
    _ordinary,
    _spec,
    _statefulset,
)
from tests.support.kube_history import (
    HISTORY_END,
    NODES,
    PER_DAY,
    ClusterHistory,
    Workload,
    _usage,
)

PER_NAMESPACE = 50


def generate_sized(workloads: int, days: int, *, seed: int = 11) -> ClusterHistory:
    """`workloads` supported workloads (>= 10) over `days` (>= 2: rollouts need a day's room)."""
    if workloads < 10 or days < 2:
        raise ValueError("at least 10 workloads and 2 days")
    samples = days * PER_DAY
    rng = np.random.default_rng(seed)
    fleet = _special(samples, rng)
    namespaces = max(1, (workloads - len(fleet)) // PER_NAMESPACE)
    fleet += [
        _ordinary(f"ns-{i % namespaces:02d}", i, samples, rng)
        for i in range(workloads - len(fleet))
    ]
    usage = {
        (w.namespace, pod.name, c.name): _usage(pod, c, rng)
        for w in fleet
        for pod in w.pods
        for c in pod.containers
    }
    namespace_labels = {w.namespace: {"team": f"team-{w.namespace}"} for w in fleet}
    return ClusterHistory(
        HISTORY_END - timedelta(days=days), samples, tuple(fleet), NODES, namespace_labels, usage
    )


def _special(samples: int, rng: np.random.Generator) -> list[Workload]:
    return [
        _deployment(
            "shop",
            "cart",
            (_spec("app", rng), _spec("envoy", rng, limits=False)),
            2,
            samples,
            rollout_at=samples // 3,
        ),
        _deployment("shop", "catalog", (_spec("app", rng),), 3, samples),
        _checkout(samples, rng),
        _statefulset(samples, rng),
        _daemonset(samples, rng),
        _cronjob(samples, rng),
    ]
