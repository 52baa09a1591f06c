"""Fleet usage written in one bulk load reads back bit for bit (SQLite executemany, PostgreSQL
binary COPY), NaN SLIs as NULL, whatever the windows' lengths."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.repos import services, usage
from engine.usage import UsageWindow
from tests.factories import T0, make_new_service, make_usage

# Doubles whose shortest text is long, or that text rounding would lose.
AWKWARD = np.array([0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, 1e22, 2.0 / 3.0])


def _windows(ids: list[int]) -> list[UsageWindow]:
    gappy = np.full(40, 95.0)
    gappy[::3] = np.nan
    return [
        make_usage(ids[0], hours=40, latency_p95_ms=gappy),
        make_usage(ids[1], hours=0),
        make_usage(ids[2], hours=6, cpu_used_mean_cores=AWKWARD, error_rate_pct=np.full(6, np.nan)),
        make_usage(ids[3], hours=70_000),  # more than one encoded chunk
    ]


def _add(sessions: sessionmaker[Session], n: int) -> list[int]:
    with sessions.begin() as session:
        added = services.add_services(
            session, [make_new_service(f"svc-{i}") for i in range(n)], now=T0
        )
        return [service.id for service in added]


def test_windows_read_back_exactly(sessions: sessionmaker[Session]) -> None:
    ids = _add(sessions, 4)
    windows = _windows(ids)
    with sessions.begin() as session:
        written = usage.insert_usage_windows(session, windows, source="bulk")

    assert written == 40 + 6 + 70_000
    end = T0 + timedelta(hours=70_000)
    with sessions() as session:
        for window in windows:
            back = usage.load_usage(session, window.service_id, start=T0, end=end)
            np.testing.assert_array_equal(back.hour_start, window.hour_start)
            for name in usage.USAGE_METRICS:
                expected, got = getattr(window, name), getattr(back, name)
                assert np.array_equal(expected, got, equal_nan=True), name


def test_a_missing_required_metric_is_refused(sessions: sessionmaker[Session]) -> None:
    (service_id,) = _add(sessions, 1)
    broken = make_usage(service_id, hours=3, cpu_used_p95_cores=np.array([1.0, np.nan, 1.0]))

    with pytest.raises(IntegrityError), sessions.begin() as session:
        usage.insert_usage_windows(session, [broken], source="bulk")
