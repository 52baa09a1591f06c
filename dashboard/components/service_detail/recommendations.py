"""Service detail: the service's recommendations, and why each rule proposed none."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps
from dashboard.components import downloads, formats, markdown_table, recs, selection
from dashboard.queries import fleet as queries
from dashboard.queries import realized
from data.repos import savings_report

OUTCOME_WORDS = {
    "recommend": "Recommends a change",
    "not_enough_data": "Not enough data",
    "no_change_worth_making": "No change worth making",
    "already_optimal": "Already optimal",
    "not_applicable": "Does not apply",
    "sla_unreachable": "No candidate keeps the SLA",
    "merged": "Same change as another rule",
}


def show(sessions: sessionmaker[Session], service_id: int) -> None:
    """This service's recommendations (open one on its page), and why each rule proposed none."""
    st.subheader("Recommendations", anchor=False)
    mine = queries.service_backlog(sessions, service_id)
    if mine.empty:
        st.info(
            "No recommendation for this service. The reasons each rule gave are below.",
            icon=":material/lightbulb:",
        )
    else:
        _recommendation_table(mine)
    _no_recommendation_reasons(sessions, service_id)


def _recommendation_table(mine: pd.DataFrame) -> None:
    shown = recs.with_money_effect(mine).assign(
        change=mine["current_summary"] + " → " + mine["proposed_summary"],
        status_label=mine["status"].map(recs.status_label),
    )
    st.markdown(_recommendation_markdown(shown))
    labels = {
        int(rid): f"#{rid} · {action} · {change}"
        for rid, action, change in shown[["recommendation_id", "action_type", "change"]].itertuples(
            index=False, name=None
        )
    }
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    downloads.csv_button(
        "Export CSV",
        lambda: savings_report.savings_report(mine, realized.for_report(deps.sessions())),
        file_name=f"tightrope-recommendations-{mine['slug'].iloc[0]}.csv",
        key="detail_recs_export",
        width="stretch",
        where=right,
    )
    selection.pick_to_open(
        left,
        "Open a recommendation",
        labels,
        key="detail_rec_open",
        placeholder="Choose one to see its plan and SLA verdict, and act on it",
        open_one=selection.open_recommendation,
    )


def _recommendation_markdown(shown: pd.DataFrame) -> str:
    """The service's few recommendations as a table (a handful of rows: at most one per rule
    and config, so nothing to sort or scroll). No link in it: markdown bodies hold no links
    (test_stored_text_escaped); "Open a recommendation" below opens one by its number."""
    unit = _money_unit(shown["currency"])
    columns = (
        markdown_table.Column("Type"),
        markdown_table.Column("Current → proposed"),
        markdown_table.Column(f"Savings ({unit}/mo)", "right"),
        markdown_table.Column(f"Cost increase ({unit}/mo)", "right"),
        markdown_table.Column("Risk"),
        markdown_table.Column("Status"),
        markdown_table.Column("Recommendation"),
    )
    fields = ["action_type", "change", "savings", "cost_increase", "risk_score", "status_label"]
    rows = (
        (
            markdown_table.text(action),
            markdown_table.text(change),
            _signed(savings),
            _signed(increase),
            recs.risk_badge_markdown(int(risk)),
            markdown_table.text(status),
            markdown_table.text(f"#{int(rid)}"),
        )
        for action, change, savings, increase, risk, status, rid in shown[
            [*fields, "recommendation_id"]
        ].itertuples(index=False, name=None)
    )
    return markdown_table.table(columns, rows)


def _money_unit(currencies: pd.Series) -> str:
    present = sorted(str(c) for c in currencies.dropna().unique())
    return present[0] if len(present) == 1 else "mixed currencies"


def _signed(amount: float) -> str:
    """`+649` / `-8`, empty when the column does not apply (a restore has no savings)."""
    return "" if pd.isna(amount) else markdown_table.text(f"{amount:+,.0f}")


def _no_recommendation_reasons(sessions: sessionmaker[Session], service_id: int) -> None:
    outcomes = queries.rule_outcomes(sessions, service_id)
    quiet = outcomes[outcomes["outcome"] != "recommend"] if not outcomes.empty else outcomes
    st.markdown("**Why no recommendation** — what each rule concluded at the last recompute")
    if outcomes.empty:
        st.caption(
            "No rule results are stored for this service yet: they are written by the next "
            "recompute (`make recompute`)."
        )
        return
    if quiet.empty:
        st.caption("Every rule proposed a change.")
        return
    shown = quiet.assign(
        rule=quiet["kind"].map(lambda k: savings_report.ACTION_TYPES.get(k, k)),
        verdict=quiet["outcome"].map(lambda o: OUTCOME_WORDS.get(o, o)),
    )
    columns = (
        markdown_table.Column("Rule"),
        markdown_table.Column("Outcome"),
        markdown_table.Column("Reason"),
        markdown_table.Column("Evaluated (UTC)"),
    )
    rows = (
        (
            markdown_table.text(rule),
            markdown_table.text(verdict),
            markdown_table.text(reason),
            markdown_table.text(formats.when(evaluated_at)),
        )
        for rule, verdict, reason, evaluated_at in shown[
            ["rule", "verdict", "reason", "evaluated_at"]
        ].itertuples(index=False, name=None)
    )
    st.markdown(markdown_table.table(columns, rows))
    exported = shown[["rule", "verdict", "reason", "evaluated_at"]].rename(
        columns={
            "rule": "Rule",
            "verdict": "Outcome",
            "reason": "Reason",
            "evaluated_at": "Evaluated at (UTC)",
        }
    )
    exported["Evaluated at (UTC)"] = exported["Evaluated at (UTC)"].map(formats.iso)
    downloads.csv_button(
        "Export reasons (CSV)",
        lambda: exported,
        file_name=f"tightrope-rule-outcomes-{service_id}.csv",
        key="detail_outcomes_export",
    )
