"""Fleet recompute on a small demo fleet: stores, is idempotent, respects suppression."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.models import RecommendationRow
from data.repos.rule_outcomes import list_rule_outcomes
from data.repos.savings_report import backlog, backlog_totals, savings_report
from data.repos.services import list_services
from data.repos.stored_recommendations import list_recommendations
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.cost import running_cost
from engine.profiles import PROFILES
from engine.rules import RULES
from engine.service import Service, Sla
from engine.sla import policy_for
from jobs.recompute import RecomputeReport, on_demand_usd_per_hour, recompute
from tests.factories import T0, make_usage, make_vm_config

END = datetime(2026, 11, 20, tzinfo=UTC)
N_SERVICES = 12


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def fleet(sessions: sessionmaker[Session], catalog: Catalog) -> sessionmaker[Session]:
    seed_demo_fleet(sessions, catalog, seed=7, n_services=N_SERVICES, days=21, end=END)
    return sessions


def _recompute(sessions: sessionmaker[Session], catalog: Catalog) -> RecomputeReport:
    return recompute(sessions, catalog, profile=PROFILES["balanced"], now=END)


def test_recompute_stores_recommendations_with_savings_for_cuts(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    report = _recompute(fleet, catalog)

    with fleet() as session:
        stored = list_recommendations(session, status="open")
    cuts = [
        rec for rec in stored if rec.cost_proposed.effective_usd < rec.cost_current.effective_usd
    ]
    assert report.services == N_SERVICES
    assert report.saved.created == len(stored) == sum(report.recommendations.values())
    assert cuts
    assert all(rec.monthly_savings_usd > 0 and 0 < rec.savings_pct <= 100 for rec in cuts)


def test_every_rule_result_is_counted_as_an_outcome(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    report = _recompute(fleet, catalog)

    reasons = len(report.no_recommendation)
    assert sum(report.outcomes.values()) == reasons + sum(report.recommendations.values())
    assert all(rec.reason for rec in report.no_recommendation)


def test_every_service_keeps_each_rules_latest_outcome_and_reason(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    _recompute(fleet, catalog)
    report = _recompute(fleet, catalog)  # a second run replaces, never duplicates

    with fleet() as session:
        services = list_services(session)
        stored = {s.id: list_rule_outcomes(session, s.id) for s in services}
    assert all(len(outcomes) == len(RULES) for outcomes in stored.values())
    assert all(o.reason and o.evaluated_at == END for os_ in stored.values() for o in os_)
    counted = Counter(o.outcome for os_ in stored.values() for o in os_)
    service_results = Counter(
        r.outcome for r in report.no_recommendation if r.service_id is not None
    ) + Counter(
        {"recommend": sum(n for k, n in report.recommendations.items() if k != "commitment")}
    )
    assert counted == service_results


def test_each_team_gets_one_commitment_result(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    with fleet() as session:
        teams = {service.team for service in list_services(session)}

    report = _recompute(fleet, catalog)

    with fleet() as session:
        stored = list_recommendations(session)
    scopes = [r.scope for r in report.no_recommendation if r.kind == "commitment"]
    scopes += [r.scope for r in stored if r.kind == "commitment"]
    assert sorted(scopes) == sorted(f"team:{team}" for team in teams)


def test_second_recompute_creates_and_supersedes_nothing(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    first = _recompute(fleet, catalog)

    second = _recompute(fleet, catalog)

    assert (second.saved.created, second.saved.superseded) == (0, 0)
    assert second.saved.unchanged == first.saved.created


def test_rejected_recommendation_is_not_reproposed(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    _recompute(fleet, catalog)
    with fleet.begin() as session:
        row = session.scalars(
            select(RecommendationRow).order_by(RecommendationRow.id).limit(1)
        ).one()
        row.status, row.suppressed_until = "rejected", END + timedelta(days=30)
        rejected_key = row.fingerprint

    report = _recompute(fleet, catalog)

    with fleet() as session:
        open_keys = {rec.key for rec in list_recommendations(session, status="open")}
    assert report.saved.suppressed == 1
    assert report.saved.created == 0
    assert rejected_key not in open_keys


def test_on_demand_spend_counts_uncovered_running_hours(catalog: Catalog) -> None:
    config = make_vm_config(commitment_coverage_pct=40.0, spot_pct=10.0, schedule="weekdays 07-20")
    ctx = _context(config, catalog)
    week = np.datetime64("2026-11-02T00:00", "s") + np.arange(168) * np.timedelta64(3600, "s")

    spend = on_demand_usd_per_hour(ctx.service, ctx.config, catalog, week)

    rate = running_cost(config, region="us-east-1", catalog=catalog).list_usd_per_hour
    assert np.count_nonzero(spend) == 5 * 13
    assert spend.sum() == pytest.approx(rate * 0.5 * 65)


def _context(config: CapacityConfig, catalog: Catalog) -> ServiceContext:
    service = Service(
        id=1,
        slug="checkout-api",
        name="Checkout API",
        team="payments",
        owner="payments@example.com",
        environment="prod",
        platform="vm",
        provider="aws",
        region="us-east-1",
        policy_class="standard",
        sla=Sla(250.0, 99.9, 1.0),
    )
    return ServiceContext(
        service=service,
        config=config,
        usage=make_usage(1, hours=48, start=T0),
        catalog=catalog,
        profile=PROFILES["balanced"],
        policy=policy_for("standard"),
        now=T0 + timedelta(days=2),
    )


def test_every_open_recommendation_keeps_its_sla_and_proposes_a_config_once(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    _recompute(fleet, catalog)

    with fleet() as session:
        stored = list_recommendations(session, status="open")
    proposals = Counter((r.service_id, repr(r.proposed)) for r in stored if r.service_id)
    assert stored
    assert [r.id for r in stored if r.sla is not None and not r.sla.passes] == []
    assert [p for p, n in proposals.items() if n > 1] == []


def test_restore_sla_recommendations_stay_out_of_the_savings_totals(
    fleet: sessionmaker[Session], catalog: Catalog
) -> None:
    _recompute(fleet, catalog)

    with fleet() as session:
        frame = backlog(session)
        report = savings_report(frame)
    totals = backlog_totals(frame, currency="USD", month_start=END)
    restores = frame[frame["kind"] == "restore_sla"]
    savings = frame[(frame["kind"] != "restore_sla") & (frame["monthly_savings"] > 0)]
    best = savings.groupby(savings["service_id"].astype("string").fillna(savings["scope"]))
    assert len(restores) > 0
    assert (restores["monthly_savings"] < 0).all()
    assert (restores["monthly_cost_increase"] == -restores["monthly_savings"]).all()
    assert restores["risk_adjusted_savings"].isna().all()
    # The page's total is the sum of the report's rows, each to the cent (as an export sums).
    assert totals.open_savings == pytest.approx(best["monthly_savings"].max().round(2).sum())
    assert totals.restore_sla_open == len(restores)
    assert totals.restore_sla_cost_increase == pytest.approx(
        restores["monthly_cost_increase"].sum()
    )
    in_report = report[report["Action type"] == "Restore SLA"]
    assert in_report["Estimated monthly savings"].isna().all()
    assert (in_report["Estimated monthly cost increase (restore SLA)"] > 0).all()
