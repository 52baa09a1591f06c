"""Per-service telemetry mapping, read from the catalog's `telemetry_selector` JSON.

Accepted shapes (label values are exact, never regexes):

    {"namespace": "payments", "container": "checkout"}            cAdvisor + kube-state-metrics
    {"kind": "node", "job": "checkout-vm"}                         node_exporter instances
    {"job": "checkout-vm"}                                         same (no `container`: node)
    {"kind": "workload", "namespace": "shop", "workload_kind": "Deployment",
     "workload": "cart", "cluster": "..." (optional)}              a discovered workload
                                                                   (WorkloadMapping: parsed,
                                                                   not collected yet)
    optional on the first two: "cluster": "...",
        "http": {"job": "checkout", "route": "/pay"} | false       HTTP SLI labels (default: the
                                                                   resource labels; false: none)
        "status_label": "code" | "status" | "status_code"          label holding the HTTP status
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from data.connectors.prometheus.selectors import check_label_name, check_value
from data.errors import InvalidSelector

Kind = Literal["kubernetes", "node"]
Labels = tuple[tuple[str, str], ...]

_RESOURCE_LABELS: dict[Kind, frozenset[str]] = {
    "kubernetes": frozenset({"cluster", "namespace", "container"}),
    "node": frozenset({"cluster", "job", "instance"}),
}
_REQUIRED: dict[Kind, tuple[frozenset[str], ...]] = {
    "kubernetes": (frozenset({"namespace"}), frozenset({"container"})),
    "node": (frozenset({"job", "instance"}),),
}
_HTTP_LABELS = frozenset(
    {"cluster", "namespace", "container", "job", "instance", "service", "route", "handler"}
)
_WORKLOAD_FIELDS = ("namespace", "workload_kind", "workload")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
_STATUS_LABELS = frozenset({"code", "status", "status_code"})
# The label that differs between services batched into one query; the others must be equal.
_VARYING = ("container", "service", "job", "instance", "route", "handler", "namespace", "cluster")


@dataclass(frozen=True, slots=True)
class TelemetryMapping:
    """Where one service's series live: resource labels and, optionally, HTTP SLI labels."""

    kind: Kind
    resource: Labels
    http: Labels | None
    status_label: str = "code"

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TelemetryMapping:
        """Validate a catalog entry; raises InvalidSelector naming what is wrong."""
        if not isinstance(raw, Mapping) or not raw:
            raise InvalidSelector("telemetry_selector is empty")
        kind = _kind(raw)
        resource = _labels(
            {k: v for k, v in raw.items() if k not in {"kind", "http", "status_label"}},
            allowed=_RESOURCE_LABELS[kind],
            what=f"{kind} selector",
        )
        names = {name for name, _ in resource}
        for alternatives in _REQUIRED[kind]:
            if not names & alternatives:
                raise InvalidSelector(f"{kind} selector needs one of {sorted(alternatives)}")
        status_label = raw.get("status_label", "code")
        if status_label not in _STATUS_LABELS:
            raise InvalidSelector(f"status_label must be one of {sorted(_STATUS_LABELS)}")
        return cls(kind, resource, _http(raw.get("http", True), resource), status_label)


@dataclass(frozen=True, slots=True)
class TelemetryTarget:
    """A service to collect: its id, slug (for messages) and mapping."""

    service_id: int
    slug: str
    mapping: TelemetryMapping


@dataclass(frozen=True, slots=True)
class WorkloadMapping:
    """A workload found by Kubernetes discovery (data.connectors.kube); its usage needs the
    owner-chain join, which the collector does not run yet, so targets reports it."""

    namespace: str
    workload_kind: str
    workload: str
    cluster: str | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> WorkloadMapping:
        unknown = sorted(set(raw) - {"kind", *_WORKLOAD_FIELDS, "cluster"})
        if unknown:
            raise InvalidSelector(f"workload selector: unknown keys {unknown}")
        values = {}
        for name in (*_WORKLOAD_FIELDS, "cluster"):
            value = raw.get(name)
            if value is None and name == "cluster":
                continue
            if not isinstance(value, str) or not value:
                raise InvalidSelector(f"workload selector: {name} must be non-empty text")
            values[name] = check_value(value)
        if values["workload_kind"] not in WORKLOAD_KINDS:
            raise InvalidSelector(f"workload_kind must be one of {list(WORKLOAD_KINDS)}")
        return cls(**values)

    def describe(self) -> str:
        return f"{self.workload_kind} {self.namespace}/{self.workload}"


def is_workload(raw: Any) -> bool:
    return isinstance(raw, Mapping) and raw.get("kind") == "workload"


def group_key(labels: Labels) -> tuple[tuple[str, ...], str, Labels]:
    """(label names, the varying label, the fixed labels): services sharing it share queries."""
    names = tuple(name for name, _ in labels)
    varying = next(name for name in (*_VARYING, *names) if name in names)
    return names, varying, tuple(item for item in labels if item[0] != varying)


def _kind(raw: Mapping[str, Any]) -> Kind:
    kind = raw.get("kind")
    if kind is None:
        return "kubernetes" if "container" in raw else "node"
    if kind not in _RESOURCE_LABELS:
        raise InvalidSelector(f"kind must be 'kubernetes' or 'node', got {kind!r}")
    return "kubernetes" if kind == "kubernetes" else "node"


def _http(raw: Any, resource: Labels) -> Labels | None:
    if raw is False or raw is None:
        return None
    if raw is True:
        return resource
    if not isinstance(raw, Mapping):
        raise InvalidSelector("http must be an object of labels or false")
    return _labels(raw, allowed=_HTTP_LABELS, what="http selector")


def _labels(raw: Mapping[str, Any], *, allowed: frozenset[str], what: str) -> Labels:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InvalidSelector(f"{what}: unknown labels {unknown}; allowed {sorted(allowed)}")
    if not raw:
        raise InvalidSelector(f"{what} has no labels")
    items = []
    for name in sorted(raw):
        value = raw[name]
        if not isinstance(value, str) or not value:
            raise InvalidSelector(f"{what}: {name} must be non-empty text")
        items.append((check_label_name(name), check_value(value)))
    return tuple(items)
