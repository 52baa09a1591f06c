"""The Data sources page with AppTest: jobs and Run now, source freshness, FOCUS upload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components.data_sources.jobs import JOB_HELP, JOB_LABELS
from data.models import (
    AuditEventRow,
    CostDailyRow,
    IngestedFileRow,
    JobRequestRow,
    JobRunRow,
    RecommendationRow,
)
from data.settings import Settings
from jobs.definitions import default_jobs
from tests.connectors.focus.builders import COLUMNS_1_2, csv_bytes, focus_row
from tests.dashboard.conftest import NOW, open_page, sessions_on

PAGE = "app_pages/data_sources.py"


@pytest.fixture
def db(empty_database: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database the page reads (the test writes and checks through them)."""
    yield from sessions_on(empty_database)


def _open() -> AppTest:
    return open_page(PAGE)


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The (first) table that has `column` (st.dataframe keys are not exposed to AppTest)."""
    found: pd.DataFrame = next(d.value for d in at.dataframe if column in d.value.columns)
    return found


def _job(at: AppTest, label: str) -> dict[str, Any]:
    """The jobs table's row for the job labelled `label`."""
    row = _table(at, "freshness").set_index("job").loc[label]
    return {str(column): value for column, value in row.items()}


def _texts(at: AppTest, *kinds: str) -> str:
    kinds = kinds or ("markdown", "caption", "info", "warning", "success", "error")
    # Messages escape Markdown (file names and errors are data): compare what a reader sees.
    shown = "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))
    return shown.replace("\\", "")


def _run(
    db: sessionmaker[Session], job: str, status: str, *, ago: timedelta, **extra: object
) -> None:
    started = NOW - ago
    with db.begin() as session:
        session.add(
            JobRunRow(
                job=job,
                started_at=started,
                finished_at=started + timedelta(seconds=3),
                status=status,
                window_start=started - timedelta(hours=1),
                window_end=started,
                rows=extra.get("rows", 0),
                duration_s=3.2,
                error=extra.get("error"),
            )
        )


def _count(db: sessionmaker[Session], model: type[object], *where: object) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def test_an_empty_database_lists_every_job_as_never_run(db: sessionmaker[Session]) -> None:
    at = _open()

    assert at.title[0].value == "Data sources"
    jobs = _table(at, "freshness")
    assert jobs["job"].tolist() == [
        "Discover Kubernetes workloads",
        "Collect usage",
        "Collect Kubernetes workload statistics",
        "Roll up the pages' 7-day usage",
        "Refresh costs",
        "Roll up the forecasts' cost series",
        "Recompute recommendations",
        "Check budgets",
        "Detect cost anomalies",
        "Expire stale recommendations",
        "Prune the webhook outbox",
    ]
    assert set(jobs["freshness"]) == {"○ Never"}
    assert "No services yet" in _texts(at, "info")
    assert "No billing file ingested yet" in _texts(at, "info")


def test_job_runs_show_freshness_rows_and_the_last_error(db: sessionmaker[Session]) -> None:
    _run(db, "collect_usage", "success", ago=timedelta(minutes=20), rows=1234)
    _run(db, "recompute", "success", ago=timedelta(hours=5), rows=7)
    _run(db, "recompute", "failed", ago=timedelta(minutes=10), error="TelemetryError: refused")

    at = _open()

    usage, recompute = _job(at, "Collect usage"), _job(at, "Recompute recommendations")
    assert (usage["freshness"], usage["rows"]) == ("✓ Fresh", 1234)
    assert recompute["freshness"] == "⚠ Stale"
    assert "TelemetryError: refused" in recompute["last_error"]
    assert recompute["last_run"].startswith("failed")
    assert at.metric[0].value == "1 of 11"


def test_a_partial_collection_shows_its_shortfall_and_never_looks_complete(
    db: sessionmaker[Session],
) -> None:
    shortfall = "partial: 800 of 1,000 services (failed); 140 requests, 8.4 MB, 12.0 s"
    _run(db, "collect_usage", "success", ago=timedelta(hours=5), rows=1000)
    _run(db, "collect_usage", "partial", ago=timedelta(minutes=10), rows=800, error=shortfall)

    at = _open()

    usage = _job(at, "Collect usage")
    assert usage["last_run"].startswith("partial")
    assert shortfall in usage["last_error"]
    assert usage["runs_24h"] == "2 (0 failed, 1 partial)"
    assert usage["freshness"] == "⚠ Stale"  # the last success is 5 hours old
    assert "1 partial" in str(at.metric[0].delta)


def _scheduled(db: sessionmaker[Session], job: str, status: str, *, started: datetime) -> None:
    """A run the sidecar's schedule started: its window ends at the hour it started in."""
    with db.begin() as session:
        session.add(
            JobRunRow(
                job=job,
                started_at=started,
                finished_at=started + timedelta(seconds=3),
                status=status,
                window_start=started.replace(minute=0) - timedelta(hours=1),
                window_end=started.replace(minute=0),
                rows=10,
                duration_s=3.0,
                error="TelemetryError: refused" if status == "failed" else None,
            )
        )


def _evening_before(clock: str) -> datetime:
    """`clock` ("23:34") on the day before NOW (00:30)."""
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(NOW.date() - timedelta(days=1), time(hour, minute), tzinfo=UTC)


# NOW is 00:30. The sidecar started at some minute past the hour and fires hourly from there.
@pytest.mark.parametrize(
    ("runs", "shown"),
    [
        pytest.param([("success", "23:34")], "in 4 min (00:34 UTC)", id="next-fire-ahead"),
        pytest.param([("success", "23:20")], "due 10 min ago (00:20 UTC)", id="within-grace"),
        pytest.param(
            [("success", "22:34"), ("failed", "23:34")],
            "in 4 min (00:34 UTC)",
            id="a-failed-fire-retries-at-the-next",
        ),
        pytest.param([("success", "22:34")], "overdue by 56 min (23:34 UTC)", id="sidecar-down"),
    ],
)
def test_next_run_follows_the_sidecars_schedule_and_overdue_waits_out_a_grace(
    db: sessionmaker[Session], runs: list[tuple[str, str]], shown: str
) -> None:
    """Last window's end plus one interval said "overdue by 30 min" at 00:30 while the
    scheduler's next fire was 00:34: windows end on the hour, fires come minutes after it."""
    for status, clock in runs:
        _scheduled(db, "collect_usage", status, started=_evening_before(clock))

    at = _open()

    assert _job(at, "Collect usage")["next_run"] == shown


def test_a_job_refreshed_hourly_is_not_overdue_between_its_fifteen_minute_fires(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 15 min interval, three fires an hour find their window empty and write nothing:
    the next run on new data is the first fire after the hour."""
    monkeypatch.setenv("TIGHTROPE_REFRESH_INTERVAL_MINUTES", "15")
    _scheduled(db, "collect_usage", "success", started=NOW.replace(minute=4))

    at = _open()

    assert _job(at, "Collect usage")["next_run"] == "in 34 min (01:04 UTC)"


def test_run_now_queues_one_request_and_a_second_click_says_already_queued(
    db: sessionmaker[Session],
) -> None:
    at = _open()

    at.button(key="ds_run_recompute").click().run()
    first = _texts(at, "success")
    at.button(key="ds_run_recompute").click().run()

    _no_exception(at)
    assert "queued (request #1) — the sidecar picks it up within a minute" in first
    assert "already queued" in _texts(at, "info")
    assert _count(db, JobRequestRow, JobRequestRow.status == "pending") == 1
    assert "queued by" in _job(at, "Recompute recommendations")["run_now"]


def test_a_valid_focus_upload_is_reported_then_ingested_and_listed(
    db: sessionmaker[Session],
) -> None:
    data = csv_bytes([focus_row(), focus_row(BillingCurrency="EUR", EffectiveCost="4.20")])
    at = _open()

    at.file_uploader(key="ds_upload").set_value(("october.csv", data, "text/csv")).run()
    report = _texts(at, "success")
    totals = _table(at, "unallocated_effective_cost")
    at.button(key="ds_ingest").click().run()

    _no_exception(at)
    assert "valid FOCUS 1.2 file: 2 rows" in report
    assert totals.set_index("currency")["effective_cost"].to_dict() == {"EUR": 4.2, "USD": 1.5}
    assert "Ingested october.csv: 2 rows" in _texts(at, "success")
    files = _table(at, "rows_loaded")
    assert files[["file_name", "source", "status", "rows_loaded"]].values.tolist() == [
        ["october.csv", "upload", "✓ Loaded", 2]
    ]
    assert files["totals"].iloc[0] == "€4.20; $1.50"
    assert _count(db, CostDailyRow) > 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            csv_bytes([focus_row(ChargeDescription="caf\xe9")]).replace(b"caf\xc3\xa9", b"caf\xe9"),
            "UTF-8",
        ),
        (
            csv_bytes([focus_row()], columns=[c for c in COLUMNS_1_2 if c != "BilledCost"]),
            "BilledCost",
        ),
    ],
    ids=["invalid-utf8", "missing-column"],
)
def test_a_hostile_file_gets_an_error_report_and_nothing_is_ingested(
    db: sessionmaker[Session], data: bytes, says: str
) -> None:
    at = _open()

    at.file_uploader(key="ds_upload").set_value(("billing.csv", data, "text/csv")).run()

    _no_exception(at)
    assert "cannot be ingested" in _texts(at, "error")
    findings = _table(at, "example_rows")
    assert findings["severity"].iloc[0] == "✗ Error"
    assert says in " ".join(findings["problem"].tolist() + findings["column"].tolist())
    assert at.button(key="ds_ingest").disabled
    assert (_count(db, IngestedFileRow), _count(db, CostDailyRow)) == (0, 0)


@pytest.mark.usefixtures("recommended_database")
def test_open_recommendations_on_old_windows_are_counted_stale(
    db: sessionmaker[Session],
) -> None:
    with db.begin() as session:
        first = session.scalars(
            select(RecommendationRow.id).where(RecommendationRow.status == "open")
        ).first()
        session.execute(
            update(RecommendationRow)
            .where(RecommendationRow.id == first)
            .values(explanation={"reason": "r", "details": {"window_end": "2026-01-01T00:00:00"}})
        )

    at = _open()

    warning = _texts(at, "warning")
    assert "1 of " in warning
    assert "open recommendations were computed on usage ending before" in warning
    assert at.metric[3].value.startswith("1 of ")
    listed = _table(at, "monthly_savings").to_dict("records")
    assert [(r["recommendation"], r["data_up_to"]) for r in listed] == [
        (f"/recommendations?rec={first}", "2026-01-01 00:00 UTC")
    ]


def test_a_row_error_names_its_column_and_row(db: sessionmaker[Session]) -> None:
    data = csv_bytes([focus_row(), focus_row(BilledCost="12,5O")])
    at = _open()

    at.file_uploader(key="ds_upload").set_value(("rows.csv", data, "text/csv")).run()

    errors = _table(at, "example_rows").set_index("column")
    assert errors.loc["BilledCost", "severity"] == "✗ Error"
    assert errors.loc["BilledCost", "example_rows"] == "2"
    assert "12,5O" in str(errors.loc["BilledCost", "example_values"])
    assert (_count(db, IngestedFileRow), _count(db, CostDailyRow)) == (0, 0)


def test_ingesting_the_same_file_again_changes_nothing(db: sessionmaker[Session]) -> None:
    at = _open()
    at.file_uploader(key="ds_upload").set_value(("a.csv", csv_bytes([focus_row()]), "text/csv"))
    at.run()
    at.button(key="ds_ingest").click().run()
    rows = _count(db, CostDailyRow)

    at.button(key="ds_ingest").click().run()

    assert "Already ingested" in _texts(at, "info")
    assert (_count(db, IngestedFileRow), _count(db, CostDailyRow)) == (1, rows)


def test_the_prometheus_url_is_shown_without_credentials(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "TIGHTROPE_PROMETHEUS_URL", "https://bob:s3cret@prom.example:9090/p?token=t0k"
    )

    at = _open()

    connectors = _table(at, "connector").set_index("connector")
    assert connectors.loc["Prometheus (usage)", "detail"] == (
        "https://prom.example:9090/p (basic auth as user 'bob')"
    )
    shown = _texts(at) + " ".join(str(d.value.to_dict()) for d in at.dataframe)
    assert "s3cret" not in shown
    assert "t0k" not in shown


def test_the_prometheus_auth_mode_is_shown_without_the_token_or_tenant(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("eyJ-secret-token")
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_URL", "https://mimir.example/prometheus")
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_BEARER_TOKEN_FILE", str(token))
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_HEADERS", "X-Scope-OrgID=tenant-a")

    at = _open()

    connectors = _table(at, "connector").set_index("connector")
    assert connectors.loc["Prometheus (usage)", "detail"] == (
        f"https://mimir.example/prometheus (bearer token from {token}; header X-Scope-OrgID)"
    )
    shown = _texts(at) + " ".join(str(d.value.to_dict()) for d in at.dataframe)
    assert "eyJ-secret-token" not in shown
    assert "tenant-a" not in shown


def test_a_viewer_cannot_queue_a_run(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "vic")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"vic": "viewer"}')

    at = _open()

    assert at.button(key="ds_run_recompute").disabled
    assert at.button(key="ds_run_recompute").help == (
        "vic is a viewer: running a job now needs the analyst role."
    )
    assert _count(db, JobRequestRow) == 0


def test_a_viewer_cannot_ingest_an_upload(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "vic")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"vic": "viewer"}')
    at = _open()

    data = csv_bytes([focus_row()])
    at.file_uploader(key="ds_upload").set_value(("october.csv", data, "text/csv")).run()

    _no_exception(at)
    assert at.button(key="ds_ingest").disabled
    assert at.button(key="ds_ingest").help == (
        "vic is a viewer: ingesting billing data needs the analyst role."
    )
    assert _count(db, IngestedFileRow) == 0


def test_an_upload_records_who_ingested_it(db: sessionmaker[Session]) -> None:
    at = _open()
    at.file_uploader(key="ds_upload").set_value(
        ("october.csv", csv_bytes([focus_row()]), "text/csv")
    ).run()

    at.button(key="ds_ingest").click().run()

    _no_exception(at)
    with db() as session:
        trail = session.execute(select(AuditEventRow.actor, AuditEventRow.action)).all()
    assert trail == [(Settings(_env_file=None).local_actor, "billing_ingest")]


def test_the_page_lists_the_sidecars_jobs_in_run_order() -> None:
    # The dashboard may not import jobs (layers contract): this keeps its copy of the names true.
    assert list(JOB_LABELS) == [job.name for job in default_jobs(60)]
    assert set(JOB_HELP) == set(JOB_LABELS)
