"""Bounded retries with full-jitter backoff, and a circuit breaker; shared by every connector."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeVar

State = Literal["closed", "open", "half_open"]
T = TypeVar("T")


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

    def wait_s(
        self, attempt: int, rng: random.Random, *, elapsed_s: float, asked_s: float | None = None
    ) -> float | None:
        """The pause before try `attempt + 2`, or None when no try is left in the budget.

        An upstream's own `Retry-After` (`asked_s`) is a floor on the jittered delay; a pause
        that would end past `max_elapsed_s` is not taken (the caller gives up instead).
        """
        if attempt + 1 >= self.max_attempts:
            return None
        wait = max(self.delay_s(attempt, rng), asked_s or 0.0)
        return wait if elapsed_s + wait <= self.max_elapsed_s else None


class CircuitBreaker:
    """Opens after `fail_max` consecutive failures; after `reset_timeout_s` lets one probe through.

    One instance per upstream per process, shared by every caller (thread-safe), so a dead
    upstream costs `fail_max` requests per `reset_timeout_s`, not one per caller. Each
    connector subclasses it to name its own `refused` error, so callers catch their layer's.
    """

    refused: ClassVar[type[Exception]]

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
        """Raise `refused` unless a request may go out (closed, or the one half-open probe)."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "half_open" and not self._probing:
                self._probing = True
                return
            raise self.refused(f"circuit open after {self._failures} failures: {self.last_error}")

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


@dataclass(frozen=True, slots=True)
class Resilience:
    """How one connector calls its upstream: which errors are retried, which only counted.

    `transient` errors are retried within the policy (unless that failure opened the breaker);
    `fatal` ones count against the breaker and are raised at once (bad credentials, garbage);
    anything else is raised as a sign of life. `asked_s` reads an error's own retry hint.
    """

    policy: RetryPolicy
    breaker: CircuitBreaker
    transient: type[Exception]
    fatal: tuple[type[Exception], ...]
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)  # jitter, not security
    asked_s: Callable[[Exception], float | None] = lambda _error: None
    on_failure: Callable[[Exception, bool], None] = lambda _error, _retrying: None

    def call(self, attempt: Callable[[], T]) -> T:
        """`attempt()` behind the breaker, retried on `transient` errors within the budget."""
        started = time.monotonic()
        for number in range(self.policy.max_attempts):
            self.breaker.before_call()
            try:
                result = attempt()
            except self.transient as error:
                wait = self._failed(error, number, time.monotonic() - started)
                if wait is None:
                    raise  # out of attempts or time, or this failure just opened the breaker
                self.sleep(wait)
                continue
            except self.fatal as error:
                self.breaker.record_failure(str(error))
                self.on_failure(error, False)
                raise
            except Exception:
                # The upstream answered (a 4xx the caller must fix): it is up. Without this a
                # half-open probe ending here would leave the breaker refusing for good.
                self.breaker.record_success()
                raise
            self.breaker.record_success()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _failed(self, error: Exception, number: int, elapsed_s: float) -> float | None:
        self.breaker.record_failure(str(error))
        wait = self.policy.wait_s(
            number, self.rng, elapsed_s=elapsed_s, asked_s=self.asked_s(error)
        )
        if self.breaker.state != "closed":
            wait = None
        self.on_failure(error, wait is not None)
        return wait
