"""The demo fleet mid-day: anomalies are judged on complete days and its cost surge tops them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.budget_checks import detect_anomalies
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.connectors.demo.live import extend_demo_usage
from data.connectors.demo.live_costs import refresh_demo_costs
from data.models import CostAnomalyRow, ServiceRow

SEED, SERVICES = 42, 30
MIDNIGHT = datetime(2026, 11, 29, tzinfo=UTC)
NOW = MIDNIGHT + timedelta(hours=13, minutes=20)  # the sidecar's clock, 13 h into Nov 29
# Demo service #3 surges its networking 12× on 2026-11-27 (data/connectors/demo/costs.py).
SURGE_DAY = MIDNIGHT.date() - timedelta(days=2)


def test_the_demo_surge_is_the_top_anomaly_and_today_is_never_scored(
    sessions: sessionmaker[Session],
) -> None:
    catalog = load_catalog()
    seed_demo_fleet(sessions, catalog, seed=SEED, n_services=SERVICES, days=45, end=MIDNIGHT)
    until = NOW.replace(minute=0)
    extend_demo_usage(sessions, catalog, seed=SEED, n_services=SERVICES, until=until)
    refresh_demo_costs(sessions, catalog, seed=SEED, n_services=SERVICES, until=until)

    detect_anomalies(sessions, now=NOW, lookback_days=7)

    with sessions() as session:
        found = session.execute(
            select(CostAnomalyRow, ServiceRow.slug).join(ServiceRow)
        ).all()  # fmt: skip
        surge_slug = session.scalars(select(ServiceRow.slug).order_by(ServiceRow.id)).all()[3]
    assert found, "the surge was not flagged"
    assert all(row.charge_date < NOW.date() for row, _ in found)
    top, slug = max(found, key=lambda pair: abs(pair[0].robust_z))
    assert (slug, top.charge_date, top.direction) == (surge_slug, SURGE_DAY, "spike")
    (lead, *_) = sorted(top.drivers["categories"], key=lambda d: -abs(d["delta_cost"]))
    assert lead["category"] == "Networking"
