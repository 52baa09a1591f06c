"""Hourly usage: bulk writes and windows read back as engine `UsageWindow`s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from data.models import Base, UsageHourlyRow
from data.repos.bulk import copy_columns, insert_columns, processor_of
from data.repos.copy_binary import float8_column, int4_column, text_column, timestamptz_column
from engine.arrays import FloatArray
from engine.usage import UsageWindow

USAGE_TABLE = Base.metadata.tables[UsageHourlyRow.__tablename__]
# The hourly metrics of a UsageWindow, in column order; shared by every usage reader.
USAGE_METRICS = (
    "cpu_used_mean_cores",
    "cpu_used_p95_cores",
    "memory_used_max_gib",
    "requests_per_s",
    "latency_p95_ms",
    "error_rate_pct",
)


def insert_usage(session: Session, window: UsageWindow, *, source: str) -> int:
    """Append a service's hourly usage (hours must not exist yet); returns rows written.

    Through SQLAlchemy, as the collectors' small per-service writes always were; a fleet's
    worth at once goes through `insert_usage_windows`.
    """
    hours = to_datetimes(window.hour_start)
    columns = {name: _nullable(getattr(window, name)) for name in USAGE_METRICS}
    rows = [
        {
            "service_id": window.service_id,
            "hour_start": hour,
            "source": source,
            **{name: columns[name][i] for name in USAGE_METRICS},
        }
        for i, hour in enumerate(hours)
    ]
    if rows:
        # Core table insert, not the ORM bulk path: the ORM splits batches whenever a row's
        # set of non-NULL keys differs (missing SLIs), which made seeding 3x slower.
        session.connection().execute(insert(USAGE_TABLE), rows)
    return len(rows)


def insert_usage_windows(session: Session, windows: Sequence[UsageWindow], *, source: str) -> int:
    """Append the hourly usage of several services in one bulk write (SQLite executemany,
    PostgreSQL binary COPY; `data.repos.bulk`); NaN SLIs are stored as NULL. Returns rows
    written."""
    connection = session.connection()
    if not windows:
        return 0
    if connection.dialect.name == "postgresql":
        return _copy_windows(connection, windows, source=source)
    return _insert_windows(connection, windows, source=source)


def _copy_windows(connection: Connection, windows: Sequence[UsageWindow], *, source: str) -> int:
    """The windows concatenated into numpy columns, sent as they are: ids, hours and floats
    go bit for bit, NaN as NULL."""
    counts = [len(window.hour_start) for window in windows]
    rows = sum(counts)
    columns = {
        "service_id": int4_column(np.repeat([w.service_id for w in windows], counts)),
        "hour_start": timestamptz_column(np.concatenate([w.hour_start for w in windows])),
        "source": text_column(source, rows),
        **{
            name: float8_column(np.concatenate([getattr(w, name) for w in windows]))
            for name in USAGE_METRICS
        },
    }
    copy_columns(connection, USAGE_TABLE, columns)
    return rows


def _insert_windows(connection: Connection, windows: Sequence[UsageWindow], *, source: str) -> int:
    """Columns of Python values for executemany; each distinct hour is bound once: a fleet
    shares its hours, so 1,000 services × 90 days bind 2,160 datetimes, not 2.16 million."""
    hours_of = processor_of(connection, USAGE_TABLE, "hour_start")
    bound_hours: dict[bytes, list[object]] = {}
    columns: dict[str, list[object]] = {name: [] for name in _USAGE_COLUMNS}
    for window in windows:
        key = window.hour_start.astype("datetime64[s]").tobytes()
        if key not in bound_hours:
            hours = to_datetimes(window.hour_start)
            bound_hours[key] = list(hours) if hours_of is None else [hours_of(h) for h in hours]
        count = len(window.hour_start)
        columns["service_id"] += [window.service_id] * count
        columns["hour_start"] += bound_hours[key]
        columns["source"] += [source] * count
        for name in USAGE_METRICS:
            columns[name] += _nullable(getattr(window, name))
    insert_columns(connection, USAGE_TABLE, columns)
    return len(columns["service_id"])


def load_usage(session: Session, service_id: int, *, start: datetime, end: datetime) -> UsageWindow:
    """Usage of one service for hours in [start, end), oldest first; NULL SLIs become NaN."""
    result = session.execute(
        select(UsageHourlyRow.hour_start, *(getattr(UsageHourlyRow, m) for m in USAGE_METRICS))
        .where(
            UsageHourlyRow.service_id == service_id,
            UsageHourlyRow.hour_start >= start,
            UsageHourlyRow.hour_start < end,
        )
        .order_by(UsageHourlyRow.hour_start)
    ).all()
    hours = np.array([to_datetime64(row[0]) for row in result], dtype="datetime64[s]")
    values = np.array([row[1:] for row in result], dtype=np.float64).reshape(len(result), 6)
    return UsageWindow(
        service_id=service_id,
        hour_start=hours,
        **{name: values[:, i].copy() for i, name in enumerate(USAGE_METRICS)},
    )


def latest_usage_hour(session: Session, service_id: int | None = None) -> datetime | None:
    """Newest stored hour for one service, or across the fleet."""
    query = select(func.max(UsageHourlyRow.hour_start))
    if service_id is not None:
        query = query.where(UsageHourlyRow.service_id == service_id)
    value = session.scalar(query)
    if value is None:
        return None
    # max() bypasses the column type on SQLite and comes back as text.
    return value if isinstance(value, datetime) else _parse_sqlite_datetime(str(value))


def latest_usage_hours(session: Session) -> dict[int, datetime]:
    """Newest stored hour of every service that has usage, keyed by service id (one query)."""
    rows = session.execute(
        select(UsageHourlyRow.service_id, func.max(UsageHourlyRow.hour_start)).group_by(
            UsageHourlyRow.service_id
        )
    ).all()
    return {service_id: _aware(value) for service_id, value in rows}


def _aware(value: datetime | str) -> datetime:
    """max() bypasses the column type: SQLite returns text, a driver may return naive UTC."""
    moment = value if isinstance(value, datetime) else _parse_sqlite_datetime(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_datetimes(hours: np.ndarray) -> list[datetime]:
    """numpy datetime64 (UTC) → aware Python datetimes."""
    return [h.replace(tzinfo=UTC) for h in hours.astype("datetime64[us]").tolist()]


def to_datetime64(moment: datetime) -> np.datetime64:
    """Aware datetime → naive UTC datetime64[s] (numpy has no time zones)."""
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "s")


def _parse_sqlite_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _nullable(values: FloatArray) -> list[object]:
    """Python floats, None where NaN (an SLI the service does not report that hour)."""
    missing = np.isnan(values)
    if not missing.any():
        return values.tolist()  # type: ignore[no-any-return]
    boxed = values.astype(object)
    boxed[missing] = None
    return boxed.tolist()  # type: ignore[no-any-return]


_USAGE_COLUMNS = ("service_id", "hour_start", "source", *USAGE_METRICS)
