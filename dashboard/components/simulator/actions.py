"""Scenario actions of the Simulator: save, propose, delete through data.scenario_actions.

Each shows the service's refusal where the click was ("… Nothing was changed.") and tells the
page whether anything changed; the saved-scenario caches are dropped either way.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from dashboard import actions, deps
from dashboard.queries import fleet as queries
from dashboard.queries import simulator as simulator_queries
from data.errors import DataError
from data.repos.simulations import ScenarioSummary, TeamSummary
from data.scenario_actions import ScenarioDesk
from engine.simulation import Scenario


def save(
    sessions: sessionmaker[Session],
    *,
    name: str,
    scenario: Scenario,
    summary: ScenarioSummary | TeamSummary,
    service_id: int | None,
    team: str | None,
) -> bool:
    """True once saved (a service's scenario, or a team's when `service_id` is None)."""
    try:
        _desk(sessions).save(
            actions.actor(), name=name, scenario=scenario, summary=summary,
            service_id=service_id, team=team, now=deps.now(),
        )  # fmt: skip
    except DataError as error:
        actions.show(actions.refused(error))
        return False
    finally:
        simulator_queries.forget_saved()
    return True


def promote(sessions: sessionmaker[Session], simulation_id: int) -> int | None:
    """The id of the open recommendation the scenario became (None: refused, shown)."""
    try:
        made = _desk(sessions).promote(actions.actor(), simulation_id, now=deps.now())
    except DataError as error:
        actions.show(actions.refused(error))
        return None
    queries.backlog.clear()
    return made.recommendation_id


def delete(sessions: sessionmaker[Session], simulation_id: int) -> bool:
    """True once deleted."""
    try:
        _desk(sessions).delete(actions.actor(), simulation_id, now=deps.now())
    except DataError as error:
        actions.show(actions.refused(error))
        return False
    finally:
        simulator_queries.forget_saved()
    return True


def _desk(sessions: sessionmaker[Session]) -> ScenarioDesk:
    return ScenarioDesk(sessions, actions.policy())
