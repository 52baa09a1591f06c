"""Bulk apply: several recommendations in one transaction, refused over the blast-radius caps."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.errors import BlastRadiusExceeded, DataError, RecommendationChanged
from data.models import RecommendationRow, ServiceRow
from data.workflow.apply import claim, complete
from data.workflow.outcome import Outcome
from data.workflow.policy import WorkflowPolicy


def bulk_apply(
    session: Session,
    expected_versions: Mapping[int, int],
    *,
    policy: WorkflowPolicy,
    actor: str,
    now: datetime,
) -> list[Outcome]:
    """Apply every recommendation or none: the first failure aborts the whole transaction.

    The caps are checked before any write. Every recommendation is claimed (status written,
    row locked) in id order before any service is locked, then services in id order: the lock
    order of every action is the same, so concurrent (bulk) applies cannot deadlock.
    """
    check_blast_radius(session, expected_versions.keys(), policy=policy)
    claimed = []
    for recommendation_id in sorted(expected_versions):
        with _naming(recommendation_id):
            version = expected_versions[recommendation_id]
            claimed.append(
                claim(session, recommendation_id, expected_version=version, actor=actor, now=now)
            )
    outcomes = {}
    for step in sorted(claimed, key=lambda c: (c.row.service_id or 0, c.row.id)):
        with _naming(step.row.id):
            outcomes[step.row.id] = complete(session, step, actor=actor, now=now)
    return [outcomes[step.row.id] for step in claimed]


def check_blast_radius(
    session: Session, recommendation_ids: Collection[int], *, policy: WorkflowPolicy
) -> None:
    """BlastRadiusExceeded over `bulk_apply_max_count` recommendations or over
    `bulk_apply_max_fleet_pct` % of the active services (fleet-scope ones count no service)."""
    count, most = len(recommendation_ids), policy.bulk_apply_max_count
    if count > most:
        raise BlastRadiusExceeded(f"{count} recommendations: bulk apply takes at most {most}")
    touched = set(
        session.scalars(
            select(RecommendationRow.service_id).where(
                RecommendationRow.id.in_(recommendation_ids),
                RecommendationRow.service_id.is_not(None),
            )
        )
    )
    active = session.scalar(select(func.count()).select_from(ServiceRow).where(ServiceRow.active))
    pct = policy.bulk_apply_max_fleet_pct
    if len(touched) > (active or 0) * pct / 100:
        raise BlastRadiusExceeded(
            f"{len(touched)} services of {active or 0} active: bulk apply may change at most "
            f"{pct:g} % of the fleet"
        )


@contextmanager
def _naming(recommendation_id: int) -> Iterator[None]:
    """A refusal inside comes back saying which recommendation stopped the batch."""
    try:
        yield
    except RecommendationChanged:
        raise  # keeps its id: the service names the winner and prefixes `stopped_at` itself
    except DataError as error:
        raise type(error)(f"{stopped_at(recommendation_id)}: {error}") from error


def stopped_at(recommendation_id: int) -> str:
    return f"bulk apply stopped at recommendation {recommendation_id}, nothing was applied"
