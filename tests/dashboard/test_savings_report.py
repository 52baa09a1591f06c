"""The savings report: one row per recommendation, COH-style columns, safe and numeric in CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dashboard.components.export import to_csv_bytes
from data.catalog import load_catalog
from data.models import ServiceRow
from data.repos.savings_report import (
    REPORT_COLUMNS,
    backlog,
    backlog_totals,
    risk_adjusted,
    savings_report,
)
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.dashboard.conftest import USAGE_END, seed_small_fleet

PAYLOADS = {
    "checkout": ('=HYPERLINK("http://evil.example","click")', "+1", "-2+3"),
    "etl": ("@SUM(A1:A2)", "night\r\nshift", "|calc"),
}


@pytest.fixture
def fleet(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The dashboard's small fleet, recomputed, with formula payloads in its text fields."""
    ids = seed_small_fleet(sessions)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=USAGE_END)
    with sessions.begin() as session:
        for slug, (name, team, new_slug) in PAYLOADS.items():
            session.execute(
                update(ServiceRow)
                .where(ServiceRow.id == ids[slug])
                .values(name=name, team=team, slug=new_slug)
            )
    return sessions


def _report(sessions: sessionmaker[Session]) -> pd.DataFrame:
    with sessions() as session:
        return savings_report(backlog(session))


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_one_row_per_recommendation_with_coh_style_columns(
    fleet: sessionmaker[Session],
) -> None:
    report = _report(fleet)

    assert list(report.columns) == list(REPORT_COLUMNS.values())
    assert len(report) == 6
    assert report["Recommendation ID"].is_unique
    assert set(report["Action type"]) == {
        "Purchase commitment",
        "Rightsize",
        "Rightsize and scale",
        "Scale in/out",
    }
    assert set(report["Currency"]) == {"USD"}


def test_formula_payloads_are_neutralised_in_the_csv(fleet: sessionmaker[Session]) -> None:
    rows = _rows(to_csv_bytes(_report(fleet)))

    header, body = rows[0], rows[1:]
    cells = {value for row in body for value in row}
    service, team, slug = (header.index(c) for c in ("Service", "Team", "Service slug"))
    checkout = next(row for row in body if "HYPERLINK" in row[service])
    assert checkout[service] == '\'=HYPERLINK("http://evil.example","click")'
    assert checkout[team] == "'+1"
    assert checkout[slug] == "'-2+3"
    assert "'@SUM(A1:A2)" in cells
    assert "'|calc" in cells
    assert "night\r\nshift" in cells  # CR/LF inside a quoted field survives
    assert not any(
        value.startswith(("=", "+", "@", "|")) for value in cells
    )  # "-" is allowed only on numbers, checked below


def test_numbers_stay_numeric_and_a_cost_increase_stays_negative(
    fleet: sessionmaker[Session],
) -> None:
    report = _report(fleet)

    back = pd.read_csv(io.BytesIO(to_csv_bytes(report)), encoding="utf-8-sig")

    for column in (
        "Estimated monthly cost before",
        "Estimated monthly cost after",
        "Estimated monthly savings",
        "Estimated savings %",
        "Risk (0-4)",
        "Recommendation ID",
    ):
        assert pd.api.types.is_numeric_dtype(back[column]), column
    savings = back["Estimated monthly savings"]
    assert savings.min() < 0  # Nightly ETL needs more capacity to keep its SLA
    assert savings.tolist() == report["Estimated monthly savings"].tolist()
    text = back.select_dtypes(exclude="number").astype(str)
    assert not text.apply(lambda col: col.str.match(r"^[-=+@|]")).to_numpy().any()


def test_before_minus_after_is_the_savings(fleet: sessionmaker[Session]) -> None:
    report = _report(fleet)

    difference = report["Estimated monthly cost before"] - report["Estimated monthly cost after"]

    assert (difference - report["Estimated monthly savings"]).abs().max() <= 0.011


def test_risk_adjusted_savings_keep_a_fifth_at_high_risk() -> None:
    assert risk_adjusted(100.0, 0) == 100.0
    assert risk_adjusted(100.0, 4) == pytest.approx(20.0)
    assert risk_adjusted(-50.0, 1) == pytest.approx(-40.0)


def test_totals_count_each_service_once_and_skip_cost_increases(
    fleet: sessionmaker[Session],
) -> None:
    with fleet() as session:
        frame = backlog(session)

    totals = backlog_totals(frame, currency="USD", month_start=datetime(2026, 11, 1, tzinfo=UTC))

    assert totals.open_count == 6
    assert totals.open_savings == pytest.approx(77.7888 + 25.9296 + 21.9, abs=0.01)
    assert totals.at_risk_open == 2
    assert totals.applied_savings_this_month == 0.0
