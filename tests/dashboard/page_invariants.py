"""What must hold on every page after any state change: no exception, and one figure, one value.

Each check reads what a page shows (AppTest) and sets it against another page, or against an
independent sum over the database rows; money is compared as the page prints it.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components import formats
from data.models import ApiKeyRow, CostDailyRow, IngestedFileRow, RecommendationRow
from data.repos.savings_report import get_recommendation
from engine.units import HOURS_PER_DAY, HOURS_PER_MONTH
from tests.dashboard.conftest import APP_PATH, figures, metric_values, numbers

# Visited in this order in one session; Service detail last, since a widget's value (its
# selected service) is read from the live session state, which the next page would replace.
PAGES = (
    "overview", "services", "recommendations", "changes", "simulator", "budgets",
    "data_sources", "api_keys", "service_detail",
)  # fmt: skip
RUN_RATE_DAYS = 30


def check_all(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """Render every page and check every cross-page invariant (AssertionError names it)."""
    shown = render_pages()
    run_rate_is_the_sum_of_its_chart(shown["overview"], now=now)
    a_service_costs_the_same_everywhere(
        shown["overview"], shown["services"], shown["service_detail"]
    )
    allocated_plus_unallocated_is_the_run_rate(shown["overview"], shown["services"])
    realized_this_month_is_the_same_everywhere(shown["overview"], shown["changes"])
    with sessions() as session:
        open_savings_are_the_open_recommendations(shown["recommendations"], session)
        stored_cost_is_the_deliveries_in_force(session)
        open_recommendations_keep_their_sla(session)
        api_keys_are_the_stored_keys(shown["api_keys"], session)


def render_pages() -> dict[str, AppTest]:
    """Every page, as an analyst clicks through them in one session: one main-script run, then
    each page in turn, each kept as it rendered (a shallow copy keeps that run's element tree).
    A fresh session per page would re-run the main script and its default page every time:
    twice the runs for the same pages (decision 027, session 7)."""
    at = AppTest.from_file(APP_PATH, default_timeout=120).run()
    shown: dict[str, AppTest] = {}
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.message for e in at.exception])
        shown[page] = copy.copy(at)
    return shown


def run_rate_is_the_sum_of_its_chart(overview: AppTest, *, now: datetime) -> None:
    """The run-rate card is the daily cost chart (30 days ending the as-of day) × 730 / 720,
    and that chart holds no day still in progress."""
    trend = [t for t in figures(overview)[0]["data"] if t["yaxis"] == "y"]  # the forecast's below
    days = {day for trace in trend for day in trace["x"]}
    assert max(days)[:10] < f"{now:%Y-%m-%d}", f"a day in progress is charted: {max(days)}"
    total = sum(sum(numbers(trace["y"])) for trace in trend)
    if len(days) < RUN_RATE_DAYS:
        return  # a younger history: the card scales the days it covers, checked elsewhere
    expected = formats.money_compact(
        total * HOURS_PER_MONTH / (RUN_RATE_DAYS * HOURS_PER_DAY), "USD"
    )
    assert metric_values(overview)["Run-rate per month"][0] == expected


def a_service_costs_the_same_everywhere(
    overview: AppTest, services: AppTest, detail: AppTest
) -> None:
    """Top-10 bars (30 days) × 730/720 = the Services row = Service detail's card."""
    frame = services.dataframe[0].value
    by_name = dict(zip(frame["name"], frame["monthly_effective_cost"], strict=True))
    by_id = dict(zip(frame["service_id"], frame["monthly_effective_cost"], strict=True))
    (breakdown,) = [
        f for f in figures(overview) if f["layout"]["title"]["text"] == "Where the money goes"
    ]
    assert breakdown["layout"]["annotations"][0]["text"].startswith("Top 10")
    for trace in (t for t in breakdown["data"] if t["yaxis"] == "y"):  # the top-10 row
        for name, cost in zip(trace["y"], numbers(trace["x"]), strict=True):
            monthly = cost * HOURS_PER_MONTH / (RUN_RATE_DAYS * HOURS_PER_DAY)
            assert abs(monthly - float(by_name[name])) < 1e-6, name
    picked = detail.selectbox(key="detail_service").value
    card = metric_values(detail)["Billed run-rate"][0]
    assert card == f"{formats.money(float(by_id[picked]), 'USD')} /mo"


def allocated_plus_unallocated_is_the_run_rate(overview: AppTest, services: AppTest) -> None:
    """The Overview names the Services total as the allocated part of its run-rate."""
    line = next(str(c.value) for c in overview.caption if "allocated to services" in str(c.value))
    services_total = metric_values(services)["Billed run-rate (USD)"][0]
    assert f"= {services_total} allocated to services" in line, (line, services_total)


def open_savings_are_the_open_recommendations(page: AppTest, session: Session) -> None:
    """Open savings = per service (or commitment scope), the best open alternative that saves."""
    rows = session.execute(
        select(
            RecommendationRow.service_id,
            RecommendationRow.scope,
            RecommendationRow.monthly_savings_usd,
        ).where(RecommendationRow.status == "open", RecommendationRow.monthly_savings_usd > 0)
    ).all()
    best: dict[object, Decimal] = defaultdict(Decimal)
    for service_id, scope, savings in rows:
        target = service_id if service_id is not None else scope
        best[target] = max(best[target], Decimal(savings))
    expected = f"{formats.money_compact(float(sum(best.values())), 'USD')} /mo"
    assert metric_values(page)["Open savings"][0] == expected


def stored_cost_is_the_deliveries_in_force(session: Session) -> None:
    """Σ stored daily effective cost = Σ EffectiveCost of the loaded, unsuperseded deliveries,
    to the cent (rows are stored with 10 decimals, delivery totals with the file's 16)."""
    stored = dict(
        session.execute(
            select(CostDailyRow.billing_currency, func.sum(CostDailyRow.effective_cost)).group_by(
                CostDailyRow.billing_currency
            )
        ).all()
    )
    delivered: dict[str, Decimal] = defaultdict(Decimal)
    in_force = select(IngestedFileRow).where(
        IngestedFileRow.status == "loaded", IngestedFileRow.superseded_at.is_(None)
    )
    for delivery in session.scalars(in_force):
        for currency, totals in (delivery.totals or {}).items():
            delivered[currency] += Decimal(str(totals["effective_cost"]))
    cents = Decimal("0.01")
    assert {c: Decimal(v).quantize(cents) for c, v in stored.items()} == {
        c: v.quantize(cents) for c, v in delivered.items()
    }


def open_recommendations_keep_their_sla(session: Session) -> None:
    ids = session.scalars(select(RecommendationRow.id).where(RecommendationRow.status == "open"))
    failing = [
        rec.id
        for rec in (get_recommendation(session, int(i)) for i in ids)
        if rec.sla is not None and not rec.sla.passes
    ]
    assert failing == [], f"open recommendations failing their own SLA verdict: {failing}"


def api_keys_are_the_stored_keys(page: AppTest, session: Session) -> None:
    """The API keys page lists every stored key once, with its state, and the walk's actor
    (an admin) may create and revoke: nothing on the page is locked or refused."""
    stored = {
        name: "revoked" if revoked_at else "active"
        for name, revoked_at in session.execute(select(ApiKeyRow.name, ApiKeyRow.revoked_at))
    }
    table = page.dataframe[0].value  # the walk's template holds keys (page_walk.seed_template)
    assert sorted(zip(table["name"], table["state"], strict=True)) == sorted(stored.items())
    assert not page.button(key="apikey_create").disabled
    assert not any("needs the admin role" in str(c.value) for c in page.caption)


def realized_this_month_is_the_same_everywhere(overview: AppTest, changes: AppTest) -> None:
    """Overview's "Realized this month" (summed by data.repos.realized.month_totals) = the
    Changes card (summed from the page's own table) = Σ of the table's "Realized this month"
    column, measured changes only (an unmeasured change accrues nothing)."""
    card = metric_values(overview)["Realized this month"]
    assert metric_values(changes)["Realized this month"] == card
    tables = [d.value for d in changes.dataframe if "month_realized" in d.value]
    if not tables:  # no change yet
        assert card[0] == formats.money_compact(0.0, "USD")
        return
    table = tables[0]
    measured = table[table["realized_monthly"].notna() & (table["days_in_month"] > 0)]
    assert card[0] == formats.money_compact(float(measured["month_realized"].sum()), "USD")
