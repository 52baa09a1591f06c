"""FOCUS billing exports (CSV, CSV.gz, Parquet; FOCUS 1.0–1.3) → daily allocated costs."""

from data.connectors.focus.allocation import AllocationRules, ResourcePattern
from data.connectors.focus.directory import DirectoryEntry, ingest_directory
from data.connectors.focus.errors import (
    FileRejected,
    FocusIngestError,
    InvalidEncoding,
    MalformedFile,
    MissingColumns,
    TooManyRows,
    UnsupportedContent,
)
from data.connectors.focus.findings import Finding
from data.connectors.focus.ingest import ingest_file, stage_file, validate_file
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.load import load_parsed
from data.connectors.focus.parse import ParsedFile
from data.connectors.focus.report import CurrencyTotal, IngestReport, Partition, ValidationReport

__all__ = [
    "AllocationRules",
    "CurrencyTotal",
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
    "Partition",
    "ResourcePattern",
    "TooManyRows",
    "UnsupportedContent",
    "ValidationReport",
    "ingest_directory",
    "ingest_file",
    "load_parsed",
    "stage_file",
    "validate_file",
]
