"""Tiny valid-by-default FOCUS rows and files (CSV, CSV.gz, Parquet) for the connector tests."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# FOCUS 1.2 columns a typical export carries, in the spec's order.
COLUMNS_1_2 = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ResourceId",
    "ServiceCategory",
    "ServiceName",
    "SubAccountId",
    "Tags",
)
# The renames each version applies to 1.2 names (focus.md).
VERSION_RENAMES: dict[str, dict[str, str]] = {
    "1.0": {},
    "1.1": {},
    "1.2": {},
    "1.3": {"ProviderName": "ServiceProviderName"},
}
VERSION_DROPS = {"1.0": ("InvoiceId",), "1.1": ("InvoiceId",), "1.2": (), "1.3": ()}
VERSION_ADDS = {"1.0": (), "1.1": ("SkuPriceDetails",), "1.2": (), "1.3": ("HostProviderName",)}


def focus_row(**overrides: Any) -> dict[str, Any]:
    """A valid FOCUS 1.2 usage row: $1.50 effective of compute for service `checkout`."""
    row: dict[str, Any] = {
        "BilledCost": "1.50",
        "BillingAccountId": "123456789012",
        "BillingAccountName": "Acme",
        "BillingCurrency": "USD",
        "BillingPeriodEnd": "2026-11-01T00:00:00Z",
        "BillingPeriodStart": "2026-10-01T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeDescription": "m5.large running",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": "2026-10-05T11:00:00Z",
        "ChargePeriodStart": "2026-10-05T10:00:00Z",
        "ContractedCost": "1.60",
        "EffectiveCost": "1.50",
        "InvoiceId": "INV-1",
        "InvoiceIssuerName": "AWS",
        "ListCost": "2.00",
        "PricingCategory": "Standard",
        "PricingQuantity": "1",
        "PricingUnit": "Hours",
        "ProviderName": "AWS",
        "PublisherName": "AWS",
        "ResourceId": "i-0abc",
        "ServiceCategory": "Compute",
        "ServiceName": "Amazon EC2",
        "SubAccountId": "210987654321",
        "Tags": json.dumps({"service": "checkout"}),
    }
    row.update(overrides)
    return row


def header_for(version: str, columns: Sequence[str] = COLUMNS_1_2) -> list[str]:
    renames = VERSION_RENAMES[version]
    kept = [c for c in columns if c not in VERSION_DROPS[version]]
    return [renames.get(c, c) for c in kept] + list(VERSION_ADDS[version])


def csv_bytes(
    rows: Iterable[Mapping[str, Any]],
    *,
    version: str = "1.2",
    columns: Sequence[str] | None = None,
    line_end: str = "\n",
    bom: bool = False,
) -> bytes:
    """Rows (1.2 keys) as a CSV with the header of `version`; every cell quoted as text."""
    names = list(columns) if columns is not None else list(COLUMNS_1_2)
    header = header_for(version, names) if columns is None else names
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    inverse = {v: k for k, v in VERSION_RENAMES[version].items()}
    for row in rows:
        writer.writerow(
            [
                "" if row.get(inverse.get(h, h)) is None else row.get(inverse.get(h, h), "")
                for h in header
            ]
        )
    text = ("\ufeff" if bom else "") + out.getvalue()
    return text.encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def parquet_bytes(rows: Sequence[Mapping[str, Any]], **types: pa.DataType) -> bytes:
    """Rows as Parquet: string columns unless a type is given (`BilledCost=pa.float64()`)."""
    names = list(rows[0])
    arrays = {
        name: pa.array([row.get(name) for row in rows], types.get(name, pa.string()))
        for name in names
    }
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays), sink)
    return sink.getvalue()
