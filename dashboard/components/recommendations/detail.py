"""One recommendation in full: costs, configurations, SLA verdict, replay charts, reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import actions, deps
from dashboard.components import basis, formats, kpis, recs, tables
from dashboard.components.page import PageStart
from dashboard.components.recommendations import charts as rec_charts
from dashboard.components.recommendations import containers, decisions, text
from dashboard.components.recommendations import handoff as handoff_view
from dashboard.queries import fleet as queries
from data.repos.explanations import explanation_to_json
from data.repos.stored_recommendations import StoredRecommendation
from data.workflow.states import DECIDABLE
from engine.recommendation import RESTORE_SLA


def show(
    rec: StoredRecommendation,
    row: pd.Series,
    start: PageStart,
    feedback: actions.Feedback | None,
) -> None:
    """The detail below the backlog; `row` is the recommendation's backlog row."""
    target = latency_target(start.sessions, rec) if rec.sla is not None else None
    st.subheader(formats.escape_markdown(f"{row['service']} — {row['action_type']}"), anchor=False)
    st.caption(
        formats.escape_markdown(
            f"Recommendation #{rec.id} · {recs.status_label(rec.status)} · refreshed "
            f"{rec.updated_at:%Y-%m-%d %H:%M} UTC · team {row['team']}"
            + (f" · {row['environment']}" if pd.notna(row["environment"]) else "")
            + text.decision_text(row)
        )
    )
    _stale_inputs(rec, start.now)
    kpis.kpi_row(_cost_cards(rec))
    if rec.service_id is not None:
        billed = queries.billed_run_rate(start.sessions, rec.service_id, start.today)
        basis.billed_vs_modelled(billed, rec.cost_current.effective_usd, rec.currency)
    _configs(rec, row)
    containers.show(rec)
    _verdict(rec, target)
    rec_charts.projection_charts(rec, start)
    _explanation(rec)
    handoff_view.show(rec, start.sessions)
    decisions.buttons(rec, row, feedback=feedback, target=target, today=start.now.date())


def _stale_inputs(rec: StoredRecommendation, now: datetime) -> None:
    """Warn when the history this was judged on ended over two refresh intervals ago."""
    window = rec.explanation.window
    if rec.status not in DECIDABLE or window is None:
        return
    last_hour = window.last_hour_utc.replace(tzinfo=UTC)
    interval = timedelta(minutes=deps.settings().refresh_interval_minutes)
    age = now - (last_hour + timedelta(hours=1))
    if age > 2 * interval:
        st.warning(
            f"Computed on usage up to {last_hour + timedelta(hours=1):%Y-%m-%d %H:%M} UTC, "
            f"{age.total_seconds() / 3600:,.0f} h ago (more than two refresh intervals): the "
            "service may have changed since. Recompute (Data sources → Run now) before applying.",
            icon=":material/history_toggle_off:",
        )


def _cost_cards(rec: StoredRecommendation) -> list[kpis.Kpi]:
    money = rec.currency
    before, after = rec.cost_current, rec.cost_proposed
    return [
        kpis.Kpi(
            "Modelled cost now",
            f"{formats.money(before.effective_usd, money)} /mo",
            delta=f"list {formats.money(before.list_usd, money)} /mo",
            delta_color="off",
            delta_arrow="off",
            help="730-hour month, effective: after commitment and spot discounts; list: "
            "on-demand prices. " + basis.MODELLED_HELP,
        ),
        kpis.Kpi(
            "Modelled cost after",
            f"{formats.money(after.effective_usd, money)} /mo",
            delta=f"list {formats.money(after.list_usd, money)} /mo",
            delta_color="off",
            delta_arrow="off",
        ),
        _effect_card(rec),
        kpis.Kpi(
            "SLA risk",
            recs.risk_badge(rec.risk.score),
            delta=text.verdict_word(rec),
            delta_color="off",
            delta_arrow="off",
            help="0 very low … 4 high: the worst of the sub-scores below.",
        ),
    ]


def _effect_card(rec: StoredRecommendation) -> kpis.Kpi:
    """Savings, or for a restore the cost of keeping the SLA (never a negative saving)."""
    money = rec.currency
    if rec.kind == RESTORE_SLA:
        return kpis.Kpi(
            "Cost increase",
            f"+{formats.money(rec.monthly_cost_increase_usd, money)} /mo",
            delta=f"restores the SLA, {formats.signed_pct(-rec.savings_pct)}",
            delta_color="off",
            delta_arrow="off",
            help="The current configuration does not keep the SLA; this one does, for this "
            "much more per month. A cost, not a saving: never counted in the savings.",
        )
    return kpis.Kpi(
        "Savings",
        f"{formats.money(rec.monthly_savings_usd, money)} /mo",
        delta=f"{formats.signed_pct(-rec.savings_pct)} cost",
        delta_color="inverse",
        help="Effective monthly cost now minus after.",
    )


def _configs(rec: StoredRecommendation, row: pd.Series) -> None:
    before = text.as_dict(rec.current)
    after = text.as_dict(rec.proposed)
    changed = {c.label for c in recs.changed_fields(before, after)}
    left, right = st.columns(2)
    for column, title, fields, summary in (
        (left, "Current configuration", recs.config_fields(before), row["current_summary"]),
        (right, "Proposed configuration", recs.config_fields(after), row["proposed_summary"]),
    ):
        with column.container(border=True):
            st.markdown(f"**{title}**")
            if not fields:
                st.markdown(formats.escape_markdown(str(summary) or "No service configuration."))
                continue
            lines = [
                f"- {'**' if label in changed else ''}{label}: "
                f"{formats.escape_markdown(value)}{'** ✎' if label in changed else ''}"
                for label, value in fields.items()
            ]
            st.markdown("\n".join(lines))
    if changed:
        st.caption("✎ marks the fields the change touches.")


def _verdict(rec: StoredRecommendation, target: float | None) -> None:
    with st.container(border=True):
        st.markdown("**SLA verdict on the proposed configuration**")
        if rec.sla is None:
            st.caption(text.no_verdict_text(rec))
            return
        sla = rec.sla
        facts = {
            "Verdict": "✓ keeps the SLA" if sla.passes else "✗ does not keep the SLA",
            "Projected p95 latency": text.ms(sla.projected_p95_ms)
            + (f" (target {target:,.0f} ms)" if target else ""),
            "Hours within target": formats.pct(sla.hours_within_target_pct),
            "Peak CPU utilization": formats.pct(sla.peak_utilization * 100.0),
            "N+1 (one replica lost)": "✓ holds" if sla.n_plus_one_ok else "✗ fails",
            "Availability rule": "✓ holds" if sla.availability_ok else "✗ fails",
        }
        columns = st.columns(len(facts))
        for column, (label, value) in zip(columns, facts.items(), strict=True):
            column.caption(label)
            column.markdown(formats.escape_markdown(value))
        st.markdown("**Reasons:** " + "; ".join(formats.escape_markdown(r) for r in sla.reasons))
        scores = pd.DataFrame(
            [
                {"Dimension": recs.SUB_SCORE_LABELS.get(name, name), "Risk": recs.risk_badge(v)}
                for name, v in rec.risk.sub_scores.items()
            ]
        )
        if not scores.empty:
            tables.grid(scores, hide_index=True, key="rec_sub_scores", width="content")


def latency_target(sessions: sessionmaker[Session], rec: StoredRecommendation) -> float | None:
    """The service's p95 latency target; none for a team-wide recommendation."""
    if rec.service_id is None:
        return None
    service, _ = queries.service_profile(sessions, rec.service_id)
    return service.sla.latency_p95_target_ms


def _explanation(rec: StoredRecommendation) -> None:
    with st.container(border=True):
        st.markdown("**Why this recommendation**")
        st.markdown(formats.escape_markdown(rec.reason))
        explained = text.explanation_text(rec)
        if explained:
            st.caption(formats.escape_markdown(explained))
        st.caption(
            f"Effort: {rec.effort} · restarts when rolled out: "
            f"{text.yes_no(rec.restart_needed)} · rollback possible: "
            f"{text.yes_no(rec.rollback_possible)}"
        )
        with st.expander("All details (as computed)"):
            st.json(explanation_to_json(rec.explanation), expanded=False)
