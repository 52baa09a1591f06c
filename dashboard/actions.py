"""Workflow actions from the pages: one call into data.workflow, its outcome kept for the next run.

Buttons call these from their on_click callbacks, which Streamlit runs before the script: the
dialog that holds the button is gone by then, the caches are cleared, and the page reads the
outcome (`take_feedback`) at the top of its next run. A second click on the same button (same
target and expected version) is dropped here, before the service would refuse it as a
conflict with ourselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import streamlit as st

from dashboard import auth, deps
from dashboard.components import formats
from data.errors import DataError
from data.handoff.runner import HandoffRunner
from data.workflow import ROLES, Outcome, Role, Workflow, WorkflowPolicy

_FEEDBACK = "action_feedback"
_SUBMITTED = "action_submitted"
_DONE = "actions_done"


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the last action did, for the page to show once."""

    kind: Literal["success", "warning"]
    message: str
    change_id: int | None = None
    recommendation_id: int | None = None  # the page keeps it open after the action


def actor() -> str:
    """Who acts, as the audit trail records it (see `auth.current_principal`)."""
    return auth.current_principal().actor


def role() -> Role:
    return auth.current_principal().role


def refusal(needed: Role, doing: str) -> str | None:
    """Why the current actor may not do `doing` (None when allowed), said before they try.

    The workflow service checks the role again on every action; this only spares a click.
    Markdown-safe (it goes to captions and help tooltips): the person's name is escaped.
    """
    mine = role()
    if ROLES.index(mine) >= ROLES.index(needed):
        return None
    who = formats.escape_markdown(auth.current_principal().display)
    return f"{who} is a {mine}: {doing} needs the {needed} role."


def done() -> int:
    """How many actions succeeded in this session.

    Tables with a row selection put it in their key: a selection made before an action must
    not point at other rows once the acted-on ones leave the table.
    """
    count: int = st.session_state.get(_DONE, 0)
    return count


def in_flight(token: str) -> bool:
    """True once an action on `token` (e.g. `apply:12@v3`) has been submitted."""
    return token in st.session_state.get(_SUBMITTED, set())


def apply(recommendation_id: int, version: int) -> None:
    _run(
        f"apply:{recommendation_id}@{version}",
        lambda flow, now: [
            flow.apply(actor(), recommendation_id, expected_version=version, now=now)
        ],
        recommendation_id,
    )


def reject(recommendation_id: int, version: int, reason_key: str) -> None:
    reason = str(st.session_state.get(reason_key) or "").strip()
    if not reason:
        _store(
            Feedback(
                "warning",
                "Say why you reject it: a reason is required for the audit. Nothing was changed.",
                recommendation_id=recommendation_id,
            )
        )
        return
    _run(
        f"reject:{recommendation_id}@{version}",
        lambda flow, now: [
            flow.reject(
                actor(), recommendation_id, expected_version=version, reason=reason, now=now
            )
        ],
        recommendation_id,
    )


def postpone(recommendation_id: int, version: int, until_key: str) -> None:
    until = st.session_state.get(until_key)
    if until is None:
        _store(
            Feedback(
                "warning",
                "Pick the date until which to postpone it. Nothing was changed.",
                recommendation_id=recommendation_id,
            )
        )
        return
    moment = datetime.combine(until, datetime.min.time(), tzinfo=UTC)
    _run(
        f"postpone:{recommendation_id}@{version}",
        lambda flow, now: [
            flow.postpone(
                actor(), recommendation_id, expected_version=version, until=moment, now=now
            )
        ],
        recommendation_id,
    )


def bulk_apply(versions: Mapping[int, int]) -> None:
    token = "bulk:" + ",".join(f"{rid}@{v}" for rid, v in sorted(versions.items()))
    _run(token, lambda flow, now: flow.bulk_apply(actor(), dict(versions), now=now))


def rollback(change_id: int, reason_key: str) -> None:
    reason = str(st.session_state.get(reason_key) or "").strip() or None
    _run(
        f"rollback:{change_id}",
        lambda flow, now: [flow.rollback(actor(), change_id, now=now, reason=reason)],
    )


def confirm_button(
    label: str,
    *,
    key: str,
    icon: str,
    on_click: Callable[..., None],
    args: tuple[Any, ...],
    primary: bool = False,
    disabled: bool = False,
) -> None:
    """A dialog's one action button; once its action has run, the dialog closes."""
    st.button(
        label,
        key=key,
        type="primary" if primary else "secondary",
        icon=icon,
        on_click=on_click,
        args=args,
        disabled=disabled,
    )
    close_dialog_when_done()


def close_dialog_when_done() -> None:
    """Inside a dialog: once its action ran, rerun the whole page (closes it, shows the result).

    A click inside a dialog reruns only the dialog (it is a fragment); the action itself ran
    in the button's callback just before.
    """
    if _FEEDBACK in st.session_state:
        st.rerun()


def take_feedback() -> Feedback | None:
    """The last action's outcome, once (a toast plus a message the page places)."""
    feedback: Feedback | None = st.session_state.pop(_FEEDBACK, None)
    if feedback is not None:
        icon = ":material/check_circle:" if feedback.kind == "success" else ":material/warning:"
        st.toast(formats.escape_markdown(feedback.message), icon=icon)
    return feedback


def show(feedback: Feedback | None) -> None:
    if feedback is None:
        return
    if feedback.kind == "success":
        st.success(formats.escape_markdown(feedback.message), icon=":material/check_circle:")
    else:
        st.warning(formats.escape_markdown(feedback.message), icon=":material/warning:")


def _run(
    token: str,
    call: Callable[[Workflow, datetime], list[Outcome]],
    focus: int | None = None,
) -> None:
    submitted: set[str] = st.session_state.setdefault(_SUBMITTED, set())
    if token in submitted:
        return
    submitted.add(token)
    try:
        outcomes = call(_workflow(), deps.now())
    except DataError as error:
        submitted.discard(token)  # refused: nothing happened, so trying again is allowed
        _store(refused(error, recommendation_id=focus))
    else:
        st.session_state[_DONE] = done() + 1
        _store(_summary(outcomes, focus))
    finally:
        deps.data_changed()  # the write moved the data version (decision 031)


def _summary(outcomes: list[Outcome], focus: int | None) -> Feedback:
    if len(outcomes) == 1:
        only = outcomes[0]
        message = with_handoff(only)
        return Feedback("success", message, only.change_id, only.recommendation_id or focus)
    return Feedback(
        "success",
        f"{len(outcomes)} recommendations applied: " + " ".join(map(with_handoff, outcomes)),
    )


def with_handoff(outcome: Outcome) -> str:
    """The outcome's message and where its change went: "Recorded and handed off (commit …)"
    or "Recorded only — not changed anywhere" (a reject or postpone has nothing to say)."""
    if not outcome.handoff:
        return outcome.message
    return f"{outcome.message} {outcome.handoff[:1].upper()}{outcome.handoff[1:]}."


def refused(error: DataError, *, recommendation_id: int | None = None) -> Feedback:
    """The outcome of an action the data layer refused: its reason, and that nothing changed."""
    text = str(error).rstrip(".")
    message = f"{text[:1].upper()}{text[1:]}. Nothing was changed."
    return Feedback("warning", message, recommendation_id=recommendation_id)


def keep(feedback: Feedback) -> None:
    """Keep an action's outcome for the next run of the page (take_feedback shows it once)."""
    _store(feedback)


def _store(feedback: Feedback) -> None:
    st.session_state[_FEEDBACK] = feedback


def policy() -> WorkflowPolicy:
    """The workflow policy for the person using this page: their role, no one else's."""
    base = WorkflowPolicy.from_settings(deps.settings())
    return base.for_principal(auth.current_principal())


def _workflow() -> Workflow:
    """The workflow with the hand-off step after an apply or rollback (decision 023)."""
    sessions = deps.sessions()
    return Workflow(sessions, policy(), HandoffRunner(sessions, deps.settings()))
