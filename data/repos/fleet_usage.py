"""Hourly usage of many services read in one query and split into per-service numpy windows."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.repos.usage import USAGE_METRICS, USAGE_TABLE
from engine.usage import UsageWindow


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
    rows = _fetch(session, ids, start=start, end=end)
    owners = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    # Epoch seconds of the aware UTC datetimes: 3x faster than `to_datetime64` row by row.
    epoch_s = np.fromiter((row[1].timestamp() for row in rows), dtype=np.float64, count=len(rows))
    hours = epoch_s.astype(np.int64).astype("datetime64[s]")
    # One contiguous array per metric (NULL → NaN), so each service's slice is a plain view.
    metrics = np.array([row[2:] for row in rows], dtype=np.float64).reshape(len(rows), 6).T.copy()
    windows = {service_id: _empty(service_id) for service_id in ids}
    for service_id, lo, hi in _runs(owners):
        windows[service_id] = UsageWindow(
            service_id=service_id,
            hour_start=hours[lo:hi],
            **{name: metrics[i, lo:hi] for i, name in enumerate(USAGE_METRICS)},
        )
    return windows


def _fetch(session: Session, ids: list[int], *, start: datetime, end: datetime) -> Sequence[Any]:
    """(service_id, hour_start, *metrics) rows ordered by service, then hour."""
    table = USAGE_TABLE.c
    query = (
        select(table.service_id, table.hour_start, *(table[name] for name in USAGE_METRICS))
        .where(table.service_id.in_(ids), table.hour_start >= start, table.hour_start < end)
        .order_by(table.service_id, table.hour_start)
    )
    # Core, not ORM: the ORM's per-row loading machinery doubled the time of this read.
    return session.connection().execute(query).all()


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
