"""Simulator scenarios from the pages: save, delete, promote — through the guarded write path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.guard import NO_ID, Attempt, Guard
from data.repos import promotions, simulations
from data.repos.audit import record_event
from data.repos.promotions import Promotion
from data.repos.simulations import ScenarioSummary, TeamSummary
from data.settings import Role
from data.workflow import WorkflowPolicy
from engine.simulation import Scenario

# Scenarios are an analyst's working notes; a promotion only opens a recommendation, which
# still needs an approver to apply (decision 013).
SAVE: Role = "analyst"
DELETE: Role = "analyst"
PROMOTE: Role = "analyst"


class ScenarioDesk:
    """`desk = ScenarioDesk(sessions, policy)`, cheap per call; every method raises Forbidden
    (after a "denied" audit event), InvalidInput, NotFound or Drifted as a DataError."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._guard = Guard(sessions, policy)

    def save(
        self,
        actor: str,
        *,
        name: str,
        scenario: Scenario,
        summary: ScenarioSummary | TeamSummary,
        service_id: int | None,
        team: str | None,
        now: datetime,
    ) -> int:
        """Store a service's or a team's scenario; returns its id."""
        where = {"service_id": service_id, "team": team}
        attempt = Attempt(
            "scenario_save", SAVE, ("simulation", NO_ID), doing="saving a scenario", detail=where
        )

        def change(session: Session) -> int:
            simulation_id = simulations.save_scenario(
                session, name=name, scenario=scenario, summary=summary, service_id=service_id,
                team=team, actor=actor, now=utc(now),
            )  # fmt: skip
            after = {"name": name.strip(), **where}
            _event(session, actor, "scenario_save", simulation_id, None, after, now)
            return simulation_id

        return self._guard.run(actor, attempt, now=now, change=change)

    def delete(self, actor: str, simulation_id: int, *, now: datetime) -> None:
        attempt = Attempt(
            "scenario_delete", DELETE, ("simulation", simulation_id), doing="deleting a scenario"
        )

        def change(session: Session) -> None:
            gone = simulations.delete_scenario(session, simulation_id)
            before = {"name": gone.name, "service_id": gone.service_id, "team": gone.team,
                      "created_by": gone.created_by}  # fmt: skip
            _event(session, actor, "scenario_delete", simulation_id, before, None, now)

        self._guard.run(actor, attempt, now=now, change=change)

    def promote(self, actor: str, simulation_id: int, *, now: datetime) -> Promotion:
        """Open a recommendation from a saved service scenario (the live one if already made)."""
        attempt = Attempt(
            "scenario_promote", PROMOTE, ("simulation", simulation_id),
            doing="proposing a scenario as a recommendation",
        )  # fmt: skip

        def change(session: Session) -> Promotion:
            made = promotions.promote(session, simulation_id, now=utc(now))
            if made.created:  # an existing proposal was not changed: nothing to record
                record_event(
                    session, actor=actor, action="scenario_promote",
                    target=("recommendation", made.recommendation_id), before=None,
                    after={"status": "open"}, detail={"simulation_id": simulation_id},
                    now=utc(now),
                )  # fmt: skip
            return made

        return self._guard.run(actor, attempt, now=now, change=change)


def _event(
    session: Session,
    actor: str,
    action: str,
    simulation_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    record_event(
        session, actor=actor, action=action, target=("simulation", simulation_id), before=before,
        after=after, detail={}, now=utc(now),
    )  # fmt: skip
