"""`export_recommendations`: the one builder behind `python -m jobs export` and the API's export.

Both call it with a session and get the same bytes for the same data: no clock, no host, no
generation time inside, so two exports of unchanged data are byte-identical (diffable).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
import yaml
from sqlalchemy.orm import Session

from data.errors import InvalidInput
from data.exports.coh import COH_FIELDS, coh_csv_row, coh_record
from data.exports.csv_cells import to_csv_bytes
from data.exports.tightrope import tightrope_record, tightrope_table
from data.exports.vocabulary import (
    FORMATS,
    MEDIA_TYPES,
    SCHEMAS,
    STATUSES,
    ExportFormat,
    ExportSchema,
)
from data.repos.backlog_snapshot import BacklogSnapshot, backlog_snapshot
from data.repos.savings_report import counted_in_open_savings


@dataclass(frozen=True, slots=True)
class Export:
    """An export's bytes, its media type and the file name to offer."""

    content: bytes
    media_type: str
    filename: str
    count: int


def export_recommendations(
    session: Session,
    *,
    fmt: ExportFormat,
    schema: ExportSchema = "tightrope",
    statuses: Collection[str] = (),
) -> Export:
    """Every stored recommendation (or those of `statuses`) in the backlog's order — best
    risk-adjusted savings first — in `schema`'s fields, encoded as `fmt`."""
    _check(fmt, schema, statuses)
    frame, snapshot = _rows(backlog_snapshot(session), statuses)
    if fmt == "csv":
        content = to_csv_bytes(_table(frame, snapshot, schema))
    else:
        records = [_record(snapshot, row, schema) for row in _rows_of(frame)]
        content = _encode({"items": records}, fmt)
    suffix = "" if schema == "tightrope" else f"-{schema}"
    return Export(content, MEDIA_TYPES[fmt], f"tightrope-recommendations{suffix}.{fmt}", len(frame))


def _check(fmt: str, schema: str, statuses: Collection[str]) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")
    if schema not in SCHEMAS:
        raise InvalidInput(f"schema must be one of {', '.join(SCHEMAS)}")
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise InvalidInput(f"unknown status {unknown[0]!r}: one of {', '.join(STATUSES)}")


def _rows(
    snapshot: BacklogSnapshot, statuses: Collection[str]
) -> tuple[pd.DataFrame, BacklogSnapshot]:
    """The frame flagged with the open-savings rule over the whole backlog, then filtered."""
    frame = snapshot.frame
    if frame.empty:
        return frame.assign(counted_in_open_savings=pd.Series(dtype=bool)), snapshot
    frame = frame.assign(counted_in_open_savings=counted_in_open_savings(frame))
    if statuses:
        frame = frame[frame["status"].isin(list(statuses))].reset_index(drop=True)
    return frame, snapshot


def _record(snapshot: BacklogSnapshot, row: dict[str, Any], schema: ExportSchema) -> Any:
    item = snapshot.items[int(row["recommendation_id"])]
    return tightrope_record(item, row) if schema == "tightrope" else coh_record(item, row)


def _table(frame: pd.DataFrame, snapshot: BacklogSnapshot, schema: ExportSchema) -> pd.DataFrame:
    if schema == "tightrope":
        return tightrope_table(frame)
    rows = [coh_csv_row(_record(snapshot, row, schema)) for row in _rows_of(frame)]
    return pd.DataFrame(rows, columns=list(COH_FIELDS))


def _rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts, pandas' missing values (NaN in a text column) as None."""
    rows = cast(list[dict[str, Any]], frame.to_dict("records"))
    return [{key: _missing_as_none(value) for key, value in row.items()} for row in rows]


def _missing_as_none(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _encode(document: dict[str, Any], fmt: ExportFormat) -> bytes:
    if fmt == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return str(text).encode("utf-8")
