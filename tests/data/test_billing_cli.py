"""`python -m data ingest` as a subprocess and `billing-api pull` in process, on both databases.

Exit codes: 0 loaded or nothing to do, 1 refused or held (the report is printed), 2 usage.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.__main__ import main
from data.billing_cli import months
from data.models import CostDailyRow, IngestedFileRow
from tests.connectors.billing_api.api import KEY, item, page
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.connectors.focus.exports import aws_files, decimal_sums, split, write
from tests.connectors.focus.test_deliveries import cents, october, stored

REPO_ROOT = Path(__file__).resolve().parents[2]
Export = tuple[Path, list[dict[str, object]]]  # the exports folder and the rows it delivers
CLOCK = "2026-11-03T08:00:00+00:00"


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIGHTROPE_DATABASE_URL": database_url,
           "TIGHTROPE_CLOCK_FIXED_AT": CLOCK, "TIGHTROPE_LOG_JSON": "false"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "data", *args], cwd=REPO_ROOT, env=env, capture_output=True,
        text=True, timeout=180, check=False,
    )  # fmt: skip


def deliveries(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(IngestedFileRow)) or 0)


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    rows = october("123456789012")
    write(tmp_path / "exports", aws_files(split(rows, 3)))
    return tmp_path / "exports", rows


def test_a_dry_run_prints_the_report_writes_nothing_and_exits_0(
    database_url: str, sessions: sessionmaker[Session], export: Export
) -> None:
    result = cli(database_url, "ingest", str(export[0]), "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "cur2-Manifest.json (3 parts): valid" in result.stdout
    assert "40 rows; format csv.gz; FOCUS 1.2; 1 billing periods" in result.stdout
    assert "nothing was written" in result.stdout
    assert deliveries(sessions) == 0


def test_ingest_loads_a_delivery_prints_its_totals_and_a_rerun_has_nothing_to_do(
    database_url: str, sessions: sessionmaker[Session], export: Export
) -> None:
    directory, rows = export
    expected = cents(decimal_sums(rows))

    first = cli(database_url, "ingest", str(directory))
    again = cli(database_url, "ingest", str(directory))

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("loaded    ")
    assert f"USD: billed {cents(decimal_sums(rows, 'BilledCost'))['USD']:,.2f}, " in first.stdout
    assert f"effective {expected['EUR']:,.2f}" in first.stdout
    assert (again.returncode, again.stdout.splitlines()[-1]) == (0, "1 delivery: 1 unchanged")
    assert stored(sessions, "123456789012") == expected


def test_a_refused_file_exits_1_with_the_reason_while_the_good_delivery_loads(
    database_url: str, sessions: sessionmaker[Session], export: Export, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([focus_row(BillingAccountId="9"), focus_row(SubAccountId="a\x00")]))

    result = cli(database_url, "ingest", str(bad), str(export[0]))

    assert result.returncode == 1
    assert "(column SubAccountId); rows 2" in result.stdout
    assert result.stdout.splitlines()[-1] == "2 deliveries: 1 loaded, 1 refused"
    assert stored(sessions, "123456789012") == cents(decimal_sums(export[1]))


def test_a_held_delivery_exits_1_naming_the_missing_part(
    database_url: str, sessions: sessionmaker[Session], export: Export
) -> None:
    next(export[0].rglob("cur2-00002.csv.gz")).unlink()

    result = cli(database_url, "ingest", str(export[0]))

    assert result.returncode == 1
    assert result.stdout.startswith("held      ")
    assert "missing cur2-00002.csv.gz" in result.stdout
    assert deliveries(sessions) == 0


@pytest.mark.parametrize(
    "args", [("ingest", "/no/such/export.csv"), ("ingest",), ("ingest", ".", "--bogus")]
)
def test_usage_errors_exit_2(database_url: str, args: tuple[str, ...]) -> None:
    assert cli(database_url, *args).returncode == 2


def test_months_run_from_the_first_to_the_last_inclusive() -> None:
    assert months("2025-11", "2026-02") == ("2025-11", "2025-12", "2026-01", "2026-02")
    with pytest.raises(ValueError, match="before"):
        months("2026-06", "2026-01")
    with pytest.raises(ValueError, match="not a month"):
        months("2026-13", "2026-14")


def test_billing_api_pull_back_fills_each_month(
    database_url: str, sessions: sessionmaker[Session], httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    for month, end in (("2026-09", "2026-10"), ("2026-10", "2026-11")):
        line = item(
            BillingPeriodStart=f"{month}-01T00:00:00Z", BillingPeriodEnd=f"{end}-01T00:00:00Z",
            ChargePeriodStart=f"{month}-05T10:00:00Z", ChargePeriodEnd=f"{month}-05T11:00:00Z",
        )  # fmt: skip
        asked = {"billing_period": month, "page_size": "1000"}
        body = {**page([line]), "billing_period": month}
        httpserver.expect_request("/costs", query_string=asked).respond_with_json(body)
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", database_url)
    monkeypatch.setenv("TIGHTROPE_BILLING_API_URL", httpserver.url_for("/"))
    monkeypatch.setenv("TIGHTROPE_BILLING_API_KEY", SecretStr(KEY).get_secret_value())
    monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", CLOCK)

    code = main(["billing-api", "pull", "--from", "2026-09", "--to", "2026-10"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "loaded    billing API 2026-09" in out
    assert "loaded    billing API 2026-10" in out
    assert out.splitlines()[-1] == "2 months pulled: 2 ok, 0 refused"
    with sessions() as session:
        total = session.scalar(select(func.sum(CostDailyRow.effective_cost)))
    assert Decimal(str(total)).quantize(Decimal("0.01")) == Decimal("3.00")


def test_billing_api_pull_without_an_api_configured_is_a_usage_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", database_url)
    monkeypatch.delenv("TIGHTROPE_BILLING_API_URL", raising=False)

    assert main(["billing-api", "pull", "--from", "2026-09", "--to", "2026-10"]) == 2
