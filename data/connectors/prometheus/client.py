"""prometheus-api-client behind explicit timeouts, bounded retries, a breaker and typed errors."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from data.connectors.prometheus.budget import is_sample_limit
from data.connectors.prometheus.resilience import CircuitBreaker, RetryPolicy
from data.connectors.prometheus.transport import PrometheusConnection, tls_failure
from data.connectors.resilience import Resilience
from data.errors import (
    MalformedResponse,
    PrometheusAuthError,
    PrometheusQueryError,
    PrometheusSampleLimit,
    PrometheusUnavailable,
    TelemetryError,
)

if TYPE_CHECKING:
    from data.settings import Settings

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float64]
# Prometheus refuses range queries returning more points per series than this.
MAX_POINTS_PER_SERIES = 11_000
_MAX_ERROR_BODY = 300


@dataclass(frozen=True, slots=True)
class Series:
    """One result series: its labels and (timestamp seconds, value) columns."""

    labels: Mapping[str, str]
    timestamps: FloatArray
    values: FloatArray


@dataclass(frozen=True, slots=True)
class QueryResult:
    series: tuple[Series, ...]
    warnings: tuple[str, ...]


@dataclass(slots=True)
class ClientStats:
    """What this client cost Prometheus so far (HTTP requests, not logical queries)."""

    requests: int = 0
    bytes_received: int = 0
    retries: int = 0
    failures: int = 0
    warnings: list[str] = field(default_factory=list)


class PrometheusClient:
    """Queries one Prometheus; every failure surfaces as a `TelemetryError` subclass.

    Warnings in a successful answer (partial data) are returned with the result and logged.
    """

    def __init__(
        self,
        connect: PrometheusConnect,
        *,
        timeout_s: float,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        connection: PrometheusConnection | None = None,
    ) -> None:
        self._connect = connect
        self.connection = connection or PrometheusConnection.of(connect.url)
        self._timeout_s = timeout_s
        self.breaker = breaker
        self._resilience = Resilience(
            retry,
            breaker,
            transient=PrometheusUnavailable,
            fatal=(PrometheusAuthError, MalformedResponse),
            sleep=sleep,
            rng=rng or random.Random(),  # jitter, not security
            on_failure=self._failed,
        )
        self._local = threading.local()
        self.stats = ClientStats()
        self.url: str = self.connection.url
        # The collector queries from a thread pool: `+=` on shared counters is not atomic.
        # (The breaker locks itself; the Session's connection pool is thread-safe.)
        self._stats_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> PrometheusClient:
        """The configured Prometheus with its credentials, TLS and headers (docs/prometheus.md)."""
        connection = PrometheusConnection.from_settings(settings)
        return cls.from_url(
            connection.url, timeout_s=settings.prometheus_timeout_s, retry=retry,
            breaker=breaker, connection=connection,
        )  # fmt: skip

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 3.0,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        connection: PrometheusConnection | None = None,
    ) -> PrometheusClient:
        """A client with its own HTTP session (credentials, TLS: `connection`, whose URL wins,
        else a plain one for `url`); urllib3's retries are off (ours are bounded)."""
        if timeout_s <= 0 or connect_timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        connection = connection or PrometheusConnection.of(url)
        session = connection.session()
        client: PrometheusClient
        session.hooks["response"].append(lambda response, *_a, **_k: client._seen(response))
        connect = PrometheusConnect(
            url=connection.url,
            headers=dict(headers or {}),
            session=session,
            retry=Retry(0, read=False),  # as requests' default: timeouts stay timeouts
            timeout=(connect_timeout_s, timeout_s),  # requests accepts (connect, read)
        )
        client = cls(
            connect,
            timeout_s=timeout_s,
            retry=retry or RetryPolicy(),
            breaker=breaker or CircuitBreaker(),
            sleep=sleep,
            connection=connection,
        )
        return client

    def close(self) -> None:
        self._connect.close()

    def query_range(
        self, promql: str, *, start: datetime, end: datetime, step_s: int
    ) -> QueryResult:
        """`query_range` from start to end inclusive; refuses more than 11,000 points/series."""
        points = int((end - start).total_seconds() // step_s) + 1
        if step_s <= 0 or points > MAX_POINTS_PER_SERIES or end < start:
            raise PrometheusQueryError(f"range of {points} points at step {step_s}s not allowed")
        return self._call(
            lambda params: self._connect.custom_query_range(
                promql, start_time=start, end_time=end, step=str(step_s), params=params
            )
        )

    def query(self, promql: str, *, at: datetime) -> QueryResult:
        """Instant query evaluated at `at` (always explicit: backfilled data is never "now")."""
        return self._call(
            lambda params: self._connect.custom_query(
                promql, params={**params, "time": f"{at.astimezone(UTC).timestamp():.3f}"}
            )
        )

    def _call(self, send: Callable[[dict[str, str]], Any]) -> QueryResult:
        params = {"timeout": f"{self._timeout_s:g}s"}  # Prometheus stops evaluating too
        return self._resilience.call(lambda: self._attempt(send, params))

    def _attempt(
        self, send: Callable[[dict[str, str]], Any], params: dict[str, str]
    ) -> QueryResult:
        self._local.response = None
        try:
            data = send(params)
        except requests.exceptions.JSONDecodeError:
            raise _malformed(self.url, "body is not JSON") from None
        except requests.exceptions.Timeout as error:
            raise PrometheusUnavailable(f"{self.url}: timed out ({type(error).__name__})") from None
        except requests.exceptions.ConnectionError as error:
            tls = tls_failure(self.connection, error)
            raise tls or PrometheusUnavailable(f"{self.url}: connection failed") from None
        except requests.exceptions.RequestException as error:
            raise PrometheusUnavailable(f"{self.url}: {type(error).__name__}") from None
        except PrometheusApiClientException:
            raise _status_error(self.url, self._local.response, self.connection) from None
        except (ValueError, KeyError, TypeError):
            raise _malformed(self.url, "body is not a Prometheus API answer") from None
        return self._result(data, self._local.response)

    def _result(self, data: Any, response: requests.Response | None) -> QueryResult:
        warnings = _warnings(response)
        if warnings:
            with self._stats_lock:
                self.stats.warnings.extend(warnings)
            log.warning("Prometheus returned warnings (partial data): %s", "; ".join(warnings))
        if not isinstance(data, list):
            raise _malformed(self.url, "result is not a vector or matrix")
        try:
            series = tuple(_series(item) for item in data)
        except (ValueError, KeyError, TypeError, IndexError):
            raise _malformed(self.url, "malformed series in result") from None
        return QueryResult(series, tuple(warnings))

    def _seen(self, response: requests.Response) -> None:
        with self._stats_lock:  # concurrent collector threads (see __init__)
            self.stats.requests += 1
            self.stats.bytes_received += len(response.content)
        self._local.response = response  # per thread: each worker reads its own response

    def _failed(self, error: Exception, retrying: bool) -> None:
        with self._stats_lock:  # concurrent collector threads (see __init__)
            self.stats.failures += 1
            self.stats.retries += int(retrying)
        log.warning("Prometheus request failed: %s", error)


def _series(item: Mapping[str, Any]) -> Series:
    labels = {str(k): str(v) for k, v in item["metric"].items()}
    pairs = item["values"] if "values" in item else [item["value"]]
    timestamps = np.array([float(p[0]) for p in pairs], dtype=np.float64)
    values = np.array([float(p[1]) for p in pairs], dtype=np.float64)
    return Series(labels, timestamps, values)


def _warnings(response: requests.Response | None) -> list[str]:
    if response is None or b'"warnings"' not in response.content:
        return []
    body = response.json()
    if body.get("status") != "success":
        raise MalformedResponse(f"Prometheus answered status {body.get('status')!r}")
    return [str(w) for w in body.get("warnings") or []]


def _status_error(
    url: str, response: requests.Response | None, connection: PrometheusConnection
) -> TelemetryError:
    if response is None:
        return PrometheusUnavailable(f"{url}: no HTTP response")
    status = response.status_code
    detail = _error_detail(response)
    if status in (401, 403):
        return PrometheusAuthError(
            f"{url}: HTTP {status}, credentials rejected ({connection.credentials})"
        )
    if status == 429 or status >= 500:
        return PrometheusUnavailable(f"{url}: HTTP {status} {detail}")
    # The whole body, not the truncated detail: VictoriaMetrics puts the query text first.
    if status == 422 and is_sample_limit(response.text):
        return PrometheusSampleLimit(f"{url}: HTTP 422 too many samples {detail}")
    return PrometheusQueryError(f"{url}: HTTP {status} {detail}")


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('errorType', '')}: {body.get('error', '')}"[:_MAX_ERROR_BODY]
    except (ValueError, AttributeError):
        return ""


def _malformed(url: str, what: str) -> MalformedResponse:
    return MalformedResponse(f"{url}: {what}")
