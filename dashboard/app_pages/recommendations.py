"""Recommendations: the ranked backlog, one recommendation's plan and SLA verdict, the decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import actions, auth, deps
from dashboard.components import (
    basis,
    charts,
    export,
    filters,
    formats,
    kpis,
    page,
    recs,
    selection,
    states,
    theme,
)
from dashboard.components.charts import Line
from dashboard.projection import SlaProjection
from dashboard.queries import fleet as queries
from data.repos import savings_report
from data.repos.recommendations import StoredRecommendation
from data.workflow.states import DECIDABLE
from engine.recommendation import RESTORE_SLA

QUERY_PARAM = selection.RECOMMENDATION_PARAM
SEEN = selection.RECOMMENDATION_SEEN
TYPE_LABELS = savings_report.ACTION_TYPES
DEFAULT_STATUSES = ("open",)
PICKER_LIMIT = 500

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


def _page_filters() -> dict[str, Any]:
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
    return {"kinds": kinds, "risks": risks, "statuses": statuses, "min_savings": min_savings}


def _narrow(frame: pd.DataFrame, wanted: dict[str, Any]) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if wanted["kinds"]:
        keep &= frame["kind"].isin(wanted["kinds"])
    if wanted["risks"]:
        keep &= frame["risk_score"].isin(wanted["risks"])
    if wanted["statuses"]:
        keep &= frame["status"].isin(wanted["statuses"])
    if wanted["min_savings"] is not None:
        keep &= frame["monthly_savings"] >= wanted["min_savings"]
    return frame[keep].reset_index(drop=True)


def _kpi_cards(frame: pd.DataFrame) -> list[kpis.Kpi]:
    currency = str(frame["currency"].mode().iloc[0]) if not frame.empty else "USD"
    month_start = start.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
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
            delta=_restores_text(totals, currency),
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


def _restores_text(totals: savings_report.BacklogTotals, currency: str) -> str | None:
    if not totals.restore_sla_open:
        return None
    increase = formats.money_compact(totals.restore_sla_cost_increase, currency)
    plural = "s" if totals.restore_sla_open != 1 else ""
    return f"{totals.restore_sla_open} SLA restore{plural}: +{increase}/mo"


def _table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return recs.with_money_effect(frame).assign(
        risk_badge=frame["risk_score"].map(recs.risk_badge),
        status_label=frame["status"].map(recs.status_label),
        change=frame["current_summary"] + " → " + frame["proposed_summary"],
        environment=frame["environment"].fillna("all (team-wide)"),
    )


def _table(frame: pd.DataFrame) -> list[int]:
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
    event = st.dataframe(
        # Ids and codes ride along hidden (column_order): what tests and selections key on.
        recs.styled_backlog(shown, [*columns, "recommendation_id", "kind", "status"]),
        column_order=columns,
        column_config={
            "service": st.column_config.TextColumn("Service"),
            "team": st.column_config.TextColumn("Team"),
            "environment": st.column_config.TextColumn("Env"),
            "action_type": st.column_config.TextColumn("Type"),
            "change": st.column_config.TextColumn("Current → proposed", width="medium"),
            **recs.money_effect_columns(frame["currency"]),
            "savings_pct": st.column_config.NumberColumn("Savings %", format="%.1f %%"),
            "risk_badge": st.column_config.TextColumn(
                "Risk", help="SLA risk 0 (very low) to 4 (high): the worst of five sub-scores."
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


def _follow_table(selected: list[int]) -> None:
    """A newly ticked row opens that recommendation below (the picker stays authoritative)."""
    memory = f"rec_table_seen_{actions.done()}"
    seen: list[int] = st.session_state.get(memory, [])
    added = [rid for rid in selected if rid not in seen]
    st.session_state[memory] = selected
    if added:
        st.session_state["rec_pick"] = added[-1]


def _pick(frame: pd.DataFrame) -> int | None:
    # The best PICKER_LIMIT only: a select box of tens of thousands of options stalls the page.
    ids = [int(v) for v in frame["recommendation_id"].head(PICKER_LIMIT)]
    known = {int(v) for v in board["recommendation_id"]}
    wanted = _wanted()
    if feedback is not None and feedback.recommendation_id is not None:
        wanted = feedback.recommendation_id  # keep what was just acted on in view
    if wanted is not None and wanted in known and wanted not in ids:
        ids.insert(0, wanted)  # a link or an action names it even when the filters hide it
    if not ids:
        return None
    if wanted in ids and st.session_state.get("rec_pick") != wanted:
        st.session_state["rec_pick"] = wanted
    if st.session_state.get("rec_pick") not in ids:
        st.session_state["rec_pick"] = ids[0]
    labels = _labels()
    picked = st.selectbox(
        "Recommendation",
        ids,
        format_func=lambda rid: labels.get(rid, f"#{rid}"),
        key="rec_pick",
        on_change=_remember,
        help=f"Pick one, or tick a row in the table. Lists the best {PICKER_LIMIT} of the "
        "filtered backlog; narrow the filters to reach the others.",
    )
    return int(picked)


def _wanted() -> int | None:
    """?rec=ID from a link (Service detail), once; afterwards the picker's own choice."""
    raw = st.query_params.get(QUERY_PARAM)
    if raw is not None and raw != st.session_state.get(SEEN):
        st.session_state[SEEN] = raw
        try:
            return int(raw)
        except ValueError:
            return None
    return None


def _remember() -> None:
    st.query_params[QUERY_PARAM] = str(st.session_state["rec_pick"])
    st.session_state[SEEN] = st.query_params[QUERY_PARAM]


def _labels() -> dict[int, str]:
    columns = ["recommendation_id", "service", "action_type", "monthly_savings", "currency"]
    # No status in the label: a select box keeps an option's first label while its key lives.
    return {
        int(rid): f"#{rid} · {service} · {action} · {_effect(float(savings), str(currency))}"
        for rid, service, action, savings, currency in board[columns].itertuples(
            index=False, name=None
        )
    }


def _effect(savings: float, currency: str) -> str:
    """`$22/mo` saved, or `+$73/mo cost` for a change that costs more (a restore)."""
    if savings < 0:
        return f"+{formats.money(-savings, currency)}/mo cost"
    return f"{formats.money(savings, currency)}/mo"


def _toolbar(frame: pd.DataFrame, selected: list[int]) -> None:
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
    right.download_button(
        "Savings report (CSV)",
        data=lambda: export.to_csv_bytes(savings_report.savings_report(frame)),  # built on click
        file_name=f"tightrope-savings-report-{today:%Y-%m-%d}.csv",
        mime="text/csv",
        key="rec_report",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
        help="One row per recommendation shown, columns modelled on AWS Cost Optimization "
        "Hub's export.",
    )


def _open_bulk(ids: tuple[int, ...]) -> None:
    st.session_state["rec_bulk_ids"] = ids


def _detail(rec: StoredRecommendation, row: pd.Series) -> None:
    st.subheader(formats.escape_markdown(f"{row['service']} — {row['action_type']}"), anchor=False)
    st.caption(
        formats.escape_markdown(
            f"Recommendation #{rec.id} · {recs.status_label(rec.status)} · refreshed "
            f"{rec.updated_at:%Y-%m-%d %H:%M} UTC · team {row['team']}"
            + (f" · {row['environment']}" if pd.notna(row["environment"]) else "")
            + _decision_text(row)
        )
    )
    _stale_inputs(rec)
    kpis.kpi_row(_cost_cards(rec))
    if rec.service_id is not None:
        billed = queries.billed_run_rate(sessions, rec.service_id, today)
        basis.billed_vs_modelled(billed, rec.cost_current.effective_usd, rec.currency)
    _configs(rec, row)
    _verdict(rec)
    _projection_charts(rec)
    _explanation(rec)
    _decision_buttons(rec, row)


def _stale_inputs(rec: StoredRecommendation) -> None:
    """Warn when the history this was judged on ended over two refresh intervals ago."""
    window_end = rec.explanation.get("window_end")
    if rec.status not in DECIDABLE or not isinstance(window_end, str):
        return
    last_hour = datetime.fromisoformat(window_end).replace(tzinfo=UTC)
    interval = timedelta(minutes=deps.settings().refresh_interval_minutes)
    age = start.now - (last_hour + timedelta(hours=1))
    if age > 2 * interval:
        st.warning(
            f"Computed on usage up to {last_hour + timedelta(hours=1):%Y-%m-%d %H:%M} UTC, "
            f"{age.total_seconds() / 3600:,.0f} h ago (more than two refresh intervals): the "
            "service may have changed since. Recompute (Data sources → Run now) before applying.",
            icon=":material/history_toggle_off:",
        )


def _who() -> str:
    """The person acting, as people know them (the audit keeps their stable identity)."""
    return formats.escape_markdown(auth.current_principal().display)


def _decision_text(row: pd.Series) -> str:
    if pd.isna(row["decided_by"]) or row["decided_by"] is None:
        return ""
    text = f" · decided by {row['decided_by']}"
    if formats.when(row["decided_at"]):
        text += f" at {formats.when(row['decided_at'])} UTC"
    if isinstance(row["decision_reason"], str) and row["decision_reason"]:
        text += f" — “{row['decision_reason']}”"
    return text


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
            delta=_verdict_word(rec),
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


def _verdict_word(rec: StoredRecommendation) -> str:
    if rec.sla is None:
        return "no SLA check (not a capacity change)" if rec.kind == "commitment" else "not judged"
    return "✓ keeps the SLA" if rec.sla.passes else "✗ SLA not kept — see reasons"


def _configs(rec: StoredRecommendation, row: pd.Series) -> None:
    before = _as_dict(rec.current)
    after = _as_dict(rec.proposed)
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


def _as_dict(config: Any) -> dict[str, Any] | None:
    """A CapacityConfig as the JSON dict the change log stores (same field names)."""
    if config is None:
        return None
    return {name: getattr(config, name) for name in config.__slots__}


def _verdict(rec: StoredRecommendation) -> None:
    with st.container(border=True):
        st.markdown("**SLA verdict on the proposed configuration**")
        if rec.sla is None:
            st.caption(_no_verdict_text(rec))
            return
        sla = rec.sla
        target = _latency_target(rec)
        facts = {
            "Verdict": "✓ keeps the SLA" if sla.passes else "✗ does not keep the SLA",
            "Projected p95 latency": _ms(sla.projected_p95_ms)
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
            st.dataframe(scores, hide_index=True, key="rec_sub_scores", width="content")


def _no_verdict_text(rec: StoredRecommendation) -> str:
    if rec.kind == "commitment":
        return "A commitment changes prices, not capacity: the SLA is not affected."
    why = str(rec.explanation.get("sla", "not judged by the SLA engine"))
    return f"SLA {why}. Confirm nobody depends on the service before applying."


def _latency_target(rec: StoredRecommendation) -> float | None:
    if rec.service_id is None:
        return None
    service, _ = queries.service_profile(sessions, rec.service_id)
    return service.sla.latency_p95_target_ms


def _latency_text(rec: StoredRecommendation) -> str:
    if rec.sla is None:
        return ""
    target = _latency_target(rec)
    text = f", projected p95 {_ms(rec.sla.projected_p95_ms)}"
    return text + (f" (target {target:,.0f} ms)" if target else "")


def _ms(value: float) -> str:
    if value != value:
        return "not modelled"
    return "unbounded (saturated)" if value == float("inf") else f"{value:,.0f} ms"


def _projection_charts(rec: StoredRecommendation) -> None:
    if rec.sla is None:
        return
    projection = queries.sla_projection(
        sessions, rec.id, rec.version, status.usage_end or start.now
    )
    if projection is None:
        return
    latency, utilization = st.columns(2)
    with latency:
        _latency_chart(projection)
    with utilization:
        _utilization_chart(projection)


_LATENCY_LINES = (
    Line("latency_current_ms", "Current config", underlay=True),
    Line("latency_proposed_ms", "Proposed config", color=theme.PALETTE[1]),
)


def _latency_chart(projection: SlaProjection) -> None:
    title = "Projected p95 latency: current vs proposed"
    if projection.hourly.empty or not projection.latency_modelled:
        charts.no_data(
            title, f"Latency is not modelled for this service: {projection.note or 'no data'}."
        )
        return
    hourly = projection.hourly
    saturated = [np.isposinf(hourly[line.column].to_numpy()) for line in _LATENCY_LINES]
    drawn = hourly.assign(
        **{line.column: charts.finite_or_gap(hourly[line.column]) for line in _LATENCY_LINES}
    )
    fig = charts.lines(
        drawn,
        x="hour_start",
        series=[
            *_LATENCY_LINES,
            Line("latency_target_ms", "SLA target (p95)", color=theme.TARGET, reference=True),
        ],
        title=_with_saturated_hours(title, saturated),
        subtitle=(
            f"SLA engine replay of the history; p95 over the hours "
            f"{_ms(projection.p95_current_ms)} now → {_ms(projection.p95_proposed_ms)} proposed; "
            f"hours over target {projection.breach_hours_current} → "
            f"{projection.breach_hours_proposed}"
        ),
        x_title="Hour (UTC)",
        y_title="p95 latency (ms)",
        hover_value="%{y:,.0f} ms",
    )
    _mark_saturated(fig, drawn, saturated, target_ms=projection.latency_target_ms)
    charts.show(fig, key="rec_latency")


def _with_saturated_hours(title: str, saturated: list[npt.NDArray[np.bool_]]) -> str:
    """`Projected p95 latency: saturated (ρ ≥ 1) 0 h now → 84 h proposed` when either config
    saturates: the counts first, where a half-width chart does not cut them off."""
    if not any(mask.any() for mask in saturated):
        return title
    now, proposed = (int(mask.sum()) for mask in saturated)
    return (
        f"Projected p95 latency: {charts.SATURATED_LABEL.lower()} {now:,} h now → "
        f"{proposed:,} h proposed"
    )


def _mark_saturated(
    fig: go.Figure,
    drawn: pd.DataFrame,
    saturated: list[npt.NDArray[np.bool_]],
    *,
    target_ms: float,
) -> None:
    """Each config's saturated hours (p95 +inf, ρ ≥ 1) as markers on the axis's top edge."""
    if not any(mask.any() for mask in saturated):
        return
    columns = [drawn[line.column] for line in _LATENCY_LINES]
    top = charts.saturation_top(*columns, [target_ms])
    for line, mask in zip(_LATENCY_LINES, saturated, strict=True):
        if mask.any():
            hours = drawn["hour_start"][mask]
            fig.add_trace(
                charts.saturation_marks(
                    list(hours), top=top, text=["p95 unbounded"] * len(hours),
                    name=f"{line.label}: {charts.SATURATED_LABEL.lower()}",
                    color=line.color or theme.PALETTE[0],
                )
            )  # fmt: skip
    fig.update_yaxes(range=[0, charts.SATURATION_RANGE * top])


def _utilization_chart(projection: SlaProjection) -> None:
    title = "Projected CPU utilization: current vs proposed"
    if projection.hourly.empty:
        charts.no_data(title, f"No usage to replay: {projection.note}.")
        return
    fig = charts.lines(
        projection.hourly,
        x="hour_start",
        series=[
            Line("utilization_current_pct", "Current config", underlay=True),
            Line("utilization_proposed_pct", "Proposed config", color=theme.PALETTE[1]),
            Line(
                "saturation_limit_pct",
                f"Saturation limit ({projection.saturation_limit_pct:.0f} %)",
                color=theme.TARGET,
                reference=True,
            ),
        ],
        title=title,
        subtitle=(
            "Hourly p95 CPU ÷ capacity; peak "
            f"{formats.pct(projection.peak_utilization_current_pct)} now → "
            f"{formats.pct(projection.peak_utilization_proposed_pct)} proposed"
        ),
        x_title="Hour (UTC)",
        y_title="CPU utilization (%)",
        hover_value="%{y:,.1f} %",
    )
    charts.show(fig, key="rec_utilization")


def _explanation(rec: StoredRecommendation) -> None:
    with st.container(border=True):
        st.markdown("**Why this recommendation**")
        st.markdown(formats.escape_markdown(rec.reason))
        details = rec.explanation
        parts = []
        if "why" in details:
            parts.append(str(details["why"]))
        if len(details.get("agreeing_rules", ())) > 1:
            rules = ", ".join(TYPE_LABELS.get(r, r) for r in details["agreeing_rules"])
            parts.append(f"proposed alike by the rules {rules}; offered once")
        if "profile" in details:
            parts.append(
                f"{details['profile']} profile: CPU p{details.get('cpu_percentile', 0):g} + "
                f"{details.get('cpu_headroom_pct', 0):g} % headroom, memory max + "
                f"{details.get('memory_headroom_pct', 0):g} %"
            )
        if rec.confidence is not None:
            conf = rec.confidence
            band = ""
            if conf.lower is not None and conf.upper is not None:
                band = f"; confidence band {conf.lower:,.2f} – {conf.upper:,.2f} {conf.unit}"
            parts.append(f"based on {conf.points:,} hourly points over {conf.days:g} days{band}")
        if "window_start" in details and "window_end" in details:
            parts.append(f"history {details['window_start']} to {details['window_end']} (UTC)")
        if parts:
            text = " ".join(f"{part[:1].upper()}{part[1:]}." for part in parts)
            st.caption(formats.escape_markdown(text))
        st.caption(
            f"Effort: {rec.effort} · restart needed: {_yes_no(rec.restart_needed)} · rollback "
            f"possible: {_yes_no(rec.rollback_possible)}"
        )
        with st.expander("All details (as computed)"):
            st.json(details, expanded=False)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _decision_buttons(rec: StoredRecommendation, row: pd.Series) -> None:
    if feedback is not None and feedback.recommendation_id == rec.id:
        actions.show(feedback)  # also here, where the click was (the top may be scrolled away)
        if feedback.change_id is not None:
            st.page_link(
                "app_pages/changes.py",
                label=f"See change #{feedback.change_id} on the Changes page",
                icon=":material/history:",
            )
    if rec.status not in DECIDABLE:
        st.info(
            f"This recommendation is {recs.status_label(rec.status).lower()}: there is nothing "
            "to decide."
            + (
                " Its change, and its rollback, are on the Changes page."
                if rec.status == "applied"
                else ""
            ),
            icon=":material/info:",
        )
        return
    busy = actions.in_flight(f"apply:{rec.id}@{rec.version}")
    no_apply = actions.refusal("approver", "applying")
    no_decide = actions.refusal("analyst", "rejecting or postponing")
    apply, reject, postpone, _ = st.columns([1, 1, 1, 3])
    if rec.sla_fails:
        _cannot_apply(rec)
    elif apply.button(
        "Apply…",
        key="rec_apply",
        type="primary",
        icon=":material/check:",
        disabled=busy or no_apply is not None,
        help=no_apply,
        width="stretch",
    ):
        _confirm_apply(rec, row)
    if reject.button(
        "Reject…",
        key="rec_reject",
        icon=":material/close:",
        disabled=no_decide is not None,
        help=no_decide,
        width="stretch",
    ):
        _confirm_reject(rec, row)
    if postpone.button(
        "Postpone…",
        key="rec_postpone",
        icon=":material/schedule:",
        disabled=no_decide is not None,
        help=no_decide,
        width="stretch",
    ):
        _confirm_postpone(rec, row)
    for reason in dict.fromkeys(r for r in (no_apply, no_decide) if r):
        st.caption(f":material/lock: {reason}")


def _cannot_apply(rec: StoredRecommendation) -> None:
    """No Apply for a change failing its own SLA verdict (none is offered any more; a row
    stored before that, or between two recomputes, may still be open)."""
    reasons = "; ".join(rec.sla.reasons) if rec.sla is not None else ""
    st.warning(
        "This change cannot be applied: the proposed configuration does not keep the SLA "
        f"({reasons}). Reject it, or recompute to replace it.",
        icon=":material/block:",
    )


@st.dialog("Apply this recommendation?", width="large")
def _confirm_apply(rec: StoredRecommendation, row: pd.Series) -> None:
    st.markdown(f"**{formats.escape_markdown(str(row['service']))}** — {row['action_type']}")
    _plan(rec)
    st.caption(f"Recorded as {_who()} in the audit trail.")
    st.button(
        "Apply now",
        key="rec_apply_confirm",
        type="primary",
        icon=":material/check:",
        on_click=actions.apply,
        args=(rec.id, rec.version),
        disabled=actions.in_flight(f"apply:{rec.id}@{rec.version}"),
    )
    actions.close_dialog_when_done()


def _plan(rec: StoredRecommendation) -> None:
    before, after = _as_dict(rec.current), _as_dict(rec.proposed)
    changes = recs.changed_fields(before, after)
    if changes:
        st.table(
            pd.DataFrame(
                [{"Field": c.label, "Now": c.before, "After": c.after} for c in changes]
            ).set_index("Field")
        )
    money = rec.currency
    delta = rec.cost_proposed.effective_usd - rec.cost_current.effective_usd
    facts = [
        *(
            ["Restores the SLA the current configuration does not keep: a cost, not a saving"]
            if rec.kind == RESTORE_SLA
            else []
        ),
        f"Monthly cost: {formats.money(rec.cost_current.effective_usd, money)} → "
        f"{formats.money(rec.cost_proposed.effective_usd, money)} "
        f"({'+' if delta >= 0 else '-'}{formats.money(abs(delta), money)} /mo, effective)",
        f"SLA: {_verdict_word(rec)}{_latency_text(rec)}; risk {recs.risk_badge(rec.risk.score)}",
        f"Restart needed: {_yes_no(rec.restart_needed)}",
        f"Rollback possible: {_yes_no(rec.rollback_possible)}"
        + (" (from the Changes page)" if rec.rollback_possible else ""),
    ]
    st.markdown("\n".join(f"- {formats.escape_markdown(f)}" for f in facts))


@st.dialog("Reject this recommendation?")
def _confirm_reject(rec: StoredRecommendation, row: pd.Series) -> None:
    st.markdown(f"**{formats.escape_markdown(str(row['service']))}** — {row['action_type']}")
    st.text_area(
        "Reason (required)",
        key="rec_reject_reason",
        placeholder="Why not: e.g. a launch next week needs the headroom",
        max_chars=500,
    )
    st.caption("A rejected recommendation is not proposed again during the cool-down.")
    st.button(
        "Reject",
        key="rec_reject_confirm",
        icon=":material/close:",
        on_click=actions.reject,
        args=(rec.id, rec.version, "rec_reject_reason"),
    )
    actions.close_dialog_when_done()


@st.dialog("Postpone this recommendation?")
def _confirm_postpone(rec: StoredRecommendation, row: pd.Series) -> None:
    st.markdown(f"**{formats.escape_markdown(str(row['service']))}** — {row['action_type']}")
    st.date_input(
        "Postpone until (UTC)",
        value=_today_utc() + timedelta(days=14),
        min_value=_today_utc() + timedelta(days=1),
        key="rec_postpone_until",
    )
    st.button(
        "Postpone",
        key="rec_postpone_confirm",
        icon=":material/schedule:",
        on_click=actions.postpone,
        args=(rec.id, rec.version, "rec_postpone_until"),
    )
    actions.close_dialog_when_done()


@st.dialog("Apply these recommendations together?", width="large")
def _confirm_bulk(ids: tuple[int, ...]) -> None:
    chosen_rows = board[board["recommendation_id"].isin(ids)]
    plan = recs.with_money_effect(chosen_rows).assign(
        change=chosen_rows["current_summary"] + " → " + chosen_rows["proposed_summary"],
        risk_badge=chosen_rows["risk_score"].map(recs.risk_badge),
        sla=chosen_rows["sla_passes"].map({True: "✓ kept", False: "✗ not kept"}).fillna("—"),
        restart=chosen_rows["restart_needed"].map({True: "yes", False: "no"}),
    )
    st.dataframe(
        plan,
        column_order=[
            "service",
            "action_type",
            "change",
            "savings",
            "cost_increase",
            "risk_badge",
            "sla",
            "restart",
        ],
        column_config={
            "service": "Service",
            "action_type": "Type",
            "change": st.column_config.TextColumn("Current → proposed", width="large"),
            **recs.money_effect_columns(plan["currency"]),
            "risk_badge": "Risk",
            "sla": "SLA",
            "restart": "Restart",
        },
        hide_index=True,
        key="rec_bulk_plan",
    )
    saved, paid = float(plan["savings"].sum()), float(plan["cost_increase"].sum())
    currency = str(plan["currency"].iloc[0]) if not plan.empty else "USD"
    services_touched = plan["service_id"].dropna().nunique()
    cost = f", and {formats.money(paid, currency)} /mo more to restore SLAs" if paid else ""
    st.markdown(
        f"{len(plan)} recommendations on {services_touched} "
        f"service{'s' if services_touched != 1 else ''}; together they save "
        f"{formats.money(saved, currency)} /mo{cost}. All are applied in one go, or none if "
        "any fails or the blast-radius limit is exceeded."
    )
    limits = deps.settings()
    st.caption(
        f"Blast-radius limit per bulk apply: {limits.bulk_apply_max_count} recommendations and "
        f"{limits.bulk_apply_max_fleet_pct:g} % of the fleet's {status.services} services. "
        f"Recorded as {_who()} in the audit trail."
    )
    versions = {
        int(rid): int(version)
        for rid, version in zip(plan["recommendation_id"], plan["version"], strict=True)
    }
    st.button(
        f"Apply {len(plan)} now",
        key="rec_bulk_confirm",
        type="primary",
        icon=":material/done_all:",
        on_click=actions.bulk_apply,
        args=(versions,),
    )
    actions.close_dialog_when_done()


def _today_utc() -> date:
    return start.now.date()


wanted_filters = _page_filters()
scoped = filters.scoped(board, chosen.filters) if not board.empty else board
shown = _narrow(scoped, wanted_filters) if not scoped.empty else scoped
if chosen.filters.active or wanted_filters["kinds"] or wanted_filters["risks"]:
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
kpis.kpi_row(_kpi_cards(scoped))
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
    selected = _table(shown)
    _follow_table(selected)
_toolbar(shown, selected)
bulk_ids = st.session_state.pop("rec_bulk_ids", None)
if bulk_ids:
    _confirm_bulk(tuple(bulk_ids))
picked = _pick(shown)
if picked is not None:
    st.divider()
    current_row = board[board["recommendation_id"] == picked].iloc[0]
    _detail(queries.recommendation(sessions, picked), current_row)
st.divider()
states.freshness_line(status, now=start.now)
