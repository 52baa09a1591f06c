"""Service detail: the service's recommendations, and why each rule proposed none."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps
from dashboard.components import downloads, formats, recs, selection
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
        risk_badge=mine["risk_score"].map(recs.risk_badge),
        status_label=mine["status"].map(recs.status_label),
        link="/recommendations?rec=" + mine["recommendation_id"].astype(str),
    )
    columns = [
        "action_type",
        "change",
        "savings",
        "cost_increase",
        "risk_badge",
        "status_label",
        "link",
    ]
    st.dataframe(
        recs.with_risk_tags(shown, [*columns, "recommendation_id", "kind"]),
        column_order=[c if c != "risk_badge" else "risk_tag" for c in columns],
        column_config={
            "action_type": st.column_config.TextColumn("Type"),
            "change": st.column_config.TextColumn("Current → proposed", width="large"),
            **recs.money_effect_columns(mine["currency"]),
            "risk_tag": recs.risk_column(),
            "status_label": st.column_config.TextColumn("Status"),
            "link": st.column_config.LinkColumn(
                "Recommendation", display_text=r"rec=(\d+)$", help="Opens it with its plan."
            ),
        },
        hide_index=True,
        key="detail_recs",
    )
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
    st.dataframe(
        shown,
        column_order=["rule", "verdict", "reason", "evaluated_at"],
        column_config={
            "rule": st.column_config.TextColumn("Rule"),
            "verdict": st.column_config.TextColumn("Outcome"),
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "evaluated_at": st.column_config.DatetimeColumn(
                "Evaluated (UTC)", format="YYYY-MM-DD HH:mm"
            ),
        },
        hide_index=True,
        key="detail_rule_outcomes",
    )
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
