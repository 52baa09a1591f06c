"""Where an applied recommendation went: handed off (commit, branch) or recorded only (023)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard.components import formats
from dashboard.queries import handoffs as queries
from data.handoff.views import HANDED_OFF, HandoffView, recorded_only_label
from data.repos.stored_recommendations import StoredRecommendation

_DECIDED = frozenset({"applied", "rolled_back"})


def show(rec: StoredRecommendation, sessions: sessionmaker[Session]) -> None:
    """Nothing for an undecided recommendation; else each hand-off, said honestly."""
    if rec.status not in _DECIDED:
        return
    found = queries.for_recommendation(sessions, rec.id)
    with st.container(border=True):
        st.markdown("**Where this change went**")
        if not found:
            st.warning(_sentence(recorded_only_label()), icon=":material/info:")
        for view in found:
            _one(view)


def _one(view: HandoffView) -> None:
    what = "Apply" if view.action == "apply" else "Rollback"
    sentence = formats.escape_markdown(f"{what}: {view.label()}.")
    if view.status == HANDED_OFF:
        st.success(sentence, icon=":material/call_made:")
    else:
        st.warning(sentence, icon=":material/info:")
    details = [f"webhook event #{view.outbox_event_id}"] if view.outbox_event_id else []
    if view.webhook_delivery_ids:
        ids = ", ".join(f"#{i}" for i in view.webhook_delivery_ids)
        details.append(f"webhook deliveries {ids}")
    if view.path:
        details.append(f"file {view.path}")
    if details:
        st.caption(formats.escape_markdown(" · ".join(details)))
    if view.manifest:
        with st.expander("The patch" if view.target == "kubernetes" else "The change"):
            st.code(view.manifest, language="yaml" if view.target == "kubernetes" else "markdown")


def _sentence(label: str) -> str:
    return formats.escape_markdown(f"{label[:1].upper()}{label[1:]}.")
