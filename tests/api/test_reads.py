"""Read resources over the same repositories as the pages: services, costs, budgets, jobs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from data.repos import budgets, job_runs
from data.repos.costs import DailyCost, insert_daily_costs
from tests.api.conftest import Api
from tests.data.workflow.world import NOW, add_service

DAY = date(2026, 11, 1)


def test_services_and_their_billed_daily_costs(api: Api, sessions: sessionmaker[Session]) -> None:
    service_id = add_service(sessions, "checkout-api")
    with sessions.begin() as session:
        days = [DAY + timedelta(days=d) for d in range(3)]
        insert_daily_costs(session, [
            DailyCost(service_id, day, "Compute", "EUR", 10.5 + i, 9.25, 12.0, "aws")
            for i, day in enumerate(days)
        ])  # fmt: skip

    with api.client("viewer") as client:
        listed = client.get("/v1/services").json()
        one = client.get(f"/v1/services/{service_id}").json()
        costs = client.get(
            f"/v1/services/{service_id}/costs",
            params={"start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat()},
        ).json()
        backwards = client.get(
            f"/v1/services/{service_id}/costs",
            params={"start": DAY.isoformat(), "end": (DAY - timedelta(days=1)).isoformat()},
        )

    assert [s["slug"] for s in listed] == ["checkout-api"]
    assert one == listed[0]
    assert costs["basis"] == "billed"
    assert [(c["charge_date"], c["billed_cost"]) for c in costs["items"]] == [
        ("2026-11-01", {"amount": "10.50", "currency": "EUR"}),
        ("2026-11-02", {"amount": "11.50", "currency": "EUR"}),
    ]
    assert costs["items"][0]["effective_cost"] == {"amount": "9.25", "currency": "EUR"}
    assert backwards.status_code == 422


def test_budgets_anomalies_and_jobs(api: Api, sessions: sessionmaker[Session]) -> None:
    add_service(sessions, "checkout-api")
    with sessions.begin() as session:
        draft = budgets.NewBudget("team", "payments", NOW.date(), Decimal("1200.00"), "USD")
        budgets.create_budget(session, draft, actor="seed", now=NOW)
    run = job_runs.start_run(sessions, "recompute", window_start=NOW, window_end=NOW, now=NOW)
    job_runs.finish_run(sessions, run, finished_at=NOW, duration_s=1.5, rows=7)

    with api.client("viewer") as client:
        found = client.get("/v1/budgets").json()
        anomalies = client.get("/v1/anomalies")
        jobs = client.get("/v1/jobs").json()

    ((budget),) = found
    assert (budget["scope_type"], budget["scope_key"], budget["state"]) == (
        "team",
        "payments",
        "ok",
    )
    assert budget["amount"] == {"amount": "1200.00", "currency": "USD"}
    assert anomalies.status_code == 200
    assert anomalies.json() == []
    ((job),) = jobs
    assert (job["job"], job["last_success"]["rows"], job["pending"]) == ("recompute", 7, False)
