"""Saved scenarios on SQLite and PostgreSQL: round trip, promotion, apply through the workflow."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.errors import Drifted, InvalidInput, NotFound
from data.models import SimulationRow
from data.repos import promotions, services, simulations, stored_recommendations, usage
from data.repos.promotions import proposal_kind
from data.repos.simulations import ScenarioSummary, TeamSummary
from engine.simulation import Scenario, simulate
from engine.usage import UsageWindow
from tests.data.workflow.world import ADMIN, make_flow
from tests.factories import T0, make_new_service, make_usage, make_vm_config

NOW = T0 + timedelta(days=15)
HOURS = 14 * 24


def _usage(service_id: int) -> UsageWindow:
    """Half the factory's CPU (0.6–1.8 cores p95): two of the three replicas keep the SLA."""
    window = make_usage(service_id, hours=HOURS)
    return replace(
        window,
        cpu_used_mean_cores=window.cpu_used_mean_cores / 2,
        cpu_used_p95_cores=window.cpu_used_p95_cores / 2,
    )


def _add_service(sessions: sessionmaker[Session]) -> int:
    """checkout-api: 3 × m5.large, two weeks of gently seasonal usage (`_usage`)."""
    with sessions.begin() as session:
        (service,) = services.add_services(session, [make_new_service()], now=T0)
        services.set_capacity(session, service.id, make_vm_config(), actor="seed", now=T0)
        usage.insert_usage(session, _usage(service.id), source="test")
    return service.id


def _summary(
    sessions: sessionmaker[Session], service_id: int, scenario: Scenario
) -> ScenarioSummary:
    with sessions() as session:
        service = services.get_service(session, service_id)
        current = services.current_config(session, service_id)
    window = _usage(service_id)
    result = simulate(window, current, scenario, service=service, catalog=load_catalog())
    return simulations.summarize(result, current, scenario)


def _save(
    sessions: sessionmaker[Session], service_id: int, scenario: Scenario, name: str = "two"
) -> int:
    summary = _summary(sessions, service_id, scenario)
    with sessions.begin() as session:
        return simulations.save_scenario(
            session,
            name=name,
            scenario=scenario,
            summary=summary,
            service_id=service_id,
            team="payments",
            actor="ana",
            now=NOW,
        )


def test_a_saved_scenario_reads_back_as_saved(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    scenario = Scenario(growth_pct=20.0, replicas=2, horizon_days=14, paths=50, seed=7)
    summary = _summary(sessions, service_id, scenario)

    with sessions.begin() as session:
        saved_id = simulations.save_scenario(
            session,
            name="  two replicas at +20 %  ",
            scenario=scenario,
            summary=summary,
            service_id=service_id,
            team="payments",
            actor="ana",
            now=NOW,
        )
    with sessions() as session:
        saved = simulations.get_scenario(session, saved_id)

    assert saved.name == "two replicas at +20 %"
    assert saved.scenario == scenario
    assert saved.summary is not None
    assert saved.summary.proposed == replace(make_vm_config(), replicas=2)
    assert saved.summary.monthly_effective_usd == pytest.approx(summary.monthly_effective_usd)
    assert saved.summary.hold_probability == summary.hold_probability
    assert (saved.created_by, saved.team, saved.service_id) == ("ana", "payments", service_id)


def test_scenarios_list_oldest_first_per_service(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    first = _save(sessions, service_id, Scenario(replicas=2, horizon_days=14, paths=20), "a")
    second = _save(sessions, service_id, Scenario(replicas=4, horizon_days=14, paths=20), "b")

    with sessions() as session:
        mine = simulations.list_scenarios(session, service_id=service_id)
        others = simulations.list_scenarios(session, service_id=service_id + 1)

    assert [s.id for s in mine] == [first, second]
    assert others == []


def test_a_blank_name_is_refused(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    scenario = Scenario(horizon_days=14, paths=20)
    summary = _summary(sessions, service_id, scenario)

    with pytest.raises(InvalidInput), sessions.begin() as session:
        simulations.save_scenario(
            session, name="  ", scenario=scenario, summary=summary,
            service_id=service_id, team=None, actor="ana", now=NOW,
        )  # fmt: skip


def test_an_unknown_scenario_is_not_found(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotFound), sessions() as session:
        simulations.get_scenario(session, 404)


def test_a_promoted_scenario_is_an_open_recommendation(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(replicas=2, horizon_days=14, paths=50))

    with sessions.begin() as session:
        rec_id = promotions.promote_to_recommendation(session, saved_id, now=NOW)
    with sessions() as session:
        (rec,) = stored_recommendations.list_recommendations(session, status="open")

    assert rec.id == rec_id
    assert (rec.kind, rec.scope, rec.service_id) == ("horizontal", "scenario", service_id)
    assert rec.current == make_vm_config()
    assert rec.proposed == replace(make_vm_config(), replicas=2)
    assert rec.reason.startswith("Proposed from scenario two (saved by ana)")
    assert rec.explanation.why == "from scenario two"
    assert rec.explanation.fact("simulation_id") == saved_id
    assert rec.monthly_savings_usd == pytest.approx(210.24 - 140.16, abs=0.01)
    assert rec.sla is not None
    assert not math.isnan(rec.sla.projected_p95_ms)


def test_promoting_twice_returns_the_same_recommendation(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(replicas=2, horizon_days=14, paths=20))

    with sessions.begin() as session:
        first = promotions.promote_to_recommendation(session, saved_id, now=NOW)
    with sessions.begin() as session:
        second = promotions.promote_to_recommendation(session, saved_id, now=NOW)

    assert first == second


def test_a_scenario_that_changes_no_config_is_not_promoted(
    sessions: sessionmaker[Session],
) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(growth_pct=30.0, horizon_days=14, paths=20))

    with pytest.raises(InvalidInput, match="does not change"), sessions.begin() as session:
        promotions.promote_to_recommendation(session, saved_id, now=NOW)


def test_a_scenario_of_a_config_since_changed_is_not_promoted(
    sessions: sessionmaker[Session],
) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(replicas=2, horizon_days=14, paths=20))
    with sessions.begin() as session:
        services.set_capacity(
            session, service_id, make_vm_config(replicas=5), actor="seed", now=NOW
        )

    with pytest.raises(Drifted, match="simulate it again"), sessions.begin() as session:
        promotions.promote_to_recommendation(session, saved_id, now=NOW)


def test_a_promoted_scenario_applies_through_the_workflow(
    sessions: sessionmaker[Session],
) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(replicas=4, horizon_days=14, paths=20))
    with sessions.begin() as session:
        rec_id = promotions.promote_to_recommendation(session, saved_id, now=NOW)

    outcome = make_flow(sessions).apply(ADMIN, rec_id, expected_version=1, now=NOW)

    assert outcome.status == "applied"
    assert outcome.change_id is not None
    with sessions() as session:
        assert services.current_config(session, service_id) == make_vm_config(replicas=4)


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"replicas": 2, "instance_type": "m5.xlarge"}, "joint"),
        ({"instance_type": "m5.xlarge"}, "rightsize"),
        ({"replicas": 4}, "horizontal"),
        ({"schedule": "weekdays 07-20"}, "off_hours"),
        ({"commitment_coverage_pct": 50.0}, "commitment"),
        ({"replicas": 4, "schedule": "weekdays 07-20"}, "joint"),
    ],
)
def test_the_kind_is_the_closest_rule(changes: dict[str, object], kind: str) -> None:
    current = make_vm_config()

    assert proposal_kind(current, replace(current, **changes)) == kind  # type: ignore[arg-type]


def test_a_team_scenario_reads_back_with_its_team_summary(
    sessions: sessionmaker[Session],
) -> None:
    service_id = _add_service(sessions)
    _save(sessions, service_id, Scenario(replicas=2, horizon_days=14, paths=20), "service one")
    summary = TeamSummary(
        growth_pct=50.0,
        services=3,
        breaking=("checkout-api",),
        unfixable=(),
        keep_whole_monthly_usd=70.08,
    )

    with sessions.begin() as session:
        simulations.save_scenario(
            session, name="payments +50 %", scenario=Scenario(growth_pct=50.0),
            summary=summary, service_id=None, team="payments", actor="ana", now=NOW,
        )  # fmt: skip
    with sessions() as session:
        (saved,) = simulations.list_scenarios(session, team="payments", team_only=True)

    assert saved.team_summary == summary
    assert saved.summary is None
    with pytest.raises(InvalidInput), sessions.begin() as session:
        promotions.promote_to_recommendation(session, saved.id, now=NOW)


def test_a_scenario_that_breaks_the_sla_is_not_promoted(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(replicas=1, horizon_days=14, paths=20))

    with pytest.raises(InvalidInput, match="does not keep the SLA"), sessions.begin() as session:
        promotions.promote_to_recommendation(session, saved_id, now=NOW)
    with sessions() as session:
        assert stored_recommendations.list_recommendations(session) == []


def test_a_saturating_scenario_reads_back_unbounded_not_as_a_normal_p95(
    sessions: sessionmaker[Session],
) -> None:
    service_id = _add_service(sessions)
    one_replica = Scenario(growth_pct=300.0, replicas=1, horizon_days=14, paths=20)
    summary = _summary(sessions, service_id, one_replica)
    saved_id = _save(sessions, service_id, one_replica, name="one replica at +300 %")

    with sessions() as session:
        saved = simulations.get_scenario(session, saved_id)

    # The finite hours alone gave a p95 that looked like any healthy scenario's.
    assert summary.projected_p95_ms == math.inf
    assert summary.projected_p95_saturated
    assert saved.summary is not None
    assert saved.summary.projected_p95_ms == math.inf


def test_a_scenario_within_capacity_keeps_its_finite_p95(sessions: sessionmaker[Session]) -> None:
    service_id = _add_service(sessions)
    two_replicas = Scenario(replicas=2, horizon_days=14, paths=20)
    summary = _summary(sessions, service_id, two_replicas)
    saved_id = _save(sessions, service_id, two_replicas)

    with sessions() as session:
        saved = simulations.get_scenario(session, saved_id)

    assert math.isfinite(summary.projected_p95_ms)
    assert not summary.projected_p95_saturated
    assert saved.summary is not None
    assert saved.summary.projected_p95_ms == pytest.approx(summary.projected_p95_ms)


def test_a_summary_saved_before_the_saturation_flag_still_reads(
    sessions: sessionmaker[Session],
) -> None:
    service_id = _add_service(sessions)
    saved_id = _save(sessions, service_id, Scenario(replicas=2, horizon_days=14, paths=20))
    with sessions.begin() as session:
        row = session.get(SimulationRow, saved_id)
        assert row is not None
        row.summary = {k: v for k, v in row.summary.items() if k != "projected_p95_saturated"}

    with sessions() as session:
        saved = simulations.get_scenario(session, saved_id)

    assert saved.summary is not None
    assert not saved.summary.projected_p95_saturated
    assert math.isfinite(saved.summary.projected_p95_ms)
