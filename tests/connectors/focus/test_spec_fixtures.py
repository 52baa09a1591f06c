"""The FOCUS 1.2 spec's commitment scenarios parse, and their utilization maths reproduce."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from data.connectors.focus import validate_file
from data.connectors.focus.commitments import commitment_utilization
from tests.connectors.focus.builders import csv_bytes

SPEC_DIR = Path(__file__).resolve().parent / "spec-1.2"  # copied in, CC BY 4.0 (NOTICE.md)
COMMITMENT = "<my-commitment-discount-id>"
# Scenario → utilization of the commitment (None: the file holds only its purchase).
_FLEX = "one_hundred_percent_utilization_with_commitment_discount_flexibility_with"
EXPECTED = {
    "commitment_discount_purchase_scenario_1.csv": None,
    "commitment_discount_purchase_scenario_2.csv": None,
    "commitment_discount_purchase_scenario_3.csv": None,
    "commitment_discount_usage_scenario_1.csv": Decimal(1),
    "commitment_discount_usage_scenario_2.csv": Decimal(0),
    "commitment_discount_usage_scenario_3.csv": Decimal("0.75"),
    "commitment_discount_usage_scenario_4.csv": Decimal(1),
    f"{_FLEX}_1_resource.csv": Decimal(1),
    f"{_FLEX}_2_resources.csv": Decimal(1),
    "one_hundred_percent_utilization_without_commitment_discount_flexibility.csv": Decimal(1),
    "zero_percent_utilization_without_commitment_discount_flexibility.csv": Decimal(0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_spec_scenarios_reproduce_their_utilization(name: str) -> None:
    found = {c.commitment_discount_id: c for c in commitment_utilization(SPEC_DIR / name)}

    expected = EXPECTED[name]

    if expected is None:
        assert COMMITMENT not in found
    else:
        assert found[COMMITMENT].utilization == expected


def test_unused_commitment_is_the_waste() -> None:
    (scenario,) = commitment_utilization(SPEC_DIR / "commitment_discount_usage_scenario_3.csv")

    assert (scenario.used_effective_cost, scenario.unused_effective_cost) == (
        Decimal("0.75"),
        Decimal("0.25"),
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_spec_scenarios_are_refused_for_cost_ingest_naming_the_missing_columns(name: str) -> None:
    report = validate_file(SPEC_DIR / name)

    (error,) = report.errors
    assert error.code == "MissingColumns"
    assert "BillingCurrency" in error.message


def completed(name: str) -> bytes:
    """A spec scenario with the billing columns it leaves out filled in (blank lines dropped)."""
    text = (SPEC_DIR / name).read_text(encoding="utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if any(row.values())]
    filler = {
        "BillingCurrency": "USD",
        "BillingAccountId": "acct",
        "ServiceCategory": "Compute",
        "ProviderName": "Example",
        "ListCost": "0",
    }
    rows = [filler | row for row in rows]
    return csv_bytes(rows, columns=list(rows[0]))


def test_completed_spec_scenarios_parse_and_total_their_effective_cost() -> None:
    report = validate_file(completed("commitment_discount_usage_scenario_3.csv"))

    assert report.ok, report.summary()
    assert report.totals[0].effective_cost == Decimal("1.00")


def test_the_spec_invalid_timestamp_is_an_error_on_its_row() -> None:
    report = validate_file(completed("commitment_discount_purchase_scenario_2.csv"))

    (error,) = report.errors
    assert (error.code, error.rows, error.values) == (
        "ChargePeriodEnd:invalid",
        (3,),
        ("2023-02-01T30:00:00Z",),
    )


def test_the_header_typo_skupriceid_and_the_custom_column_are_accepted() -> None:
    report = validate_file(completed(f"{_FLEX}_1_resource.csv"))

    assert report.ok, report.summary()
    assert not [w for w in report.warnings if w.code == "unknown_columns"]
