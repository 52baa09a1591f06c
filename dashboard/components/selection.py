"""The service a user is looking at, kept in a non-widget key so it survives page switches."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

SELECTED_SERVICE = "selected_service_id"
DETAIL_PAGE = "app_pages/service_detail.py"


def open_service(service_id: int) -> None:
    """Remember the service and go to its detail page (ends this script run)."""
    st.session_state[SELECTED_SERVICE] = service_id
    st.switch_page(DETAIL_PAGE)


def selected_service() -> int | None:
    value = st.session_state.get(SELECTED_SERVICE)
    return int(value) if value is not None else None


RECOMMENDATIONS_PAGE = "app_pages/recommendations.py"
RECOMMENDATION_PARAM = "rec"
# The ?rec= value the Recommendations page has already obeyed (it then follows its picker).
RECOMMENDATION_SEEN = "rec_param_seen"


def open_recommendation(recommendation_id: int) -> None:
    """Go to the Recommendations page with that recommendation open (ends this script run)."""
    st.session_state.pop(RECOMMENDATION_SEEN, None)
    st.switch_page(
        RECOMMENDATIONS_PAGE, query_params={RECOMMENDATION_PARAM: str(recommendation_id)}
    )


def pick_to_open(
    where: DeltaGenerator,
    label: str,
    labels: Mapping[int, str],
    *,
    key: str,
    placeholder: str,
    open_one: Callable[[int], None],
) -> None:
    """A picker of ids shown by their labels; choosing one opens it (`open_one` ends the run)."""
    picked = where.selectbox(
        label,
        list(labels),
        index=None,
        format_func=lambda chosen: labels[chosen],
        key=key,
        placeholder=placeholder,
    )
    if picked is not None:
        open_one(int(picked))
