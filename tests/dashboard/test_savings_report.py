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
from data.models import RecommendationRow, ServiceRow
from data.repos.savings_report import (
    REALIZED_REPORT_COLUMNS,
    REPORT_COLUMNS,
    backlog,
    backlog_totals,
    risk_adjusted,
    savings_report,
)
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.dashboard.conftest import USAGE_END, seed_small_fleet

# Name, team and slug of the service with recommendations (Nightly ETL's restore_sla), and the
# teams of the two team commitments (their scope).
SERVICE_PAYLOADS = ('=HYPERLINK("http://evil.example","click")', "+1", "-2+3")
TEAM_PAYLOADS = {"payments": "@SUM(A1:A2)", "data": "|calc\r\nnight shift"}


@pytest.fixture
def fleet(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The dashboard's small fleet, recomputed, with formula payloads in its text fields."""
    ids = seed_small_fleet(sessions)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=USAGE_END)
    name, team, slug = SERVICE_PAYLOADS
    with sessions.begin() as session:
        session.execute(
            update(ServiceRow)
            .where(ServiceRow.id == ids["etl"])
            .values(name=name, team=team, slug=slug)
        )
        for old, new in TEAM_PAYLOADS.items():
            session.execute(
                update(RecommendationRow)
                .where(RecommendationRow.scope == f"team:{old}")
                .values(scope=f"team:{new}")
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

    assert list(report.columns) == [*REPORT_COLUMNS.values(), *REALIZED_REPORT_COLUMNS.values()]
    assert len(report) == 4
    assert report["Recommendation ID"].is_unique
    assert sorted(report["Action type"]) == [
        "Purchase commitment",
        "Purchase commitment",
        "Restore SLA",
        "Restore SLA",
    ]
    assert set(report["Currency"]) == {"USD"}


def test_formula_payloads_are_neutralised_in_the_csv(fleet: sessionmaker[Session]) -> None:
    rows = _rows(to_csv_bytes(_report(fleet)))

    header, body = rows[0], rows[1:]
    cells = {value for row in body for value in row}
    service, team, slug = (header.index(c) for c in ("Service", "Team", "Service slug"))
    etl = next(row for row in body if "HYPERLINK" in row[service])
    assert etl[service] == '\'=HYPERLINK("http://evil.example","click")'
    assert etl[team] == "'+1"
    assert etl[slug] == "'-2+3"
    assert "'@SUM(A1:A2)" in cells
    assert "'|calc\r\nnight shift" in cells  # CR/LF inside a quoted field survives
    assert not any(
        value.startswith(("=", "+", "@", "|")) for value in cells
    )  # "-" is allowed only on numbers, checked below


def test_numbers_stay_numeric_and_a_restore_is_a_cost_increase_not_a_saving(
    fleet: sessionmaker[Session],
) -> None:
    report = _report(fleet)

    back = pd.read_csv(io.BytesIO(to_csv_bytes(report)), encoding="utf-8-sig")

    increase = "Estimated monthly cost increase (restore SLA)"
    for column in (
        "Estimated monthly cost before",
        "Estimated monthly cost after",
        "Estimated monthly savings",
        "Estimated savings %",
        increase,
        "Risk (0-4)",
        "Recommendation ID",
    ):
        assert pd.api.types.is_numeric_dtype(back[column]), column
    restores = back["Action type"] == "Restore SLA"  # Nightly ETL needs more capacity
    assert back.loc[restores, "Estimated monthly savings"].isna().all()
    assert (back.loc[restores, increase] > 0).all()
    assert back.loc[~restores, increase].isna().all()
    assert (back.loc[~restores, "Estimated monthly savings"] > 0).all()
    assert back["Estimated monthly savings"].equals(report["Estimated monthly savings"])
    text = back.select_dtypes(exclude="number").astype(str)
    assert not text.apply(lambda col: col.str.match(r"^[-=+@|]")).to_numpy().any()


def test_before_minus_after_is_the_savings(fleet: sessionmaker[Session]) -> None:
    report = _report(fleet)

    difference = report["Estimated monthly cost before"] - report["Estimated monthly cost after"]
    restores = report["Action type"] == "Restore SLA"

    saved = difference[~restores] - report.loc[~restores, "Estimated monthly savings"]
    paid = (
        difference[restores] + report.loc[restores, "Estimated monthly cost increase (restore SLA)"]
    )
    assert saved.abs().max() <= 0.011
    assert paid.abs().max() <= 0.011


def test_risk_adjusted_savings_keep_a_fifth_at_high_risk() -> None:
    assert risk_adjusted(100.0, 0) == 100.0
    assert risk_adjusted(100.0, 4) == pytest.approx(20.0)
    assert risk_adjusted(-50.0, 1) == pytest.approx(-40.0)


def test_totals_count_each_service_once_and_keep_restores_apart(
    fleet: sessionmaker[Session],
) -> None:
    with fleet() as session:
        frame = backlog(session)

    totals = backlog_totals(frame, currency="USD", month_start=datetime(2026, 11, 1, tzinfo=UTC))

    assert totals.open_count == 4
    assert totals.open_savings == pytest.approx(77.7888 + 25.9296, abs=0.01)  # commitments
    assert totals.open_savings_risk_adjusted == pytest.approx(totals.open_savings)
    assert totals.restore_sla_open == 2  # Nightly ETL: two ways to restore its SLA
    restores = frame[frame["kind"] == "restore_sla"]
    assert totals.restore_sla_cost_increase == pytest.approx(-restores["monthly_savings"].sum())
    assert totals.at_risk_open == 0
    assert totals.applied_savings_this_month == 0.0
