"""API keys for automation (the REST API, docs/api.md): the list, and admin-only create / revoke.

The secret of a new key is shown once, on the run right after it was created, and never stored
anywhere the page can read it again (only its SHA-256 is kept).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions, deps
from dashboard.components import tables
from data.api_key_actions import MANAGE_KEYS, ApiKeyDesk
from data.errors import DataError
from data.repos.api_keys import ApiKey
from data.workflow import ROLES

_NEW_KEY = "api_key_shown_once"  # session_state slot of the new key, for one run


def desk() -> ApiKeyDesk:
    return ApiKeyDesk(deps.sessions(), actions.policy())


def show_keys(keys: list[ApiKey]) -> None:
    if not keys:
        st.info("No API key yet.", icon=":material/key:")
        return
    rows = [
        {
            "name": k.name, "prefix": f"{k.prefix}…", "role": k.role, "created_by": k.created_by,
            "created_at": k.created_at, "last_used_at": k.last_used_at,
            "state": "revoked" if k.revoked_at else "active",
        }
        for k in keys
    ]  # fmt: skip
    tables.grid(pd.DataFrame(rows), hide_index=True, width="stretch")


def show_new_secret() -> None:
    """The secret of the key created on the previous run, once."""
    secret = st.session_state.pop(_NEW_KEY, None)
    if secret:
        st.success("Copy the key now: it is not shown again.", icon=":material/key:")
        st.code(secret, language=None)


def show_create(refusal: str | None) -> None:
    left, right, button = st.columns([3, 2, 1], vertical_alignment="bottom")
    left.text_input("Name", key="apikey_name", max_chars=80, disabled=refusal is not None)
    right.selectbox("Role", ROLES, key="apikey_role", disabled=refusal is not None)
    button.button(
        "Create key", key="apikey_create", icon=":material/add:", on_click=_create,
        disabled=refusal is not None, help=refusal,
    )  # fmt: skip


def show_revoke(keys: list[ApiKey], refusal: str | None) -> None:
    active = [k.name for k in keys if k.revoked_at is None]
    if not active:
        return
    left, button = st.columns([5, 1], vertical_alignment="bottom")
    left.selectbox("Key to revoke", active, key="apikey_revoke_name", disabled=refusal is not None)
    button.button(
        "Revoke", key="apikey_revoke", icon=":material/block:", on_click=_revoke,
        disabled=refusal is not None, help=refusal,
    )  # fmt: skip


def _create() -> None:
    name = str(st.session_state.get("apikey_name") or "").strip()
    role = str(st.session_state.get("apikey_role") or "viewer")
    try:
        issued = desk().create(actions.actor(), name=name, role=role, now=deps.now())
    except DataError as error:
        actions.keep(actions.refused(error))
        return
    st.session_state[_NEW_KEY] = issued.secret
    actions.keep(actions.Feedback("success", f"API key {name} ({role}) created."))


def _revoke() -> None:
    name = str(st.session_state.get("apikey_revoke_name") or "")
    try:
        desk().revoke(actions.actor(), name=name, now=deps.now())
    except DataError as error:
        actions.keep(actions.refused(error))
        return
    actions.keep(actions.Feedback("success", f"API key {name} revoked."))


def refusal() -> str | None:
    return actions.refusal(MANAGE_KEYS, "creating or revoking API keys")
