"""Why a FOCUS file was refused: one flat hierarchy, each message says what to fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.errors import DataError

if TYPE_CHECKING:
    from data.connectors.focus.report import ValidationReport


class FocusIngestError(DataError):
    """Base class: the file was not ingested and the database is unchanged."""


class UnsupportedContent(FocusIngestError):
    """The bytes are not a CSV, gzip-compressed CSV or Parquet file (whatever the name says)."""


class InvalidEncoding(FocusIngestError):
    """The text is not UTF-8; the message names the first bad line."""


class TooManyRows(FocusIngestError):
    """The file holds more rows (or columns, or row groups) than the configured caps."""


class MissingColumns(FocusIngestError):
    """Columns the cost figures need are absent (after applying the FOCUS 1.0–1.3 aliases)."""


class FileRejected(FocusIngestError):
    """Row-level errors (unparseable cost, date or currency): the report lists them."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class MalformedFile(FocusIngestError):
    """The CSV or Parquet structure itself is broken (the message says where)."""


class DeliveryIncomplete(FocusIngestError):
    """Parts the delivery names are missing: it is held, not loaded, until they arrive."""

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


class DeliveryRefused(FocusIngestError):
    """The files do not make one delivery (a manifest unreadable or not naming them all)."""


class ScopeConflict(FocusIngestError):
    """A scope overlaps a stored one without being the same (another period or provider name):
    replacing either would drop money and adding both would count it twice."""
