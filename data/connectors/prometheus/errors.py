"""Telemetry errors: one hierarchy under `DataError`, never a raw `requests` exception."""

from data.errors import DataError


class TelemetryError(DataError):
    """Base class of everything the Prometheus connector raises."""


class InvalidSelector(TelemetryError):
    """A service's telemetry mapping or a label value cannot be turned into a safe selector."""


class PrometheusUnavailable(TelemetryError):
    """Prometheus refused, timed out or answered 5xx/429 (retried, counted by the breaker)."""


class PrometheusAuthError(TelemetryError):
    """Prometheus answered 401/403: credentials are missing or invalid (never retried)."""


class PrometheusQueryError(TelemetryError):
    """Prometheus rejected a query (4xx) or answered something that is not a PromQL result."""


class CircuitOpen(TelemetryError):
    """The circuit breaker is open: Prometheus failed repeatedly; no request was sent."""


class MalformedResponse(PrometheusQueryError):
    """Prometheus (or something in front of it) answered 200 with a body that is not a result."""
