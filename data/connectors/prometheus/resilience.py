"""Bounded retries with full-jitter backoff, and a circuit breaker; both on an injected clock."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from data.connectors.prometheus.errors import CircuitOpen

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `max_attempts` tries and `max_elapsed_s` of waiting; never retry forever."""

    max_attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_elapsed_s: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 10:
            raise ValueError("max_attempts must be within 1..10")

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^attempt)] (AWS architecture blog)."""
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2.0**attempt))


class CircuitBreaker:
    """Opens after `fail_max` consecutive failures; after `reset_timeout_s` lets one probe through.

    One instance per upstream per process, shared by every caller (thread-safe), so a dead
    Prometheus costs `fail_max` requests per `reset_timeout_s`, not one per caller.
    """

    def __init__(
        self,
        *,
        fail_max: int = 5,
        reset_timeout_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if fail_max < 1 or reset_timeout_s <= 0:
            raise ValueError("fail_max must be >= 1 and reset_timeout_s > 0")
        self.fail_max = fail_max
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self.last_error: str | None = None

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    def before_call(self) -> None:
        """Raise CircuitOpen unless a request may go out (closed, or the one half-open probe)."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "half_open" and not self._probing:
                self._probing = True
                return
            raise CircuitOpen(f"circuit open after {self._failures} failures: {self.last_error}")

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._probing = 0, None, False

    def record_failure(self, error: str) -> None:
        with self._lock:
            self._failures += 1
            self.last_error = error
            if self._probing or self._failures >= self.fail_max:
                self._opened_at, self._probing = self._clock(), False

    def _state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_timeout_s:
            return "half_open"
        return "open"
