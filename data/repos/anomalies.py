"""Cost anomalies: daily cost per service from SQL into the engine, stored, acknowledged once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data import outbox_events
from data.errors import Conflict, NotFound
from data.models import CostAnomalyRow, CostDailyRow, ServiceRow
from data.repos.audit import TargetType, record_event
from data.repos.sql import as_date, charged_between, read_frame
from engine.anomalies import Anomaly, Driver
from engine.arrays import FloatArray

SeriesKey = tuple[int, str]  # service id, billing currency
_TARGET: TargetType = "cost_anomaly"


@dataclass(frozen=True, slots=True)
class CostCube:
    """Effective cost per (service, currency) × FOCUS service category × day, from `start`.

    0 where a series has no cost that day, NaN before its first cost ever (a new service has
    no baseline yet); billing currency per day.
    """

    keys: tuple[SeriesKey, ...]
    categories: tuple[str, ...]
    start: date
    effective_cost: FloatArray


def cost_cube(session: Session, *, start: date, end: date) -> CostCube:
    """Allocated cost of [start, end] summed in SQL per service, currency, category and day."""
    rows = session.execute(
        select(
            CostDailyRow.service_id,
            CostDailyRow.billing_currency,
            CostDailyRow.service_category,
            CostDailyRow.charge_date,
            func.sum(CostDailyRow.effective_cost),
        )
        .where(CostDailyRow.service_id.is_not(None), charged_between(start, end))
        .group_by(
            CostDailyRow.service_id,
            CostDailyRow.billing_currency,
            CostDailyRow.service_category,
            CostDailyRow.charge_date,
        )
    ).all()
    keys = tuple(sorted({(int(r[0] or 0), str(r[1])) for r in rows}))
    categories = tuple(sorted({str(r[2]) for r in rows}))
    cube = np.zeros((len(keys), len(categories), (end - start).days + 1))
    where = {key: i for i, key in enumerate(keys)}
    column = {name: i for i, name in enumerate(categories)}
    for service_id, currency, category, day, cost in rows:
        assert service_id is not None  # the query excludes unallocated cost
        offset = (as_date(day) - start).days  # type: ignore[operator]
        cube[where[(service_id, currency)], column[category], offset] = float(cost)
    _blank_before_first_cost(session, cube, keys, start)
    return CostCube(keys, categories, start, cube)


def store_anomalies(
    session: Session,
    cube: CostCube,
    found: Sequence[Anomaly],
    *,
    days: Sequence[date],
    now: datetime,
) -> int:
    """Make the stored anomalies of `days` match `found`; returns the rows inserted, changed or
    removed. Acknowledged anomalies are the reviewer's: never changed or removed. An open one
    that restated costs no longer flag is removed; one that still holds keeps its detected_at."""
    existing = _stored(session, days)
    written = 0
    for anomaly in found:
        (service_id, currency), day = cube.keys[anomaly.series], cube.start + timedelta(anomaly.day)
        values = _values(anomaly)
        row = existing.pop((service_id, day, currency), None)
        if row is None:
            session.add(
                CostAnomalyRow(
                    service_id=service_id,
                    charge_date=day,
                    billing_currency=currency,
                    detected_at=now,
                    **values,
                )
            )
            outbox_events.anomaly_detected(
                session, service_id=service_id, day=day, currency=currency, values=values, now=now
            )
        elif row.status != "open" or not _changed(row, values):
            continue
        else:
            for name, value in values.items():
                setattr(row, name, value)
        written += 1
    for row in existing.values():  # what is left no longer flags
        if row.status == "open":
            session.delete(row)
            written += 1
    return written


def acknowledge(session: Session, anomaly_id: int, *, actor: str, now: datetime) -> None:
    """Mark an open anomaly acknowledged, once: a second acknowledgement (a double click, two
    tabs) is a Conflict naming who was first."""
    claimed = session.execute(
        update(CostAnomalyRow)
        .where(CostAnomalyRow.id == anomaly_id, CostAnomalyRow.status == "open")
        .values(status="acknowledged", acknowledged_by=actor, acknowledged_at=now)
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        row = session.get(CostAnomalyRow, anomaly_id)
        if row is None:
            raise NotFound(f"anomaly {anomaly_id} does not exist (costs restated meanwhile?)")
        raise Conflict(
            f"anomaly #{anomaly_id} was already acknowledged by {row.acknowledged_by} at "
            f"{row.acknowledged_at:%Y-%m-%d %H:%M} UTC"
        )
    record_event(
        session,
        actor=actor,
        action="anomaly_acknowledge",
        target=(_TARGET, anomaly_id),
        before={"status": "open"},
        after={"status": "acknowledged"},
        detail={},
        now=now,
    )


def list_anomalies(session: Session, *, since: date) -> pd.DataFrame:
    """Anomalies charged on or after `since`, newest and largest first, with service names."""
    query = (
        select(
            CostAnomalyRow.id.label("anomaly_id"),
            CostAnomalyRow.service_id,
            ServiceRow.slug,
            ServiceRow.name.label("service"),
            ServiceRow.team,
            CostAnomalyRow.charge_date,
            CostAnomalyRow.billing_currency,
            CostAnomalyRow.effective_cost,
            CostAnomalyRow.baseline_cost,
            CostAnomalyRow.robust_z,
            CostAnomalyRow.direction,
            CostAnomalyRow.drivers,
            CostAnomalyRow.status,
            CostAnomalyRow.detected_at,
            CostAnomalyRow.acknowledged_by,
            CostAnomalyRow.acknowledged_at,
        )
        .join(ServiceRow, ServiceRow.id == CostAnomalyRow.service_id)
        .where(CostAnomalyRow.charge_date >= since)
        .order_by(CostAnomalyRow.charge_date.desc(), func.abs(CostAnomalyRow.robust_z).desc())
    )
    return read_frame(session, query)


def _blank_before_first_cost(
    session: Session, cube: FloatArray, keys: Sequence[SeriesKey], start: date
) -> None:
    firsts = session.execute(
        select(
            CostDailyRow.service_id,
            CostDailyRow.billing_currency,
            func.min(CostDailyRow.charge_date),
        )
        .where(CostDailyRow.service_id.is_not(None))
        .group_by(CostDailyRow.service_id, CostDailyRow.billing_currency)
    )
    where = {key: i for i, key in enumerate(keys)}
    for service_id, currency, first in firsts:
        index = where.get((int(service_id or 0), currency))
        offset = (as_date(first) - start).days  # type: ignore[operator]
        if index is not None and offset > 0:
            cube[index, :, :offset] = np.nan


def _stored(session: Session, days: Sequence[date]) -> dict[tuple[int, date, str], CostAnomalyRow]:
    if not days:
        return {}
    rows = session.scalars(
        select(CostAnomalyRow).where(CostAnomalyRow.charge_date.between(min(days), max(days)))
    )
    return {(row.service_id, row.charge_date, row.billing_currency): row for row in rows}


def _values(anomaly: Anomaly) -> dict[str, Any]:
    return {
        "effective_cost": _money(anomaly.effective_cost),
        "baseline_cost": _money(anomaly.baseline_cost),
        "robust_z": round(anomaly.robust_z, 4),
        "direction": anomaly.direction,
        "drivers": {"categories": [_driver(d) for d in anomaly.drivers]},
    }


def _driver(driver: Driver) -> dict[str, Any]:
    return {
        "category": driver.category,
        "effective_cost": round(driver.effective_cost, 4),
        "baseline_cost": round(driver.baseline_cost, 4),
        "delta_cost": round(driver.delta_cost, 4),
        "share_pct": round(driver.share_pct, 1),
    }


def _changed(row: CostAnomalyRow, values: dict[str, Any]) -> bool:
    # Decimal compares by value: 12.3400000000 from the database equals 12.3400.
    return any(getattr(row, name) != value for name, value in values.items())


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("1e-4"))
