"""The generated cluster's workloads: Deployments with rollouts, a StatefulSet, a DaemonSet,
a CronJob, an HPA, two Deployments whose containers are both `app`, and things to skip."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.support.kube_history import (
    MIB,
    NODES,
    PER_DAY,
    PER_HOUR,
    ContainerSpec,
    Hpa,
    Pod,
    Workload,
    suffix,
)

ROLLOUT_OVERLAP = PER_HOUR  # old and new ReplicaSets' pods overlap an hour
CRON_EVERY = 6 * PER_HOUR
JOB_LIFE = 15


def fleet(samples: int, rng: np.random.Generator) -> list[Workload]:
    """Every workload of the cluster, supported and not."""
    counts = {"shop": 18, "payments": 10, "data": 8, "platform": 6, "web": 8}
    out = [_ordinary(ns, i, samples, rng) for ns, count in counts.items() for i in range(count)]
    out += [
        _deployment("shop", "cart", (_spec("app", rng), _spec("envoy", rng, limits=False)), 2,
                    samples, rollout_at=samples // 3),
        _deployment("shop", "catalog", (_spec("app", rng),), 3, samples),
        _deployment("web", "legacy-api", (_spec("legacy-api", rng),), 2, samples,
                    end=samples // 2),
        _deployment("payments", "idle-worker", (_spec("idle-worker", rng),), 0, samples),
        _checkout(samples, rng),
        _statefulset(samples, rng),
        _daemonset(samples, rng),
        _cronjob(samples, rng),
        _deployment("platform", "canary", (_spec("canary", rng),), 1, samples, owner="Rollout"),
        _bare_pod(samples, rng),
    ]  # fmt: skip
    return out


def _ordinary(ns: str, i: int, samples: int, rng: np.random.Generator) -> Workload:
    name = f"{ns}-svc-{i:02d}"
    containers: tuple[ContainerSpec, ...] = (_spec(name, rng),)
    if i % 4 == 1:
        containers += (_spec("envoy", rng, limits=False),)
    rollout = int(rng.integers(PER_DAY // 2, samples - PER_DAY // 2)) if i % 3 == 0 else None
    return _deployment(ns, name, containers, 1 + i % 3, samples, rollout_at=rollout)


def _spec(name: str, rng: np.random.Generator, *, limits: bool = True) -> ContainerSpec:
    cpu = float(rng.choice([0.05, 0.1, 0.25, 0.5, 1.0]))
    memory = float(rng.choice([64, 128, 256, 512, 1024])) * MIB
    return ContainerSpec(
        name,
        cpu,
        cpu * 2 if limits else None,
        memory,
        memory * 2 if limits else None,
        cpu_level_cores=cpu * float(rng.uniform(0.2, 1.2)),
        memory_base_bytes=memory * float(rng.uniform(0.3, 0.9)),
    )


def _deployment(
    ns: str,
    name: str,
    containers: tuple[ContainerSpec, ...],
    replicas: int,
    samples: int,
    *,
    rollout_at: int | None = None,
    end: int | None = None,
    owner: str = "Deployment",
    hpa: Hpa | None = None,
) -> Workload:
    """Pods of one ReplicaSet, or of two around a rollout (which also raises the requests)."""
    life = samples if end is None else end
    old_rs = f"{name}-{suffix(ns, name, 'rs0', n=9)}"
    if rollout_at is None:
        pods = _replica_pods(old_rs, containers, replicas, 0, life)
        return Workload(ns, owner, name, replicas, containers, pods, _labels(ns, name),
                        ((old_rs, owner),), hpa=hpa, end=end)  # fmt: skip
    new_rs = f"{name}-{suffix(ns, name, 'rs1', n=9)}"
    bigger = tuple(replace(c, cpu_request_cores=(c.cpu_request_cores or 0.1) * 1.5)
                   for c in containers)  # fmt: skip
    pods = _replica_pods(old_rs, containers, replicas, 0, rollout_at + ROLLOUT_OVERLAP)
    pods += _replica_pods(new_rs, bigger, replicas, rollout_at, life)
    return Workload(ns, owner, name, replicas, bigger, pods, _labels(ns, name),
                    ((old_rs, owner), (new_rs, owner)), hpa=hpa, end=end)  # fmt: skip


def _replica_pods(
    rs: str, containers: tuple[ContainerSpec, ...], replicas: int, start: int, end: int
) -> tuple[Pod, ...]:
    return tuple(
        Pod(f"{rs}-{suffix(rs, r)}", "ReplicaSet", rs, _node(rs, r), start, end, containers)
        for r in range(replicas)
    )


def _labels(ns: str, name: str) -> dict[str, str]:
    # Every fifth workload names its own team, overriding its namespace's.
    return {"app": name, **({"team": "team-owners"} if sum(map(ord, name)) % 5 == 0 else {})}


def _node(*parts: object) -> str:
    return NODES[int(suffix(*parts, n=4), 16) % len(NODES)].name


def _checkout(samples: int, rng: np.random.Generator) -> Workload:
    hpa = Hpa("checkout", min_replicas=2, max_replicas=6, target_cpu_utilization_pct=70.0,
              current_replicas=3)  # fmt: skip
    # Over-provisioned on purpose (usage a fifth of the requests, drawn after the same rng
    # calls as before so the other workloads keep their numbers): the one HPA workload must
    # get a shrink, sized together with its HPA, for the end-to-end container test to see it.
    containers = tuple(
        replace(spec, cpu_level_cores=(spec.cpu_request_cores or 0.0) * 0.2)
        for spec in (_spec("checkout", rng), _spec("envoy", rng, limits=False))
    )
    return _deployment("payments", "checkout", containers, 3, samples, rollout_at=samples // 2,
                       hpa=hpa)  # fmt: skip


def _statefulset(samples: int, rng: np.random.Generator) -> Workload:
    containers = (_spec("postgres", rng), _spec("exporter", rng))
    pods = tuple(Pod(f"postgres-{i}", "StatefulSet", "postgres", _node("pg", i), 0, samples,
                     containers) for i in range(3))  # fmt: skip
    return Workload("data", "StatefulSet", "postgres", 3, containers, pods, _labels("data", "pg"))


def _daemonset(samples: int, rng: np.random.Generator) -> Workload:
    containers = (_spec("agent", rng),)
    pods = tuple(Pod(f"node-agent-{suffix('ds', n.name)}", "DaemonSet", "node-agent", n.name, 0,
                     samples, containers) for n in NODES)  # fmt: skip
    return Workload("platform", "DaemonSet", "node-agent", len(NODES), containers, pods,
                    _labels("platform", "node-agent"))  # fmt: skip


def _cronjob(samples: int, rng: np.random.Generator) -> Workload:
    containers = (_spec("report", rng),)
    jobs = tuple(f"nightly-report-{29_000_000 + k}" for k in range(samples // CRON_EVERY))
    pods = tuple(
        Pod(f"{job}-{suffix(job)}", "Job", job, _node(job), k * CRON_EVERY + 5,
            k * CRON_EVERY + 5 + JOB_LIFE, containers)
        for k, job in enumerate(jobs)
    )  # fmt: skip
    return Workload("data", "CronJob", "nightly-report", 1, containers, pods,
                    _labels("data", "nightly-report"), jobs=jobs)  # fmt: skip


def _bare_pod(samples: int, rng: np.random.Generator) -> Workload:
    containers = (_spec("shell", rng),)
    pod = Pod("debug-shell", "<none>", "<none>", NODES[0].name, 0, samples, containers)
    return Workload("platform", "Pod", "debug-shell", 1, containers, (pod,))
