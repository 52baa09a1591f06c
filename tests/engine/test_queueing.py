"""Tests of M/M/c maths: Erlang C and response-time quantiles against hand-computed references."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.queueing import erlang_c, response_time_quantile_s

P95 = 0.95


def factorial_erlang_c(servers: int, offered_load: Fraction) -> float:
    """Textbook Erlang C in exact rational arithmetic: (a^c/c!)·c/(c−a) over the same + Σ a^k/k!."""
    waiting = offered_load**servers / math.factorial(servers) * Fraction(servers, 1)
    waiting /= servers - offered_load
    idle = sum(offered_load**k / math.factorial(k) for k in range(servers))
    return float(waiting / (idle + waiting))


def recursive_erlang_c(servers: int, offered_load: float) -> float:
    """Erlang B by its stable recursion B(k) = a·B(k−1)/(k + a·B(k−1)), then C from B."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / servers
    return b / (1.0 - rho * (1.0 - b))


def scalar_root(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Plain bisection of a decreasing f on [lo, hi] to machine precision."""
    for _ in range(200):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return (lo + hi) / 2.0


def reference_quantile_s(q: float, arrival_per_s: float, service_s: float, servers: int) -> float:
    """From first principles: (1−C)·e^(−μt) + C·(θe^(−μt) − μe^(−θt))/(θ−μ) = 1 − q, θ = cμ − λ."""
    mu = 1.0 / service_s
    theta = servers * mu - arrival_per_s
    wait = factorial_erlang_c(servers, Fraction(arrival_per_s * service_s).limit_denominator(10**6))

    def excess(t: float) -> float:
        hypo = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1 - wait) * math.exp(-mu * t) + wait * hypo - (1 - q)

    return scalar_root(excess, 0.0, 1e4 * service_s)


def test_mm1_wait_probability_is_the_utilization() -> None:
    rho = np.array([0.1, 0.5, 0.9, 0.999])

    wait = erlang_c(1, rho)

    np.testing.assert_allclose(wait, rho, rtol=1e-7)


@pytest.mark.parametrize("utilization", [0.1, 0.5, 0.8, 0.95])
def test_mm1_p95_response_is_ln20_over_mu_minus_lambda(utilization: float) -> None:
    mu = 20.0  # 50 ms per request
    lam = utilization * mu

    p95 = response_time_quantile_s(P95, lam, 1.0 / mu, 1)

    assert float(p95) == pytest.approx(math.log(20.0) / (mu - lam), rel=1e-7)


@pytest.mark.parametrize("servers", [1, 2, 3, 5, 8, 13, 30])
@pytest.mark.parametrize("utilization", [0.1, 0.5, 0.8, 0.95])
def test_erlang_c_matches_the_factorial_formula(servers: int, utilization: float) -> None:
    load = Fraction(utilization).limit_denominator(1000) * servers

    wait = erlang_c(servers, float(load))

    assert float(wait) == pytest.approx(factorial_erlang_c(servers, load), rel=1e-7)


def test_two_servers_at_half_load_wait_one_time_in_three() -> None:
    # a = 1, c = 2: (1/2!)·2/(2−1) = 1 over 1 + 1 + 1, so C = 1/3.
    assert float(erlang_c(2, 1.0)) == pytest.approx(1 / 3, rel=1e-8)


def test_quantile_handles_the_degenerate_case_c_mu_minus_lambda_equals_mu() -> None:
    # c = 2, λ = μ = 1: θ = cμ − λ = μ, the tail is e^(−t)·(1 + C·t) with C = 1/3.
    expected = scalar_root(lambda t: math.exp(-t) * (1 + t / 3) - 0.05, 0.0, 100.0)

    p95 = response_time_quantile_s(P95, 1.0, 1.0, 2)

    assert float(p95) == pytest.approx(expected, rel=1e-7)
    assert expected == pytest.approx(3.81646, abs=1e-5)


@pytest.mark.parametrize(
    ("servers", "utilization"), [(2, 0.3), (2, 0.9), (4, 0.6), (16, 0.8), (64, 0.95)]
)
def test_quantile_matches_the_first_principles_mixture(servers: int, utilization: float) -> None:
    service_s = 0.04
    lam = utilization * servers / service_s

    p95 = response_time_quantile_s(P95, lam, service_s, servers)

    assert float(p95) == pytest.approx(reference_quantile_s(P95, lam, service_s, servers), rel=1e-6)


@pytest.mark.parametrize("utilization", [0.5, 0.9, 0.99, 0.9999])
def test_ten_thousand_servers_stay_finite_and_exact(utilization: float) -> None:
    servers, load = 10_000, 10_000 * utilization

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wait = float(erlang_c(servers, load))
        p95 = float(response_time_quantile_s(P95, load, 1.0, servers))

    assert 0.0 <= wait <= 1.0
    assert wait == pytest.approx(recursive_erlang_c(servers, load), rel=1e-6, abs=1e-300)
    assert math.isfinite(p95)
    assert p95 >= math.log(20.0) * (1 - 1e-12)


@pytest.mark.parametrize(("servers", "load"), [(1.5, 1.0), (2.5, 0.7), (7.25, 5.0), (100.5, 90.0)])
def test_non_integer_servers_lie_between_their_integer_neighbours(
    servers: float, load: float
) -> None:
    below, middle, above = erlang_c([math.floor(servers), servers, math.ceil(servers)], load)

    assert below > middle > above


@pytest.mark.parametrize(("servers", "load"), [(1, 1.0), (2, 2.5), (4.5, 4.5), (0, 0.0), (0, 1.0)])
def test_saturated_or_serverless_queues_always_wait_forever(servers: float, load: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wait = erlang_c(servers, load)
        p95 = response_time_quantile_s(P95, load, 1.0, servers)

    assert float(wait) == 1.0
    assert float(p95) == math.inf


def test_no_traffic_takes_the_service_time_quantile() -> None:
    p95 = response_time_quantile_s(P95, 0.0, 0.2, 4)

    assert float(p95) == pytest.approx(0.2 * math.log(20.0), rel=1e-12)


def test_arrays_broadcast_and_nan_propagates() -> None:
    servers = np.array([[1.0], [2.0], [np.nan]])
    rate = np.array([0.0, 0.5, np.nan, 1.5])

    p95 = response_time_quantile_s(P95, rate, 1.0, servers)

    assert p95.shape == (3, 4)
    assert np.isnan(p95[2]).all()
    assert np.isnan(p95[:, 2]).all()
    assert p95[0, 3] == math.inf
    assert np.isfinite(p95[1, [0, 1, 3]]).all()


def test_a_quantile_outside_zero_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="quantile"):
        response_time_quantile_s(1.0, 1.0, 1.0, 2)


def test_extreme_inputs_never_warn() -> None:
    servers = np.array([1e-6, 0.3, 1.0, 1e6, 1e6, 3.0])
    load = np.array([1e-7, 1e-300, 0.999999, 1.0, 999_999.0, 3.0 - 1e-12])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wait = erlang_c(servers, load)
        p95 = response_time_quantile_s(0.999, load, 1.0, servers)

    assert ((wait >= 0) & (wait <= 1)).all()
    assert (p95 > 0).all()
    assert not np.isnan(p95).any()


servers_st = st.floats(min_value=0.05, max_value=2_000.0)
utilization_st = st.floats(min_value=1e-6, max_value=0.999)


@settings(max_examples=200, deadline=None)
@given(servers=servers_st, extra=st.floats(0.01, 50.0), utilization=utilization_st)
def test_more_servers_never_wait_more(servers: float, extra: float, utilization: float) -> None:
    load = servers * utilization

    fewer, more = erlang_c([servers, servers + extra], load)

    assert more <= fewer * (1 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(servers=servers_st, extra=st.floats(0.01, 50.0), utilization=utilization_st)
def test_more_servers_never_respond_slower(
    servers: float, extra: float, utilization: float
) -> None:
    lam = servers * utilization / 0.01

    fewer, more = response_time_quantile_s(P95, lam, 0.01, [servers, servers + extra])

    assert more <= fewer * (1 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(
    servers=servers_st,
    utilization=utilization_st,
    quantiles=st.lists(st.floats(0.01, 0.9999), min_size=2, max_size=6),
)
def test_quantiles_are_ordered_and_never_below_the_service_time(
    servers: float, utilization: float, quantiles: list[float]
) -> None:
    q = np.sort(np.asarray(quantiles))

    t = response_time_quantile_s(q, servers * utilization, 1.0, servers)

    assert (np.diff(t) >= -1e-12 * t[1:]).all()
    assert (t >= -np.log1p(-q) * (1 - 1e-12)).all()


@settings(max_examples=100, deadline=None)
@given(servers=st.integers(1, 60), utilization=st.floats(0.01, 0.99))
def test_integer_servers_agree_with_the_erlang_b_recursion(
    servers: int, utilization: float
) -> None:
    load = servers * utilization

    wait = float(erlang_c(servers, load))

    assert wait == pytest.approx(recursive_erlang_c(servers, load), rel=1e-7, abs=1e-300)
