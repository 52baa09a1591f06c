"""Export manifests: the parts one delivery must hold (AWS Data Exports, Azure Cost Management).

AWS Data Exports (CUR 2.0, FOCUS) writes `<export>/metadata/BILLING_PERIOD=YYYY-MM/
<export>-Manifest.json` with `executionId`, `exportArn`, `columns` and `dataFiles` — the full
S3 URIs of `<export>/data/BILLING_PERIOD=YYYY-MM/<export>-00001.csv.gz`, … (a string each; some
readers have met objects with `s3Uri`, accepted too). It states no export time.
Azure Cost Management writes a `manifest.json` in each run's folder with `manifestVersion`,
`exportConfig`, `runInfo` (`runId`, `submittedTime`, `startDate`, `endDate`) and `blobs`
(`blobName`, `byteCount`, `dataRowCount` per `part_0_0001.csv`, …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from data.errors import MalformedFile

Layout = Literal["aws", "azure"]
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_PARTS = 100_000


@dataclass(frozen=True, slots=True)
class ManifestPart:
    """One data file a manifest names: its file name, the path it gives, its rows if stated."""

    name: str
    path: str
    rows: int | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a manifest says a delivery is made of, and when the export was made (if it says)."""

    layout: Layout
    file_name: str
    export_name: str | None
    run_id: str | None
    exported_at: datetime | None
    parts: tuple[ManifestPart, ...]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class _AwsDataFile(_Model):
    s3_uri: str | None = Field(default=None, alias="s3Uri", min_length=1, max_length=2048)
    key: str | None = Field(default=None, min_length=1, max_length=2048)


class _AwsManifest(_Model):
    execution_id: str | None = Field(default=None, alias="executionId", max_length=1024)
    export_arn: str | None = Field(default=None, alias="exportArn", max_length=2048)
    data_files: list[str | _AwsDataFile] = Field(alias="dataFiles", max_length=MAX_PARTS)


class _AzureBlob(_Model):
    blob_name: str = Field(alias="blobName", min_length=1, max_length=2048)
    data_row_count: int | None = Field(default=None, alias="dataRowCount", ge=0)


class _AzureRun(_Model):
    run_id: str | None = Field(default=None, alias="runId", max_length=200)
    submitted_time: AwareDatetime | None = Field(default=None, alias="submittedTime")


class _AzureExport(_Model):
    export_name: str | None = Field(default=None, alias="exportName", max_length=400)


class _AzureManifest(_Model):
    blobs: list[_AzureBlob] = Field(max_length=MAX_PARTS)
    run_info: _AzureRun = Field(default_factory=_AzureRun, alias="runInfo")
    export_config: _AzureExport = Field(default_factory=_AzureExport, alias="exportConfig")


def is_manifest_name(name: str) -> bool:
    """A file that may be a manifest: JSON by name (its content then decides)."""
    return name.lower().endswith(".json")


def read_manifest(data: bytes, *, file_name: str) -> Manifest | None:
    """The manifest in `data`; None when the JSON is not one (it is then ingested as a file).

    A JSON object with `dataFiles` is AWS's, one with `blobs` Azure's; either that breaks its
    documented shape raises MalformedFile naming the field.
    """
    document = _json_object(data)
    try:
        if document is not None and "dataFiles" in document:
            return _aws(_AwsManifest.model_validate(document), file_name)
        if document is not None and "blobs" in document:
            return _azure(_AzureManifest.model_validate(document), file_name)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"][:3])
        message = f"{file_name}: not a readable manifest ({where}: {first['msg']})"
        raise MalformedFile(message) from None
    return None


def _json_object(data: bytes) -> dict[str, object] | None:
    if len(data) > MAX_MANIFEST_BYTES:
        return None
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _aws(model: _AwsManifest, file_name: str) -> Manifest:
    paths = [
        item if isinstance(item, str) else (item.s3_uri or item.key or "")
        for item in model.data_files
    ]
    parts = tuple(ManifestPart(_base_name(path), path) for path in paths if path)
    export = model.export_arn.rsplit("/", 1)[-1] if model.export_arn else None
    return Manifest("aws", file_name, export, model.execution_id, None, parts)


def _azure(model: _AzureManifest, file_name: str) -> Manifest:
    parts = tuple(
        ManifestPart(_base_name(blob.blob_name), blob.blob_name.strip(), blob.data_row_count)
        for blob in model.blobs
    )
    run, submitted = model.run_info, model.run_info.submitted_time
    exported_at = submitted.astimezone(UTC) if submitted is not None else None
    return Manifest(
        "azure", file_name, model.export_config.export_name, run.run_id, exported_at, parts
    )


def _base_name(path: str) -> str:
    """The file name a URI or blob path ends with (`s3://b/p/x-00001.csv.gz` → `x-00001.csv.gz`)."""
    return path.strip().rstrip("/").rsplit("/", 1)[-1]
