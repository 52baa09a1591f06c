"""A small fleet with hand-computed costs and usage, shared by the read-model tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.models import CostDailyRow
from data.repos import costs, services, usage
from data.repos.costs import DailyCost
from data.repos.fleet import Filters
from engine.service import Sla
from engine.usage import UsageWindow
from tests.factories import make_k8s_config, make_new_service, make_usage, make_vm_config

TODAY = date(2026, 11, 30)
USAGE_END = datetime(2026, 12, 1, tzinfo=UTC)
WEEK_START = USAGE_END - timedelta(days=7)
HOURS_7D = 168
ALL = Filters()


def cost(service_id: int | None, day: date, amount: float, **overrides: object) -> DailyCost:
    fields: dict[str, object] = {
        "service_id": service_id,
        "charge_date": day,
        "service_category": "Compute",
        "billing_currency": "USD",
        "billed_cost": amount,
        "effective_cost": amount,
        "list_cost": amount * 1.25,
        "provider": "aws",
    }
    fields.update(overrides)
    return DailyCost(**fields)  # type: ignore[arg-type]


# What a rollup's freshness stamp must notice (decision 031): the pages then sum the rows.
STAMP_CHANGES = ("insert", "delete", "new service")


def change_costs_or_services(session: Session, change: str, *, day: date, now: datetime) -> None:
    """One of STAMP_CHANGES: a new cost row on `day`, the oldest cost row gone, or a new service."""
    if change == "insert":
        costs.insert_daily_costs(session, [cost(None, day, 1.0)])
    elif change == "delete":
        oldest = session.scalar(select(func.min(CostDailyRow.id)))
        session.execute(delete(CostDailyRow).where(CostDailyRow.id == oldest))
    elif change == "new service":
        services.add_services(session, [make_new_service("late")], now=now)
    else:
        raise ValueError(f"unknown change {change!r}")


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


LAST_30 = days(TODAY - timedelta(days=29), 30)
PREV_30 = days(TODAY - timedelta(days=59), 30)


def seed_fleet(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Seed three services with known costs and a week of usage.

    checkout (payments, prod, vm, 3 × 2 vCPU): USD 8 compute + 2 storage a day for the last 30
    days, 8 a day the 30 before, 1000 on day -60 (outside every window); 2 of 168 hours over
    its 250 ms target. search (search, prod, k8s, 4 × 500m): USD 5 a day for the last 30
    days; 1 of 168 hours over 100 ms, plus a day of 500 ms just before the week.
    etl (data, dev, vm): EUR 7 on the last day, no latency samples. Unallocated: USD 1 a day.
    """
    with sessions.begin() as session:
        checkout, search, etl = services.add_services(
            session,
            [
                make_new_service("checkout", team="payments"),
                make_new_service(
                    "search",
                    team="search",
                    platform="kubernetes",
                    sla=Sla(
                        latency_p95_target_ms=100.0,
                        availability_target_pct=99.9,
                        max_error_rate_pct=1.0,
                    ),
                ),
                make_new_service("etl", team="data", environment="dev"),
            ],
            now=WEEK_START,
        )
        services.set_capacity(session, checkout.id, make_vm_config(), actor="t", now=WEEK_START)
        services.set_capacity(session, search.id, make_k8s_config(), actor="t", now=WEEK_START)
        services.set_capacity(session, etl.id, make_vm_config(), actor="t", now=WEEK_START)
        costs.insert_daily_costs(
            session,
            [cost(checkout.id, d, 8.0) for d in LAST_30 + PREV_30]
            + [cost(checkout.id, d, 2.0, service_category="Storage") for d in LAST_30]
            + [cost(checkout.id, TODAY - timedelta(days=60), 1000.0)]
            + [cost(search.id, d, 5.0) for d in LAST_30]
            + [cost(None, d, 1.0) for d in LAST_30]
            + [cost(etl.id, TODAY, 7.0, billing_currency="EUR", provider="azure")],
        )
        usage.insert_usage(session, _checkout_week(checkout.id), source="test")
        usage.insert_usage(session, _search_week(search.id), source="test")
        etl_latency = np.full(HOURS_7D, np.nan)
        usage.insert_usage(
            session,
            make_usage(etl.id, hours=HOURS_7D, start=WEEK_START, latency_p95_ms=etl_latency),
            source="test",
        )
    return {"checkout": checkout.id, "search": search.id, "etl": etl.id}


def _checkout_week(service_id: int) -> UsageWindow:
    # Utilization k/2 % for k = 1..168 on 6 cores, shuffled so the SQL must sort.
    rng = np.random.default_rng(7)
    cpu_mean = rng.permutation(6.0 * np.arange(1, HOURS_7D + 1) / 200.0)
    latency = np.full(HOURS_7D, 200.0)
    latency[[10, 100]] = 300.0
    return make_usage(
        service_id,
        hours=HOURS_7D,
        start=WEEK_START,
        cpu_used_mean_cores=cpu_mean,
        latency_p95_ms=latency,
    )


def _search_week(service_id: int) -> UsageWindow:
    hours = HOURS_7D + 24
    latency = np.full(hours, 80.0)
    latency[:24] = 500.0
    latency[50] = 150.0
    return make_usage(
        service_id, hours=hours, start=WEEK_START - timedelta(days=1), latency_p95_ms=latency
    )
