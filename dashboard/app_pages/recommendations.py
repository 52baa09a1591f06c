"""Recommendations: the ranked backlog, one recommendation's plan and SLA verdict, the decision."""

from __future__ import annotations

import streamlit as st

from dashboard import actions
from dashboard.components import filters, kpis, page, states
from dashboard.components.recommendations import backlog, decisions, detail, picker
from dashboard.queries import fleet as queries

start = page.begin(
    "What to change first. Ranked by risk-adjusted monthly savings = savings × (1 − risk ÷ 5), "
    "so a safe $100 outranks a risky $400; changes that restore a breached SLA cost money and "
    "follow the savings. Pick a recommendation to see its plan, SLA verdict and replayed "
    "history, then apply, reject or postpone it."
)
sessions, status, today = start.sessions, start.status, start.today
feedback = actions.take_feedback()
options = queries.filter_options(sessions)
chosen = filters.sidebar(options, today=today, first_day=status.first_cost_date, with_dates=False)
board = queries.backlog(sessions)
wanted_filters = backlog.page_filters()
scoped = filters.scoped(board, chosen.filters) if not board.empty else board
shown = backlog.narrow(scoped, wanted_filters) if not scoped.empty else scoped
if chosen.filters.active or wanted_filters.kinds or wanted_filters.risks:
    st.sidebar.info(
        f"Filters active — showing {len(shown)} of {len(board)} recommendations.",
        icon=":material/filter_alt:",
    )
actions.show(feedback)
if board.empty:
    st.info(
        "No recommendations yet. Run `make recompute` (or `python -m jobs recompute`) after "
        "loading usage: it sizes every service and stores what it finds.",
        icon=":material/lightbulb:",
    )
    st.stop()
kpis.kpi_row(backlog.kpi_cards(scoped, start.now))
st.caption(
    "Savings and costs here are modelled (the cost model's price of the current and proposed "
    "configuration, compute only); a service's billed cost is on Services and Service detail."
)
if shown.empty:
    st.info(
        "No recommendation matches these filters. Widen the status or risk filter, or clear "
        "the filters.",
        icon=":material/search_off:",
    )
    selected: list[int] = []
else:
    selected = backlog.table(shown)
    picker.follow_table(selected)
backlog.toolbar(shown, board, selected, today)
bulk_ids = st.session_state.pop("rec_bulk_ids", None)
if bulk_ids:
    decisions.confirm_bulk(tuple(bulk_ids), board, status.services)
picked = picker.pick(shown, board, feedback)
if picked is not None:
    st.divider()
    current_row = board[board["recommendation_id"] == picked].iloc[0]
    detail.show(queries.recommendation(sessions, picked), current_row, start, feedback)
st.divider()
states.freshness_line(status, now=start.now)
