"""Listing recommendations: cursor pagination walks every row once, in a stable order."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.recommendation import Money, Recommendation
from tests.api.conftest import Api
from tests.data.workflow.world import add_service, make_rec, store
from tests.factories import make_vm_config

COUNT = 23


def _fleet(sessions: sessionmaker[Session]) -> list[int]:
    """COUNT recommendations; savings take three values only, so most sort keys tie."""
    ids = []
    for i in range(COUNT):
        service_id = add_service(sessions, f"svc-{i:02d}")
        rec = make_rec(service_id, make_vm_config(), replicas=2)
        proposed = 140.16 - 10.0 * (i % 3)
        ids.append(store(sessions, _costing(rec, proposed)).id)
    return ids


def _costing(rec: Recommendation, proposed_usd: float) -> Recommendation:
    return replace(rec, cost_proposed=Money(proposed_usd, proposed_usd))


def _walk(api: Api, params: dict[str, Any]) -> tuple[list[int], int]:
    seen: list[int] = []
    pages = 0
    with api.client("viewer") as client:
        cursor: str | None = None
        while True:
            answer = client.get(
                "/v1/recommendations", params={**params, **({"cursor": cursor} if cursor else {})}
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                return seen, pages


@pytest.mark.parametrize("sort", ["-savings", "savings", "-created", "created", "id"])
def test_pages_walk_every_recommendation_exactly_once(
    sort: str, api: Api, sessions: sessionmaker[Session]
) -> None:
    ids = _fleet(sessions)

    seen, pages = _walk(api, {"sort": sort, "limit": 4})

    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert pages == 6  # 23 rows, 4 a page


def test_the_order_is_the_sort_then_the_id(api: Api, sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)

    seen, _ = _walk(api, {"sort": "-savings", "limit": 5})
    with api.client("viewer") as client:
        first = client.get("/v1/recommendations", params={"limit": 20}).json()
        params = {"limit": 20, "cursor": first["next_cursor"]}
        second = client.get("/v1/recommendations", params=params).json()
    items: list[dict[str, Any]] = first["items"] + second["items"]

    keys = [(-float(i["monthly_savings"]["amount"]), i["id"]) for i in items]
    assert keys == sorted(keys)
    assert len({k[0] for k in keys}) == 3  # ties to break
    assert seen == [i["id"] for i in items]


def test_filters_and_a_cursor_of_another_query(api: Api, sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    with api.client("viewer") as client:
        first = client.get("/v1/recommendations", params={"limit": 2, "status": "open"}).json()
        other = client.get(
            "/v1/recommendations", params={"cursor": first["next_cursor"], "sort": "id"}
        )
        none = client.get("/v1/recommendations", params={"team": "no-such-team"}).json()
        team = client.get("/v1/services/1").json()["team"]
        mine = client.get("/v1/recommendations", params={"team": team, "sort": "id"}).json()
        kind = client.get("/v1/recommendations", params={"kind": "commitment"}).json()

    assert other.status_code == 422
    assert other.json()["type"] == "urn:tightrope:problem:invalid-cursor"
    assert none == {"items": [], "next_cursor": None}
    assert len(mine["items"]) == 20  # one team holds them all: a full page
    assert mine["next_cursor"] is not None
    assert kind == {"items": [], "next_cursor": None}


def test_limit_is_capped_by_the_settings(api: Api, sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)

    with api.client("viewer") as client:
        page = client.get("/v1/recommendations", params={"limit": 10_000}).json()

    assert len(page["items"]) == 20  # api_page_size_max in these tests
    assert page["next_cursor"] is not None
