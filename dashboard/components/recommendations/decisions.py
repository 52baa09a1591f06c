"""The decision on a recommendation: Apply, Reject, Postpone, bulk apply, each in a dialog."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import actions, auth, deps
from dashboard.components import formats, recs, tables
from dashboard.components.recommendations import text
from data.repos.stored_recommendations import StoredRecommendation
from data.workflow.states import DECIDABLE
from engine.recommendation import RESTORE_SLA


def buttons(
    rec: StoredRecommendation,
    row: pd.Series,
    *,
    feedback: actions.Feedback | None,
    target: float | None,
    today: date,
) -> None:
    """The last action's outcome on this one, then its buttons (or why there are none)."""
    if feedback is not None and feedback.recommendation_id == rec.id:
        _show_feedback(feedback)
    if rec.status not in DECIDABLE:
        _nothing_to_decide(rec)
        return
    no_apply = actions.refusal("approver", "applying")
    no_decide = actions.refusal("analyst", "rejecting or postponing")
    apply, reject, postpone, _ = st.columns([1, 1, 1, 3])
    if rec.sla_fails:
        _cannot_apply(rec)
    elif _button(
        apply,
        "Apply…",
        key=f"rec_apply_{rec.id}",
        icon=":material/check:",
        refusal=no_apply,
        busy=actions.in_flight(f"apply:{rec.id}@{rec.version}"),
        primary=True,
    ):
        _confirm_apply(rec, row, target)
    if _button(
        reject, "Reject…", key=f"rec_reject_{rec.id}", icon=":material/close:", refusal=no_decide
    ):
        _confirm_reject(rec, row)
    if _button(
        postpone,
        "Postpone…",
        key=f"rec_postpone_{rec.id}",
        icon=":material/schedule:",
        refusal=no_decide,
    ):
        _confirm_postpone(rec, row, today)
    for reason in dict.fromkeys(r for r in (no_apply, no_decide) if r):
        st.caption(f":material/lock: {reason}")


def _show_feedback(feedback: actions.Feedback) -> None:
    actions.show(feedback)  # also here, where the click was (the top may be scrolled away)
    if feedback.change_id is not None:
        st.page_link(
            "app_pages/changes.py",
            label=f"See change #{feedback.change_id} on the Changes page",
            icon=":material/history:",
        )


def _nothing_to_decide(rec: StoredRecommendation) -> None:
    applied = " Its change, and its rollback, are on the Changes page."
    st.info(
        f"This recommendation is {recs.status_label(rec.status).lower()}: there is nothing "
        "to decide." + (applied if rec.status == "applied" else ""),
        icon=":material/info:",
    )


def _button(
    column: DeltaGenerator,
    label: str,
    *,
    key: str,
    icon: str,
    refusal: str | None,
    busy: bool = False,
    primary: bool = False,
) -> bool:
    """A decision button, disabled (with the refusal as its help) when the role may not."""
    return column.button(
        label,
        key=key,
        type="primary" if primary else "secondary",
        icon=icon,
        disabled=busy or refusal is not None,
        help=refusal,
        width="stretch",
    )


def _cannot_apply(rec: StoredRecommendation) -> None:
    """No Apply for a change failing its own SLA verdict (none is offered any more; a row
    stored before that, or between two recomputes, may still be open)."""
    reasons = "; ".join(rec.sla.reasons) if rec.sla is not None else ""
    st.warning(
        "This change cannot be applied: the proposed configuration does not keep the SLA "
        f"({reasons}). Reject it, or recompute to replace it.",
        icon=":material/block:",
    )


def _who() -> str:
    """The person acting, as people know them (the audit keeps their stable identity)."""
    return formats.escape_markdown(auth.current_principal().display)


def _heading(row: pd.Series) -> None:
    st.markdown(f"**{formats.escape_markdown(str(row['service']))}** — {row['action_type']}")


@st.dialog("Apply this recommendation?", width="large")
def _confirm_apply(rec: StoredRecommendation, row: pd.Series, target: float | None) -> None:
    _heading(row)
    _plan(rec, target)
    st.caption(f"Recorded as {_who()} in the audit trail.")
    actions.confirm_button(
        "Apply now",
        key=f"rec_apply_confirm_{rec.id}",
        primary=True,
        icon=":material/check:",
        on_click=actions.apply,
        args=(rec.id, rec.version),
        disabled=actions.in_flight(f"apply:{rec.id}@{rec.version}"),
    )


def _plan(rec: StoredRecommendation, target: float | None) -> None:
    before, after = text.as_dict(rec.current), text.as_dict(rec.proposed)
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
        f"SLA: {text.verdict_word(rec)}{text.latency_text(rec, target)}; "
        f"risk {recs.risk_badge(rec.risk.score)}",
        f"Restarts when rolled out: {text.yes_no(rec.restart_needed)}",
        _what_apply_does(rec),
        f"Rollback possible: {text.yes_no(rec.rollback_possible)}"
        + (" (from the Changes page)" if rec.rollback_possible else ""),
    ]
    st.markdown("\n".join(f"- {formats.escape_markdown(f)}" for f in facts))


def _what_apply_does(rec: StoredRecommendation) -> str:
    """Said before the click: what Apply changes, and what it does not (decision 023)."""
    if rec.service_id is None or rec.proposed is None:
        return "Apply records the decision in Tightrope only: nothing is changed anywhere"
    if deps.settings().gitops_repo_url:
        return (
            "Apply records the change and commits its patch to the GitOps repository on a new "
            "branch: nothing changes in the cluster or the cloud until that branch is merged"
        )
    return (
        "Apply records the change in Tightrope only (no GitOps repository is configured): "
        "nothing changes in the cluster or the cloud"
    )


@st.dialog("Reject this recommendation?")
def _confirm_reject(rec: StoredRecommendation, row: pd.Series) -> None:
    _heading(row)
    reason_key = f"rec_reject_reason_{rec.id}"
    st.text_area(
        "Reason (required)",
        key=reason_key,
        placeholder="Why not: e.g. a launch next week needs the headroom",
        max_chars=500,
    )
    st.caption("A rejected recommendation is not proposed again during the cool-down.")
    actions.confirm_button(
        "Reject",
        key=f"rec_reject_confirm_{rec.id}",
        icon=":material/close:",
        on_click=actions.reject,
        args=(rec.id, rec.version, reason_key),
    )


@st.dialog("Postpone this recommendation?")
def _confirm_postpone(rec: StoredRecommendation, row: pd.Series, today: date) -> None:
    _heading(row)
    until_key = f"rec_postpone_until_{rec.id}"
    st.date_input(
        "Postpone until (UTC)",
        value=today + timedelta(days=14),
        min_value=today + timedelta(days=1),
        key=until_key,
    )
    actions.confirm_button(
        "Postpone",
        key=f"rec_postpone_confirm_{rec.id}",
        icon=":material/schedule:",
        on_click=actions.postpone,
        args=(rec.id, rec.version, until_key),
    )


@st.dialog("Apply these recommendations together?", width="large")
def confirm_bulk(ids: tuple[int, ...], board: pd.DataFrame, fleet_services: int) -> None:
    """The plan of the ticked rows, the blast-radius limit, one button for all."""
    plan = _bulk_plan(board[board["recommendation_id"].isin(ids)])
    _show_bulk_plan(plan)
    st.markdown(_bulk_summary(plan))
    limits = deps.settings()
    st.caption(
        f"Blast-radius limit per bulk apply: {limits.bulk_apply_max_count} recommendations and "
        f"{limits.bulk_apply_max_fleet_pct:g} % of the fleet's {fleet_services} services. "
        f"Recorded as {_who()} in the audit trail."
    )
    versions = {
        int(rid): int(version)
        for rid, version in zip(plan["recommendation_id"], plan["version"], strict=True)
    }
    actions.confirm_button(
        f"Apply {len(plan)} now",
        key="rec_bulk_confirm",
        primary=True,
        icon=":material/done_all:",
        on_click=actions.bulk_apply,
        args=(versions,),
    )


def _bulk_plan(chosen_rows: pd.DataFrame) -> pd.DataFrame:
    """The ticked board rows with their money effect and the plan's display columns."""
    return recs.with_money_effect(chosen_rows).assign(
        change=chosen_rows["current_summary"] + " → " + chosen_rows["proposed_summary"],
        risk_badge=chosen_rows["risk_score"].map(recs.risk_badge),
        sla=chosen_rows["sla_passes"].map({True: "✓ kept", False: "✗ not kept"}).fillna("—"),
        restart=chosen_rows["restart_needed"].map({True: "yes", False: "no"}),
    )


def _show_bulk_plan(plan: pd.DataFrame) -> None:
    tables.grid(
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


def _bulk_summary(plan: pd.DataFrame) -> str:
    """What the bulk apply does, in one sentence: how many, on how many services, for how much."""
    saved, paid = float(plan["savings"].sum()), float(plan["cost_increase"].sum())
    currency = str(plan["currency"].iloc[0]) if not plan.empty else "USD"
    services_touched = plan["service_id"].dropna().nunique()
    cost = f", and {formats.money(paid, currency)} /mo more to restore SLAs" if paid else ""
    return (
        f"{len(plan)} recommendations on {services_touched} "
        f"service{'s' if services_touched != 1 else ''}; together they save "
        f"{formats.money(saved, currency)} /mo{cost}. All are applied in one go, or none if "
        "any fails or the blast-radius limit is exceeded."
    )
