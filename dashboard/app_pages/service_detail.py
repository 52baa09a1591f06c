"""Service detail: one service's cost per day, usage against capacity, and SLA compliance."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

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
    tables,
    theme,
)
from dashboard.components.charts import Line
from dashboard.queries import fleet as queries
from data.repos import savings_report
from data.repos.fleet import Filters
from engine.capacity import CapacityConfig
from engine.service import Service

start = page.begin(
    "One service: what it costs per day, how much of its capacity it uses, and whether it "
    "keeps its SLA."
)
sessions, status, today = start.sessions, start.status, start.today
options = queries.filter_options(sessions)
chosen = filters.sidebar(options, today=today, first_day=status.first_cost_date, with_dates=True)
everyone = queries.services_table(sessions, Filters(), today, status.usage_end)
matching = queries.services_table(sessions, chosen.filters, today, status.usage_end)
filters.active_hint(chosen, shown=matching["service_id"].nunique(), total=status.services)


def _pick_service() -> int:
    """The picker lists services matching the filters, plus the one already selected."""
    known = [int(v) for v in everyone.sort_values("name")["service_id"].unique()]
    ids = [int(v) for v in matching.sort_values("name")["service_id"].unique()] or known
    wanted = selection.selected_service()
    if wanted is None or wanted not in known:
        wanted = ids[0]
    elif wanted not in ids:
        ids.insert(0, wanted)
    labels = {
        int(sid): f"{name} · {team} · {env}"
        for sid, name, team, env in everyone[
            ["service_id", "name", "team", "environment"]
        ].itertuples(index=False, name=None)
    }
    if st.session_state.get("detail_service") != wanted:
        st.session_state["detail_service"] = wanted
    picked: int = st.selectbox(
        "Service",
        ids,
        format_func=lambda sid: labels[sid],
        key="detail_service",
        on_change=_remember,
    )
    return int(picked)


def _remember() -> None:
    st.session_state[selection.SELECTED_SERVICE] = st.session_state["detail_service"]


def _kpi_cards(row: pd.Series, costs: pd.DataFrame, currency: str | None) -> list[kpis.Kpi]:
    daily = costs[costs["billing_currency"] == currency].groupby("charge_date")["effective_cost"]
    monthly = row["monthly_effective_cost"]
    hours = row["latency_hours_7d"]
    breach = row["sla_breach_hours_7d"]
    over = f"{int(breach)} of {int(hours)} h" if pd.notna(hours) and hours else "no latency data"
    return [
        kpis.Kpi(
            "Billed run-rate",
            "—"
            if currency is None or pd.isna(monthly)
            else f"{formats.money(float(monthly), currency)} /mo",
            help="Effective cost of the last 30 days (fewer while the cost history is younger) "
            "scaled to a 730-hour month, every category. " + basis.BILLED_HELP,
            chart_data=tuple(daily.sum().tolist()) or None,
        ),
        kpis.Kpi(
            "CPU p95 utilization (7 d)",
            formats.pct(_float(row["cpu_p95_utilization_pct"])),
            help="95th percentile of hourly mean CPU used ÷ current CPU capacity.",
        ),
        kpis.Kpi(
            "Hours over p95 target (7 d)",
            over,
            delta=(
                f"{breach / hours * 100:.1f} % of hours (limit 1 %)"
                if pd.notna(hours) and hours
                else None
            ),
            delta_color="off",
            delta_arrow="off",
            help="Hours whose p95 latency exceeded the SLA target.",
        ),
        kpis.Kpi("Latency SLA (7 d)", tables.SLA_LABELS[str(row["sla_status"])]),
    ]


def _config_card(service: Service, config: CapacityConfig | None) -> None:
    with st.container(border=True):
        st.markdown("**Current configuration**")
        if config is None:
            st.info("This service has no capacity configuration yet.", icon=":material/info:")
            return
        if config.platform == "vm":
            size = f"{config.instance_type} ({config.vcpu_per_replica:g} vCPU, "
            size += f"{formats.gib(config.memory_gib_per_replica)})"
        else:
            size = (
                f"{formats.cores(config.cpu_request_cores)} CPU / "
                f"{formats.gib(config.memory_request_gib)} per pod"
            )
        on_demand = 100 - config.commitment_coverage_pct - config.spot_pct
        fields = {
            "Platform": f"{service.platform} · {service.provider} · {service.region}",
            "Instance type" if config.platform == "vm" else "Requests": size,
            "Replicas": (
                f"{config.replicas} (min {config.min_replicas}) across {config.zones} zones"
            ),
            "Capacity": (
                f"{formats.cores(config.cpu_capacity_cores)} CPU, "
                f"{formats.gib(config.memory_capacity_gib)} memory"
            ),
            "Pricing mix": (
                f"{on_demand:.0f} % on-demand · {config.commitment_coverage_pct:.0f} % "
                f"committed · {config.spot_pct:.0f} % spot"
            ),
            "Schedule": "always on" if config.schedule == "always" else config.schedule,
            "SLA targets": (
                f"p95 ≤ {service.sla.latency_p95_target_ms:,.0f} ms · availability "
                f"{service.sla.availability_target_pct:g} % · errors ≤ "
                f"{service.sla.max_error_rate_pct:g} %"
            ),
            "Owner": f"{service.team} ({service.owner}) · {service.policy_class}",
        }
        columns = st.columns(4)
        for i, (label, value) in enumerate(fields.items()):
            with columns[i % 4]:
                st.caption(label)
                st.markdown(formats.escape_markdown(value))


def _cost_chart(costs: pd.DataFrame, currency: str | None) -> None:
    title = "Cost per day by category"
    frame = costs[costs["billing_currency"] == currency]
    if frame.empty or currency is None:
        charts.no_data(title, f"No cost was allocated to this service from {_range_text()}.")
        return
    fig = charts.stacked_bars(
        frame,
        x="charge_date",
        y="effective_cost",
        group="service_category",
        colors=theme.category_colors(frame["service_category"]),
        title=title,
        subtitle=f"Effective cost in {currency}, stacked by FOCUS service category",
        x_title="Charge date (UTC)",
        y_title=formats.money_axis(currency, "day"),
        hover_value=formats.money_hover(currency, decimals=2),
    )
    charts.show(fig, key="detail_cost")


def _usage_chart(
    usage: pd.DataFrame,
    *,
    key: str,
    title: str,
    y_title: str,
    hover_value: str,
    series: list[Line],
    missing: str,
) -> None:
    measured = [line for line in series if not line.reference]
    if usage.empty or all(usage[line.column].isna().all() for line in measured):
        charts.no_data(title, missing)
        return
    drawn = [line for line in series if not usage[line.column].isna().all()]
    fig = charts.lines(
        usage,
        x="hour_start",
        series=drawn,
        title=title,
        x_title="Hour (UTC)",
        y_title=y_title,
        hover_value=hover_value,
    )
    charts.show(fig, key=key)


def _usage_charts(usage: pd.DataFrame, service: Service) -> None:
    usage = usage.assign(
        latency_target_ms=service.sla.latency_p95_target_ms,
        error_rate_max_pct=service.sla.max_error_rate_pct,
    )
    none = f"No usage samples for this service from {_range_text()}."
    cpu, memory, traffic = st.columns(3)
    with cpu:
        _usage_chart(
            usage,
            key="detail_cpu",
            title="CPU used vs capacity",
            y_title="CPU (cores)",
            hover_value="%{y:,.2f} cores",
            series=[
                Line("cpu_used_mean_cores", "Used (mean)"),
                Line("cpu_used_p95_cores", "Used (p95 in hour)", color=theme.PALETTE[1]),
                Line("cpu_capacity_cores", "Capacity (current config)", reference=True),
            ],
            missing=none,
        )
    with memory:
        _usage_chart(
            usage,
            key="detail_memory",
            title="Memory used vs capacity",
            y_title="Memory (GiB)",
            hover_value="%{y:,.2f} GiB",
            series=[
                Line("memory_used_max_gib", "Used (max in hour)"),
                Line("memory_capacity_gib", "Capacity (current config)", reference=True),
            ],
            missing=none,
        )
    with traffic:
        _usage_chart(
            usage,
            key="detail_requests",
            title="Requests per second",
            y_title="Requests (req/s)",
            hover_value="%{y:,.3~r} req/s",
            series=[Line("requests_per_s", "Requests (mean in hour)")],
            missing=none,
        )
    latency, errors = st.columns([2, 1])
    with latency:
        _usage_chart(
            usage,
            key="detail_latency",
            title="p95 latency vs SLA target",
            y_title="p95 latency (ms)",
            hover_value="%{y:,.0f} ms",
            series=[
                Line("latency_p95_ms", "p95 latency"),
                Line("latency_target_ms", "SLA target (p95)", color=theme.TARGET, reference=True),
            ],
            missing=none if usage.empty else _no_sli("latency"),
        )
    with errors:
        _usage_chart(
            usage,
            key="detail_errors",
            title="Error rate vs SLA maximum",
            y_title="Error rate (%)",
            hover_value="%{y:,.2f} %",
            series=[
                Line("error_rate_pct", "Error rate"),
                Line("error_rate_max_pct", "SLA maximum", color=theme.TARGET, reference=True),
            ],
            missing=none if usage.empty else _no_sli("error-rate"),
        )


OUTCOME_WORDS = {
    "recommend": "Recommends a change",
    "not_enough_data": "Not enough data",
    "no_change_worth_making": "No change worth making",
    "already_optimal": "Already optimal",
    "not_applicable": "Does not apply",
    "sla_unreachable": "No candidate keeps the SLA",
    "merged": "Same change as another rule",
}


def _recommendations(service_id: int) -> None:
    """This service's recommendations (open one on its page), and why each rule proposed none."""
    st.subheader("Recommendations", anchor=False)
    board = queries.backlog(sessions)
    mine = board[board["service_id"] == service_id] if not board.empty else board
    if mine.empty:
        st.info(
            "No recommendation for this service. The reasons each rule gave are below.",
            icon=":material/lightbulb:",
        )
    else:
        _recommendation_table(mine)
    _no_recommendation_reasons(service_id)


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
        recs.styled_backlog(shown, [*columns, "recommendation_id", "kind"]),
        column_order=columns,
        column_config={
            "action_type": st.column_config.TextColumn("Type"),
            "change": st.column_config.TextColumn("Current → proposed", width="large"),
            **recs.money_effect_columns(mine["currency"]),
            "risk_badge": st.column_config.TextColumn("Risk"),
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
    right.download_button(
        "Export CSV",
        data=lambda: export.to_csv_bytes(savings_report.savings_report(mine)),  # built on click
        file_name=f"tightrope-recommendations-{mine['slug'].iloc[0]}.csv",
        mime="text/csv",
        key="detail_recs_export",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    picked = left.selectbox(
        "Open a recommendation",
        list(labels),
        index=None,
        format_func=lambda rid: labels[rid],
        key="detail_rec_open",
        placeholder="Choose one to see its plan and SLA verdict, and act on it",
    )
    if picked is not None:
        selection.open_recommendation(int(picked))


def _no_recommendation_reasons(service_id: int) -> None:
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
    st.download_button(
        "Export reasons (CSV)",
        data=lambda: export.to_csv_bytes(exported),  # built on click
        file_name=f"tightrope-rule-outcomes-{service_id}.csv",
        mime="text/csv",
        key="detail_outcomes_export",
        icon=":material/download:",
        on_click="ignore",
    )


def _no_sli(kind: str) -> str:
    return (
        f"No {kind} samples from {_range_text()}: the service's telemetry does not export "
        "request metrics (http_request_duration_seconds / request counters by status)."
    )


def _range_text() -> str:
    return f"{chosen.start:%Y-%m-%d} to {chosen.end:%Y-%m-%d} (UTC)"


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


service_id = _pick_service()
service, config = queries.service_profile(sessions, service_id)
row = everyone[everyone["service_id"] == service_id].iloc[0]
costs = queries.service_daily_costs(sessions, service_id, chosen.start, chosen.end)
currency = row["billing_currency"] if pd.notna(row["billing_currency"]) else None
if currency is None and not costs.empty:
    currency = str(costs["billing_currency"].mode().iloc[0])
kpis.kpi_row(_kpi_cards(row, costs, currency))
_config_card(service, config)
_cost_chart(costs, currency)
usage = queries.service_usage(
    sessions, service_id, _midnight(chosen.start), _midnight(chosen.end + timedelta(days=1))
)
_usage_charts(usage, service)
_recommendations(service_id)
st.divider()
states.freshness_line(status, now=start.now)
