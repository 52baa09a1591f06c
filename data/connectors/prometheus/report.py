"""What one collection run did and cost: services stored, issues, requests, bytes, seconds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from data.connectors.prometheus.targets import ServiceIssue

GIB = float(2**30)
STALE_KINDS = frozenset({"failed", "partial", "skipped"})


@dataclass(frozen=True, slots=True)
class SafetySignals:
    """Undersizing evidence over the collected window (kube-state-metrics, cAdvisor)."""

    throttled_ratio_max: float | None
    oom_killed_containers: int


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """Requests and limits per replica from kube-state-metrics at the window end."""

    cpu_request_cores: float | None
    memory_request_gib: float | None
    cpu_limit_cores: float | None
    memory_limit_gib: float | None


@dataclass(frozen=True, slots=True)
class CollectReport:
    """Outcome of one run; `stale` is True when some service could not be refreshed.

    `queries` counts HTTP requests (retries and sample-limit splits included); `splits` how
    many queries were refused for loading too many samples and split in two; `query_s` is the
    part of `wall_s` spent before storing (planning, querying, parsing).
    """

    window_end: datetime
    services: int
    services_written: int
    up_to_date: int
    rows_written: int
    queries: int
    bytes_received: int
    retries: int
    warnings: tuple[str, ...]
    issues: tuple[ServiceIssue, ...]
    signals: Mapping[int, SafetySignals]
    resources: Mapping[int, ResourceSpec]
    circuit_open: bool
    error: str | None
    wall_s: float = 0.0
    query_s: float = 0.0
    splits: int = 0

    @property
    def services_failed(self) -> int:
        """Services with hours to collect that this run could not refresh (data left stale)."""
        return sum(1 for issue in self.issues if issue.kind in STALE_KINDS)

    @property
    def stale(self) -> bool:
        return self.error is not None or self.services_failed > 0

    @property
    def services_fresh(self) -> int:
        """Services whose usage is current after this run: stored now, or nothing was new."""
        return self.services_written + self.up_to_date

    @property
    def services_mapped(self) -> int:
        return self.services - sum(1 for i in self.issues if i.kind == "invalid_mapping")

    @property
    def services_queried(self) -> int:
        """Services this run had hours to collect for (the denominators below)."""
        return max(0, self.services_mapped - self.up_to_date)

    @property
    def bytes_per_service(self) -> float:
        return self.bytes_received / max(1, self.services_queried)

    @property
    def seconds_per_service(self) -> float:
        return self.wall_s / max(1, self.services_queried)

    def summary(self) -> str:
        """One line for logs and the job ledger: "partial: 800 of 1,000 services (failed); 70
        requests, 8.4 MB, 12.0 s (8.4 kB, 12 ms per service)"."""
        head = f"{self.services_fresh:,} of {self.services_mapped:,} services"
        no_data = sum(1 for i in self.issues if i.kind == "no_data")
        head += f", {no_data:,} without data" if no_data else ""
        if self.stale:
            kinds = ", ".join(sorted({i.kind for i in self.issues if i.kind in STALE_KINDS}))
            outcome = "partial" if self.services_written else "failed"
            head = f"{outcome}: {head} ({kinds or self.error})"
        return (
            f"{head}; {self.queries:,} requests, {self.bytes_received / 1e6:,.1f} MB, "
            f"{self.wall_s:,.1f} s ({self.bytes_per_service / 1e3:,.1f} kB, "
            f"{self.seconds_per_service * 1e3:,.0f} ms per service)"
        )


def safety_signals(
    values: Mapping[str, float], throttled_hourly: Mapping[int, float], *, first_hour: int
) -> SafetySignals:
    """The worst throttled hour since `first_hour` and the OOM-killed container count."""
    ratios = [v for h, v in throttled_hourly.items() if h >= first_hour and _finite(v)]
    return SafetySignals(
        throttled_ratio_max=max(ratios) if ratios else None,
        oom_killed_containers=int(values.get("oom_killed_containers", 0.0)),
    )


def resource_spec(values: Mapping[str, float]) -> ResourceSpec:
    def gib(name: str) -> float | None:
        value = values.get(name)
        return value / GIB if value is not None else None

    return ResourceSpec(
        cpu_request_cores=values.get("requests:cpu"),
        memory_request_gib=gib("requests:memory"),
        cpu_limit_cores=values.get("limits:cpu"),
        memory_limit_gib=gib("limits:memory"),
    )


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")
