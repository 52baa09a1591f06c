"""Hourly usage of many services read in one query and split into per-service numpy windows."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.util.typing import TupleAny

from data.repos.bulk import copy_out_columns
from data.repos.usage import USAGE_METRICS, USAGE_TABLE
from engine.usage import UsageWindow

# Rows turned into numpy at a time: the driver's Python objects for this many rows
# (~8 values each) live at once, not the whole read's (3.4 M rows at 10,000 services).
_FETCH_ROWS = 65_536
# unixepoch() (SQLite ≥ 3.38) costs half of strftime('%s') per row.
_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38)
# PostgreSQL's binary COPY of (service_id, epoch seconds, *metrics): big-endian, fixed-width.
_PG_COLUMNS = (">i8", ">i8", *(">f8" for _ in USAGE_METRICS))


def load_usage_windows(
    session: Session, service_ids: Collection[int], *, start: datetime, end: datetime
) -> dict[int, UsageWindow]:
    """Usage of each service for hours in [start, end), oldest first; NULL SLIs become NaN.

    One query ordered by (service_id, hour_start), split on service boundaries with numpy; every
    requested service gets a window, empty when it has no usage in the range.
    """
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    owners, hours, metrics = _fetch(session.connection(), ids, start=start, end=end)
    read = {
        service_id: UsageWindow(
            service_id=service_id,
            hour_start=hours[lo:hi],
            **{name: metrics[i, lo:hi] for i, name in enumerate(USAGE_METRICS)},
        )
        for service_id, lo, hi in _runs(owners)
    }
    # An empty window only where one is missing (building 10,000 first cost 0.2 s).
    return {sid: read[sid] if sid in read else _empty(sid) for sid in ids}


Columns = tuple[npt.NDArray[np.int64], npt.NDArray[np.datetime64], npt.NDArray[np.float64]]


def _fetch(connection: Connection, ids: list[int], *, start: datetime, end: datetime) -> Columns:
    """The rows ordered by service, then hour, as columns: service ids, hours (datetime64[s])
    and the metrics (one contiguous row per metric, NULL → NaN, so each service's slice is a
    plain view).

    The hour is converted to epoch seconds by the database, and no SQLAlchemy Row is built:
    parsing SQLite's timestamp text per row, the UTC type's replace() and numpy walking Row
    objects were three quarters of a fleet recompute's usage read (decision 030, session 11).
    """
    table = USAGE_TABLE.c
    where = (table.service_id.in_(ids), table.hour_start >= start, table.hour_start < end)
    order = (table.service_id, table.hour_start)
    if connection.dialect.name == "postgresql":
        # NaN for NULL in SQL: every field fixed-width, the whole result one binary COPY.
        nan = literal(float("nan"), Float)
        query = select(
            cast(table.service_id, BigInteger),
            _epoch_s(connection),
            *(func.coalesce(table[name], nan) for name in USAGE_METRICS),
        )
        owners, epoch_s, *metrics = copy_out_columns(
            connection, query.where(*where).order_by(*order), _PG_COLUMNS
        )
        return owners, epoch_s.astype("datetime64[s]"), np.stack(metrics)
    query = select(table.service_id, _epoch_s(connection), *(table[n] for n in USAGE_METRICS))
    values = _driver_rows(connection, query.where(*where).order_by(*order))
    # ids and epoch seconds are exact in a double
    hours = values[:, 1].astype(np.int64).astype("datetime64[s]")
    return values[:, 0].astype(np.int64), hours, values[:, 2:].T.copy()


def _driver_rows(connection: Connection, query: Select[*TupleAny]) -> npt.NDArray[np.float64]:
    """The rows as one float64 array, taken from the driver's cursor as plain tuples a chunk
    at a time (SQLAlchemy still binds the parameters)."""
    result = connection.execute(query)
    try:
        chunks = [np.array(rows, dtype=np.float64) for rows in _chunks(result.cursor)]
    finally:
        result.close()
    width = len(query.selected_columns)
    return np.concatenate(chunks) if chunks else np.empty((0, width), dtype=np.float64)


def _chunks(cursor: Any) -> itertools.takewhile[list[tuple[Any, ...]]]:
    return itertools.takewhile(bool, iter(lambda: cursor.fetchmany(_FETCH_ROWS), []))


def _epoch_s(connection: Connection) -> ColumnElement[int]:
    """hour_start as whole epoch seconds, computed in SQL (hours have no fraction)."""
    hour = USAGE_TABLE.c.hour_start
    if connection.dialect.name == "sqlite":  # naive UTC text
        if _UNIXEPOCH:
            return cast(func.unixepoch(hour), Integer)
        return cast(func.strftime("%s", hour), Integer)
    return cast(func.floor(func.extract("epoch", hour)), BigInteger)


def _runs(owners: npt.NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """(value, start, stop) of each run of equal values in a sorted array."""
    if len(owners) == 0:
        return []
    starts = np.flatnonzero(np.diff(owners)) + 1
    bounds = np.concatenate(([0], starts, [len(owners)]))
    return [(int(owners[lo]), int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds)]


def _empty(service_id: int) -> UsageWindow:
    nothing = np.empty(0, dtype=np.float64)
    return UsageWindow(
        service_id=service_id,
        hour_start=np.empty(0, dtype="datetime64[s]"),
        **{name: nothing.copy() for name in USAGE_METRICS},
    )
