"""The tabulated M/M/c quantile against the exact solver it samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.queueing import response_time_quantile_s
from engine.queueing_table import (
    LOGIT_RANGE,
    MAX_SERVERS,
    MIN_FRACTIONAL_SERVERS,
    response_time_quantile_cells_s,
    response_time_quantile_table_s,
)

TABLE_TOLERANCE = 1e-3  # the bound engine/queueing_table.py promises


def test_matches_the_exact_solver_within_its_bound_across_the_table() -> None:
    rng = np.random.default_rng(7)
    servers = np.exp(rng.uniform(np.log(1.0), np.log(MAX_SERVERS), 100_000))
    rho = -np.expm1(-rng.uniform(0.0, 16.0, servers.size))
    service_s = 0.02

    exact = response_time_quantile_s(0.95, rho * servers / service_s, service_s, servers)
    table = response_time_quantile_table_s(0.95, rho * servers / service_s, service_s, servers)

    assert np.max(np.abs(table / exact - 1.0)) < TABLE_TOLERANCE


def test_fractional_cores_match_the_exact_solver_within_the_bound() -> None:
    rng = np.random.default_rng(11)
    servers = np.exp(rng.uniform(np.log(MIN_FRACTIONAL_SERVERS), 0.0, 100_000))
    logit = rng.uniform(*LOGIT_RANGE, servers.size)
    rho = 1.0 / (1.0 + np.exp(-logit))
    service_s = 0.02

    exact = response_time_quantile_s(0.95, rho * servers / service_s, service_s, servers)
    table = response_time_quantile_table_s(0.95, rho * servers / service_s, service_s, servers)

    assert np.max(np.abs(table / exact - 1.0)) < TABLE_TOLERANCE


@pytest.mark.parametrize(
    ("arrival_per_s", "servers"),
    [
        ([0.0, 50.0, 200.0, 10.0], [4.0, 0.5, 1.0, 0.0]),  # idle, fractional, overloaded, none
        ([np.nan, 5.0, 1e6], [2.0, np.nan, 30_000.0]),  # NaN in, beyond the table
    ],
)
def test_outside_the_table_it_is_the_exact_solver(
    arrival_per_s: list[float], servers: list[float]
) -> None:
    exact = response_time_quantile_s(0.95, arrival_per_s, 0.01, servers)
    table = response_time_quantile_table_s(0.95, arrival_per_s, 0.01, servers)

    np.testing.assert_allclose(table, exact, rtol=TABLE_TOLERANCE)
    assert np.array_equal(np.isnan(table), np.isnan(exact))
    assert np.array_equal(np.isinf(table), np.isinf(exact))


def test_a_zero_service_time_follows_the_exact_rule() -> None:
    table = response_time_quantile_table_s(0.95, [0.0, 3.0], 0.0, [0.0, 2.0])

    np.testing.assert_array_equal(
        table, response_time_quantile_s(0.95, [0.0, 3.0], 0.0, [0.0, 2.0])
    )


@settings(max_examples=200, deadline=None)
@given(
    servers=st.floats(0.05, 500.0),
    more=st.floats(0.0, 50.0),
    load=st.floats(0.0, 0.999),
)
def test_more_servers_never_predict_a_slower_response(
    servers: float, more: float, load: float
) -> None:
    rate = load * servers / 0.01
    fewer_s, more_s = response_time_quantile_table_s(0.95, rate, 0.01, [servers, servers + more])

    assert more_s <= fewer_s * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(servers=st.floats(0.05, 500.0), load=st.floats(0.0, 0.99), extra=st.floats(0.0, 0.99))
def test_more_traffic_never_predicts_a_faster_response(
    servers: float, load: float, extra: float
) -> None:
    higher = load + (0.999 - load) * extra
    rates = np.array([load, higher]) * servers / 0.01
    low_s, high_s = response_time_quantile_table_s(0.95, rates, 0.01, servers)

    assert high_s >= low_s * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 12),
    hours=st.integers(1, 40),
)
def test_ragged_cells_equal_the_broadcast_matrix_bit_for_bit(
    seed: int, rows: int, hours: int
) -> None:
    rng = np.random.default_rng(seed)
    # servers across both tables, the exact solver's ranges and 0; service times with 0 and NaN
    servers = rng.choice([0.0, 0.01, 0.3, 1.0, 2.5, 64.0, 30_000.0, np.nan], rows)
    service_s = rng.choice([0.0, 0.004, 0.05, 0.8, np.nan], rows)
    load = rng.uniform(0.0, 1.3, (rows, hours))  # up to overload
    arrival = np.where(rng.random((rows, hours)) < 0.1, 0.0, load * servers[:, None] / 0.05)
    arrival[rng.random((rows, hours)) < 0.05] = np.nan
    kept = rng.random((rows, hours)) < 0.7  # ragged: each row keeps some of its hours

    with np.errstate(all="ignore"):
        matrix = response_time_quantile_table_s(0.95, arrival, service_s[:, None], servers[:, None])
        row, _ = np.nonzero(kept)
        cells = response_time_quantile_cells_s(0.95, arrival[kept], service_s, servers, row)

    np.testing.assert_array_equal(cells, matrix[kept])  # NaN where NaN, every other bit equal
