"""The demo's cost rows (`CostRows`) written as FOCUS 1.2 CSV files, one per provider and month."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from data.connectors.demo.cost_rows import (
    CATEGORIES,
    COMMITMENT_NAMES,
    SAVINGS_PLAN,
    TARGET_UTILIZATION,
    CostRows,
    with_commitments,
)
from engine.arrays import FloatArray

CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class Commitment:
    """A commitment discount of the demo's AWS account, as FOCUS describes it."""

    commitment_discount_id: str
    commitment_discount_name: str
    commitment_discount_type: str
    target_utilization: float  # used / commitment on a full day of the covered services


# A compute savings plan over most AWS compute (~90 % used on full days, less at weekends when
# office-hours services stop), and one reservation for four instances of a service that runs
# three (75 % used): the unused share is the waste FOCUS reports as Usage rows with
# CommitmentDiscountStatus "Unused".
COMMITMENTS = {
    name: Commitment(arn, description, kind, target)
    for name, arn, description, kind, target in zip(
        COMMITMENT_NAMES,
        (
            "arn:aws:savingsplans::999900001111:savingsplan/sp-0d3m0c0mput3",
            "arn:aws:ec2:us-east-1:999900001111:reserved-instances/ri-0d3m0r353rv3d",
        ),
        ("Compute Savings Plan, 1 year, no upfront", "EC2 Reserved Instances, 4 × 1 year"),
        ("Savings Plan", "Reservation"),
        TARGET_UTILIZATION,
        strict=True,
    )
}
assert SAVINGS_PLAN in COMMITMENTS

FOCUS_COLUMNS = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceId",
    "InvoiceIssuerName", "ListCost", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ResourceId", "ServiceCategory", "ServiceName",
    "SubAccountId", "Tags", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountType", "CommitmentDiscountStatus",
)  # fmt: skip
BILLING_ACCOUNTS = {"AWS": "999900001111", "Google Cloud": "tr-demo-billing-01"}
SERVICE_NAMES = {
    ("AWS", "Compute"): "Amazon Elastic Compute Cloud",
    ("AWS", "Storage"): "Amazon Elastic Block Store",
    ("AWS", "Networking"): "Amazon Virtual Private Cloud",
    ("AWS", "Other"): "AmazonCloudWatch",
    ("Google Cloud", "Compute"): "Kubernetes Engine",
    ("Google Cloud", "Storage"): "Persistent Disk",
    ("Google Cloud", "Networking"): "Cloud Load Balancing",
    ("Google Cloud", "Other"): "Cloud Monitoring",
}


def write_cost_rows(directory: Path, rows: CostRows) -> list[Path]:
    """FOCUS 1.2 CSV files, one per provider and billing month, as a provider would export.

    Each daily cost becomes one row charged over that UTC day; a service's rows carry
    `Tags = {"service": slug, "team": team}`, unclaimed charges carry no tags. AWS compute
    carries its commitment discounts (`with_commitments`), with their unused share.
    """
    rows = with_commitments(rows)
    months = rows.day.astype("datetime64[M]")
    paths = []
    keys = np.unique(np.stack([rows.provider, months.astype(np.int64)]), axis=1).T.tolist()
    for provider_name, month in sorted(
        (rows.providers[p], np.datetime64(m, "M").item()) for p, m in keys
    ):
        in_file = (rows.provider == rows.providers.index(provider_name)) & (
            months == np.datetime64(month, "M")
        )
        slug = provider_name.lower().replace(" ", "-")
        path = directory / f"focus-1.2-{slug}-{month:%Y-%m}.csv"
        table = _focus_table(provider_name, month, rows.take(np.flatnonzero(in_file)))
        pcsv.write_csv(table, path)
        paths.append(path)
    return paths


def _focus_table(provider: str, month: date, rows: CostRows) -> pa.Table:
    """One provider-month as FOCUS text columns, built from small vocabularies by index."""
    count, owners = len(rows), len(rows.owners)
    account = BILLING_ACCOUNTS[provider]
    next_month = (np.datetime64(month, "M") + 1).astype("datetime64[D]").item()
    # Who a row is for: its service's slug, else the commitment it left unused, else "shared".
    labels = [slug for slug, _ in rows.owners] + [f"unused-{n}" for n in COMMITMENT_NAMES]
    label = np.where(
        rows.owner >= 0,
        rows.owner,
        np.where(rows.commitment >= 0, owners + rows.commitment, len(labels)),
    )
    labels.append("shared")
    days, day_index = np.unique(rows.day, return_inverse=True)
    day_texts = [_day(d) for d in days.tolist()]
    costs = _money(rows.effective_usd)
    # Most rows bill their effective cost, and list equals it outside compute: those cells
    # reuse its text (repr is ~1 µs a cell, the bulk of writing the files).
    columns: dict[str, pa.Array] = {
        **_commitment_columns(rows),
        "BilledCost": _money_like(rows.billed_usd, rows.effective_usd, costs),
        "ChargePeriodEnd": _pick([_day(d) for d in (days + 1).tolist()], day_index),
        "ChargePeriodStart": _pick(day_texts, day_index),
        "ContractedCost": costs,
        "EffectiveCost": costs,
        "ListCost": _money_like(rows.list_usd, rows.effective_usd, costs),
        "ChargeDescription": _pick(
            [f"{c} for {o}" for o in labels for c in CATEGORIES], label * 4 + rows.category
        ),
        "ResourceId": _pick(
            [f"{o}/{c.lower()}" for o in labels for c in CATEGORIES], label * 4 + rows.category
        ),
        "ServiceCategory": _pick(list(CATEGORIES), rows.category),
        "ServiceName": _pick([SERVICE_NAMES[(provider, c)] for c in CATEGORIES], rows.category),
        "SubAccountId": _pick(list(rows.accounts), rows.account),
        "Tags": _pick(
            [json.dumps({"service": s, "team": t}) for s, t in rows.owners] + [""],
            np.where(rows.owner >= 0, rows.owner, owners),
        ),
    }
    constants = {
        "BillingAccountId": account,
        "BillingAccountName": f"Tightrope demo ({provider})",
        "BillingCurrency": CURRENCY,
        "BillingPeriodEnd": _day(next_month),
        "BillingPeriodStart": _day(month),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeFrequency": "Usage-Based",
        "InvoiceId": f"INV-{account}-{month:%Y%m}",
        "PricingQuantity": "1",
        "PricingUnit": "Days",
    } | dict.fromkeys(("InvoiceIssuerName", "ProviderName", "PublisherName"), provider)
    columns |= {
        name: _pick([value], np.zeros(count, np.int32)) for name, value in constants.items()
    }
    return pa.table({name: columns[name] for name in FOCUS_COLUMNS})


def _commitment_columns(rows: CostRows) -> dict[str, pa.Array]:
    """PricingCategory and the CommitmentDiscount* columns; an unused row is described as such."""
    index = np.where(rows.commitment >= 0, rows.commitment, len(COMMITMENT_NAMES))
    described = [COMMITMENTS[name] for name in COMMITMENT_NAMES]
    status = np.where(rows.commitment < 0, 0, np.where(rows.owner < 0, 1, 2))
    return {
        "PricingCategory": _pick(["Committed"] * len(described) + ["Standard"], index),
        "CommitmentDiscountId": _pick([c.commitment_discount_id for c in described] + [""], index),
        "CommitmentDiscountName": _pick(
            [c.commitment_discount_name for c in described] + [""], index
        ),
        "CommitmentDiscountType": _pick(
            [c.commitment_discount_type for c in described] + [""], index
        ),
        "CommitmentDiscountStatus": _pick(["", "Unused", "Used"], status),
    }


def _money(usd: FloatArray) -> pa.Array:
    """Shortest round-trip text of each double (Python's repr), as the money cells."""
    return pa.array(list(map(repr, usd.tolist())), pa.string())


def _money_like(usd: FloatArray, like_usd: FloatArray, like_texts: pa.Array) -> pa.Array:
    """`_money(usd)`, taking the text of `like_usd` where the doubles are the same bits."""
    other = usd.view(np.int64) != like_usd.view(np.int64)
    if not other.any():
        return like_texts
    replacements = _money(usd[other])
    return pc.replace_with_mask(like_texts, pa.array(other), replacements)


def _pick(values: list[str], index: npt.NDArray[np.integer]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(np.asarray(index, dtype=np.int32)))


def _day(day: date) -> str:
    return f"{day:%Y-%m-%d}T00:00:00Z"
