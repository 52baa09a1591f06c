"""The billing REST API over `requests`: timeouts, bounded retries with Retry-After, a breaker."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from data.connectors import resilience
from data.connectors.billing_api.contract import Page, parse_page
from data.connectors.resilience import Resilience, RetryPolicy
from data.errors import (
    BillingApiCircuitOpen,
    BillingApiTimeout,
    BillingApiUnavailable,
    CredentialsInvalid,
    MalformedPage,
    RequestRejected,
)
from data.settings import Settings

log = logging.getLogger(__name__)
# The words the Data sources page looks for in a failed refresh_costs run.
CREDENTIALS_INVALID = "credentials invalid"
COSTS_PATH = "/costs"
_CHUNK_BYTES = 64 * 1024
_MAX_DETAIL = 200


class CircuitBreaker(resilience.CircuitBreaker):
    """One per billing API per process; an open circuit raises `BillingApiCircuitOpen`."""

    refused = BillingApiCircuitOpen


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Connect and per-read socket timeouts; `page_s` also bounds the whole body of one page."""

    connect_s: float = 5.0
    read_s: float = 30.0

    @property
    def page_s(self) -> float:
        return self.connect_s + self.read_s


class BearerKey(requests.auth.AuthBase):
    """`Authorization: Bearer <key>`: set per request, so netrc never replaces it and requests
    drops it on a cross-host redirect (which we do not follow anyway). Its repr hides the key."""

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        return request

    def __repr__(self) -> str:
        return "BearerKey('**********')"


class BillingApiClient:
    """Fetches pages of cost line items; every failure is a `BillingApiError` naming the host."""

    def __init__(
        self,
        base_url: str,
        key: SecretStr,
        *,
        timeouts: Timeouts | None = None,
        page_size: int = 1_000,
        max_page_bytes: int = 64 * 1024**2,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + COSTS_PATH
        self._auth = BearerKey(key)
        self._timeouts = timeouts or Timeouts()
        self._page_size, self._max_page_bytes = page_size, max_page_bytes
        self.host = _host(base_url)
        self.breaker = breaker or CircuitBreaker()
        self.requests_sent = 0
        self._session = requests.Session()
        self._resilience = Resilience(
            retry or RetryPolicy(max_attempts=4, base_delay_s=1.0, max_delay_s=30.0),
            self.breaker,
            transient=BillingApiUnavailable,
            fatal=(CredentialsInvalid, MalformedPage),
            sleep=sleep,
            rng=rng or random.Random(),  # jitter, not security
            asked_s=lambda error: getattr(error, "retry_after_s", None),
            on_failure=self._failed,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BillingApiClient | None:
        """The sidecar's client (one per process: the breaker spans runs); None without both
        a URL and a key (refresh_costs reports a URL without a key as credentials invalid)."""
        if not settings.billing_api_url or settings.billing_api_key is None:
            return None
        timeouts = Timeouts(
            settings.billing_api_connect_timeout_s, settings.billing_api_read_timeout_s
        )
        retry = RetryPolicy(
            max_attempts=settings.billing_api_max_attempts, base_delay_s=1.0, max_delay_s=30.0,
            max_elapsed_s=120.0,
        )  # fmt: skip
        return cls(
            settings.billing_api_url,
            settings.billing_api_key,
            timeouts=timeouts,
            page_size=settings.billing_api_page_size,
            retry=retry,
        )

    def close(self) -> None:
        self._session.close()

    def fetch_page(self, billing_period: str, page_token: str | None = None) -> Page:
        """One page of `billing_period` (`YYYY-MM`), the first when `page_token` is None."""
        params = {"billing_period": billing_period, "page_size": str(self._page_size)}
        if page_token is not None:
            params["page_token"] = page_token
        return self._resilience.call(lambda: parse_page(self._get(params)))

    def _get(self, params: Mapping[str, str]) -> bytes:
        self.requests_sent += 1
        try:
            with self._session.get(
                self._url,
                params=params,
                auth=self._auth,
                headers={"Accept": "application/json"},
                timeout=(self._timeouts.connect_s, self._timeouts.read_s),
                allow_redirects=False,  # a redirect could carry the key elsewhere
                stream=True,
            ) as response:
                _check_status(response, self.host)
                return self._body(response)
        except requests.exceptions.RequestException as error:
            raise _transport_error(error, self.host) from None

    def _body(self, response: requests.Response) -> bytes:
        """The body within the size cap and the page deadline (a slow drip is a timeout)."""
        deadline = time.monotonic() + self._timeouts.page_s
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK_BYTES):
            size += len(chunk)
            if size > self._max_page_bytes:
                raise MalformedPage(f"{self.host}: a page over {self._max_page_bytes:,} bytes")
            if time.monotonic() > deadline:
                raise BillingApiTimeout(f"{self.host}: page not received within the timeout")
            chunks.append(chunk)
        return b"".join(chunks)

    def _failed(self, error: Exception, retrying: bool) -> None:
        then = "retrying" if retrying else "giving up"
        log.warning("billing API request failed (%s); %s", error, then)


def _check_status(response: requests.Response, host: str) -> None:
    status = response.status_code
    if status == 200:
        return
    if status in (401, 403):
        raise CredentialsInvalid(f"{host}: HTTP {status}, {CREDENTIALS_INVALID}")
    if status in (408, 429) or status >= 500:
        retry_after_s = retry_after(response.headers.get("Retry-After"))
        raise BillingApiUnavailable(f"{host}: HTTP {status}", retry_after_s=retry_after_s)
    if 300 <= status < 400:
        raise RequestRejected(f"{host}: HTTP {status}, redirects are not followed")
    raise RequestRejected(f"{host}: HTTP {status} {_detail(response)}".rstrip())


def retry_after(value: str | None, *, now_s: Callable[[], float] = time.time) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP-date; None if absent or odd."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - now_s()) if moment.tzinfo else None


def _detail(response: requests.Response) -> str:
    """The API's own `error` field, short (the rest of the body is not ours to show)."""
    try:
        body: Any = response.json()
    except (ValueError, requests.exceptions.RequestException):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return f"({str(error)[:_MAX_DETAIL]})" if error else ""


def _transport_error(error: requests.RequestException, host: str) -> BillingApiUnavailable:
    """requests' own exception carries the full URL: only its kind survives."""
    timed_out = isinstance(error, requests.exceptions.Timeout) or "timed out" in str(error)
    if timed_out:
        return BillingApiTimeout(f"{host}: timed out ({type(error).__name__})")
    if isinstance(error, requests.exceptions.ConnectionError):
        return BillingApiUnavailable(f"{host}: connection failed")
    return BillingApiUnavailable(f"{host}: {type(error).__name__}")


def _host(url: str) -> str:
    """`billing API at host:port`: never the user, password, path or query."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"billing API at {parts.hostname or '?'}{port}"
