"""Prometheus connector: per-service telemetry mappings → pre-aggregated PromQL → hourly usage.

The sidecar builds one `PrometheusClient` per process (its circuit breaker is shared by every
run) and calls `collect_usage`, which never raises connector errors: they land in the report.
"""

from data.connectors.prometheus.client import ClientStats, PrometheusClient, QueryResult, Series
from data.connectors.prometheus.collect import collect_usage
from data.connectors.prometheus.config import CollectConfig
from data.connectors.prometheus.mapping import TelemetryMapping, TelemetryTarget
from data.connectors.prometheus.report import CollectReport, ResourceSpec, SafetySignals
from data.connectors.prometheus.resilience import CircuitBreaker, RetryPolicy
from data.connectors.prometheus.targets import ServiceIssue, load_targets
from data.errors import (
    InvalidSelector,
    MalformedResponse,
    PrometheusAuthError,
    PrometheusCircuitOpen,
    PrometheusQueryError,
    PrometheusSampleLimit,
    PrometheusUnavailable,
    TelemetryError,
)

__all__ = [
    "CircuitBreaker",
    "ClientStats",
    "CollectConfig",
    "CollectReport",
    "InvalidSelector",
    "MalformedResponse",
    "PrometheusAuthError",
    "PrometheusCircuitOpen",
    "PrometheusClient",
    "PrometheusQueryError",
    "PrometheusSampleLimit",
    "PrometheusUnavailable",
    "QueryResult",
    "ResourceSpec",
    "RetryPolicy",
    "SafetySignals",
    "Series",
    "ServiceIssue",
    "TelemetryError",
    "TelemetryMapping",
    "TelemetryTarget",
    "collect_usage",
    "load_targets",
]
