"""FOCUS billing exports (CSV, CSV.gz, Parquet; FOCUS 1.0–1.3) → daily allocated costs."""

from data.connectors.focus.allocation import AllocationRules, ResourcePattern
from data.connectors.focus.directory import DirectoryEntry, ingest_directory
from data.connectors.focus.findings import Finding
from data.connectors.focus.ingest import (
    ingest_delivery,
    ingest_file,
    stage_file,
    validate_delivery,
    validate_file,
)
from data.connectors.focus.layouts import (
    PartFile,
    PlannedDelivery,
    directory_files,
    plan_files,
    plan_upload,
)
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.load import load_parsed
from data.connectors.focus.parse import ParsedFile
from data.connectors.focus.report import (
    CurrencyTotal,
    DeliveredPart,
    IngestReport,
    Partition,
    ValidationReport,
)
from data.errors import (
    DeliveryIncomplete,
    DeliveryRefused,
    FileRejected,
    FocusIngestError,
    InvalidEncoding,
    MalformedFile,
    MissingColumns,
    ScopeConflict,
    TooManyRows,
    UnsupportedContent,
)

__all__ = [
    "AllocationRules",
    "CurrencyTotal",
    "DeliveredPart",
    "DeliveryIncomplete",
    "DeliveryRefused",
    "DirectoryEntry",
    "FileRejected",
    "Finding",
    "FocusIngestError",
    "IngestLimits",
    "IngestReport",
    "InvalidEncoding",
    "MalformedFile",
    "MissingColumns",
    "ParsedFile",
    "PartFile",
    "Partition",
    "PlannedDelivery",
    "ResourcePattern",
    "ScopeConflict",
    "TooManyRows",
    "UnsupportedContent",
    "ValidationReport",
    "directory_files",
    "ingest_delivery",
    "ingest_directory",
    "ingest_file",
    "load_parsed",
    "plan_files",
    "plan_upload",
    "stage_file",
    "validate_delivery",
    "validate_file",
]
