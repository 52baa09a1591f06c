"""Cached reads of the Budgets & anomalies page: budget checks, anomalies, commitments.

`_sessions` is excluded from the cache key; every other argument is hashed, and the data version
too (decision 031): an edit moves it, so the next read is fresh without clearing anything.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps
from data.repos import anomalies, budgets, commitments, cost_outlook
from data.repos.budget_status import BudgetView, evaluate_budgets
from data.repos.cost_outlook import ScopeOutlook

Sessions = sessionmaker[Session]


@deps.cached_query()
def budget_views(_sessions: Sessions, month: date, as_of: date) -> list[BudgetView]:
    with _sessions() as session:
        return evaluate_budgets(session, month=month, as_of=as_of)


@deps.cached_query()
def anomaly_list(_sessions: Sessions, since: date) -> pd.DataFrame:
    with _sessions() as session:
        return anomalies.list_anomalies(session, since=since)


@deps.cached_query()
def commitment_usage(_sessions: Sessions, start: date, end: date) -> pd.DataFrame:
    with _sessions() as session:
        return commitments.commitment_usage(session, start=start, end=end)


@deps.cached_query()
def budget_scopes(_sessions: Sessions) -> dict[str, list[str]]:
    """What a budget may cover: team names and service slugs of the active catalog."""
    with _sessions() as session:
        return budgets.budget_scopes(session)


@deps.cached_query()
def scope_outlook(
    _sessions: Sessions, scope_type: str, scope_key: str, currency: str, as_of: date
) -> ScopeOutlook | None:
    """A fleet, team or service month-end outlook (the Overview's forecast chart)."""
    with _sessions() as session:
        return cost_outlook.scope_outlook(session, scope_type, scope_key, currency, as_of=as_of)
