"""Realized savings and SLA after apply, one row per change, as the pages show them (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from dashboard.components import formats
from data.repos.change_sla import SlaAfterChange
from data.repos.realized import ChangeRealized, RealizedMonth
from engine.realized import NotEnoughData

REALIZED_COLUMNS = (
    "change_id",
    "recommendation_id",
    "currency",
    "predicted_monthly",
    "realized_monthly",
    "realized_low",
    "realized_high",
    "realized_text",
    "realized_status",
    "demand_unit",
    "days_in_month",
    "month_realized",
    "month_predicted",
    "latency_target_ms",
    "predicted_p95_ms",
    "observed_p95_ms",
    "predicted_peak_pct",
    "observed_peak_pct",
    "breach_share_pct",
    "sla_breached",
)


def realized_frame(
    found: Sequence[ChangeRealized], checks: Sequence[SlaAfterChange]
) -> pd.DataFrame:
    """One row per change: predicted vs realized (with its band, or why it is not measured),
    this month's money, and the SLA prediction against what telemetry showed after."""
    by_change = {check.change_id: check for check in checks}
    rows = [_row(change, by_change.get(change.change_id)) for change in found]
    return pd.DataFrame(rows, columns=list(REALIZED_COLUMNS))


def realized_text(change: ChangeRealized) -> str:
    """`$83 /mo (82 – 84)` or the reason it is not measured yet."""
    result = change.result
    if isinstance(result, NotEnoughData):
        return result.reason
    money = change.currency
    return (
        f"{formats.money(result.monthly_usd, money)} /mo "
        f"({formats.money(result.low_monthly_usd, money)} – "
        f"{formats.money(result.high_monthly_usd, money)})"
    )


def _row(change: ChangeRealized, check: SlaAfterChange | None) -> dict[str, Any]:
    result = change.result
    monthly, low, high = (
        (math.nan,) * 3
        if isinstance(result, NotEnoughData)
        else (result.monthly_usd, result.low_monthly_usd, result.high_monthly_usd)
    )
    return {
        "change_id": change.change_id,
        "recommendation_id": change.recommendation_id,
        "currency": change.currency,
        "predicted_monthly": _or_nan(change.predicted_monthly_usd),
        "realized_monthly": monthly,
        "realized_low": low,
        "realized_high": high,
        "realized_text": realized_text(change),
        "realized_status": _status(change),
        "demand_unit": change.demand_unit,
        "days_in_month": change.days_in_month,
        "month_realized": change.month_usd,
        "month_predicted": change.predicted_month_usd,
        **_sla(check),
    }


def _status(change: ChangeRealized) -> str:
    result = change.result
    if isinstance(result, NotEnoughData):
        return result.reason
    unit = f"per unit of {change.demand_unit}" if result.normalized else "not normalized"
    until = ", until its rollback" if change.status == "rolled_back" else ""
    return f"measured over {result.pairs} days against the same weekdays before ({unit}){until}"


def _sla(check: SlaAfterChange | None) -> dict[str, Any]:
    if check is None:
        return {
            "latency_target_ms": math.nan,
            "predicted_p95_ms": math.nan,
            "observed_p95_ms": math.nan,
            "predicted_peak_pct": math.nan,
            "observed_peak_pct": math.nan,
            "breach_share_pct": math.nan,
            "sla_breached": False,
        }
    share = check.breach_hours / check.latency_hours * 100.0 if check.latency_hours else math.nan
    return {
        "latency_target_ms": check.latency_target_ms,
        "predicted_p95_ms": check.predicted_p95_ms,
        "observed_p95_ms": check.observed_p95_ms,
        "predicted_peak_pct": check.predicted_peak_utilization_pct,
        "observed_peak_pct": check.observed_peak_utilization_pct,
        "breach_share_pct": share,
        "sla_breached": check.breached,
    }


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def month_of(frame: pd.DataFrame, *, currency: str) -> RealizedMonth:
    """This month's realized vs predicted, summed over the changes a page shows (a frame of
    REALIZED_COLUMNS): the same figure `data.repos.realized.month_totals` gives the Overview."""
    mine = frame[(frame["currency"] == currency) & (frame["days_in_month"] > 0)]
    measured = mine[mine["realized_monthly"].notna()]
    return RealizedMonth(
        currency=currency,
        realized_usd=float(measured["month_realized"].sum()),
        predicted_usd=float(measured["month_predicted"].sum()),
        measured=len(measured),
        waiting=len(mine) - len(measured),
    )
