"""Fleet usage windows: one query, split per service, same values as the one-service read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
        for name in usage.USAGE_METRICS:  # NaN where NULL, equal to the bit elsewhere
            np.testing.assert_array_equal(getattr(window, name), getattr(single, name))


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

    with sessions() as session, _recorded(session, statements):
        load_usage_windows(session, ids, start=T0, end=T0 + timedelta(days=1))

    assert len([s for s in statements if "usage_hourly" in s]) == 1


@contextmanager
def _recorded(session: Session, statements: list[str]) -> Iterator[None]:
    """Every statement sent: SQLAlchemy's, and on PostgreSQL the driver cursor's own (the
    read is one binary COPY on a raw cursor, which SQLAlchemy's events do not see)."""
    bind = session.connection()

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(bind, "before_cursor_execute", record)
    raw = bind.connection.dbapi_connection
    factory = getattr(raw, "cursor_factory", None)
    if bind.dialect.name == "postgresql":
        base = bind.dialect.loaded_dbapi.extensions.cursor  # psycopg2's own cursor class
        raw.cursor_factory = _recording_cursor(base, statements)  # type: ignore[union-attr]
    try:
        yield
    finally:
        event.remove(bind, "before_cursor_execute", record)
        if bind.dialect.name == "postgresql":
            raw.cursor_factory = factory  # type: ignore[union-attr]


def _recording_cursor(base: type[Any], statements: list[str]) -> type[Any]:
    class Recording(base):  # type: ignore[misc]
        def execute(self, query: Any, params: Any = None) -> Any:
            statements.append(str(query))
            return super().execute(query, params)

        def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> Any:
            statements.append(str(sql))
            return super().copy_expert(sql, file, size)

    return Recording


def test_no_services_reads_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert load_usage_windows(session, [], start=T0, end=T0 + timedelta(days=1)) == {}
