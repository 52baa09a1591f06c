"""Whole periods against a real local server, on SQLite and PostgreSQL: every page or nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.billing_api import (
    SOURCE,
    BillingApiClient,
    BillingApiUnavailable,
    CredentialsInvalid,
    MalformedPage,
    PaginationError,
    ingest_period,
)
from data.connectors.focus import AllocationRules, IngestReport
from data.models import CostDailyRow, IngestedFileRow
from tests.connectors.billing_api.api import PERIOD, client, item, page, query, requests_made

NOW = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)
PAGE_1 = [item(), item(BillingCurrency="EUR", EffectiveCost=4.2, BilledCost=4.2)]
PAGE_2 = [item(EffectiveCost=-0.25, BilledCost=-0.25, ChargeCategory="Credit")]


def pull(sessions: sessionmaker[Session], api: BillingApiClient) -> IngestReport | None:
    return ingest_period(sessions, api, PERIOD, rules=AllocationRules(), now=NOW, max_pages=10)


def serve(server: HTTPServer, *pages: dict[str, Any]) -> None:
    """Each page in order, the first without a token and each next one with the previous's."""
    token = None
    for body in pages:
        server.expect_ordered_request("/costs", query_string=query(token)).respond_with_json(body)
        token = body["next_page_token"]


def stored(sessions: sessionmaker[Session]) -> dict[str, Decimal]:
    """Σ effective_cost of the stored daily rows, per currency."""
    with sessions() as session:
        rows = session.execute(
            select(CostDailyRow.billing_currency, func.sum(CostDailyRow.effective_cost))
            .group_by(CostDailyRow.billing_currency)
        )  # fmt: skip
        return {currency: Decimal(total) for currency, total in rows}


def expected(*pages: list[dict[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for items in pages:
        for line in items:
            totals[line["BillingCurrency"]] += Decimal(str(line["EffectiveCost"]))
    return dict(totals)


def deliveries(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(select(IngestedFileRow.source, IngestedFileRow.status))
        return sorted((source, status) for source, status in rows)


def test_all_pages_load_once_and_reconcile_per_currency(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1, "p2"), page(PAGE_2))

    report = pull(sessions, client(httpserver))

    assert report is not None
    assert report.status == "loaded"
    assert stored(sessions) == expected(PAGE_1, PAGE_2)
    assert deliveries(sessions) == [(SOURCE, "loaded")]


def test_pulling_an_unchanged_period_again_is_a_no_op(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1, "p2"), page(PAGE_2))
    pull(sessions, client(httpserver))
    serve(httpserver, page(PAGE_1, "p2"), page(PAGE_2))

    again = pull(sessions, client(httpserver))

    assert again is not None
    assert again.status == "already_ingested"
    assert stored(sessions) == expected(PAGE_1, PAGE_2)


def test_a_grown_period_replaces_the_earlier_pull_instead_of_adding_to_it(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1))
    pull(sessions, client(httpserver))
    grown = [*PAGE_1, item(EffectiveCost=10, BilledCost=10)]
    serve(httpserver, page(grown))

    restated = pull(sessions, client(httpserver))

    assert restated is not None
    assert restated.replaced_file_ids
    assert stored(sessions) == expected(grown)
    assert deliveries(sessions) == [(SOURCE, "loaded"), (SOURCE, "superseded")]


def test_a_401_mid_pagination_commits_nothing_and_is_not_retried(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1, "p2"))
    httpserver.expect_ordered_request("/costs", query_string=query("p2")).respond_with_data(
        "", status=401
    )

    with pytest.raises(CredentialsInvalid, match="credentials invalid"):
        pull(sessions, client(httpserver))

    assert requests_made(httpserver) == 2  # page 1, then exactly one request for the 401
    assert (stored(sessions), deliveries(sessions)) == ({}, [])


def test_5xx_beyond_the_budget_mid_pagination_leaves_the_database_unchanged(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1))
    pull(sessions, client(httpserver))
    before = stored(sessions)
    serve(httpserver, page(PAGE_1, "p2"))
    httpserver.expect_request("/costs", query_string=query("p2")).respond_with_data("", status=500)

    with pytest.raises(BillingApiUnavailable, match="HTTP 500"):
        pull(sessions, client(httpserver))

    assert stored(sessions) == before
    assert deliveries(sessions) == [(SOURCE, "loaded")]


def test_a_page_token_handed_back_twice_is_refused(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1, "p2"), page(PAGE_2, "p2"))

    with pytest.raises(PaginationError, match="cursor loops"):
        pull(sessions, client(httpserver))

    assert stored(sessions) == {}


def test_a_page_served_twice_under_a_new_token_is_refused_not_counted_twice(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page(PAGE_1, "p2"), page(PAGE_1, "p3"), page(PAGE_2))

    with pytest.raises(PaginationError, match="page 2 repeats an earlier page"):
        pull(sessions, client(httpserver))

    assert stored(sessions) == {}


def test_an_item_of_another_billing_period_is_refused(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    stray = item(BillingPeriodStart="2026-09-01T00:00:00Z", BillingPeriodEnd="2026-10-01T00:00Z")
    serve(httpserver, page([*PAGE_1, stray]))

    with pytest.raises(MalformedPage, match="item 3: BillingPeriodStart"):
        pull(sessions, client(httpserver))

    assert stored(sessions) == {}


def test_a_period_without_items_loads_and_removes_nothing(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, page([], "p2"), page([]))

    assert pull(sessions, client(httpserver)) is None
    assert deliveries(sessions) == []


def test_more_pages_than_allowed_is_refused(
    sessions: sessionmaker[Session], httpserver: HTTPServer
) -> None:
    serve(httpserver, *(page([item(EffectiveCost=n)], f"p{n + 2}") for n in range(10)))

    with pytest.raises(PaginationError, match="more than 10 pages"):
        pull(sessions, client(httpserver))

    assert stored(sessions) == {}
