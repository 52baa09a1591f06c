"""Export deliveries as AWS Data Exports and Azure Cost Management write them, for the tests.

AWS (CUR 2.0 / FOCUS, "Understanding export delivery" and the manifest reference):
    <export>/data/BILLING_PERIOD=2026-10/<export>-00001.csv.gz, -00002, …
    <export>/metadata/BILLING_PERIOD=2026-10/<export>-Manifest.json
      {"executionId", "exportArn", "columns": [{"name", "type"}], "dataFiles": ["s3://…", …]}
Azure (Cost Management exports, "File partitioning for large datasets"):
    <root>/<export>/20261001-20261031/<YYYYMMDDHHMM>/<runId>/part_0_0001.csv, part_1_0001.csv
    … and manifest.json beside them:
      {"manifestVersion": "2024-04-01", "byteCount", "blobCount", "dataRowCount",
       "exportConfig": {…}, "deliveryConfig": {…},
       "runInfo": {"executionType", "submittedTime", "runId", "startDate", "endDate"},
       "blobs": [{"blobName", "byteCount", "dataRowCount"}, …]}
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.connectors.focus.builders import COLUMNS_1_2, csv_bytes, gzip_bytes

Row = Mapping[str, Any]
BUCKET = "s3://acme-billing/exports"


def split(rows: Sequence[Row], parts: int) -> list[list[Row]]:
    """`rows` dealt into `parts` non-empty chunks, in order."""
    size = -(-len(rows) // parts)
    return [list(rows[i : i + size]) for i in range(0, len(rows), size)]


def aws_files(
    chunks: Sequence[Sequence[Row]], *, export: str = "cur2", period: str = "2026-10",
    execution_id: str = "a1b2c3d4-0000-4000-8000-000000000001", manifest: bool = True,
) -> dict[str, bytes]:  # fmt: skip
    """Relative path → bytes of one AWS Data Exports delivery (gzip-compressed CSV parts)."""
    data_dir = f"{export}/data/BILLING_PERIOD={period}"
    files = {
        f"{data_dir}/{export}-{n:05d}.csv.gz": gzip_bytes(csv_bytes(chunk))
        for n, chunk in enumerate(chunks, start=1)
    }
    if manifest:
        document = {
            "executionId": execution_id,
            "exportArn": f"arn:aws:bcm-data-exports:us-east-1:123456789012:export/{export}-0f1e",
            "columns": [{"name": name, "type": "string"} for name in COLUMNS_1_2],
            "dataFiles": [f"{BUCKET}/{path}" for path in files],
            "additionalOutputFiles": [],
        }
        name = f"{export}/metadata/BILLING_PERIOD={period}/{export}-Manifest.json"
        files[name] = json.dumps(document, indent=2).encode()
    return files


def azure_files(
    chunks: Sequence[Sequence[Row]], *, run_id: str = "bbac73f1-9a05-4de6-84ab-c72b568a03b4",
    submitted: str = "2026-11-02T06:12:44.1234567Z", manifest: bool = True,
    export: str = "focus-cost",
) -> dict[str, bytes]:  # fmt: skip
    """Relative path → bytes of one Azure Cost Management export run (CSV partitions)."""
    run_dir = f"{export}/20261001-20261031/202611020612/{run_id}"
    parts = {f"part_{n}_0001.csv": csv_bytes(chunk) for n, chunk in enumerate(chunks)}
    files = {f"{run_dir}/{name}": data for name, data in parts.items()}
    if manifest:
        blobs = [
            {"blobName": f"exports/{run_dir}/{name}", "byteCount": len(data),
             "dataRowCount": len(chunks[n])}
            for n, (name, data) in enumerate(parts.items())
        ]  # fmt: skip
        files[f"{run_dir}/manifest.json"] = json.dumps(
            _azure_manifest(blobs, run_id, submitted, export), indent=2
        ).encode()
    return files


def _azure_manifest(
    blobs: list[dict[str, Any]], run_id: str, submitted: str, export: str
) -> dict[str, Any]:
    return {
        "manifestVersion": "2024-04-01",
        "byteCount": sum(blob["byteCount"] for blob in blobs),
        "blobCount": len(blobs),
        "dataRowCount": sum(blob["dataRowCount"] for blob in blobs),
        "exportConfig": {
            "exportName": export, "type": "FocusCost", "dataVersion": "1.2-preview",
            "timeFrame": "MonthToDate", "granularity": "Daily",
            "resourceId": "/providers/Microsoft.Billing/billingAccounts/8611537/providers/"
            f"Microsoft.CostManagement/exports/{export}",
        },
        "deliveryConfig": {
            "partitionData": True, "dataOverwriteBehavior": "CreateNewReport",
            "fileFormat": "Csv", "compressionMode": "None", "rootFolderPath": "exports",
        },
        "runInfo": {
            "executionType": "Scheduled", "submittedTime": submitted, "runId": run_id,
            "startDate": "2026-10-01T00:00:00", "endDate": "2026-10-31T00:00:00Z",
        },
        "blobs": blobs,
    }  # fmt: skip


def write(root: Path, files: Mapping[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


def decimal_sums(rows: Sequence[Row], column: str = "EffectiveCost") -> dict[str, Decimal]:
    """Σ `column` per currency straight from the raw rows, with Decimal (not our code)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[str(row["BillingCurrency"]).upper()] += Decimal(str(row[column]))
    return dict(sums)
