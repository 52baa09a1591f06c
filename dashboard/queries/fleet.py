"""Cached reads shared by the fleet pages (Overview, Services, Recommendations, Changes).

Thin wrappers over the read models `data.repos.fleet` (fleet aggregates) and
`data.repos.service_views` (per-service tables).

`_sessions` is excluded from the cache key (leading underscore); every other argument is
hashed, so two filter sets never share an entry. The TTL is the configured query cache TTL,
which must not exceed the sidecar's refresh interval.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from dashboard import changes_view, deps, pool, projection
from dashboard.projection import SlaProjection
from data.errors import NotFound
from data.repos import (
    changes,
    cost_basis,
    fleet,
    fleet_usage,
    savings_report,
    service_views,
    services,
)
from data.repos.cost_basis import BilledRunRate
from data.repos.fleet import FilterOptions, Filters, FleetKpis, FleetStatus
from data.repos.rule_outcomes import list_rule_outcomes
from data.repos.stored_recommendations import StoredRecommendation
from engine.capacity import CapacityConfig
from engine.service import Service

Sessions = sessionmaker[Session]
P = ParamSpec("P")
R = TypeVar("R")
CHANGE_LIMIT = 1000
AUDIT_LIMIT = 2000
HISTORY_DAYS = 14  # chart window when a recommendation does not say which one it judged


def _read(
    sessions: Sessions,
    read: Callable[Concatenate[Session, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """One repository read in its own short session (the cached wrappers below are keys only)."""
    with sessions() as session:
        return read(session, *args, **kwargs)


@deps.cached_query()
def status(_sessions: Sessions) -> FleetStatus:
    return _read(_sessions, fleet.fleet_status)


@deps.cached_query()
def filter_options(_sessions: Sessions) -> FilterOptions:
    return _read(_sessions, fleet.filter_options)


@deps.cached_query()
def kpis(
    _sessions: Sessions, filters: Filters, today: date, usage_end: datetime | None
) -> FleetKpis:
    return _read(_sessions, fleet.fleet_kpis, filters=filters, today=today, usage_end=usage_end)


@deps.cached_query()
def daily_cost_by_team(
    _sessions: Sessions, filters: Filters, start: date, end: date
) -> pd.DataFrame:
    return _read(_sessions, fleet.daily_cost_by_team, filters=filters, start=start, end=end)


@deps.cached_query()
def service_costs(_sessions: Sessions, filters: Filters, start: date, end: date) -> pd.DataFrame:
    return _read(_sessions, fleet.service_costs, filters=filters, start=start, end=end)


@deps.cached_query()
def services_table(
    _sessions: Sessions, filters: Filters, today: date, usage_end: datetime | None
) -> pd.DataFrame:
    return _read(
        _sessions, service_views.services_table, filters=filters, today=today, usage_end=usage_end
    )


@deps.cached_query()
def service_list(_sessions: Sessions, filters: Filters) -> pd.DataFrame:
    return _read(_sessions, service_views.service_list, filters=filters)


@deps.cached_query()
def service_row(
    _sessions: Sessions, service_id: int, today: date, usage_end: datetime | None
) -> pd.DataFrame:
    """The services table's row(s) of one service (one per billing currency)."""
    return _read(
        _sessions,
        service_views.services_table,
        filters=Filters(),
        today=today,
        usage_end=usage_end,
        service_id=service_id,
    )


@deps.cached_query()
def breaching_services(
    _sessions: Sessions, filters: Filters, today: date, usage_end: datetime | None
) -> pd.DataFrame:
    return _read(
        _sessions,
        service_views.breaching_services,
        filters=filters,
        today=today,
        usage_end=usage_end,
    )


@deps.cached_query()
def service_profile(_sessions: Sessions, service_id: int) -> tuple[Service, CapacityConfig | None]:
    """A service and its current capacity config (None when it has none yet)."""
    with _sessions() as session:
        service = services.get_service(session, service_id)
        try:
            config: CapacityConfig | None = services.current_config(session, service_id)
        except NotFound:
            config = None
        return service, config


@deps.cached_query()
def billed_run_rate(_sessions: Sessions, service_id: int, today: date) -> BilledRunRate | None:
    """The service's billed run-rate per FOCUS category (beside a modelled config cost)."""
    return _read(_sessions, cost_basis.billed_run_rate, service_id, today=today)


@deps.cached_query()
def service_daily_costs(
    _sessions: Sessions, service_id: int, start: date, end: date
) -> pd.DataFrame:
    return _read(_sessions, service_views.service_daily_costs, service_id, start, end)


@deps.cached_query()
def service_usage(
    _sessions: Sessions, service_id: int, start: datetime, end: datetime
) -> pd.DataFrame:
    return _read(_sessions, service_views.service_usage, service_id, start, end)


@deps.cached_query()
def backlog(_sessions: Sessions) -> pd.DataFrame:
    """Every recommendation with its service, best risk-adjusted savings first."""
    return _read(_sessions, savings_report.backlog)


@deps.cached_query()
def service_backlog(_sessions: Sessions, service_id: int) -> pd.DataFrame:
    """One service's rows of the backlog (the same columns and order as `backlog`)."""
    return _read(_sessions, savings_report.service_backlog, service_id)


@deps.cached_query()
def recommendation(_sessions: Sessions, recommendation_id: int) -> StoredRecommendation:
    return _read(_sessions, savings_report.get_recommendation, recommendation_id)


@deps.cached_query()
def sla_projection(
    _sessions: Sessions, recommendation_id: int, version: int, usage_end: datetime
) -> SlaProjection | None:
    """The SLA engine's replay of current vs proposed over the rule's history window.

    None for recommendations without a service config on both sides (commitments). `version`
    is part of the key so a refreshed recommendation is replayed again. WorkerLost when the
    pool's worker died (not cached: the next visit replays again).
    """
    with _sessions() as session:
        rec = savings_report.get_recommendation(session, recommendation_id)
        if rec.service_id is None or rec.current is None or rec.proposed is None:
            return None
        service = services.get_service(session, rec.service_id)
        start, end = _history_window(rec, usage_end)
        usage = fleet_usage.load_usage_windows(session, [rec.service_id], start=start, end=end)
    # In the shared pool (decision 032): the replay's numpy work off the server's GIL.
    return pool.shared().run(
        projection.project, usage[rec.service_id], service, rec.current, rec.proposed
    )


def _history_window(rec: StoredRecommendation, usage_end: datetime) -> tuple[datetime, datetime]:
    """The window the rule judged (from its explanation), else the 14 days to the newest hour."""
    end = usage_end
    start = end - timedelta(days=HISTORY_DAYS)
    window = rec.explanation.window
    if window is not None:
        start = window.first_hour_utc.replace(tzinfo=UTC)
        end = window.last_hour_utc.replace(tzinfo=UTC) + timedelta(hours=1)
    return start, end


@deps.cached_query()
def config_changes(_sessions: Sessions) -> pd.DataFrame:
    """Every applied config change (newest first) with its service, as a frame."""
    with _sessions() as session:
        found = changes.list_changes(session, limit=CHANGE_LIMIT)
        names = {
            s.id: (s.name, s.team, s.environment, s.platform)
            for s in services.list_services(session)
        }
    return changes_view.changes_frame(found, names)


@deps.cached_query()
def audit_events(_sessions: Sessions) -> pd.DataFrame:
    """The newest audit events (up to AUDIT_LIMIT), newest first, as a frame."""
    with _sessions() as session:
        found = changes.list_audit_events(session, limit=AUDIT_LIMIT)
    return changes_view.audit_frame(found)


@deps.cached_query()
def rule_outcomes(_sessions: Sessions, service_id: int) -> pd.DataFrame:
    """The latest outcome of each rule for one service (kind, outcome, reason, evaluated_at)."""
    with _sessions() as session:
        found = list_rule_outcomes(session, service_id)
    return pd.DataFrame(
        [(o.kind, o.outcome, o.reason, o.evaluated_at) for o in found],
        columns=["kind", "outcome", "reason", "evaluated_at"],
    )
