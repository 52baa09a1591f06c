"""The cost forecast on Overview and Budgets (AppTest): a modelled line with nested 80/95 % bands
that starts after the last complete day, and one month-end figure on both pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.repos import budgets
from data.repos.budgets import NewBudget
from tests.dashboard.conftest import figures, numbers, open_page, sessions_on

DECEMBER = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
MODELLED = {"Forecast (modelled)", "80 % interval (modelled)", "95 % interval (modelled)"}


@pytest.fixture
def sessions(seeded_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(seeded_database)


def _forecast_figure(figs: list[dict[str, Any]], title_start: str) -> dict[str, Any]:
    """The figure titled `title_start`…, or holding a row so titled (the Overview's forecast is
    the row under its cost trend)."""
    (fig,) = [f for f in figs if any(t.startswith(title_start) for t in _titles(f))]
    return fig


def _titles(fig: dict[str, Any]) -> list[str]:
    rows = [note["text"] for note in fig["layout"].get("annotations", [])]
    return [fig["layout"]["title"]["text"], *rows]


def _traces(fig: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [t for t in fig["data"] if t.get("name") == name]


def _assert_nested_bands(fig: dict[str, Any]) -> None:
    """95 % band ⊇ 80 % band ∋ forecast, day by day; x runs over the same days for all."""
    (line,) = _traces(fig, "Forecast (modelled)")
    band80, band95 = (_traces(fig, f"{level} % interval (modelled)") for level in (80, 95))
    point = np.array(numbers(line["y"]))
    high95, low95 = (np.array(numbers(t["y"])) for t in band95)
    high80, low80 = (np.array(numbers(t["y"])) for t in band80)
    assert np.all(low95 <= low80 + 1e-9)
    assert np.all(low80 <= point + 1e-9)
    assert np.all(point <= high80 + 1e-9)
    assert np.all(high80 <= high95 + 1e-9)
    assert np.any(high95 > low95)  # a band, not a line: the costs are not constant


@pytest.mark.usefixtures("seeded_database")
def test_overview_draws_the_fleet_forecast_after_the_last_complete_day() -> None:
    at = open_page("app_pages/overview.py")

    fig = _forecast_figure(figures(at), "Daily cost forecast — Fleet")
    assert {t.get("name") for t in fig["data"]} >= MODELLED
    (line,) = _traces(fig, "Forecast (modelled)")
    assert (line["x"][0], line["x"][-1]) == ("2026-12-01", "2026-12-31")
    (actual,) = _traces(fig, "Actual")
    assert actual["x"][-1] == "2026-11-30"  # never a partial day as a whole one
    _assert_nested_bands(fig)
    assert any("Month-end forecast, December (modelled)" in m.value for m in at.markdown)


def test_overview_and_budgets_show_one_month_end_figure(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        budgets.create_budget(
            session,
            NewBudget("team", "search", DECEMBER, Decimal("100"), "USD"),
            actor="t",
            now=NOW,
        )
    overview = open_page("app_pages/overview.py")
    overview.selectbox(key="ov_forecast_scope").set_value(("team", "search")).run()
    (shown,) = [m.value for m in overview.markdown if "Month-end forecast" in m.value]

    page = open_page("app_pages/budgets.py")
    page.selectbox(key="bud_month").set_value(DECEMBER).run()

    (frame,) = [d.value for d in page.dataframe if "exceed_pct" in d.value.columns]
    row = frame.iloc[0]
    # search costs 5 a day: 155 for December, far above 100 → at risk with near certainty.
    assert row["forecast"] == pytest.approx(155.0, abs=1.0)
    assert "(modelled): $155**" in shown
    assert row["state"] == "at_risk"
    assert row["exceed_pct"] > 99.0
    fig = _forecast_figure(figures(page), "Team search")
    assert {t.get("name") for t in fig["data"]} >= MODELLED
