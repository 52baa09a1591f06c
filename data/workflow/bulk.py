"""Bulk apply: several recommendations in one transaction, refused over the blast-radius caps."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.errors import BlastRadiusExceeded, DataError
from data.models import RecommendationRow, ServiceRow
from data.workflow.apply import apply_recommendation
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

    The caps are checked before any write; recommendations go in id order, which keeps the
    lock order of concurrent bulk applies the same.
    """
    check_blast_radius(session, expected_versions.keys(), policy=policy)
    outcomes = []
    for recommendation_id in sorted(expected_versions):
        try:
            outcome = apply_recommendation(
                session,
                recommendation_id,
                expected_version=expected_versions[recommendation_id],
                actor=actor,
                now=now,
            )
        except DataError as error:
            raise _naming(error, recommendation_id) from error
        outcomes.append(outcome)
    return outcomes


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


def _naming(error: DataError, recommendation_id: int) -> DataError:
    """The same kind of error, saying which recommendation stopped the batch."""
    return type(error)(f"{stopped_at(recommendation_id)}: {error}")


def stopped_at(recommendation_id: int) -> str:
    return f"bulk apply stopped at recommendation {recommendation_id}, nothing was applied"
