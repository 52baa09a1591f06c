"""Who is using this page: the one place the dashboard turns a session into a Principal."""

from __future__ import annotations

from dashboard import deps
from data.identity import Principal
from data.workflow.policy import WorkflowPolicy


def current_principal() -> Principal:
    """The person behind this browser session.

    Without login, everyone who reaches the (loopback) port is the configured local actor,
    with the role the settings give that name.
    """
    settings = deps.settings()
    role = WorkflowPolicy.from_settings(settings).role_of(settings.local_actor)
    return Principal(actor=settings.local_actor, display=settings.local_actor, role=role)
