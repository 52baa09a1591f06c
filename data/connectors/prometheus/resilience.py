"""The shared retry policy and breaker; this package's breaker refuses with `CircuitOpen`."""

from __future__ import annotations

from data.connectors import resilience
from data.connectors.prometheus.errors import CircuitOpen
from data.connectors.resilience import RetryPolicy

__all__ = ["CircuitBreaker", "RetryPolicy"]


class CircuitBreaker(resilience.CircuitBreaker):
    """One per Prometheus per process; an open circuit raises `TelemetryError` `CircuitOpen`."""

    refused = CircuitOpen
