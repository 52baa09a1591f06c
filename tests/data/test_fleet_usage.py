"""Fleet usage windows: one query, split per service, same values as the one-service read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from data.repos import services, usage
from data.repos.fleet_usage import load_usage_windows
from tests.factories import T0, make_new_service, make_usage


def _seed(sessions: sessionmaker[Session], hours: list[int]) -> list[int]:
    with sessions.begin() as session:
        added = services.add_services(
            session, [make_new_service(f"svc-{i}") for i in range(len(hours))], now=T0
        )
        for svc, n in zip(added, hours, strict=True):
            latency = np.full(n, 90.0)
            latency[::5] = np.nan
            usage.insert_usage(
                session, make_usage(svc.id, hours=n, latency_p95_ms=latency), source="t"
            )
    return [svc.id for svc in added]


def test_windows_match_the_single_service_read(sessions: sessionmaker[Session]) -> None:
    ids = _seed(sessions, [24, 48, 10])
    start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=30)

    with sessions() as session:
        windows = load_usage_windows(session, ids, start=start, end=end)
        singles = {i: usage.load_usage(session, i, start=start, end=end) for i in ids}

    assert list(windows) == ids
    for service_id, single in singles.items():
        window = windows[service_id]
        assert window.service_id == service_id
        np.testing.assert_array_equal(window.hour_start, single.hour_start)
        np.testing.assert_array_equal(window.cpu_used_p95_cores, single.cpu_used_p95_cores)
        np.testing.assert_array_equal(window.latency_p95_ms, single.latency_p95_ms)


def test_service_without_usage_gets_an_empty_window(sessions: sessionmaker[Session]) -> None:
    (service_id,) = _seed(sessions, [24])
    with sessions.begin() as session:
        (idle,) = services.add_services(session, [make_new_service("quiet")], now=T0)

    with sessions() as session:
        windows = load_usage_windows(
            session, [service_id, idle.id], start=T0, end=T0 + timedelta(days=1)
        )

    assert windows[service_id].points == 24
    assert windows[idle.id].points == 0


def test_reads_the_fleet_in_one_query(sessions: sessionmaker[Session]) -> None:
    ids = _seed(sessions, [24, 24, 24, 24])
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    with sessions() as session:
        bind = session.get_bind()
        event.listen(bind, "before_cursor_execute", record)
        load_usage_windows(session, ids, start=T0, end=T0 + timedelta(days=1))
        event.remove(bind, "before_cursor_execute", record)

    assert len([s for s in statements if "usage_hourly" in s]) == 1


def test_no_services_reads_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert load_usage_windows(session, [], start=T0, end=T0 + timedelta(days=1)) == {}
