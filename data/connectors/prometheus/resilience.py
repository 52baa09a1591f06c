"""Shared retry policy and breaker; this package's breaker refuses with `PrometheusCircuitOpen`."""

from __future__ import annotations

from data.connectors import resilience
from data.connectors.resilience import RetryPolicy
from data.errors import PrometheusCircuitOpen

__all__ = ["CircuitBreaker", "RetryPolicy"]


class CircuitBreaker(resilience.CircuitBreaker):
    """One per Prometheus per process; an open circuit raises `PrometheusCircuitOpen`."""

    refused = PrometheusCircuitOpen
