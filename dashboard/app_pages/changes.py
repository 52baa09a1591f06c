"""Changes: every applied config change (what, who, when), its rollback, and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions, changes_view, deps, realized_view
from dashboard.components import downloads, filters, formats, kpis, page, recs, states, tables
from dashboard.components.changes import realized as realized_section
from dashboard.queries import fleet as queries
from dashboard.queries import handoffs
from dashboard.queries import realized as realized_queries
from data.handoff.views import recorded_only_label

AUDIT_DAYS = 30
RECORDED_ONLY = recorded_only_label()

start = page.begin(
    "Every capacity change Tightrope applied: what it changed, who applied it and when, and "
    "the recommendation behind it. Roll a change back here; the audit trail below records "
    "every decision."
)
sessions, status, today = start.sessions, start.status, start.today
feedback = actions.take_feedback()
options = queries.filter_options(sessions)
chosen = filters.sidebar(options, today=today, first_day=status.first_cost_date, with_dates=False)
everything = queries.config_changes(sessions)
events = queries.audit_events(sessions)
realized = realized_queries.realized(sessions, today, status.usage_end)


def _kpi_cards(frame: pd.DataFrame, trail: pd.DataFrame) -> list[kpis.Kpi]:
    currency = deps.settings().currency
    month = realized_view.month_of(frame, currency=currency)
    live = int((frame["status"] == "applied").sum())
    rolled = int((frame["status"] == "rolled_back").sum())
    week_ago = start.now - timedelta(days=7)
    recent = int((trail["at"] >= week_ago).sum()) if not trail.empty else 0
    return [
        kpis.Kpi("Changes in effect", f"{live:,}", help="Applied and not rolled back."),
        kpis.Kpi("Rolled back", f"{rolled:,}", help="Changes undone from this page."),
        kpis.Kpi(
            "Audit events (7 d)",
            f"{recent:,}",
            help="Applies, rejections, postponements and rollbacks recorded in the last 7 days.",
        ),
        realized_section.month_kpi(month),
    ]


def _with_realized(frame: pd.DataFrame) -> pd.DataFrame:
    """The changes with their realized savings and SLA after apply (realized_view columns)."""
    merged = frame.merge(realized.drop(columns=["recommendation_id"]), on="change_id", how="left")
    merged["sla_breached"] = merged["sla_breached"].fillna(False).astype(bool)
    merged["days_in_month"] = merged["days_in_month"].fillna(0)
    return merged.assign(status_label=merged["status"].map(recs.status_label))


def _breach_offers(frame: pd.DataFrame) -> None:
    """A change in effect whose service breached its SLA since the apply, offered for rollback."""
    for _, row in frame[frame["sla_breached"] & (frame["status"] == "applied")].iterrows():
        refusal = _rollback_refusal(row)
        box = st.container(border=True)
        box.warning(
            formats.escape_markdown(
                f"Change #{row['change_id']} on {row['service']}: p95 latency was over its "
                f"{row['latency_target_ms']:.0f} ms target in {row['breach_share_pct']:.1f} % "
                f"of the hours since the apply (predicted p95 {row['predicted_p95_ms']:.0f} ms, "
                f"observed {row['observed_p95_ms']:.0f} ms). Roll it back?"
            ),
            icon=":material/warning:",
        )
        if box.button(
            f"Roll back change #{row['change_id']}…",
            key=f"chg_breach_rollback_{row['change_id']}",
            icon=":material/undo:",
            disabled=refusal is not None,
            help=refusal,
        ):
            _confirm_rollback(row)


def _changes_table(frame: pd.DataFrame) -> None:
    st.markdown("**Config changes**, newest first")
    if frame.empty:
        st.info(
            "No config change yet. Apply a recommendation on the Recommendations page and it "
            "appears here, with its before/after and a rollback.",
            icon=":material/history:",
        )
        return
    labels = handoffs.labels_by_change(sessions, tuple(int(i) for i in frame["change_id"]))
    shown = frame.assign(
        handoff=[labels.get(int(i), RECORDED_ONLY) for i in frame["change_id"]],
        status_label=frame["status"].map(recs.status_label),
        rolled_back=[
            f"{formats.when(when)} by {who}" if formats.when(when) else ""
            for when, who in zip(frame["rolled_back_at"], frame["rolled_back_by"], strict=True)
        ],
    )
    tables.grid(
        shown.drop(columns=["before_config", "after_config"]),
        column_order=[
            "applied_at",
            "service",
            "status_label",
            "changed",
            "handoff",
            "actor",
            "recommendation_link",
            "rolled_back",
        ],
        column_config={
            "applied_at": st.column_config.DatetimeColumn(
                "Applied (UTC)", format="YYYY-MM-DD HH:mm"
            ),
            "service": st.column_config.TextColumn("Service"),
            "changed": st.column_config.TextColumn(
                "What changed (before → after)", width="large", help="Only the fields that differ."
            ),
            "handoff": st.column_config.TextColumn(
                "Where it went",
                width="large",
                help="Recorded and handed off (the GitOps commit), or recorded only: Tightrope "
                "never changes the cluster or the cloud itself.",
            ),
            "actor": st.column_config.TextColumn("Applied by"),
            "recommendation_link": st.column_config.LinkColumn(
                "Recommendation", display_text=r"rec=(\d+)$", help="Opens the recommendation."
            ),
            "status_label": st.column_config.TextColumn("Status"),
            "rolled_back": st.column_config.TextColumn("Rolled back (UTC)"),
        },
        hide_index=True,
        key="chg_table",
    )


def _rollback_bar(frame: pd.DataFrame) -> None:
    """Pick a change (newest first): its full before/after, and its rollback when in effect."""
    # No status in the label: a select box keeps an option's first label while its key lives.
    labels = {
        int(cid): f"#{cid} · {service} · applied {when:%Y-%m-%d %H:%M} UTC"
        for cid, service, when in frame[["change_id", "service", "applied_at"]].itertuples(
            index=False, name=None
        )
    }
    picked = st.selectbox(
        "Change",
        list(labels),
        index=0 if labels else None,
        format_func=lambda cid: labels[cid],
        key="chg_pick",
        placeholder="No change yet",
        disabled=not labels,
        help="Shows the change's fields before and after; changes in effect can be rolled back.",
    )
    row = frame[frame["change_id"] == picked].iloc[0] if picked is not None else None
    refusal = _rollback_refusal(row)
    # Buttons as wide as their labels, under the picker: beside it, at 1,000 px, columns cut
    # them to "Roll b…" and "Expor…".
    bar = st.container(horizontal=True)
    if (
        bar.button(
            "Roll back…",
            key="chg_rollback",
            icon=":material/undo:",
            disabled=refusal is not None,
            help=refusal,
            width="content",
        )
        and row is not None
    ):
        _confirm_rollback(row)
    downloads.csv_button(
        "Export changes (CSV)",
        lambda: changes_view.changes_export(frame),
        file_name=f"tightrope-changes-{today:%Y-%m-%d}.csv",
        key="chg_export",
        where=bar,
    )
    if row is not None:
        _change_fields(row)


def _rollback_refusal(row: pd.Series | None) -> str | None:
    if row is None:
        return "No change picked."
    if row["status"] != "applied":
        return f"Change #{row['change_id']} is {recs.status_label(str(row['status'])).lower()}."
    if actions.in_flight(f"rollback:{row['change_id']}"):
        return "A rollback of this change is in progress."
    return actions.refusal("approver", "rolling back")


def _change_fields(row: pd.Series) -> None:
    """The picked change, field by field (the grid above truncates long diffs)."""
    fields = recs.changed_fields(row["before_config"], row["after_config"])
    reason = f" Its reason: {row['reason']}" if row["reason"] else ""
    st.caption(
        formats.escape_markdown(
            f"Change #{row['change_id']} on {row['service']}: "
            f"{recs.status_label(str(row['status'])).lower()}"
            + (
                f" at {formats.when(row['rolled_back_at'])} UTC by {row['rolled_back_by']}"
                if formats.when(row["rolled_back_at"])
                else ""
            )
            + f". Applied by {row['actor']} from recommendation #{row['recommendation_id']}."
            + reason
        )
    )
    st.table(
        pd.DataFrame(
            [{"Field": f.label, "Before": f.before, "After": f.after} for f in fields]
        ).set_index("Field")
    )


@st.dialog("Roll this change back?", width="large")
def _confirm_rollback(row: pd.Series) -> None:
    st.markdown(
        f"**{formats.escape_markdown(str(row['service']))}** — change #{row['change_id']}, "
        f"applied by {formats.escape_markdown(str(row['actor']))} at "
        f"{row['applied_at']:%Y-%m-%d %H:%M} UTC"
    )
    st.markdown(
        "\n".join(
            [
                f"- Now: {formats.escape_markdown(str(row['after_summary']))}",
                f"- Restores: {formats.escape_markdown(str(row['before_summary']))}",
            ]
        )
    )
    undo = recs.changed_fields(row["after_config"], row["before_config"])
    st.table(
        pd.DataFrame(
            [{"Field": c.label, "Now": c.before, "After rollback": c.after} for c in undo]
        ).set_index("Field")
    )
    st.caption(
        "Refused, with nothing changed, if the service's config has drifted since this change "
        "(someone changed it again). The recommendation is not proposed again during the "
        "cool-down."
    )
    st.text_input(
        "Reason (optional)", key="chg_rollback_reason", placeholder="e.g. latency regression"
    )
    actions.confirm_button(
        "Roll back now",
        key="chg_rollback_confirm",
        primary=True,
        icon=":material/undo:",
        on_click=actions.rollback,
        args=(int(row["change_id"]), "chg_rollback_reason"),
    )


def _audit_filters(trail: pd.DataFrame) -> dict[str, Any]:
    st.markdown("**Audit trail**, newest first")
    a, b, c, d = st.columns(4)
    low = min((v.date() for v in trail["at"]), default=today)
    high = max(start.now.date(), max((v.date() for v in trail["at"]), default=today))
    return {
        "actors": a.multiselect(
            "Actor", sorted(trail["actor"].unique()), key="aud_actor", placeholder="Anyone"
        ),
        "actions": b.multiselect(
            "Action", sorted(trail["action"].unique()), key="aud_action", placeholder="Any action"
        ),
        "targets": c.multiselect(
            "Target type",
            sorted(trail["target_type"].unique()),
            key="aud_target",
            placeholder="Any target",
        ),
        "dates": d.date_input(
            "Dates (UTC)",
            value=(max(low, high - timedelta(days=AUDIT_DAYS)), high),
            min_value=low,
            max_value=high,
            key="aud_dates",
        ),
    }


def _filter_audit(trail: pd.DataFrame, wanted: dict[str, Any]) -> pd.DataFrame:
    keep = pd.Series(True, index=trail.index)
    for column, key in (("actor", "actors"), ("action", "actions"), ("target_type", "targets")):
        if wanted[key]:
            keep &= trail[column].isin(wanted[key])
    dates = [d for d in (wanted["dates"] or ()) if isinstance(d, date)]
    if dates:
        first = datetime.combine(dates[0], time(), tzinfo=UTC)
        last = datetime.combine(dates[-1] + timedelta(days=1), time(), tzinfo=UTC)
        keep &= (trail["at"] >= first) & (trail["at"] < last)
    return trail[keep].reset_index(drop=True)


def _audit_table(trail: pd.DataFrame, total: int) -> None:
    if trail.empty:
        st.info(
            "No audit event matches these filters."
            if total
            else "No audit event yet: decisions on recommendations are recorded here.",
            icon=":material/manage_search:",
        )
    else:
        tables.grid(
            trail.assign(
                target=trail["target_type"].str.replace("_", " ") + " #" + trail["target_id"]
            ),
            column_order=["at", "actor", "action", "target", "summary"],
            column_config={
                "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                "actor": st.column_config.TextColumn("Actor"),
                "action": st.column_config.TextColumn("Action"),
                "target": st.column_config.TextColumn("Target"),
                "summary": st.column_config.TextColumn("What happened", width="large"),
            },
            hide_index=True,
            key="aud_table",
        )
    st.caption(
        f"{len(trail)} of {total} events shown. The trail is append-only: nothing edits or "
        "deletes an event."
    )
    downloads.csv_button(
        "Export audit (CSV)",
        lambda: changes_view.audit_export(trail),
        file_name=f"tightrope-audit-{today:%Y-%m-%d}.csv",
        key="aud_export",
    )


changes = _with_realized(filters.scoped(everything, chosen.filters).reset_index(drop=True))
if chosen.filters.active:
    st.sidebar.info(
        f"Filters active — showing {len(changes)} of {len(everything)} changes.",
        icon=":material/filter_alt:",
    )
actions.show(feedback)
kpis.kpi_row(_kpi_cards(changes, events))
_changes_table(changes)
if not changes.empty:
    _breach_offers(changes)
    _rollback_bar(changes)
    realized_section.realized_table(changes)
st.divider()
_audit_table(_filter_audit(events, _audit_filters(events)), len(events))
st.divider()
states.freshness_line(status, now=start.now)
