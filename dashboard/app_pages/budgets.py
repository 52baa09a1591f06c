"""Budgets & anomalies: monthly budgets with forecast and state, cost anomalies, commitments."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import actions, deps
from dashboard.components import kpis, page, states
from dashboard.components.budgets import anomalies as budgets_anomalies
from dashboard.components.budgets import commitments as budgets_commitments
from dashboard.components.budgets import forms as budgets_forms
from dashboard.components.budgets import table as budgets_table
from dashboard.queries import budgets as budgets_queries
from data.repos.budget_status import BudgetView, month_bounds

ANOMALY_DAYS = 30

start = page.begin(
    "Is each team and service on track for its monthly budget, what broke from its usual daily "
    "cost, and are commitment discounts used? Forecast (modelled): each remaining day from a "
    "robust trend plus weekday effects on the last complete days, with 80 % and 95 % intervals "
    "calibrated on the scope's own past forecast errors; today's partial cost is never counted."
)
sessions, status, today = start.sessions, start.status, start.today
actions.show(actions.take_feedback())


def _months() -> list[date]:
    """Five months back to two ahead of the last complete day's month, newest first (on the
    1st that is the month just closed, whose figures are final; the new one is offered too)."""
    anchor = today.replace(day=1)
    found = []
    for step in range(-2, 6):
        year, month = divmod(anchor.month - 1 - step, 12)
        found.append(date(anchor.year + year, month + 1, 1))
    return found


with st.sidebar:
    st.subheader("Budgets", anchor=False)
    months = _months()
    month: date = st.selectbox(
        "Month", months, index=2, format_func=lambda m: f"{m:%B %Y}", key="bud_month"
    )
first, last = month_bounds(month)
views = budgets_queries.budget_views(sessions, month, today)
budgets = budgets_table.budgets_frame(views)
since = today - timedelta(days=ANOMALY_DAYS)
anomalies = budgets_anomalies.anomalies_frame(budgets_queries.anomaly_list(sessions, since))
commit_end = min(last, today)
commitments = budgets_queries.commitment_usage(sessions, first, commit_end)


def _kpi_cards() -> list[kpis.Kpi]:
    over = int((budgets["state"] == "over").sum())
    at_risk = int((budgets["state"] == "at_risk").sum())
    open_count = int((anomalies["status"] == "open").sum()) if not anomalies.empty else 0
    return [
        kpis.Kpi("Budgets", f"{len(budgets)}", help=f"Budgets for {month:%B %Y}."),
        kpis.Kpi("Over budget", f"{over}", help="Month-to-date effective cost above the amount."),
        kpis.Kpi("At risk", f"{at_risk}", help="Forecast to month end above the amount."),
        kpis.Kpi(
            f"Open anomalies ({ANOMALY_DAYS} d)",
            f"{open_count}",
            help="Days whose cost broke from the service's 28-day median, not acknowledged yet.",
        ),
        kpis.Kpi("Commitment utilization", _utilization(commitments), help=_UTILIZATION_HELP),
    ]


_UTILIZATION_HELP = (
    "Used ÷ (used + unused) effective cost of every commitment this month; one figure per "
    "currency (never mixed)."
)


def _utilization(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "—"
    sums = frame.groupby("billing_currency")[["used_effective_cost", "unused_effective_cost"]].sum()
    total = sums["used_effective_cost"] + sums["unused_effective_cost"]
    shares = (100 * sums["used_effective_cost"] / total).dropna()
    return " · ".join(f"{share:.1f} % {cur}" for cur, share in shares.items()) or "—"


def _budget_toolbar(picked: BudgetView | None) -> None:
    refusal = budgets_forms.refusal()
    # Buttons as wide as their labels: fixed columns cut them ("New …") at 1,000 px.
    bar = st.container(horizontal=True, wrap=True, vertical_alignment="center")
    if bar.button(
        "New budget…",
        key="bud_new",
        icon=":material/add:",
        disabled=refusal is not None,
        help=refusal,
        width="content",
    ):
        scopes = budgets_queries.budget_scopes(sessions)
        budgets_forms.create_dialog(scopes, months, month, deps.settings().currency)
    if (
        bar.button(
            "Edit budget…",
            key="bud_edit",
            icon=":material/edit:",
            disabled=refusal is not None or picked is None,
            help=refusal or "Change the amount of the budget picked below, or delete it.",
            width="content",
        )
        and picked is not None
    ):
        budgets_forms.edit_dialog(budgets[budgets["budget_id"] == picked.budget.id].iloc[0])
    if refusal:
        bar.caption(refusal)


def _picked() -> BudgetView | None:
    if not views:
        return None
    by_id = {v.budget.id: v for v in views}
    labels = dict(
        zip(budgets["budget_id"], budgets["scope"] + " · " + budgets["currency"], strict=True)
    )
    chosen = st.selectbox(
        "Budget",
        [int(i) for i in budgets["budget_id"]],
        format_func=lambda i: labels[i],
        key="bud_pick",
        help="Its month is charted below; Edit budget… changes this one.",
    )
    return by_id.get(int(chosen)) if chosen is not None else None


kpis.kpi_row(_kpi_cards())
st.subheader("Budgets", anchor=False)
if budgets.empty:
    st.info(
        f"No budget for {month:%B %Y} yet. Create one with New budget… (a team or a service, "
        "an amount in one currency); its month-to-date, forecast and state appear here.",
        icon=":material/savings:",
    )
picked = _picked()
_budget_toolbar(picked)
if picked is not None:
    budgets_table.show_chart(picked)
    budgets_table.show_table(budgets, month=month)
st.subheader("Cost anomalies", anchor=False)
budgets_anomalies.show(anomalies, since=since, today=today)
st.subheader("Commitment discounts", anchor=False)
st.caption(f"Charged {first:%Y-%m-%d} to {commit_end:%Y-%m-%d}.")
budgets_commitments.show(commitments, start=first, end=commit_end)
st.divider()
states.freshness_line(status, now=start.now)
