"""Synthetic cAdvisor, kube-state-metrics, node_exporter and HTTP history with known shapes.

Samples sit at hh:mm:30 every 5 minutes, so each clock hour owns exactly its 12 samples. CPU and
request rates are constant within an hour per series, which makes `rate(...[1h])` at the hour
end equal the generated level; the expected hourly values below are computed from the same
arrays the OpenMetrics files are written from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
STEP_S = 300
OFFSET_S = 30
PER_HOUR = 3600 // STEP_S
LE_BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, float("inf"))
# Cumulative share of requests at or below each bound: a calm hour and a busy hour.
_CALM_CDF = np.array([0.55, 0.85, 0.96, 0.995, 1.0, 1.0])
_BUSY_CDF = np.array([0.25, 0.55, 0.85, 0.97, 0.995, 1.0])
GIB = float(2**30)


@dataclass(frozen=True)
class K8sService:
    """One Deployment: per-pod hourly CPU levels, per-sample memory, specs, HTTP traffic."""

    namespace: str
    container: str
    cpu_cores: Floats  # (pods, hours), constant within each hour
    memory_bytes: Floats  # (pods, hours * 12)
    cpu_request: float = 0.5
    cpu_limit: float = 1.0
    memory_request_bytes: float = 512 * 2**20
    memory_limit_bytes: float = 1024 * 2**20
    throttle_ratio: float = 0.0
    oom_from_hour: int | None = None
    rps: Floats | None = None  # (hours,) whole service; None: no HTTP series
    error_fraction: float = 0.0
    busy: Floats | None = None  # (hours,) 0..1 mixes the calm and busy latency CDFs
    http_job: str | None = None  # HTTP series labelled {job=...} instead of pod labels

    @property
    def pods(self) -> int:
        return int(self.cpu_cores.shape[0])

    def mapping(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"namespace": self.namespace, "container": self.container}
        if self.rps is None:
            raw["http"] = False
        elif self.http_job is not None:
            raw["http"] = {"job": self.http_job}
        return raw


@dataclass(frozen=True)
class NodeService:
    """A VM service seen by node_exporter: busy cores per hour, memory used per sample."""

    job: str
    busy_cores: Floats  # (hours,)
    memory_used_bytes: Floats  # (hours * 12,)
    cpus: int = 4
    memory_total_bytes: float = 16 * GIB

    def mapping(self) -> dict[str, Any]:
        return {"kind": "node", "job": self.job, "http": False}


Service = K8sService | NodeService


@dataclass(frozen=True)
class Expected:
    """Hourly values a correct collector stores (p95 CPU only bounded: it straddles hours)."""

    cpu_used_mean_cores: Floats
    cpu_p95_low: Floats
    cpu_p95_high: Floats
    memory_used_max_gib: Floats
    requests_per_s: Floats
    latency_p95_ms: Floats
    error_rate_pct: Floats


def demo_services(
    hours: int, *, count: int = 0, seed: int = 7, special: bool = True
) -> list[Service]:
    """The test fleet (hostile names included; `special=False` drops it) plus `count`
    ordinary k8s services spread over 8 namespaces."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours, dtype=np.float64)
    daily = 0.5 + 0.5 * np.sin(2 * np.pi * (t - 6) / 24)
    weekday = ((t // 24) % 7 < 5).astype(np.float64)
    fleet: list[Service] = [
        K8sService(
            namespace="pay",
            container="a.b",
            cpu_cores=np.vstack([0.2 + 0.6 * daily, 0.1 + 0.3 * daily]),
            memory_bytes=_sawtooth(2, hours, base=300e6, amplitude=100e6),
            throttle_ratio=0.2,
            rps=50 + 150 * daily,
            error_fraction=0.01,
            busy=daily,
        ),
        K8sService(
            namespace="pay",
            container="axb",
            cpu_cores=np.full((1, hours), 0.25),
            memory_bytes=np.full((1, hours * PER_HOUR), 200e6),
            oom_from_hour=hours - 72,
            rps=np.full(hours, 20.0),
            error_fraction=0.05,
            busy=np.zeros(hours),
        ),
        K8sService(
            namespace="web",
            container="api",
            cpu_cores=np.vstack([0.3 + 0.9 * weekday] * 3),
            memory_bytes=_sawtooth(3, hours, base=800e6, amplitude=200e6),
        ),
        K8sService(
            namespace="edge",
            container="gw",
            cpu_cores=(0.5 + 0.5 * daily)[None, :],
            memory_bytes=np.full((1, hours * PER_HOUR), 150e6),
            rps=100 + 100 * daily,
            error_fraction=0.002,
            busy=daily,
            http_job='edge "gw" \\ 1',
        ),
        NodeService(
            job="vm-batch",
            busy_cores=1.0 + 2.0 * weekday,
            memory_used_bytes=np.repeat(4 * GIB + 2 * GIB * weekday, PER_HOUR),
        ),
    ]
    if not special:
        fleet.clear()
    for i in range(count):
        level = 0.1 + rng.uniform(0.1, 1.5)
        fleet.append(
            K8sService(
                namespace=f"team-{i % 8}",
                container=f"svc-{i:04d}",
                cpu_cores=(level * (0.4 + 0.6 * daily))[None, :],
                memory_bytes=_sawtooth(1, hours, base=rng.uniform(1e8, 2e9), amplitude=5e7),
                throttle_ratio=float(rng.uniform(0, 0.1)),
                rps=rng.uniform(5, 500) * (0.3 + 0.7 * daily),
                error_fraction=float(rng.uniform(0, 0.02)),
                busy=daily,
            )
        )
    return fleet


def write_openmetrics(services: Sequence[Service], *, start: datetime, out_dir: Path) -> list[Path]:
    """One OpenMetrics file per day of history (timestamps in seconds, ending `# EOF`)."""
    hours = _hours(services[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = int(start.timestamp())
    files = []
    for day in range(hours // 24):
        path = out_dir / f"day-{day:03d}.om"
        with path.open("w") as out:
            families: dict[str, list[str]] = {}
            for service in services:
                for name, labels, values in _series(service):
                    chunk = values[day * 24 * PER_HOUR : (day + 1) * 24 * PER_HOUR]
                    times = t0 + day * 86400 + OFFSET_S + STEP_S * np.arange(len(chunk))
                    families.setdefault(name, []).extend(_lines(name, labels, times, chunk))
            for lines in families.values():
                out.writelines(lines)
            out.write("# EOF\n")
        files.append(path)
    return files


def expected(service: Service) -> Expected:
    """What the hourly usage of `service` must be."""
    if isinstance(service, NodeService):
        cpu = service.busy_cores
        hours = len(cpu)
        memory = service.memory_used_bytes.reshape(hours, PER_HOUR).max(axis=1) / GIB
        nan = np.full(hours, np.nan)  # no HTTP metrics: the request rate is unknown, not 0
        return Expected(cpu, *_p95_bounds(cpu), memory, nan, nan, nan)
    cpu = service.cpu_cores.sum(axis=0)
    hours = len(cpu)
    memory = service.memory_bytes.reshape(service.pods, hours, PER_HOUR).max(axis=2).sum(axis=0)
    if service.rps is None:
        nan = np.full(hours, np.nan)
        return Expected(cpu, *_p95_bounds(cpu), memory / GIB, nan, nan, nan)
    assert service.busy is not None
    latency = np.array([histogram_quantile(0.95, _cdf(b)) for b in service.busy]) * 1000.0
    return Expected(
        cpu,
        *_p95_bounds(cpu),
        memory / GIB,
        service.rps,
        latency,
        np.full(hours, 100.0 * service.error_fraction),
    )


def _series(service: Service) -> Iterator[tuple[str, dict[str, str], Floats]]:
    """(metric name, labels, one value per sample) for every series of a service."""
    if isinstance(service, NodeService):
        yield from _node_series(service)
        return
    n = service.cpu_cores.shape[1] * PER_HOUR
    for p in range(service.pods):
        pod = {"namespace": service.namespace, "pod": f"{service.container}-{p}",
               "container": service.container}  # fmt: skip
        yield "container_cpu_usage_seconds_total", pod, _counter(service.cpu_cores[p])
        yield "container_memory_working_set_bytes", pod, service.memory_bytes[p]
        for resource, request, limit, unit in (
            ("cpu", service.cpu_request, service.cpu_limit, "core"),
            ("memory", service.memory_request_bytes, service.memory_limit_bytes, "byte"),
        ):
            spec = {**pod, "resource": resource, "unit": unit}
            yield "kube_pod_container_resource_requests", spec, np.full(n, request)
            yield "kube_pod_container_resource_limits", spec, np.full(n, limit)
        periods = np.full(service.cpu_cores.shape[1], 10.0)
        yield "container_cpu_cfs_periods_total", pod, _counter(periods)
        yield (
            "container_cpu_cfs_throttled_periods_total",
            pod,
            _counter(periods * service.throttle_ratio),
        )
        if service.oom_from_hour is not None and p == 0:
            flag = (np.arange(n) >= service.oom_from_hour * PER_HOUR).astype(np.float64)
            yield "kube_pod_container_status_last_terminated_reason", {
                **pod, "reason": "OOMKilled"}, flag  # fmt: skip
        if service.rps is not None:
            yield from _http_series(service, pod, p)


def _http_series(
    service: K8sService, pod: dict[str, str], p: int
) -> Iterator[tuple[str, dict[str, str], Floats]]:
    assert service.rps is not None
    assert service.busy is not None
    if service.http_job is not None and p > 0:
        return
    share = 1.0 if service.http_job is not None else 1.0 / service.pods
    labels = {"job": service.http_job} if service.http_job is not None else pod
    rps = service.rps * share
    yield (
        "http_requests_total",
        {**labels, "code": "200"},
        _counter(rps * (1 - service.error_fraction)),
    )
    if service.error_fraction > 0:
        yield (
            "http_requests_total",
            {**labels, "code": "503"},
            _counter(rps * service.error_fraction),
        )
    cdfs = np.array([_cdf(b) for b in service.busy])  # (hours, buckets)
    for i, le in enumerate(LE_BOUNDS):
        bound = "+Inf" if le == float("inf") else repr(le)
        yield (
            "http_request_duration_seconds_bucket",
            {**labels, "le": bound},
            _counter(rps * cdfs[:, i]),
        )


def _node_series(service: NodeService) -> Iterator[tuple[str, dict[str, str], Floats]]:
    base = {"job": service.job, "instance": f"{service.job}:9100"}
    per_cpu = service.busy_cores / service.cpus
    for cpu in range(service.cpus):
        labels = {**base, "cpu": str(cpu)}
        yield "node_cpu_seconds_total", {**labels, "mode": "user"}, _counter(per_cpu * 0.7)
        yield "node_cpu_seconds_total", {**labels, "mode": "system"}, _counter(per_cpu * 0.3)
        yield "node_cpu_seconds_total", {**labels, "mode": "idle"}, _counter(1.0 - per_cpu)
    n = len(service.memory_used_bytes)
    yield "node_memory_MemTotal_bytes", base, np.full(n, service.memory_total_bytes)
    yield (
        "node_memory_MemAvailable_bytes",
        base,
        (service.memory_total_bytes - service.memory_used_bytes),
    )


def _counter(per_second: Floats) -> Floats:
    """Counter samples for a rate constant within each hour (started far from zero)."""
    before = np.concatenate([[0.0], np.cumsum(per_second * 3600.0)[:-1]])
    offsets = OFFSET_S + STEP_S * np.arange(PER_HOUR, dtype=np.float64)
    return (1e6 + before[:, None] + per_second[:, None] * offsets[None, :]).ravel()


def _sawtooth(pods: int, hours: int, *, base: float, amplitude: float) -> Floats:
    """Memory climbing within each hour to a per-hour peak that follows a daily wave."""
    t = np.arange(hours * PER_HOUR, dtype=np.float64)
    ramp = (t % PER_HOUR) / (PER_HOUR - 1)
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * (t // PER_HOUR) / 24)
    return np.vstack([base * (1 + 0.1 * p) + amplitude * wave * ramp for p in range(pods)])


def _cdf(busy: float) -> Floats:
    return (1 - busy) * _CALM_CDF + busy * _BUSY_CDF


def histogram_quantile(q: float, cdf: Floats, bounds: Sequence[float] = LE_BOUNDS) -> float:
    """Prometheus's bucketQuantile over cumulative bucket counts `cdf` with upper `bounds`
    (the last +Inf): linear interpolation inside the bucket holding the rank."""
    rank = q * cdf[-1]
    b = int(np.searchsorted(cdf[:-1], rank, side="left"))
    if b == len(cdf) - 1:
        return bounds[-2]
    lower = 0.0 if b == 0 else bounds[b - 1]
    below = 0.0 if b == 0 else cdf[b - 1]
    return float(lower + (bounds[b] - lower) * (rank - below) / (cdf[b] - below))


def _p95_bounds(cpu: Floats) -> tuple[Floats, Floats]:
    previous = np.concatenate([[cpu[0]], cpu[:-1]])
    return np.minimum(cpu, previous), np.maximum(cpu, previous)


def _hours(service: Service) -> int:
    if isinstance(service, NodeService):
        return len(service.busy_cores)
    return int(service.cpu_cores.shape[1])


def _lines(name: str, labels: dict[str, str], times: Any, values: Floats) -> list[str]:
    head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "} "
    return [f"{head}{v!r} {t}\n" for t, v in zip(times.tolist(), values.tolist(), strict=True)]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def history_start(end: datetime, days: int) -> datetime:
    return end - timedelta(days=days)
