"""Cached reads of the Data sources page: jobs, queue, sources, ingested files, webhooks.

Job status changes within a minute of a "Run now", so its TTL is short; the rest follows the
configured query cache TTL. Actions on the page clear these caches (`clear`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps
from data.repos import job_status, kube_allocation, kube_summary, webhook_deliveries
from data.repos.job_status import (
    CostFreshness,
    IngestedFile,
    JobStatus,
    StaleRecommendation,
    StaleRecommendations,
    UsageFreshness,
)
from data.repos.kube_allocation import ClusterAllocation
from data.repos.kube_summary import DiscoverySummary
from data.repos.webhook_deliveries import DeliveryView

Sessions = sessionmaker[Session]


@deps.cached_query(max_ttl_s=15)
def job_statuses(_sessions: Sessions, jobs: tuple[str, ...], now: datetime) -> list[JobStatus]:
    """`now` is the current minute (the 24 h run count moves with it, the cache key too)."""
    with _sessions() as session:
        return job_status.job_statuses(session, jobs, now=now)


@deps.cached_query()
def usage_freshness(_sessions: Sessions) -> list[UsageFreshness]:
    with _sessions() as session:
        return job_status.usage_freshness(session)


@deps.cached_query()
def cost_freshness(_sessions: Sessions) -> list[CostFreshness]:
    with _sessions() as session:
        return job_status.cost_freshness(session)


@deps.cached_query()
def ingested_files(_sessions: Sessions) -> list[IngestedFile]:
    with _sessions() as session:
        return job_status.ingested_files(session)


@deps.cached_query()
def stale_recommendations(_sessions: Sessions, cutoff: datetime) -> StaleRecommendations:
    with _sessions() as session:
        return job_status.stale_recommendations(session, cutoff=cutoff)


@deps.cached_query()
def stale_recommendation_list(_sessions: Sessions, cutoff: datetime) -> list[StaleRecommendation]:
    with _sessions() as session:
        return job_status.stale_recommendation_list(session, cutoff=cutoff)


@deps.cached_query(max_ttl_s=15)
def deliveries(_sessions: Sessions, now: datetime) -> list[DeliveryView]:
    """The webhook delivery log; `now` (the current minute) keys the cache, like job status."""
    with _sessions() as session:
        return webhook_deliveries.recent_deliveries(session)


def clear() -> None:
    """After an action (Run now, an ingest): the rest of this run reads the moved data version
    (decision 031); nothing is cleared for other sessions."""
    deps.data_changed()


@deps.cached_query()
def kube_discovery(_sessions: Sessions) -> DiscoverySummary | None:
    with _sessions() as session:
        return kube_summary.last_discovery(session)


@deps.cached_query()
def kube_allocations(_sessions: Sessions, since: date) -> list[ClusterAllocation]:
    with _sessions() as session:
        return kube_allocation.cluster_allocations(session, since=since)
