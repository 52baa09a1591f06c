"""Billing REST API errors: one hierarchy under `DataError`, never a raw `requests` exception.

Messages name the API by host only: never the key, the URL's credentials or its query.
"""

from data.errors import DataError

# The words the Data sources page looks for in a failed refresh_costs run.
CREDENTIALS_INVALID = "credentials invalid"


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


class CircuitOpen(BillingApiError):
    """The breaker is open: the API failed repeatedly; no request was sent."""


class RequestRejected(BillingApiError):
    """The API refused the request itself (another 4xx, a redirect): retrying cannot help."""


class MalformedPage(BillingApiError):
    """A 200 whose body breaks the documented contract (docs/billing_api.md)."""


class PaginationError(BillingApiError):
    """The pages do not add up: a token or a page came twice, or too many pages."""
