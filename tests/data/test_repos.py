"""Repositories round-trip engine values on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.errors import NotFound
from data.repos import costs, services, usage
from tests.factories import T0, make_k8s_config, make_new_service, make_usage, make_vm_config


def test_added_services_come_back_as_engine_values(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        added = services.add_services(
            session, [make_new_service("a"), make_new_service("b")], now=T0
        )

    with sessions() as session:
        listed = services.list_services(session)

    assert [s.slug for s in listed] == ["a", "b"]
    assert listed == added


def test_missing_service_raises_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NotFound, match="service 999"):
        services.get_service(session, 999)


def test_set_capacity_versions_and_keeps_one_current(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service()], now=T0)
        services.set_capacity(session, svc.id, make_vm_config(), actor="t", now=T0)
        version = services.set_capacity(
            session, svc.id, make_vm_config(replicas=5), actor="t", now=T0 + timedelta(hours=1)
        )

    with sessions() as session:
        current = services.current_config(session, svc.id)
        all_current = services.current_configs(session)

    assert version == 2
    assert current.replicas == 5
    assert list(all_current) == [svc.id]


def test_kubernetes_config_round_trips(sessions: sessionmaker[Session]) -> None:
    config = make_k8s_config(cpu_request_cores=0.25, memory_request_gib=0.5)
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service(platform="kubernetes")], now=T0)
        services.set_capacity(session, svc.id, config, actor="t", now=T0)

    with sessions() as session:
        loaded = services.current_config(session, svc.id)

    assert loaded == config


def test_usage_round_trips_with_missing_slis_as_nan(sessions: sessionmaker[Session]) -> None:
    latency = np.full(24, 100.0)
    latency[3] = np.nan
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service()], now=T0)
        window = make_usage(svc.id, hours=24, latency_p95_ms=latency)
        usage.insert_usage(session, window, source="test")

    with sessions() as session:
        loaded = usage.load_usage(session, svc.id, start=T0, end=T0 + timedelta(days=1))
        newest = usage.latest_usage_hour(session)

    np.testing.assert_array_equal(loaded.hour_start, window.hour_start)
    np.testing.assert_allclose(loaded.cpu_used_p95_cores, window.cpu_used_p95_cores)
    assert np.isnan(loaded.latency_p95_ms[3])
    assert newest == T0 + timedelta(hours=23)


def test_usage_window_is_half_open(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service()], now=T0)
        usage.insert_usage(session, make_usage(svc.id, hours=48), source="test")

    with sessions() as session:
        loaded = usage.load_usage(
            session, svc.id, start=T0 + timedelta(hours=10), end=T0 + timedelta(hours=20)
        )

    assert loaded.points == 10


def test_daily_costs_keep_exact_money(sessions: sessionmaker[Session]) -> None:
    cost = costs.DailyCost(
        service_id=None,
        charge_date=date(2026, 11, 1),
        service_category="Compute",
        billing_currency="USD",
        billed_cost=0.1 + 0.2,
        effective_cost=-12.5,
        list_cost=0.0000012345,
        provider="AWS",
    )
    with sessions.begin() as session:
        costs.insert_daily_costs(session, [cost])

    with sessions() as session:
        newest = costs.latest_cost_date(session)
        from data.models import CostDailyRow

        row = session.query(CostDailyRow).one()

    assert newest == date(2026, 11, 1)
    assert str(row.billed_cost.normalize()) == "0.3"
    assert float(row.effective_cost) == -12.5
    assert float(row.list_cost) == pytest.approx(0.0000012345)
