"""The recommendation backlog as a table, and the savings report built from it (one row each).

The report's columns follow AWS Cost Optimization Hub's CSV export (action type, current and
recommended resource summary, estimated monthly cost before/after, savings and savings %,
implementation effort, restart needed, rollback possible, currency, last refresh), plus the
SLA engine's risk and predicted p95 latency, which COH does not have. Money stays numeric and
in the recommendation's currency; 730-hour months, effective (after-discount) cost. A restore_sla
is a cost, not a saving: its savings cells stay empty and its increase has its own column, so no
savings total or ranking ever sums it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from data.errors import NotFound
from data.models import RecommendationRow, ServiceRow
from data.repos.backlog_rows import backlog_pairs
from data.repos.stored_recommendations import StoredRecommendation, to_stored
from engine.capacity import CapacityConfig
from engine.recommendation import (
    RESTORE_SLA,
    RISK_DISCOUNT_DIVISOR,
    is_savings_kind,
    risk_adjusted,
)
from engine.risk import RISK_LABELS

__all__ = ["RISK_DISCOUNT_DIVISOR", "risk_adjusted"]  # the engine's rule, re-exported
AT_RISK_SCORE = 3
TEAM_SCOPE_PREFIX = "team:"
ACTION_TYPES = {
    "rightsize": "Rightsize",
    "horizontal": "Scale in/out",
    "joint": "Rightsize and scale",
    "idle": "Stop (idle)",
    "off_hours": "Schedule off-hours",
    "commitment": "Purchase commitment",
    "container_rightsize": "Rightsize containers",
    "restore_sla": "Restore SLA",
}
BACKLOG_COLUMNS = (
    "recommendation_id",
    "version",
    "status",
    "kind",
    "rule",
    "action_type",
    "scope",
    "service_id",
    "service",
    "slug",
    "team",
    "environment",
    "platform",
    "current_summary",
    "proposed_summary",
    "currency",
    "monthly_cost_current_list",
    "monthly_cost_current_effective",
    "monthly_cost_proposed_list",
    "monthly_cost_proposed_effective",
    "monthly_savings",
    "savings_pct",
    "monthly_cost_increase",
    "risk_score",
    "risk_label",
    "risk_adjusted_savings",
    "sla_passes",
    "projected_p95_ms",
    "peak_utilization_pct",
    "effort",
    "restart_needed",
    "rollback_possible",
    "reason",
    "decided_by",
    "decided_at",
    "decision_reason",
    "postponed_until",
    "updated_at",
)
REPORT_COLUMNS = {
    "recommendation_id": "Recommendation ID",
    "service": "Service",
    "slug": "Service slug",
    "team": "Team",
    "environment": "Environment",
    "action_type": "Action type",
    "current_summary": "Current configuration",
    "proposed_summary": "Recommended configuration",
    "currency": "Currency",
    "monthly_cost_current_effective": "Estimated monthly cost before",
    "monthly_cost_proposed_effective": "Estimated monthly cost after",
    "monthly_cost_current_list": "Monthly list cost before",
    "monthly_cost_proposed_list": "Monthly list cost after",
    "monthly_savings": "Estimated monthly savings",
    "savings_pct": "Estimated savings %",
    "monthly_cost_increase": "Estimated monthly cost increase (restore SLA)",
    "risk_score": "Risk (0-4)",
    "risk_label": "Risk label",
    "projected_p95_ms": "Predicted p95 latency (ms)",
    "effort": "Implementation effort",
    "restart_needed": "Restart needed",
    "rollback_possible": "Rollback possible",
    "status": "Status",
    "updated_at": "Last refresh timestamp",
}
# From a realized frame (dashboard.realized_view.REALIZED_COLUMNS), by recommendation: what
# billing shows since the recommendation was applied (data.repos.realized).
REALIZED_REPORT_COLUMNS = {
    "realized_monthly": "Realized monthly savings",
    "realized_low": "Realized savings band low (95 %)",
    "realized_high": "Realized savings band high (95 %)",
    "realized_status": "Realized savings status",
}


def backlog(session: Session) -> pd.DataFrame:
    """Every stored recommendation with its service, best risk-adjusted savings first; the
    restore_sla ones (no savings, so no risk-adjusted savings: NaN) after them, cheapest first.

    Team-scope (commitment) recommendations have no service: their team comes from the scope
    (`team:payments`), their environment and platform stay empty.
    """
    return backlog_frame(backlog_pairs(session))


def service_backlog(session: Session, service_id: int) -> pd.DataFrame:
    """`backlog` narrowed to one service in SQL (the Service detail page reads one service)."""
    return backlog_frame(backlog_pairs(session, service_id=service_id))


def backlog_query() -> Select[RecommendationRow, ServiceRow]:
    """Every recommendation with its service (None for a team-scope one), by id, as ORM rows
    (the export's snapshot keeps them; the pages read `backlog_pairs`, the same as rows)."""
    return (
        select(RecommendationRow, ServiceRow)
        .outerjoin(ServiceRow, ServiceRow.id == RecommendationRow.service_id)
        .order_by(RecommendationRow.id)
    )


def backlog_frame(pairs: Iterable[tuple[RecommendationRow, ServiceRow | None]]) -> pd.DataFrame:
    """The backlog frame of (recommendation, service) rows, in the backlog's order."""
    rows = [_backlog_row(rec, service) for rec, service in pairs]
    frame = pd.DataFrame(rows, columns=list(BACKLOG_COLUMNS))
    if frame.empty:
        return frame
    return frame.sort_values(
        ["risk_adjusted_savings", "monthly_savings", "recommendation_id"],
        ascending=[False, False, True],
        ignore_index=True,
    )


def get_recommendation(session: Session, recommendation_id: int) -> StoredRecommendation:
    row = session.get(RecommendationRow, recommendation_id)
    if row is None:
        raise NotFound(f"recommendation {recommendation_id} does not exist")
    return to_stored(row)


def savings_report(frame: pd.DataFrame, realized: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per recommendation of a backlog frame, COH-style headers, numbers numeric; a
    restore_sla's savings cells empty and its cost increase in its own column; the realized
    columns filled for applied recommendations from `realized` (one row per change)."""
    report = frame[list(REPORT_COLUMNS)].rename(columns=REPORT_COLUMNS)
    restores = ~frame["kind"].map(is_savings_kind).astype(bool).to_numpy()
    report.loc[restores, ["Estimated monthly savings", "Estimated savings %"]] = math.nan
    for column in (
        "Estimated monthly cost before",
        "Estimated monthly cost after",
        "Monthly list cost before",
        "Monthly list cost after",
        "Estimated monthly savings",
        "Estimated monthly cost increase (restore SLA)",
    ):
        report[column] = report[column].astype("float64").round(2)
    report["Estimated savings %"] = report["Estimated savings %"].astype("float64").round(1)
    report["Predicted p95 latency (ms)"] = (
        report["Predicted p95 latency (ms)"].astype("float64").round(0)
    )
    report["Restart needed"] = report["Restart needed"].map(_yes_no)
    report["Rollback possible"] = report["Rollback possible"].map(_yes_no)
    report["Last refresh timestamp"] = report["Last refresh timestamp"].map(_iso)
    return _with_realized(report.reset_index(drop=True), frame["recommendation_id"], realized)


def _with_realized(
    report: pd.DataFrame, ids: pd.Series, realized: pd.DataFrame | None
) -> pd.DataFrame:
    """The realized columns of each recommendation's newest change (empty when not applied)."""
    found = pd.DataFrame(columns=["recommendation_id", *REALIZED_REPORT_COLUMNS])
    if realized is not None and not realized.empty:
        found = realized.dropna(subset=["recommendation_id"])  # newest change first
    by_rec = found.drop_duplicates("recommendation_id").set_index("recommendation_id")
    keys = ids.reset_index(drop=True)
    for column, header in REALIZED_REPORT_COLUMNS.items():
        values = keys.map(by_rec[column]) if len(by_rec) else pd.Series(index=keys.index)
        is_money = column != "realized_status"
        report[header] = (
            values.astype("float64").round(2) if is_money else values.astype(object).fillna("")
        )
    return report


def config_summary(config: CapacityConfig | None) -> str:
    """`3 × m5.large in 2 zones` / `4 × 500m / 1.00 GiB in 3 zones`; '' without a config."""
    if config is None:
        return ""
    text = f"{config.describe()} in {config.zones} zone{'s' if config.zones != 1 else ''}"
    if config.schedule != "always":
        text += f", {config.schedule}"
    if config.commitment_coverage_pct or config.spot_pct:
        text += f", {config.commitment_coverage_pct:.0f} % committed, {config.spot_pct:.0f} % spot"
    return text


def _backlog_row(row: RecommendationRow, service: ServiceRow | None) -> dict[str, Any]:
    rec = to_stored(row)
    team = service.team if service is not None else _scope_team(rec.scope)
    projected = rec.sla.projected_p95_ms if rec.sla is not None else math.nan
    peak = rec.sla.peak_utilization if rec.sla is not None else math.nan
    saving = is_savings_kind(rec.kind)
    return {
        "recommendation_id": rec.id,
        "version": rec.version,
        "status": rec.status,
        "kind": rec.kind,
        "rule": rec.rule,
        "action_type": ACTION_TYPES.get(rec.kind, rec.kind),
        "scope": rec.scope,
        "service_id": rec.service_id,
        "service": service.name if service is not None else f"Team {team} (all services)",
        "slug": service.slug if service is not None else rec.scope,
        "team": team,
        "environment": service.environment if service is not None else None,
        "platform": service.platform if service is not None else None,
        "current_summary": config_summary(rec.current) or _commitment_summary(rec, "current"),
        "proposed_summary": config_summary(rec.proposed) or _commitment_summary(rec, "proposed"),
        "currency": rec.currency,
        "monthly_cost_current_list": rec.cost_current.list_usd,
        "monthly_cost_current_effective": rec.cost_current.effective_usd,
        "monthly_cost_proposed_list": rec.cost_proposed.list_usd,
        "monthly_cost_proposed_effective": rec.cost_proposed.effective_usd,
        "monthly_savings": rec.monthly_savings_usd,
        "savings_pct": rec.savings_pct,
        "monthly_cost_increase": math.nan if saving else rec.monthly_cost_increase_usd,
        "risk_score": rec.risk.score,
        "risk_label": RISK_LABELS[rec.risk.score],
        "risk_adjusted_savings": (
            risk_adjusted(rec.monthly_savings_usd, rec.risk.score) if saving else math.nan
        ),
        "sla_passes": rec.sla.passes if rec.sla is not None else None,
        "projected_p95_ms": projected,
        "peak_utilization_pct": peak * 100.0,
        "effort": rec.effort,
        "restart_needed": rec.restart_needed,
        "rollback_possible": rec.rollback_possible,
        "reason": rec.reason,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
        "decision_reason": rec.decision_reason,
        "postponed_until": rec.postponed_until,
        "updated_at": rec.updated_at,
    }


def _scope_team(scope: str) -> str | None:
    return scope.removeprefix(TEAM_SCOPE_PREFIX) if scope.startswith(TEAM_SCOPE_PREFIX) else None


def _commitment_summary(rec: StoredRecommendation, side: str) -> str:
    if rec.kind != "commitment":
        return ""
    if side == "current":
        return "on-demand"
    rate = rec.explanation.fact("commitment_usd_per_hour")
    if not isinstance(rate, int | float):
        return rec.reason
    return f"commit {rate:.2f} {rec.currency}/h (1 year)"


def _yes_no(value: Any) -> str:
    return "Yes" if bool(value) else "No"


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else ""


@dataclass(frozen=True, slots=True)
class BacklogTotals:
    """The Recommendations page's KPI figures for one currency.

    open_savings: per service the best open alternative (rightsize, scale and joint proposals
    for one service exclude each other), plus each team's commitment; only savings kinds with
    savings > 0 count. A restore_sla is a cost: never in a savings figure, counted apart
    (restore_sla_open and their monthly cost increase).
    """

    currency: str
    open_count: int
    open_savings: float
    open_savings_risk_adjusted: float
    applied_savings_this_month: float
    applied_this_month: int
    at_risk_open: int
    restore_sla_open: int = 0
    restore_sla_cost_increase: float = 0.0


def backlog_totals(frame: pd.DataFrame, *, currency: str, month_start: datetime) -> BacklogTotals:
    """Open / applied-this-month / at-risk figures of a backlog frame (see BacklogTotals)."""
    if frame.empty:
        return BacklogTotals(currency, 0, 0.0, 0.0, 0.0, 0, 0)
    mine = frame[frame["currency"] == currency]
    mine = mine.assign(saving=mine["kind"].map(is_savings_kind).astype(bool))
    open_rows = mine[mine["status"] == "open"]
    best = mine[counted_in_open_savings(mine)]
    applied = mine[
        (mine["status"] == "applied") & mine["decided_at"].map(_on_or_after(month_start))
    ]
    restores = open_rows[~open_rows["saving"]]
    return BacklogTotals(
        currency=currency,
        open_count=len(open_rows),
        open_savings=_cents_sum(best["monthly_savings"]),
        open_savings_risk_adjusted=_cents_sum(best["risk_adjusted_savings"]),
        applied_savings_this_month=_cents_sum(applied[applied["saving"]]["monthly_savings"]),
        applied_this_month=len(applied),
        at_risk_open=int((open_rows["risk_score"] >= AT_RISK_SCORE).sum()),
        restore_sla_open=len(restores),
        restore_sla_cost_increase=float(restores["monthly_cost_increase"].sum()),
    )


def _cents_sum(savings: pd.Series) -> float:
    """The sum of the rows as the savings report shows them (each to the cent), so a sum of
    its exported column reproduces the page's figure to the cent."""
    return float(savings.astype("float64").round(2).sum())


def counted_in_open_savings(frame: pd.DataFrame) -> pd.Series:
    """Per row of a backlog frame, whether the open-savings total counts it: per target (a
    service, or a team's scope) the open savings-kind row with the biggest savings > 0, since
    a target's alternatives exclude each other (AWS Cost Optimization Hub's "group related
    recommendations" keeps the biggest of a group the same way)."""
    saving = frame["kind"].map(is_savings_kind).astype(bool)
    candidates = frame[saving & (frame["status"] == "open") & (frame["monthly_savings"] > 0)]
    target = candidates["service_id"].astype("string").fillna(candidates["scope"])
    best = candidates.groupby(target)["monthly_savings"].idxmax()
    return pd.Series(frame.index.isin(best.to_numpy()), index=frame.index)


def _on_or_after(moment: datetime) -> Any:
    def check(value: Any) -> bool:
        return isinstance(value, datetime) and value >= moment

    return check


@dataclass(frozen=True, slots=True)
class OpenBacklog:
    """The sidecar's backlog gauges: open recommendations and their summed monthly savings."""

    count: int
    savings_usd: float


def open_backlog(session: Session) -> OpenBacklog:
    """One aggregate query; a restore_sla's cost increase is not a negative saving and stays
    out of the sum."""
    savings = case(
        (RecommendationRow.kind != RESTORE_SLA, RecommendationRow.monthly_savings_usd), else_=0
    )
    query = select(func.count(), func.coalesce(func.sum(savings), 0)).where(
        RecommendationRow.status == "open"
    )
    count, total = session.execute(query).one()
    return OpenBacklog(count=int(count), savings_usd=float(total))
