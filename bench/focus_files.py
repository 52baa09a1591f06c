"""Generate large FOCUS 1.2 CSV files (vectorized) for the ingest benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pcsv

N_SERVICES = 300
N_RESOURCES = 20_000
CATEGORIES = ("Compute", "Storage", "Networking", "Databases", "Other")
_PERIOD_START = np.datetime64("2026-10-01T00:00:00", "s")
_HOURS = 31 * 24


def write_focus_csv(path: Path, rows: int, *, seed: int = 1, chunk_rows: int = 500_000) -> Path:
    """`rows` hourly usage rows of one billing month, tagged to services (5 % untagged)."""
    rng = np.random.default_rng(seed)
    tags = [json.dumps({"service": f"svc-{i:03d}", "env": "prod"}) for i in range(N_SERVICES)]
    with pcsv.CSVWriter(path, _schema()) as writer:
        for start in range(0, rows, chunk_rows):
            writer.write_table(_chunk(rng, min(chunk_rows, rows - start), tags))
    return path


def _schema() -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in _columns()])


def _columns() -> tuple[str, ...]:
    return (
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
        "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
        "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
        "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingCategory",
        "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
        "ResourceId", "ServiceCategory", "ServiceName", "SkuId", "SubAccountId", "Tags",
    )  # fmt: skip


def _chunk(rng: np.random.Generator, n: int, tags: list[str]) -> pa.Table:
    hour = rng.integers(0, _HOURS, n)
    effective = rng.gamma(1.5, 0.4, n) * np.where(rng.random(n) < 0.01, -1, 1)
    service = rng.integers(0, N_SERVICES, n)
    untagged = np.where(rng.random(n) < 0.05, N_SERVICES, service)
    varying = {
        "BilledCost": _money(effective),
        "ChargePeriodEnd": _hours(hour + 1),
        "ChargePeriodStart": _hours(hour),
        "ContractedCost": _money(effective * 1.1),
        "EffectiveCost": _money(effective),
        "ListCost": _money(effective * 1.4),
        "ResourceId": _pick(
            [f"i-{i:05d}" for i in range(N_RESOURCES)], rng.integers(0, N_RESOURCES, n)
        ),
        "ServiceCategory": _pick(list(CATEGORIES), rng.integers(0, len(CATEGORIES), n)),
        "SubAccountId": _pick(["210987654321", "310987654321", "410987654321"], service % 3),
        "Tags": _pick([*tags, ""], untagged),
    }
    columns = {
        name: varying.get(name) or pa.repeat(pa.scalar(_CONSTANTS[name]), n) for name in _columns()
    }
    return pa.table(columns)


_CONSTANTS = {
    "BillingAccountId": "123456789012", "BillingAccountName": "Acme", "BillingCurrency": "USD",
    "BillingPeriodEnd": "2026-11-01T00:00:00Z", "BillingPeriodStart": "2026-10-01T00:00:00Z",
    "ChargeCategory": "Usage", "ChargeClass": "", "ChargeDescription": "Linux/UNIX m5.large",
    "ChargeFrequency": "Usage-Based", "InvoiceIssuerName": "AWS", "PricingCategory": "Standard",
    "PricingQuantity": "1", "PricingUnit": "Hours", "ProviderName": "AWS", "PublisherName": "AWS",
    "RegionId": "us-east-1", "ServiceName": "Amazon EC2", "SkuId": "SKU-123",
}  # fmt: skip


def _money(values: npt.NDArray[np.float64]) -> pa.Array:
    return pa.array([f"{value:.11f}" for value in values.tolist()], pa.string())


def _hours(hours: npt.NDArray[np.int64]) -> pa.Array:
    stamps = [f"{_PERIOD_START + np.timedelta64(h, 'h')}Z" for h in range(_HOURS + 1)]
    return _pick(stamps, hours)


def _pick(values: list[str], indices: npt.NDArray[np.int64]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(indices))
