"""Row checks that flag without parsing: charge periods against billing periods, storable text."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyarrow as pa

from data.connectors.focus.findings import Severity
from data.connectors.focus.text import MESSAGE as NUL_MESSAGE
from data.connectors.focus.text import nul_rows
from engine.arrays import BoolArray, IntArray


class Flag(Protocol):
    """Records rows (batch positions) as one finding of the file."""

    def __call__(
        self,
        severity: Severity,
        code: str,
        message: str,
        column: str,
        rows: IntArray,
        *,
        values: pa.Array | pa.ChunkedArray | None = None,
    ) -> None: ...


def check_periods(seconds: dict[str, IntArray], ok: BoolArray, flag: Flag) -> None:
    """A charge period should sit inside its billing period (FOCUS); rows with errors skip."""
    outside = ok & (
        (seconds["ChargePeriodStart"] < seconds["BillingPeriodStart"])
        | (seconds["ChargePeriodEnd"] > seconds["BillingPeriodEnd"])
    )
    message = "the charge period is not inside its billing period (kept, dated by its start)"
    flag("warning", "charge_period_outside", message, "ChargePeriodStart", np.flatnonzero(outside))
    backwards = ok & (seconds["ChargePeriodEnd"] < seconds["ChargePeriodStart"])
    message = "ChargePeriodEnd is before ChargePeriodStart (kept)"
    flag("warning", "charge_period_reversed", message, "ChargePeriodEnd", np.flatnonzero(backwards))


def check_storable(
    batch: pa.RecordBatch, tags: BoolArray, ok: BoolArray, flag: Flag, *, whole_batch: bool
) -> None:
    """Text PostgreSQL cannot store is an error of its row: NUL in any text column (when the
    file's text was not scanned whole: decoded Parquet strings), and Tags whose JSON escapes
    decode to NUL or a lone surrogate."""
    columns = zip(batch.schema.names, batch.columns, strict=True) if whole_batch else ()
    for name, column in columns:
        rows = nul_rows(column)
        ok[rows] = False
        flag("error", "text:nul", NUL_MESSAGE, name, rows)
    rows = np.flatnonzero(tags)
    if rows.size:
        ok[rows] = False
        message = "Tags decodes to text PostgreSQL cannot store (a \\u0000 or surrogate escape)"
        flag("error", "Tags:unstorable", message, "Tags", rows, values=batch.column("Tags"))
