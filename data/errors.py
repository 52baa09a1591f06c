"""The data layer's exceptions, one base class; pages show them as warnings.

    DataError
    ├── NotFound, CatalogError, CatalogFileError, SeedError, InvalidInput
    │   └── NothingToReplay, SimulationTooLarge          (what-if runs, data/scenario_runs.py)
    ├── SimulatorBusy                                   (every what-if run slot is taken)
    ├── WorkerLost                                      (a pool worker died mid-run, data/pool.py)
    ├── Conflict, RecommendationChanged, Forbidden, InvalidTransition, Drifted,
    │   BlastRadiusExceeded                             (the decision workflow and guarded writes)
    ├── ParseCancelled                                  (a FOCUS parse stopped on request)
    ├── FocusIngestError                                (a FOCUS file or delivery was refused)
    │   ├── UnsupportedContent, InvalidEncoding, TooManyRows, MissingColumns
    │   └── FileRejected, MalformedFile, DeliveryIncomplete, DeliveryRefused, ScopeConflict
    ├── BillingApiError                                 (the billing REST API)
    │   ├── CredentialsInvalid, BillingApiCircuitOpen, RequestRejected
    │   ├── MalformedPage, PaginationError
    │   └── BillingApiUnavailable
    │       └── BillingApiTimeout
    └── TelemetryError                                  (the Prometheus connector)
        ├── InvalidSelector, PrometheusUnavailable, PrometheusCircuitOpen
        ├── PrometheusAuthError
        │   └── PrometheusTlsError
        ├── DiscoveryEmpty                              (Kubernetes discovery found no pods)
        └── PrometheusQueryError
            └── MalformedResponse

The engine's errors (engine/errors.py, EngineError), the sidecar's (jobs/errors.py, JobsError)
and the dashboard's (dashboard/errors.py, DashboardError) have their own bases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data.connectors.focus.report import ValidationReport


class DataError(Exception):
    """Base class of every error the data layer raises."""


class NotFound(DataError):
    """A row the caller named does not exist."""


class CatalogError(DataError):
    """The pricing catalog files are missing or malformed."""


class CatalogFileError(DataError):
    """The service catalog file is unreadable or invalid; nothing was imported."""


class SeedError(DataError):
    """The demo fleet could not be seeded."""


class Conflict(DataError):
    """Someone else changed the row since the caller read it: review again."""


class RecommendationChanged(DataError):
    """A concurrent writer committed first (UPDATE … WHERE version = … matched no row)."""

    def __init__(self, recommendation_id: int) -> None:
        super().__init__(f"recommendation {recommendation_id} changed under us")
        self.recommendation_id = recommendation_id


class Forbidden(DataError):
    """The actor's role does not allow the action."""


class InvalidTransition(DataError):
    """The recommendation or change is not in a state the action may start from."""


class InvalidInput(DataError):
    """A decision's input is not acceptable (blank reason, postponement in the past)."""


class NothingToReplay(InvalidInput):
    """The service has no capacity config or no hourly usage in the window to simulate."""


class SimulationTooLarge(InvalidInput):
    """A what-if run would replay more paths x hours than the edge allows."""


class SimulatorBusy(DataError):
    """As many what-if runs as allowed are running; retry shortly."""


class WorkerLost(DataError):
    """A worker of a shared pool (data/pool.py) died mid-run; the pool was restarted: retry."""


class Drifted(DataError):
    """The live config no longer equals what the action expects to replace."""


class BlastRadiusExceeded(DataError):
    """A bulk action touches more than the configured caps allow; nothing was changed."""


class ParseCancelled(DataError):
    """The caller's `cancelled` answered True between two batches: the parse stopped."""


# FOCUS files: each message says what to fix.


class FocusIngestError(DataError):
    """Base class: the file was not ingested and the database is unchanged."""


class UnsupportedContent(FocusIngestError):
    """The bytes are not a CSV, gzip-compressed CSV or Parquet file (whatever the name says)."""


class InvalidEncoding(FocusIngestError):
    """The text is not UTF-8; the message names the first bad line."""


class TooManyRows(FocusIngestError):
    """The file holds more rows (or columns, or row groups) than the configured caps."""


class MissingColumns(FocusIngestError):
    """Columns the cost figures need are absent (after applying the FOCUS 1.0–1.3 aliases)."""


class FileRejected(FocusIngestError):
    """Row-level errors (unparseable cost, date or currency): the report lists them."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class MalformedFile(FocusIngestError):
    """The CSV or Parquet structure itself is broken (the message says where)."""


class DeliveryIncomplete(FocusIngestError):
    """Parts the delivery names are missing: it is held, not loaded, until they arrive."""

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


class DeliveryRefused(FocusIngestError):
    """The files do not make one delivery (a manifest unreadable or not naming them all)."""


class ScopeConflict(FocusIngestError):
    """A scope overlaps a stored one without being the same (another period or provider name):
    replacing either would drop money and adding both would count it twice."""


# The billing REST API: never a raw `requests` exception; messages name the API by host only
# (never the key, the URL's credentials or its query).


class BillingApiError(DataError):
    """Base class: the period was not loaded and the database is unchanged."""


class CredentialsInvalid(BillingApiError):
    """The API answered 401/403: the key is missing, expired or revoked (never retried)."""


class BillingApiUnavailable(BillingApiError):
    """Refused, timed out, or answered 429/5xx (retried with backoff, counted by the breaker)."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BillingApiTimeout(BillingApiUnavailable):
    """No connection, or no bytes of a page, within the configured timeouts."""


class BillingApiCircuitOpen(BillingApiError):
    """The breaker is open: the API failed repeatedly; no request was sent."""


class RequestRejected(BillingApiError):
    """The API refused the request itself (another 4xx, a redirect): retrying cannot help."""


class MalformedPage(BillingApiError):
    """A 200 whose body breaks the documented contract (docs/billing_api.md)."""


class PaginationError(BillingApiError):
    """The pages do not add up: a token or a page came twice, or too many pages."""


# Prometheus telemetry: never a raw `requests` exception.


class TelemetryError(DataError):
    """Base class of everything the Prometheus connector raises."""


class InvalidSelector(TelemetryError):
    """A service's telemetry mapping or a label value cannot be turned into a safe selector."""


class PrometheusUnavailable(TelemetryError):
    """Prometheus refused, timed out or answered 5xx/429 (retried, counted by the breaker)."""


class PrometheusAuthError(TelemetryError):
    """Prometheus answered 401/403: credentials are missing or invalid (never retried)."""


class PrometheusTlsError(PrometheusAuthError):
    """The TLS handshake failed: the server's certificate is not trusted (CA bundle), or our
    client certificate was refused or is unusable. A kind of auth error: a configuration fault
    that no retry mends, so it stops the run as a rejected password does."""


class PrometheusQueryError(TelemetryError):
    """Prometheus rejected a query (4xx) or answered something that is not a PromQL result."""


class PrometheusSampleLimit(PrometheusQueryError):
    """Prometheus refused a query as loading too many samples (HTTP 422); a smaller one may pass."""


class PrometheusCircuitOpen(TelemetryError):
    """The circuit breaker is open: Prometheus failed repeatedly; no request was sent."""


class DiscoveryEmpty(TelemetryError):
    """Kubernetes discovery found no pods at all: nothing is stored and nothing is retired."""


class MalformedResponse(PrometheusQueryError):
    """Prometheus (or something in front of it) answered 200 with a body that is not a result."""


# --- Hand-off of an applied change (data.handoff, decision 023) ---


class HandoffError(DataError):
    """A change could not be handed off: its patch is invalid, or git refused it."""


class InvalidPatch(HandoffError):
    """A generated patch does not match the Kubernetes OpenAPI schema of its kind."""


class GitOpsFailed(HandoffError):
    """A git command of the hand-off failed (the message never carries credentials)."""
