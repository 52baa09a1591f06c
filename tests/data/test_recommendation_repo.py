"""The recommendation repository upserts by key, supersedes, suppresses and round-trips values."""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.errors import InvalidInput
from data.models import RecommendationRow
from data.repos import services
from data.repos.json_values import to_json
from data.repos.recommendations import SaveReport, insert_recommendation, save_recommendations
from data.repos.stored_recommendations import list_recommendations
from engine.explanation import Explanation, HistoryWindow, ProfileUsed
from engine.recommendation import Confidence, Money, Recommendation, Risk, SlaSummary
from tests.factories import T0, make_new_service, make_vm_config

LATER = T0 + timedelta(hours=1)


def make_rec(service_id: int, replicas: int = 2, **overrides: Any) -> Recommendation:
    rec = Recommendation(
        kind="rightsize",
        outcome="recommend",
        reason="cheapest fitting candidate that keeps the SLA",
        service_id=service_id,
        current=make_vm_config(replicas=3),
        proposed=make_vm_config(replicas=replicas),
        cost_current=Money(list_usd=210.24, effective_usd=210.24),
        cost_proposed=Money(list_usd=70.08 * replicas, effective_usd=70.08 * replicas),
        risk=Risk(1, {"cpu_headroom": 1, "memory": 0}),
        sla=SlaSummary(
            passes=True,
            projected_p95_ms=120.5,
            hours_within_target_pct=99.8,
            peak_utilization=0.61,
            n_plus_one_ok=True,
            availability_ok=True,
            reasons=("latency ok",),
        ),
        confidence=Confidence(points=336, days=14.0, lower=1.5, upper=2.5, unit="cores"),
        explanation=Explanation(
            why="cheapest that keeps the SLA",
            profile=ProfileUsed("balanced", 95.0, 20.0, 15.0),
            window=HistoryWindow(datetime(2026, 1, 1), datetime(2026, 1, 14, 23)),
            agreeing_rules=("rightsize", "joint"),
            facts=(("percentile", 90.0), ("headroom_pct", 15.0)),
        ),
    )
    return replace(rec, **overrides)


@pytest.fixture
def service_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service()], now=T0)
    return svc.id


def _save(sessions: sessionmaker[Session], recs: list[Recommendation], now: Any = T0) -> SaveReport:
    with sessions.begin() as session:
        return save_recommendations(session, recs, now=now)


def _statuses(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(select(RecommendationRow).order_by(RecommendationRow.id))
        return [(row.fingerprint, row.status) for row in rows]


def test_new_recommendation_is_created_open(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    rec = make_rec(service_id)

    report = _save(sessions, [rec])

    assert report == SaveReport(created=1)
    assert _statuses(sessions) == [(rec.key, "open")]


def test_only_recommend_outcomes_are_stored(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    reason = Recommendation("idle", "not_enough_data", "only 20 hours", service_id=service_id)

    report = _save(sessions, [reason])

    assert report == SaveReport()
    assert _statuses(sessions) == []


def test_same_key_updates_in_place_and_bumps_version(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    _save(sessions, [make_rec(service_id)])
    cheaper_now = make_rec(service_id, cost_current=Money(250.0, 240.0))

    report = _save(sessions, [cheaper_now], now=LATER)

    with sessions() as session:
        (stored,) = list_recommendations(session)
    assert report == SaveReport(updated=1)
    assert stored.cost_current == Money(250.0, 240.0)
    assert stored.version == 2
    assert stored.created_at == T0
    assert stored.updated_at == LATER


def test_identical_recompute_changes_nothing(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    _save(sessions, [make_rec(service_id)])

    report = _save(sessions, [make_rec(service_id)], now=LATER)

    with sessions() as session:
        (stored,) = list_recommendations(session)
    assert report == SaveReport(unchanged=1)
    assert stored.version == 1
    assert stored.updated_at == T0


def test_other_proposal_for_same_slot_supersedes_the_old_one(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    old, new = make_rec(service_id, replicas=2), make_rec(service_id, replicas=1)
    _save(sessions, [old])

    report = _save(sessions, [new], now=LATER)

    assert report == SaveReport(created=1, superseded=1)
    assert _statuses(sessions) == [(old.key, "superseded"), (new.key, "open")]


def test_a_reason_outcome_supersedes_the_slots_open_row(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    _save(sessions, [make_rec(service_id)])
    optimal = Recommendation("rightsize", "already_optimal", "fits", service_id=service_id)

    report = _save(sessions, [optimal], now=LATER)

    assert report == SaveReport(superseded=1)


def test_slots_not_evaluated_are_left_alone(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    _save(sessions, [make_rec(service_id)])
    other_kind = Recommendation("idle", "already_optimal", "busy", service_id=service_id)

    report = _save(sessions, [other_kind], now=LATER)

    assert report == SaveReport()
    assert [status for _, status in _statuses(sessions)] == ["open"]


@pytest.mark.parametrize("decision", ["rejected", "rolled_back"])
def test_rejected_key_is_not_reproposed_during_cool_down(
    sessions: sessionmaker[Session], service_id: int, decision: str
) -> None:
    rec = make_rec(service_id)
    _save(sessions, [rec])
    _decide(sessions, decision, until=T0 + timedelta(days=30))

    report = _save(sessions, [rec], now=LATER)

    assert report == SaveReport(suppressed=1)
    assert _statuses(sessions) == [(rec.key, decision)]


def test_rejected_key_returns_after_cool_down(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    rec = make_rec(service_id)
    _save(sessions, [rec])
    _decide(sessions, "rejected", until=T0 + timedelta(days=30))

    report = _save(sessions, [rec], now=T0 + timedelta(days=31))

    assert report == SaveReport(created=1)
    assert _statuses(sessions) == [(rec.key, "rejected"), (rec.key, "open")]


def test_values_round_trip_through_json_columns(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    rec = make_rec(service_id)
    _save(sessions, [rec])

    with sessions() as session:
        (stored,) = list_recommendations(session, status="open", service_id=service_id)

    assert stored.key == rec.key
    assert (stored.current, stored.proposed) == (rec.current, rec.proposed)
    assert (stored.risk, stored.sla, stored.confidence) == (rec.risk, rec.sla, rec.confidence)
    assert stored.explanation == rec.explanation
    assert stored.reason == rec.reason
    assert stored.monthly_savings_usd == pytest.approx(rec.monthly_savings_usd)


def test_non_finite_numbers_are_stored_as_null(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    base = make_rec(service_id)
    assert base.sla is not None
    rec = replace(
        base,
        sla=replace(base.sla, projected_p95_ms=math.nan),
        explanation=Explanation(
            facts=(("latency_ms", np.float64(np.inf)), ("hours", 3), ("band", (1.0, 2.0)))
        ),
    )
    _save(sessions, [rec])

    with sessions() as session:
        (stored,) = list_recommendations(session)
        row = session.scalars(select(RecommendationRow)).one()

    assert stored.sla is not None
    assert math.isnan(stored.sla.projected_p95_ms)
    assert row.sla_verdict["projected_p95_ms"] is None
    assert stored.explanation.facts == (("band", [1.0, 2.0]), ("hours", 3), ("latency_ms", None))


def test_money_is_stored_exactly(sessions: sessionmaker[Session], service_id: int) -> None:
    # SQLite keeps NUMERIC as a double: exact to ~15 significant digits, hence a modest amount.
    rec = make_rec(service_id, cost_current=Money(0.1 + 0.2, 98765.4321))
    _save(sessions, [rec])

    with sessions() as session:
        row = session.scalars(select(RecommendationRow)).one()

    assert str(row.monthly_cost_current_list_usd.normalize()) == "0.3"
    assert row.monthly_cost_current_effective_usd == Decimal("98765.4321")


def test_list_orders_by_monthly_savings_descending(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        a, b = services.add_services(
            session, [make_new_service("a"), make_new_service("b")], now=T0
        )
    _save(sessions, [make_rec(a.id, replicas=2), make_rec(b.id, replicas=1)])

    with sessions() as session:
        listed = list_recommendations(session)

    assert [r.service_id for r in listed] == [b.id, a.id]


def test_to_json_makes_plain_values() -> None:
    value = {"config": make_vm_config(), "nan": float("nan"), "arr": np.array([1.5, np.inf])}

    plain = to_json(value)

    assert plain["config"]["instance_type"] == "m5.large"
    assert plain["nan"] is None
    assert plain["arr"] == [1.5, None]


def test_to_json_walks_nested_values_as_asdict_would() -> None:
    # The walk replaced dataclasses.asdict (decision 030): nested dataclasses, numpy arrays of
    # several dtypes and containers must come out as the asdict-then-convert form did.
    hours = np.array(["2026-11-01T00", "2026-11-01T01"], dtype="datetime64[s]")
    proposed = make_rec(1, replicas=2).proposed
    assert proposed is not None
    value = {
        1: (proposed, {"grid": np.array([[1, 2], [3, 4]], dtype=np.int32)}),
        "hours": hours,
        "scalars": [np.float32(0.5), np.int64(3), np.bool_(True), -math.inf, T0],
        "set": frozenset({"a"}),
    }

    plain = to_json(value)

    assert plain == {
        "1": [to_json(asdict(proposed)), {"grid": [[1, 2], [3, 4]]}],
        "hours": ["2026-11-01T00:00:00", "2026-11-01T01:00:00"],
        "scalars": [0.5, 3, True, None, T0.isoformat()],
        "set": ["a"],
    }
    assert type(plain["scalars"][1]) is int


def _decide(sessions: sessionmaker[Session], status: str, *, until: Any) -> None:
    with sessions.begin() as session:
        row = session.scalars(select(RecommendationRow)).one()
        row.status = status
        row.suppressed_until = until
        row.decided_at = T0


def test_sub_cent_money_drift_is_not_a_change(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    _save(sessions, [make_rec(service_id, cost_current=Money(100.0, 100.0))])

    drifted = make_rec(service_id, cost_current=Money(100.000000001, 100.0))
    report = _save(sessions, [drifted], now=LATER)

    assert report == SaveReport(unchanged=1)


def test_postponed_row_is_refreshed_and_stays_postponed(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    rec = make_rec(service_id)
    _save(sessions, [rec])
    _decide(sessions, "postponed", until=None)

    report = _save(sessions, [make_rec(service_id, cost_current=Money(300.0, 300.0))], now=LATER)

    assert report == SaveReport(updated=1)
    assert _statuses(sessions) == [(rec.key, "postponed")]


def test_one_config_proposed_by_two_rules_is_one_row(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    rightsize, joint = make_rec(service_id), make_rec(service_id, kind="joint")

    report = _save(sessions, [rightsize, joint])

    assert rightsize.key == joint.key
    assert report == SaveReport(created=1)
    with sessions() as session:
        (stored,) = list_recommendations(session)
    assert stored.kind == "joint"


def test_the_database_refuses_a_second_live_row_of_one_proposal(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    with sessions.begin() as session:
        insert_recommendation(session, make_rec(service_id), now=T0)

    with pytest.raises(IntegrityError), sessions.begin() as session:
        insert_recommendation(session, make_rec(service_id, kind="horizontal"), now=T0)


def test_a_decided_row_does_not_block_the_same_proposal_later(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    rec = make_rec(service_id)
    _save(sessions, [rec])
    _decide(sessions, "rejected", until=T0)

    with sessions.begin() as session:
        insert_recommendation(session, rec, now=LATER)

    assert _statuses(sessions) == [(rec.key, "rejected"), (rec.key, "open")]


def test_a_proposal_failing_its_own_sla_verdict_is_refused(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    base = make_rec(service_id)
    assert base.sla is not None
    failing = replace(base, sla=replace(base.sla, passes=False))

    report = _save(sessions, [failing])

    assert report == SaveReport(refused=1)
    assert _statuses(sessions) == []
    with pytest.raises(InvalidInput, match="does not keep the SLA"), sessions.begin() as session:
        insert_recommendation(session, failing, now=T0)


def test_a_rejected_proposal_stays_away_whichever_rule_proposes_it_next(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    _save(sessions, [make_rec(service_id)])
    _decide(sessions, "rejected", until=T0 + timedelta(days=30))

    report = _save(sessions, [make_rec(service_id, kind="joint")], now=LATER)

    assert report == SaveReport(suppressed=1)


def test_a_restore_sla_keeps_the_slot_of_the_rule_that_found_it(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    scale_up = make_rec(
        service_id, replicas=5, kind="restore_sla", rule="horizontal", reason="restore the SLA"
    )
    _save(sessions, [scale_up])
    settled = Recommendation("horizontal", "already_optimal", "fits", service_id=service_id)
    other_rule = Recommendation("joint", "already_optimal", "fits", service_id=service_id)

    untouched = _save(sessions, [other_rule], now=LATER)
    superseded = _save(sessions, [settled], now=LATER)

    with sessions() as session:
        (stored,) = list_recommendations(session)
    assert (stored.kind, stored.rule) == ("restore_sla", "horizontal")
    assert stored.monthly_cost_increase_usd == pytest.approx(5 * 70.08 - 210.24)
    assert (untouched, superseded) == (SaveReport(), SaveReport(superseded=1))


def test_a_proposal_live_as_a_promoted_scenario_is_not_stored_twice(
    sessions: sessionmaker[Session], service_id: int
) -> None:
    with sessions.begin() as session:
        insert_recommendation(session, make_rec(service_id, scope="scenario"), now=T0)

    report = _save(sessions, [make_rec(service_id)], now=LATER)

    assert report == SaveReport(duplicates=1)
    with sessions() as session:
        assert [r.scope for r in list_recommendations(session)] == ["scenario"]
