"""The backlog: the page's own filters, the KPI cards, the ranked table and its toolbar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import streamlit as st

from dashboard import actions, deps
from dashboard.components import downloads, filters, formats, kpis, recs, tables
from dashboard.components.recommendations import text
from dashboard.queries import realized
from data.repos import savings_report
from data.workflow.states import DECIDABLE

TYPE_LABELS = savings_report.ACTION_TYPES
DEFAULT_STATUSES = ("open",)


@dataclass(frozen=True, slots=True)
class PageFilters:
    """The Recommendations page's own filters; an empty tuple means "any"."""

    kinds: tuple[str, ...]
    risks: tuple[int, ...]
    statuses: tuple[str, ...]
    min_savings: float | None


def page_filters() -> PageFilters:
    """The sidebar's Type, Risk, Status and minimum-savings filters."""
    with st.sidebar:
        st.subheader("Recommendations", anchor=False)
        kinds = filters.remembered_multiselect(
            "Type",
            list(TYPE_LABELS),
            key="rec_kind",
            format_func=lambda k: TYPE_LABELS[k],
            placeholder="All types",
        )
        risks = filters.remembered_multiselect(
            "Risk",
            list(recs.RISK_BADGES),
            key="rec_risk",
            format_func=recs.risk_badge,
            placeholder="Any risk",
        )
        statuses = filters.remembered_multiselect(
            "Status",
            list(recs.STATUSES),
            key="rec_status",
            default=DEFAULT_STATUSES,
            format_func=recs.status_label,
            placeholder="Any status",
        )
        min_savings = st.number_input(
            "Min monthly savings",
            value=None,
            step=10.0,
            key="rec_min_savings",
            placeholder="Any amount",
            help="Effective monthly savings, in the recommendation's currency. A restore-SLA "
            "change costs money and has no savings: any minimum hides it.",
        )
    return PageFilters(
        kinds=tuple(kinds),
        risks=tuple(risks),
        statuses=tuple(statuses),
        min_savings=None if min_savings is None else float(min_savings),
    )


def narrow(frame: pd.DataFrame, wanted: PageFilters) -> pd.DataFrame:
    """The rows the page filters keep, renumbered."""
    keep = pd.Series(True, index=frame.index)
    if wanted.kinds:
        keep &= frame["kind"].isin(wanted.kinds)
    if wanted.risks:
        keep &= frame["risk_score"].isin(wanted.risks)
    if wanted.statuses:
        keep &= frame["status"].isin(wanted.statuses)
    if wanted.min_savings is not None:
        keep &= frame["monthly_savings"] >= wanted.min_savings
    return frame[keep].reset_index(drop=True)


def kpi_cards(frame: pd.DataFrame, now: datetime) -> list[kpis.Kpi]:
    """Open and applied savings, open count (restores apart), at-risk count."""
    currency = str(frame["currency"].mode().iloc[0]) if not frame.empty else "USD"
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = savings_report.backlog_totals(frame, currency=currency, month_start=month_start)
    return [
        kpis.Kpi(
            "Open savings",
            f"{formats.money_compact(totals.open_savings, currency)} /mo",
            delta=f"{formats.money_compact(totals.open_savings_risk_adjusted, currency)} /mo "
            "risk-adjusted",
            delta_color="off",
            delta_arrow="off",
            help="Modelled effective monthly savings of the open recommendations: for each "
            "service the best of its alternatives (they exclude each other), plus team "
            "commitments. Risk-adjusted: savings × (1 − risk ÷ 5). Restore-SLA changes are "
            "costs and are never counted here.",
        ),
        kpis.Kpi(
            "Applied savings this month",
            f"{formats.money_compact(totals.applied_savings_this_month, currency)} /mo",
            delta=f"{totals.applied_this_month} applied since {month_start:%b %d}",
            delta_color="off",
            delta_arrow="off",
            help="Monthly savings of the recommendations applied this calendar month (UTC) and "
            "not rolled back.",
        ),
        kpis.Kpi(
            "Open recommendations",
            f"{totals.open_count:,}",
            delta=text.restores_text(totals, currency),
            delta_color="off",
            delta_arrow="off",
            help="Open recommendations of the filtered teams, environments and platforms; "
            "restore-SLA changes (a breached SLA brought back, at a cost) included and counted "
            "apart.",
        ),
        kpis.Kpi(
            "At risk (risk ≥ 3)",
            f"{totals.at_risk_open:,}",
            delta="open, elevated or high risk",
            delta_color="off",
            delta_arrow="off",
            help="Open recommendations whose SLA risk is 3 (elevated) or 4 (high): read the "
            "verdict before applying.",
        ),
    ]


def _table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return recs.with_money_effect(frame).assign(
        risk_badge=frame["risk_score"].map(recs.risk_badge),
        status_label=frame["status"].map(recs.status_label),
        change=frame["current_summary"] + " → " + frame["proposed_summary"],
        environment=frame["environment"].fillna("all (team-wide)"),
    )


def table(frame: pd.DataFrame) -> list[int]:
    """The backlog grid; returns the selected recommendation ids (several for bulk apply)."""
    shown = _table_frame(frame)
    columns = [
        "service",
        "environment",
        "action_type",
        "savings",
        "cost_increase",
        "savings_pct",
        "risk_badge",
        "risk_adjusted_savings",
        "status_label",
        "change",
        "team",
        "effort",
    ]
    event = tables.grid(
        # Ids and codes ride along hidden (column_order): what tests and selections key on.
        recs.with_risk_tags(shown, [*columns, "recommendation_id", "kind", "status"]),
        column_order=[c if c != "risk_badge" else "risk_tag" for c in columns],
        column_config={
            "service": st.column_config.TextColumn("Service"),
            "team": st.column_config.TextColumn("Team"),
            "environment": st.column_config.TextColumn("Env"),
            "action_type": st.column_config.TextColumn("Type"),
            "change": st.column_config.TextColumn("Current → proposed", width="medium"),
            **recs.money_effect_columns(frame["currency"]),
            "savings_pct": st.column_config.NumberColumn("Savings %", format="%.1f %%"),
            "risk_tag": recs.risk_column(
                help="SLA risk 0 (very low) to 4 (high): the worst of five sub-scores."
            ),
            "risk_adjusted_savings": recs.money_column(
                "Risk-adjusted",
                frame["currency"],
                help="Savings × (1 − risk ÷ 5): the ranking key (none for a restore).",
            ),
            "status_label": st.column_config.TextColumn("Status"),
            "effort": st.column_config.TextColumn("Effort"),
        },
        hide_index=True,
        key=f"rec_table_{actions.done()}",
        on_select="rerun",
        selection_mode="multi-row",
    )
    rows = event.selection.rows if event is not None else []
    return [int(frame.iloc[i]["recommendation_id"]) for i in rows]


def toolbar(frame: pd.DataFrame, board: pd.DataFrame, selected: list[int], today: date) -> None:
    """Shown count, bulk apply of the ticked rows, the savings report download."""
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    ticked = board[board["recommendation_id"].isin(selected) & board["status"].isin(DECIDABLE)]
    decidable = ticked[ticked["sla_passes"].ne(False)]  # never one failing its SLA verdict
    with left:
        st.caption(
            f"{len(frame)} of {len(board)} recommendations shown. Tick rows to apply several at "
            "once."
            + (
                f" {len(ticked) - len(decidable)} ticked fail their SLA verdict and are left out."
                if len(ticked) > len(decidable)
                else ""
            )
        )
    middle.button(
        f"Apply {len(decidable)} selected…" if len(decidable) else "Apply selected…",
        key="rec_bulk_open",
        icon=":material/done_all:",
        disabled=len(decidable) < 2 or actions.refusal("approver", "bulk apply") is not None,
        help=actions.refusal("approver", "bulk apply")
        or "Tick two or more open recommendations in the table.",
        on_click=_open_bulk,
        args=(tuple(int(v) for v in decidable["recommendation_id"]),),
        width="stretch",
    )
    downloads.csv_button(
        "Savings report (CSV)",
        lambda: savings_report.savings_report(frame, realized.for_report(deps.sessions())),
        file_name=f"tightrope-savings-report-{today:%Y-%m-%d}.csv",
        key="rec_report",
        width="stretch",
        help="One row per recommendation shown, columns modelled on AWS Cost Optimization "
        "Hub's export.",
        where=right,
    )


def _open_bulk(ids: tuple[int, ...]) -> None:
    st.session_state["rec_bulk_ids"] = ids
