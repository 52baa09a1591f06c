"""The breaker's state machine and the retry policy's bounds, on a fake clock."""

from __future__ import annotations

import random

import pytest

from data.connectors.prometheus import CircuitBreaker, PrometheusCircuitOpen, RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_fail_max_consecutive_failures() -> None:
    breaker = CircuitBreaker(fail_max=3, reset_timeout_s=60, clock=FakeClock())
    for _ in range(2):
        breaker.record_failure("boom")
    before = breaker.state

    breaker.record_failure("boom")

    assert (before, breaker.state) == ("closed", "open")
    with pytest.raises(PrometheusCircuitOpen, match="boom"):
        breaker.before_call()


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(fail_max=2, clock=FakeClock())
    breaker.record_failure("x")
    breaker.record_success()

    breaker.record_failure("x")

    assert breaker.state == "closed"


def test_after_the_reset_timeout_exactly_one_probe_goes_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(fail_max=1, reset_timeout_s=60, clock=clock)
    breaker.record_failure("down")
    clock.now = 61

    breaker.before_call()

    with pytest.raises(PrometheusCircuitOpen):
        breaker.before_call()


@pytest.mark.parametrize(("probe_ok", "state"), [(True, "closed"), (False, "open")])
def test_the_probe_outcome_closes_or_reopens(probe_ok: bool, state: str) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(fail_max=1, reset_timeout_s=60, clock=clock)
    breaker.record_failure("down")
    clock.now = 61
    breaker.before_call()

    if probe_ok:
        breaker.record_success()
    else:
        breaker.record_failure("still down")

    assert breaker.state == state


def test_backoff_is_jittered_and_capped() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=0.5, max_delay_s=2.0)
    rng = random.Random(1)

    delays = [policy.delay_s(attempt, rng) for attempt in range(10) for _ in range(50)]

    assert max(delays) <= 2.0
    assert len(set(delays)) == len(delays)


def test_unbounded_retry_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=1000)
