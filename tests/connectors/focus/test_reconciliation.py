"""Property: what lands per service plus the unallocated bucket equals the file, per currency."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import AllocationRules, ingest_file
from data.models import CostDailyRow
from data.repos.services import add_services, count_services
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.factories import T0, make_new_service

CENT = Decimal("0.01")
_accounts = count(1)

amounts = st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("1000"), places=11, allow_nan=False
)
rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "EffectiveCost": amounts,
            "BillingCurrency": st.sampled_from(["USD", "EUR", "jpy"]),
            "Tags": st.sampled_from(
                [
                    '{"service": "checkout"}',
                    '{"Service": "search"}',
                    '{"service": "ghost"}',
                    "",
                    "NULL",
                    "{bad",
                ]
            ),
            "ChargePeriodStart": st.sampled_from(
                [
                    "2026-10-01T00:00:00Z",
                    "2026-10-01 23:00:00",
                    "2026-10-17T12:00Z",
                    "2026-10-31T23:59:59Z",
                ]
            ),
            "ServiceCategory": st.sampled_from(["Compute", "storage", "Weird", ""]),
            "ChargeCategory": st.sampled_from(["Usage", "Credit", "tax"]),
        }
    ),
    min_size=1,
    max_size=40,
)


def _catalogue_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        if count_services(session) == 0:
            drafts = [make_new_service("checkout"), make_new_service("search")]
            add_services(session, drafts, now=T0)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=rows_strategy)
def test_service_costs_plus_unallocated_equal_the_file_per_currency(
    sessions: sessionmaker[Session], rows: list[dict[str, object]]
) -> None:
    _catalogue_once(sessions)
    account = f"acct-{next(_accounts)}"  # each example is its own partition
    file_rows = [
        focus_row(**{k: str(v) for k, v in row.items()}, BillingAccountId=account) for row in rows
    ]
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        expected[str(row["BillingCurrency"]).upper()] += Decimal(str(row["EffectiveCost"]))

    report = ingest_file(
        sessions, csv_bytes(file_rows), source="prop", rules=AllocationRules(), now=T0
    )

    with sessions() as session:
        stored = session.execute(
            select(CostDailyRow.billing_currency, func.sum(CostDailyRow.effective_cost))
            .where(CostDailyRow.ingested_file_id == report.ingested_file_id)
            .group_by(CostDailyRow.billing_currency)
        ).all()
    got = {currency: Decimal(str(total)).quantize(CENT) for currency, total in stored}
    assert got == {currency: total.quantize(CENT) for currency, total in expected.items()}
    assert json.dumps(report.totals)  # the report is plain JSON for the ingested_file row
