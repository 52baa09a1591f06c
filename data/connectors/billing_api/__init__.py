"""Billing REST API connector: paged FOCUS line items → one staged delivery → the FOCUS path.

The contract is docs/billing_api.md. The sidecar holds one `BillingApiClient` per process (its
breaker spans runs) and calls `ingest_period` for each billing period a run covers.
"""

from data.connectors.billing_api.client import (
    CREDENTIALS_INVALID,
    BillingApiClient,
    CircuitBreaker,
    Timeouts,
)
from data.connectors.billing_api.contract import Page, PagePayload, parse_page
from data.connectors.billing_api.pull import (
    SOURCE,
    PageSource,
    StagedPeriod,
    billing_periods,
    ingest_period,
    pull_period,
)
from data.errors import (
    BillingApiCircuitOpen,
    BillingApiError,
    BillingApiTimeout,
    BillingApiUnavailable,
    CredentialsInvalid,
    MalformedPage,
    PaginationError,
    RequestRejected,
)

__all__ = [
    "CREDENTIALS_INVALID",
    "SOURCE",
    "BillingApiCircuitOpen",
    "BillingApiClient",
    "BillingApiError",
    "BillingApiTimeout",
    "BillingApiUnavailable",
    "CircuitBreaker",
    "CredentialsInvalid",
    "MalformedPage",
    "Page",
    "PagePayload",
    "PageSource",
    "PaginationError",
    "RequestRejected",
    "StagedPeriod",
    "Timeouts",
    "billing_periods",
    "ingest_period",
    "parse_page",
    "pull_period",
]
