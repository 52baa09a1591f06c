"""API keys: the keys automation uses to call the REST API; admins create and revoke them."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, deps
from dashboard.components import api_keys, states
from dashboard.queries import fleet as queries

st.caption(
    "Keys for scripts calling Tightrope's REST API (`python -m api`, see docs/api.md). A key acts "
    "with its role; its writes are audited as apikey:<name>. Only the key's hash is stored."
)
status = queries.status(deps.sessions())
if not status.schema_ready:
    states.empty_state(status)
    st.stop()
actions.show(actions.take_feedback())
api_keys.show_new_secret()
refusal = api_keys.refusal()
if refusal:
    st.caption(refusal)
keys = api_keys.desk().list()
api_keys.show_keys(keys)
st.subheader("New key", anchor=False)
api_keys.show_create(refusal)
st.subheader("Revoke", anchor=False)
api_keys.show_revoke(keys, refusal)
