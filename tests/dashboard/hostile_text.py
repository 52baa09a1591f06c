"""A world whose stored text is hostile: every name, team, owner, reason and the actor hold
markdown, Streamlit directives and HTML that would fetch or link to evil.example if rendered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from data.models import ServiceRow
from data.repos import budgets
from data.repos.savings_report import backlog
from data.workflow import Workflow, WorkflowPolicy
from tests.dashboard.conftest import NOW

ACTOR = "actor"


def payload(field: str) -> str:
    """Markdown, Streamlit and HTML markup at once, tagged with `field`."""
    return (
        f"{field} ![img-{field}](https://evil.example/{field}.png) "
        f"[link-{field}](https://evil.example/{field}) **bold-{field}** _em-{field}_ "
        f":red[red-{field}] :material/bolt: $math-{field}$ "
        f'<img src="https://evil.example/raw-{field}.png"> '
        f'<a href="https://evil.example/a-{field}">a-{field}</a>'
    )


def actor() -> str:
    """The local actor's hostile name (the audit column holds 120 characters)."""
    return payload(ACTOR)[:120]


def make_hostile(sessions: sessionmaker[Session]) -> None:
    """Rename the small fleet's services, then reject, apply + roll back (with hostile reasons)
    and budget a hostile team."""
    _hostile_names(sessions)
    _hostile_decisions(sessions)


def _hostile_names(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for slug in ("checkout", "search", "etl"):
            session.execute(
                update(ServiceRow)
                .where(ServiceRow.slug == slug)
                .values(name=payload(f"name{slug}"), team=payload(f"team{slug}"),
                        owner=payload(f"owner{slug}"))
            )  # fmt: skip


def _hostile_decisions(sessions: sessionmaker[Session]) -> None:
    who = actor()
    flow = Workflow(sessions, WorkflowPolicy(local_actor=who))
    with sessions() as session:
        frame = backlog(session)
    ids = dict(zip(frame["recommendation_id"], frame["version"], strict=True))
    (first, v1), (second, v2), *_ = sorted(ids.items())
    flow.reject(who, first, expected_version=v1, reason=payload("reject"), now=NOW)
    applied = flow.apply(who, second, expected_version=v2, now=NOW)
    assert applied.change_id is not None
    flow.rollback(who, applied.change_id, reason=payload("rollback"), now=NOW)
    with sessions.begin() as session:
        team = payload("teamcheckout")
        draft = budgets.NewBudget("team", team, date(2026, 12, 1), Decimal(500), "USD")
        budgets.create_budget(session, draft, actor=who, now=NOW)
