"""The exports' formats, schemas and statuses: named here, without pandas, for the CLI's parser."""

from __future__ import annotations

from typing import Literal, get_args

ExportFormat = Literal["json", "yaml", "csv"]
ExportSchema = Literal["tightrope", "aws-coh"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
SCHEMAS: tuple[ExportSchema, ...] = get_args(ExportSchema)
ExportStatus = Literal[
    "open", "postponed", "applied", "rejected", "rolled_back", "superseded", "expired"
]
STATUSES: tuple[ExportStatus, ...] = get_args(ExportStatus)
MEDIA_TYPES: dict[ExportFormat, str] = {
    "json": "application/json",
    "yaml": "application/yaml",  # RFC 9512
    "csv": "text/csv; charset=utf-8",
}
