"""Read-only resources: services, their daily costs, budgets, anomalies, job status."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api import schemas, views
from api.auth import Caller, Deps
from api.problems import Problem
from data.repos import anomalies, budget_status, job_status, services
from data.repos.service_views import service_daily_costs

router = APIRouter(prefix="/v1", tags=["reads"])
MAX_COST_DAYS = 400


@router.get("/services")
def list_services(deps: Deps, _who: Caller) -> list[schemas.Service]:
    with deps.sessions() as session:
        return [views.service(s) for s in services.list_services(session)]


@router.get("/services/{service_id}")
def get_service(service_id: int, deps: Deps, _who: Caller) -> schemas.Service:
    with deps.sessions() as session:
        return views.service(services.get_service(session, service_id))


@router.get("/services/{service_id}/costs")
def daily_costs(
    service_id: int,
    start: date,
    end: date,
    deps: Deps,
    _who: Caller,
) -> schemas.DailyCosts:
    """Billed cost per day and FOCUS service category in [start, end] (basis `billed`)."""
    if end < start or end - start > timedelta(days=MAX_COST_DAYS):
        raise Problem(422, "invalid-range", f"need start <= end, at most {MAX_COST_DAYS} days")
    with deps.sessions() as session:
        services.get_service(session, service_id)  # 404 for an unknown service
        frame = service_daily_costs(session, service_id, start, end)
    return schemas.DailyCosts(
        service_id=service_id, basis="billed", start=start, end=end, items=views.daily_costs(frame)
    )


@router.get("/budgets")
def list_budgets(
    deps: Deps,
    _who: Caller,
    month: Annotated[
        date | None, Query(description="Any day of the month; default: this one")
    ] = None,
) -> list[schemas.Budget]:
    """Each budget of the month with its month-to-date cost, forecast and state (as the page)."""
    today = deps.now().date()
    first = (month or today).replace(day=1)
    with deps.sessions() as session:
        found = budget_status.evaluate_budgets(session, month=first, as_of=today)
    return [views.budget(view) for view in found]


@router.get("/anomalies")
def list_anomalies(
    deps: Deps,
    _who: Caller,
    since: Annotated[date | None, Query(description="Default: 30 days ago")] = None,
) -> list[schemas.Anomaly]:
    start = since or deps.now().date() - timedelta(days=30)
    with deps.sessions() as session:
        return views.anomalies(anomalies.list_anomalies(session, since=start))


@router.get("/jobs")
def list_jobs(deps: Deps, _who: Caller) -> list[schemas.JobStatus]:
    """Every job the run ledger or the queue knows: last run, last success, last error."""
    with deps.sessions() as session:
        found = job_status.job_statuses(session, (), now=deps.now())
    return [views.job_status(status) for status in found]
