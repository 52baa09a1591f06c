"""The recommendation picker: a ?rec= link, a ticked table row or the select box chooses one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions
from dashboard.components import selection
from dashboard.components.recommendations import text

QUERY_PARAM = selection.RECOMMENDATION_PARAM
SEEN = selection.RECOMMENDATION_SEEN
PICKER_LIMIT = 500


def follow_table(selected: list[int]) -> None:
    """A newly ticked row opens that recommendation below (the picker stays authoritative)."""
    memory = f"rec_table_seen_{actions.done()}"
    seen: list[int] = st.session_state.get(memory, [])
    added = [rid for rid in selected if rid not in seen]
    st.session_state[memory] = selected
    if added:
        st.session_state["rec_pick"] = added[-1]


def pick(frame: pd.DataFrame, board: pd.DataFrame, feedback: actions.Feedback | None) -> int | None:
    """The recommendation to show below: the shown rows' best, unless a link or action names one."""
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
    labels = text.labels(board)
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
