"""Every page renders with AppTest: titles, KPI values, charts, filters and empty states."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import breaching_table
from data.repos import costs, services
from data.repos.costs import DailyCost
from tests.dashboard.conftest import (
    APP_PATH,
    NOW,
    chart_titles,
    figures,
    metric_values,
    sessions_on,
)

PAGES = (
    "app_pages/overview.py",
    "app_pages/services.py",
    "app_pages/service_detail.py",
    "app_pages/recommendations.py",
    "app_pages/changes.py",
)


def _app() -> AppTest:
    return AppTest.from_file(APP_PATH, default_timeout=60)


def _open(page: str | None = None) -> AppTest:
    at = _app().run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _row_titles(figure: dict[str, Any]) -> list[str]:
    """The titles of a figure's stacked rows (dashboard/components/panels.py), top to bottom."""
    return [note["text"] for note in figure["layout"].get("annotations", [])]


def _trend(at: AppTest) -> list[dict[str, Any]]:
    """The Overview's daily cost by team: the first figure's top row (the forecast is below)."""
    return [t for t in figures(at)[0]["data"] if t["yaxis"] == "y"]


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


@pytest.mark.usefixtures("seeded_database")
def test_overview_shows_title_kpis_and_charts() -> None:
    at = _open()

    assert at.title[0].value == "Overview"
    metrics = metric_values(at)
    assert metrics["Run-rate per month"] == ("$517", "+13.3 % vs prior 30 d")
    assert metrics["30-day change"][0] == "+13.3 %"
    assert metrics["Services"][0] == "3"
    assert metrics["Services breaching SLA (7 d)"] == ("1", "33.3 % of services")
    assert chart_titles(at) == ["Daily cost by team, and the forecast", "Where the money goes"]
    assert _row_titles(figures(at)[0]) == [
        "Daily effective cost by team",
        "Daily cost forecast — Fleet (all costs)",
    ]
    breakdown = figures(at)[1]
    assert _row_titles(breakdown) == [
        "Top 10 services by effective cost",
        "Cost by environment",
        "Cost by platform",
    ]
    subtitle = breakdown["layout"]["title"]["subtitle"]["text"]
    assert subtitle.startswith("Effective cost in USD, Nov 01 – Nov 30")
    # Each row on its own money axis: a service's cost beside an environment's total.
    rows = {t["yaxis"]: t["xaxis"] for t in breakdown["data"]}
    assert rows == {"y": "x", "y2": "x2", "y3": "x3"}
    assert {t["name"] for t in breakdown["data"] if t["yaxis"] == "y"} == {
        "payments",
        "search",
        "data",
    }
    assert breakdown["layout"]["xaxis"]["title"]["text"] == "Effective cost (USD)"
    assert "Costs complete through 2026-11-30; usage as of 2026-11-30 23:00 UTC" in _texts(at)


def test_a_day_in_progress_changes_no_overview_figure_and_is_named(seeded_database: str) -> None:
    """Half an hour into Dec 1, $3 of that day is stored: counted as a whole day it moved the
    run-rate, the 30-day change and ended the sparkline and trend in a cliff."""
    for sessions in sessions_on(seeded_database):
        with sessions.begin() as session:
            (checkout,) = [s for s in services.list_services(session) if s.slug == "checkout"]
            costs.insert_daily_costs(
                session,
                [DailyCost(checkout.id, NOW.date(), "Compute", "USD", 3.0, 3.0, 3.0, "aws")],
            )

    at = _open()

    metrics = metric_values(at)
    assert metrics["Run-rate per month"] == ("$517", "+13.3 % vs prior 30 d")
    subtitle = figures(at)[1]["layout"]["title"]["subtitle"]["text"]
    assert subtitle.startswith("Effective cost in USD, Nov 01 – Nov 30")
    trend_days = {day for trace in _trend(at) for day in trace["x"]}
    assert max(trend_days).startswith("2026-11-30")
    # The forecast starts after the last complete day: Dec 1 is forecast, never "actual".
    (actual,) = [t for t in figures(at)[0]["data"] if t["name"] == "Actual"]
    assert actual["x"][-1] == "2026-11-30"
    assert "2026-12-01 is still in progress: its partial cost is left out" in _texts(at)


@pytest.mark.usefixtures("seeded_database")
def test_overview_trend_is_a_stacked_area_per_team_with_unified_hover() -> None:
    at = _open()

    trend, layout = _trend(at), figures(at)[0]["layout"]

    assert {trace["name"] for trace in trend} == {"payments", "search", "data"}
    assert all(trace["stackgroup"] == "total" for trace in trend)
    assert layout["hovermode"] == "x unified"
    assert layout["yaxis"]["title"]["text"] == "Effective cost (USD/day)"
    assert trend[0]["legendgrouptitle"]["text"] == "Teams"  # the forecast's entries follow


@pytest.mark.usefixtures("seeded_database")
def test_team_filter_changes_the_overview_numbers() -> None:
    at = _open()

    at.multiselect(key="flt_teams").select("payments").run()

    metrics = metric_values(at)
    assert metrics["Run-rate per month"] == ("$304", "+25.0 % vs prior 30 d")
    assert metrics["Services"][0] == "1"
    assert "showing 1 of 3 services" in " ".join(i.value for i in at.sidebar.info)


@pytest.mark.usefixtures("seeded_database")
def test_filters_are_remembered_across_pages() -> None:
    at = _open()
    at.multiselect(key="flt_teams").select("payments").run()

    at.switch_page("app_pages/services.py").run()

    assert at.multiselect(key="flt_teams").value == ["payments"]
    assert at.dataframe[0].value["name"].tolist() == ["Checkout API"]


@pytest.mark.usefixtures("seeded_database")
def test_clear_filters_shows_the_whole_fleet_again() -> None:
    at = _open()
    at.multiselect(key="flt_teams").select("payments").run()

    at.button(key="flt_clear").click().run()

    assert metric_values(at)["Services"][0] == "3"


@pytest.mark.usefixtures("seeded_database")
def test_services_table_is_sorted_by_monthly_cost() -> None:
    at = _open("app_pages/services.py")

    table = at.dataframe[0].value

    assert at.title[0].value == "Services"
    assert table["name"].tolist() == ["Checkout API", "Search API", "Nightly ETL"]
    assert table["sla_label"].tolist() == ["⚠ Breaching", "✓ Within SLA", "○ No latency data"]
    assert metric_values(at)["Billed run-rate (USD)"][0] == "$517 /mo"
    assert at.get("download_button")


def test_unallocated_cost_is_named_and_the_two_totals_reconcile(seeded_database: str) -> None:
    """$3 a day charged to no service: it is in the Overview's run-rate but in no Services row,
    and the Overview says so ($517 allocated + $91 unallocated = $608 /mo)."""
    for sessions in sessions_on(seeded_database):
        with sessions.begin() as session:
            costs.insert_daily_costs(
                session,
                [DailyCost(None, NOW.date() - timedelta(days=1 + i), "Support", "USD", 3.0, 3.0,
                           3.0, "aws") for i in range(30)],
            )  # fmt: skip

    overview = _open()
    services_page = _open("app_pages/services.py")

    assert metric_values(overview)["Run-rate per month"][0] == "$608"
    assert metric_values(services_page)["Billed run-rate (USD)"][0] == "$517 /mo"
    assert (
        "Run-rate $608 /mo = $517 /mo allocated to services (the Services total) + $91 /mo "
        "unallocated" in _texts(overview)
    )
    assert "Money on this page is billed" in _texts(overview)


@pytest.mark.usefixtures("seeded_database")
def test_services_search_narrows_the_table() -> None:
    at = _open("app_pages/services.py")

    at.text_input(key="svc_search").input("search").run()

    assert at.dataframe[0].value["name"].tolist() == ["Search API"]


@pytest.mark.usefixtures("seeded_database")
def test_choosing_a_service_opens_its_detail_page() -> None:
    at = _open("app_pages/services.py")
    table = at.dataframe[0].value
    search_id = int(table.loc[table["name"] == "Search API", "service_id"].iloc[0])

    at.selectbox(key="svc_open").set_value(search_id).run()

    assert not at.exception
    assert at.title[0].value == "Service detail"
    assert at.selectbox(key="detail_service").value == search_id
    assert metric_values(at)["Billed run-rate"][0] == "$152 /mo"


@pytest.mark.usefixtures("seeded_database")
def test_service_detail_draws_usage_against_capacity_and_sla() -> None:
    at = _open("app_pages/service_detail.py")

    titles = chart_titles(at)

    assert at.selectbox(key="detail_service").value is not None
    assert titles == ["Cost and usage vs capacity and SLA"]
    (drawn,) = figures(at)
    assert _row_titles(drawn) == [
        "Cost per day by category",
        "CPU used vs capacity",
        "Memory used vs capacity",
        "Requests per second",
        "p95 latency vs SLA target",
        "Error rate vs SLA maximum",
    ]
    # Each row keeps its series, unit and reference line on its own y axis.
    cost = [t for t in drawn["data"] if t["yaxis"] == "y"]
    assert {t["type"] for t in cost} == {"bar"}  # a set: at least one category, all bars
    assert drawn["layout"]["yaxis"]["title"]["text"] == "Effective cost (USD/day)"
    cpu = [t["name"] for t in drawn["data"] if t["yaxis"] == "y2"]
    assert cpu == ["Used (mean)", "Used (p95 in hour)", "Capacity (current config)"]
    latency = [t["name"] for t in drawn["data"] if t["yaxis"] == "y5"]
    assert latency == ["p95 latency", "SLA target (p95)"]
    assert drawn["layout"]["yaxis5"]["title"]["text"] == "p95 latency (ms)"
    assert {t["xaxis"] for t in drawn["data"]} == {"x"}  # one time axis for every row
    assert drawn["layout"]["hovermode"] == "x unified"
    assert "Current configuration" in _texts(at)


@pytest.mark.usefixtures("seeded_database")
def test_service_detail_explains_a_chart_without_data() -> None:
    at = _open("app_pages/service_detail.py")
    labels = at.selectbox(key="detail_service").options
    etl = next(i for i, label in enumerate(labels) if label.startswith("Nightly ETL"))

    at.selectbox(key="detail_service").select_index(etl).run()

    (usage,) = [
        f
        for f in figures(at)
        if f["layout"]["title"]["text"] == "Cost and usage vs capacity and SLA"
    ]
    assert "p95 latency vs SLA target" not in _row_titles(usage)
    assert "CPU used vs capacity" in _row_titles(usage)
    assert "No latency samples" in _texts(at)
    assert metric_values(at)["Latency SLA (7 d)"][0] == "○ No latency data"


@pytest.mark.usefixtures("empty_database")
@pytest.mark.parametrize("page", PAGES)
def test_empty_database_explains_how_to_load_data(page: str) -> None:
    at = _open(page if page != PAGES[0] else None)

    text = _texts(at)
    assert "make run" in text
    assert "make seed" in text
    assert not at.metric


@pytest.mark.parametrize("page", PAGES)
def test_unmigrated_database_explains_how_to_migrate(
    page: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", f"sqlite:///{tmp_path / 'blank.db'}")

    at = _open(page if page != PAGES[0] else None)

    assert "no Tightrope tables" in _texts(at)
    assert "make run" in _texts(at)


@pytest.mark.usefixtures("seeded_database")
def test_charge_dates_are_picked_as_from_and_to_and_kept_across_pages() -> None:
    at = _open()
    days = at.selectbox(key="flt_date_from").options  # newest first
    at.selectbox(key="flt_date_from").select_index(len(days) - 1).run()
    first = at.selectbox(key="flt_date_from").value
    to = at.selectbox(key="flt_date_to").value

    at.switch_page("app_pages/service_detail.py").run()

    assert not at.exception
    assert at.selectbox(key="flt_date_from").value == first
    assert at.selectbox(key="flt_date_to").value == to
    assert f"{first:%Y-%m-%d}" == days[-1]


@pytest.mark.usefixtures("seeded_database")
def test_a_to_before_the_from_reads_as_the_same_range_the_other_way() -> None:
    at = _open()
    days = at.selectbox(key="flt_date_from").options
    at.selectbox(key="flt_date_from").select_index(0).run()  # the newest day
    at.selectbox(key="flt_date_to").select_index(len(days) - 1).run()  # the oldest

    start, end = at.session_state["filter_dates"]

    assert not at.exception
    assert start < end
    assert f"{start:%Y-%m-%d}" == days[-1]
    assert f"{end:%Y-%m-%d}" == days[0]


@pytest.mark.usefixtures("seeded_database")
def test_overview_lists_the_worst_breaching_services_without_the_grid() -> None:
    at = _open()

    table = next(m.value for m in at.markdown if m.value.startswith("| Service |"))

    assert "Checkout API" in table
    assert "Search API" not in table
    assert not at.dataframe  # ten rows or fewer need no grid
    assert not at.toggle
    assert "Worst first: 1 of 1." in _texts(at)


@pytest.mark.usefixtures("seeded_database")
def test_overview_shows_every_breaching_service_sortable_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(breaching_table, "FIRST_SHOWN", 0)  # the seed has one breaching service
    at = _open()
    assert not at.dataframe

    at.toggle(key="ov_breaching_all").set_value(True).run()

    assert at.dataframe[0].value["name"].tolist() == ["Checkout API"]
    assert "Worst first: 1 of 1." in _texts(at)
