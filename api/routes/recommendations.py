"""Recommendations: list (filter, sort, cursor), one with its explanation, and the decisions.

Every decision goes through data.workflow.Workflow, the service the pages call, acting for the
key's principal. A decision on one recommendation needs `If-Match: "<id>-<version>"` (the ETag
its GET returned): 428 without it, 412 when the recommendation changed since (the workflow's own
version check, inside its transaction, decides).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from api import cursor, schemas, views
from api.auth import Caller, Deps
from api.problems import Problem
from data.errors import Conflict
from data.handoff.views import handoffs
from data.repos.recommendation_pages import (
    RecommendationFilter,
    SortKey,
    get_recommendation,
    recommendation_page,
)
from data.workflow import Outcome

router = APIRouter(prefix="/v1", tags=["recommendations"])
T = TypeVar("T")
ETAG = re.compile(r'^"(\d+)-(\d+)"$')
PRECONDITION: dict[int | str, dict[str, Any]] = {
    412: {"description": "The recommendation changed since that ETag (GET it again)."},
    428: {"description": "If-Match is missing."},
}
IfMatch = Annotated[str | None, Header(description='The ETag from GET: "<id>-<version>"')]


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Until(BaseModel):
    until: date


class OptionalReason(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class Expected(BaseModel):
    id: int
    version: int


class BulkApply(BaseModel):
    items: list[Expected] = Field(min_length=1, max_length=10_000)


@router.get("/recommendations")
def list_recommendations(
    deps: Deps,
    _who: Caller,
    status: str | None = None,
    team: str | None = None,
    service_id: int | None = None,
    kind: str | None = None,
    sort: SortKey = "-savings",
    limit: Annotated[int, Query(ge=1)] = 50,
    after: Annotated[str | None, Query(alias="cursor")] = None,
) -> schemas.RecommendationPage:
    """A page in a stable order (the sort, then id); `next_cursor` fetches the next one."""
    where = RecommendationFilter(status, team, service_id, kind, sort)
    size = min(limit, deps.settings.api_page_size_max)
    with deps.sessions() as session:
        items, more = recommendation_page(
            session, where, after=cursor.decode(after, where), limit=size
        )
        found = handoffs(session, recommendation_ids=[r.id for r in items])
    following = cursor.encode(items[-1].id, where) if more and items else None
    return schemas.RecommendationPage(
        items=[views.recommendation(r, found) for r in items], next_cursor=following
    )


@router.get("/recommendations/{recommendation_id}")
def get_one(
    recommendation_id: int, response: Response, deps: Deps, _who: Caller
) -> schemas.RecommendationDetail:
    with deps.sessions() as session:
        rec = get_recommendation(session, recommendation_id)
        found = handoffs(session, recommendation_ids=[rec.id])
    response.headers["ETag"] = views.etag(rec.id, rec.version)
    return views.recommendation_detail(rec, found)


@router.post("/recommendations/{recommendation_id}/apply", responses=PRECONDITION)
def apply(
    recommendation_id: int, response: Response, deps: Deps, who: Caller, if_match: IfMatch = None
) -> schemas.Outcome:
    version = _expected_version(recommendation_id, if_match)
    flow, now = deps.workflow(who), deps.now()
    return _decided(
        response,
        lambda: flow.apply(who.actor, recommendation_id, expected_version=version, now=now),
    )


@router.post("/recommendations/{recommendation_id}/reject", responses=PRECONDITION)
def reject(
    recommendation_id: int,
    body: Reason,
    response: Response,
    deps: Deps,
    who: Caller,
    if_match: IfMatch = None,
) -> schemas.Outcome:
    version = _expected_version(recommendation_id, if_match)
    flow, now = deps.workflow(who), deps.now()
    return _decided(
        response,
        lambda: flow.reject(
            who.actor, recommendation_id, expected_version=version, reason=body.reason, now=now
        ),
    )


@router.post("/recommendations/{recommendation_id}/postpone", responses=PRECONDITION)
def postpone(
    recommendation_id: int,
    body: Until,
    response: Response,
    deps: Deps,
    who: Caller,
    if_match: IfMatch = None,
) -> schemas.Outcome:
    """Postpone until midnight UTC starting `until` (as the page's date picker does)."""
    version = _expected_version(recommendation_id, if_match)
    moment = datetime.combine(body.until, datetime.min.time(), tzinfo=UTC)
    flow, now = deps.workflow(who), deps.now()
    return _decided(
        response,
        lambda: flow.postpone(
            who.actor, recommendation_id, expected_version=version, until=moment, now=now
        ),
    )


@router.post("/recommendations/bulk-apply", responses={412: PRECONDITION[412]})
def bulk_apply(body: BulkApply, deps: Deps, who: Caller) -> schemas.BulkOutcome:
    """Apply several at once; each item names the version it was read at (all or none)."""
    versions = {item.id: item.version for item in body.items}
    flow, now = deps.workflow(who), deps.now()
    outcomes = _precondition(lambda: flow.bulk_apply(who.actor, versions, now=now))
    return schemas.BulkOutcome(items=[views.outcome(o) for o in outcomes])


@router.post("/changes/{change_id}/rollback")
def rollback(
    change_id: int, deps: Deps, who: Caller, body: OptionalReason | None = None
) -> schemas.Outcome:
    """Roll an applied change back (a change has no version: its status is the precondition)."""
    reason = body.reason if body else None
    flow, now = deps.workflow(who), deps.now()
    return views.outcome(flow.rollback(who.actor, change_id, now=now, reason=reason))


def _expected_version(recommendation_id: int, if_match: str | None) -> int:
    if if_match is None:
        raise Problem(428, "precondition-required", 'send If-Match: "<id>-<version>" from GET')
    found = ETAG.match(if_match.strip())
    if found is None or int(found.group(1)) != recommendation_id:
        raise Problem(412, "precondition-failed", "If-Match does not name this recommendation")
    return int(found.group(2))


def _decided(response: Response, call: Callable[[], Outcome]) -> schemas.Outcome:
    result = views.outcome(_precondition(call))
    if result.recommendation_id is not None and result.version is not None:
        response.headers["ETag"] = views.etag(result.recommendation_id, result.version)
    return result


def _precondition(call: Callable[[], T]) -> T:
    """The workflow's Conflict (the version moved on) is a failed precondition here."""
    try:
        return call()
    except Conflict as error:
        raise Problem(412, "precondition-failed", str(error)) from error
