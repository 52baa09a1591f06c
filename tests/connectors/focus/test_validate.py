"""validate_file reads every FOCUS version and real-export quirk, and names what is wrong."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.connectors.focus import AllocationRules, ValidationReport, validate_file
from tests.connectors.focus.builders import (
    COLUMNS_1_2,
    csv_bytes,
    focus_row,
    gzip_bytes,
    parquet_bytes,
)

SPEC_DIR = Path(__file__).resolve().parent / "spec-1.2"  # copied in, CC BY 4.0


def usd(report: ValidationReport) -> Decimal:
    (total,) = [t for t in report.totals if t.billing_currency == "USD"]
    return total.effective_cost


def error_codes(report: ValidationReport) -> set[str]:
    return {finding.code for finding in report.errors}


def warning_codes(report: ValidationReport) -> set[str]:
    return {finding.code for finding in report.warnings}


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3"])
def test_every_focus_version_reads_through_one_alias_map(version: str) -> None:
    rows = [focus_row(), focus_row(EffectiveCost="2.25")]

    report = validate_file(csv_bytes(rows, version=version))

    assert report.ok, report.summary()
    assert report.focus_version == version
    assert report.rows_read == 2
    assert usd(report) == Decimal("3.75")


def test_1_0_preview_renames_amortized_cost_and_charge_type() -> None:
    columns = [
        "AmortizedCost" if c == "EffectiveCost" else "ChargeType" if c == "ChargeCategory" else c
        for c in COLUMNS_1_2
    ]
    row = focus_row()
    body = csv_bytes([row])
    renamed = body.replace(b"EffectiveCost", b"AmortizedCost").replace(
        b"ChargeCategory", b"ChargeType"
    )

    report = validate_file(renamed)

    assert "AmortizedCost" in columns
    assert report.ok, report.summary()
    assert usd(report) == Decimal("1.50")


@pytest.mark.parametrize(
    ("kind", "encode"),
    [
        ("csv", lambda rows: csv_bytes(rows)),
        ("csv.gz", lambda rows: gzip_bytes(csv_bytes(rows))),
        ("parquet", lambda rows: parquet_bytes(rows)),
    ],
)
def test_csv_gzip_and_parquet_are_recognised_by_content(kind: str, encode: object) -> None:
    data = encode([focus_row(), focus_row()])  # type: ignore[operator]

    report = validate_file(data, name="export.txt")

    assert report.content_kind == kind
    assert report.ok, report.summary()
    assert usd(report) == Decimal("3.00")


def test_parquet_with_typed_columns_reads_numbers_ids_and_timestamps() -> None:
    row = focus_row(BilledCost=1.5, EffectiveCost=1.5, ListCost=2.0, BillingAccountId=123456789012)
    data = parquet_bytes(
        [row], BilledCost=pa.float64(), EffectiveCost=pa.float64(), ListCost=pa.float64(),
        BillingAccountId=pa.int64(),
    )  # fmt: skip

    report = validate_file(data)

    assert report.ok, report.summary()
    assert report.partitions[0].billing_account_id == "123456789012"
    assert usd(report) == Decimal("1.5")


def test_parquet_tags_as_a_map_allocate_like_json_tags() -> None:
    rows = [focus_row(), focus_row()]
    columns = {name: pa.array([row[name] for row in rows]) for name in rows[0] if name != "Tags"}
    tags = [[("service", "checkout"), ("env", "prod")], None]
    columns["Tags"] = pa.array(tags, pa.map_(pa.string(), pa.string()))
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)

    report = validate_file(sink.getvalue())

    assert report.ok, report.summary()
    assert report.totals[0].unallocated_effective_cost == Decimal("1.50")


def test_null_spellings_are_all_null() -> None:
    rows = [
        focus_row(ChargeClass=text, Tags=text, SubAccountId=text) for text in ("NULL", "", "null")
    ]

    report = validate_file(csv_bytes(rows))

    assert report.ok, report.summary()
    assert report.totals[0].unallocated_effective_cost == Decimal("4.50")


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-09-18T22:00:00Z",
        "2024-09-18 22:00:00",
        "2024-09-18T22:00Z",
        "2024-09-18T22:00:00+00:00",
    ],
)
def test_timestamp_forms_of_real_exports_are_utc(stamp: str) -> None:
    row = focus_row(
        ChargePeriodStart=stamp,
        ChargePeriodEnd="2024-09-18T23:00:00Z",
        BillingPeriodStart="2024-09-01 00:00:00",
        BillingPeriodEnd="2024-10-01T00:00Z",
    )

    report = validate_file(csv_bytes([row]))

    assert report.ok, report.summary()
    assert report.partitions[0].billing_period_start.isoformat() == "2024-09-01T00:00:00+00:00"
    assert not report.warnings


def test_ids_stay_strings_even_when_they_look_like_numbers() -> None:
    ids = ["001234567890", "20209880", "/providers/Microsoft.Billing/billingAccounts/8611537"]
    rows = [focus_row(BillingAccountId=account) for account in ids]

    report = validate_file(csv_bytes(rows))

    assert sorted(p.billing_account_id for p in report.partitions) == sorted(ids)


def test_tags_with_odd_keys_allocate_and_null_tags_do_not() -> None:
    rows = [
        focus_row(Tags=json.dumps({" service": "checkout", "aks-managed-pool": "x"})),
        focus_row(Tags=json.dumps({"ms:Department": "ops", "Application": "search"})),
        focus_row(Tags="NULL"),
        focus_row(Tags="{not json"),
    ]

    report = validate_file(
        csv_bytes(rows), rules=AllocationRules(tag_keys=("service", "application"))
    )

    assert report.totals[0].unallocated_effective_cost == Decimal("3.00")
    assert "Tags:unreadable" in warning_codes(report)


def test_negative_rows_keep_their_sign() -> None:
    rows = [
        focus_row(),
        focus_row(ChargeCategory="Credit", BilledCost="-1.00", EffectiveCost="-1.00"),
        focus_row(EffectiveCost="-0.25", PricingQuantity="-1"),
    ]

    report = validate_file(csv_bytes(rows))

    assert report.ok
    assert usd(report) == Decimal("0.25")


def test_mixed_granularity_extra_columns_and_alphabetical_order_are_fine() -> None:
    hourly = focus_row()
    daily = focus_row(
        ChargePeriodStart="2026-10-05T00:00:00Z", ChargePeriodEnd="2026-10-06T00:00:00Z"
    )
    columns = ["Id", *sorted(COLUMNS_1_2), "x_BilledCostInUsd"]
    rows = [dict(row, Id=str(i), x_BilledCostInUsd="1.5") for i, row in enumerate((hourly, daily))]

    report = validate_file(csv_bytes(rows, columns=columns))

    assert report.ok, report.summary()
    assert usd(report) == Decimal("3.00")
    assert warning_codes(report) == {"unknown_columns"}


def test_a_quoted_newline_in_a_description_is_one_value() -> None:
    rows = [focus_row(ChargeDescription="line one\nline two"), focus_row(), focus_row()]

    report = validate_file(csv_bytes(rows))

    assert report.ok, report.summary()
    assert report.rows_read == 3
    assert usd(report) == Decimal("4.50")


def test_eleven_decimals_and_quoted_numbers_are_exact() -> None:
    rows = [focus_row(EffectiveCost="0.10000000001") for _ in range(3)]

    report = validate_file(csv_bytes(rows))

    assert usd(report) == Decimal("0.30000000003")


def test_more_than_sixteen_decimals_and_exponents_round_instead_of_failing() -> None:
    rows = [focus_row(EffectiveCost="0.00000000012345678901234"), focus_row(EffectiveCost="1E-05")]

    report = validate_file(csv_bytes(rows))

    assert report.ok, report.summary()
    assert usd(report) == Decimal("0.0000100001234568")


def test_enumerations_are_case_insensitive_with_a_warning() -> None:
    rows = [
        focus_row(ChargeFrequency="Usage-based", ChargeCategory="usage", ServiceCategory="compute")
    ]

    report = validate_file(csv_bytes(rows))

    assert report.ok
    assert {"ChargeFrequency:recased", "ChargeCategory:recased"} <= warning_codes(report)


def test_a_charge_period_outside_its_billing_period_is_a_warning() -> None:
    row = focus_row(
        ChargePeriodStart="2026-11-03T00:00:00Z", ChargePeriodEnd="2026-11-03T01:00:00Z"
    )

    report = validate_file(csv_bytes([row]))

    assert report.ok
    assert "charge_period_outside" in warning_codes(report)


def test_unknown_service_category_counts_as_other_with_a_warning() -> None:
    report = validate_file(csv_bytes([focus_row(ServiceCategory="Spaceships")]))

    assert report.ok
    assert "ServiceCategory:unknown" in warning_codes(report)


def test_a_shifted_column_in_a_descriptive_field_is_not_an_error() -> None:
    report = validate_file(
        csv_bytes([focus_row(ChargeFrequency="0.023", PricingCategory="On-Demand")])
    )

    assert report.ok
    assert "ChargeFrequency:unknown" in warning_codes(report)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("EffectiveCost", "$1,234.00", "EffectiveCost:not_a_number"),
        ("BilledCost", "", "BilledCost:empty"),
        ("BillingCurrency", "XYZ", "BillingCurrency:invalid"),
        ("BillingCurrency", "NULL", "BillingCurrency:empty"),
        ("ChargePeriodStart", "2023-02-01T30:00:00Z", "ChargePeriodStart:invalid"),
        ("ChargeCategory", "Refund", "ChargeCategory:invalid"),
        ("BillingAccountId", "null", "BillingAccountId:empty"),
    ],
)
def test_what_breaks_the_money_is_an_error_naming_row_and_column(
    column: str, value: str, code: str
) -> None:
    rows = [focus_row(), focus_row(**{column: value})]

    report = validate_file(csv_bytes(rows))

    (finding,) = [f for f in report.errors if f.code == code]
    assert finding.column == column
    assert finding.rows == (2,)


def test_spec_fixtures_lack_money_columns_and_say_which() -> None:
    path = SPEC_DIR / "commitment_discount_usage_scenario_1.csv"

    report = validate_file(path)

    assert not report.ok
    assert "BillingCurrency" in report.errors[0].message
