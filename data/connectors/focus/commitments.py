"""Commitment discount utilization from FOCUS usage rows: used vs unused EffectiveCost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.reader import open_batches
from data.connectors.focus.source import inspect, read_raw
from data.connectors.focus.values import MONEY_TYPE, money
from engine.arrays import BoolArray, IntArray

_NEEDED = ("CommitmentDiscountId", "CommitmentDiscountStatus", "ChargeCategory", "EffectiveCost")
_KEYS = ("charge_day", "billing_currency", "billing_account", "commitment")
_MONEY = ("used_effective_cost", "unused_effective_cost")
_PENDING_ROWS = 1_000_000


@dataclass(frozen=True, slots=True)
class CommitmentUtilization:
    """One commitment: EffectiveCost of the usage it covered and of what went unused (waste)."""

    commitment_discount_id: str
    used_effective_cost: Decimal
    unused_effective_cost: Decimal

    @property
    def utilization(self) -> Decimal | None:
        """used / (used + unused); None when the file holds no usage of the commitment."""
        total = self.used_effective_cost + self.unused_effective_cost
        return None if total == 0 else self.used_effective_cost / total


@dataclass(frozen=True, slots=True)
class CommitmentDay:
    """One commitment's used and unused EffectiveCost on one charge day, in one currency."""

    commitment_discount_id: str
    commitment_discount_name: str | None
    commitment_discount_type: str | None
    charge_date: date
    billing_currency: str
    billing_account_id: str
    used_effective_cost: Decimal
    unused_effective_cost: Decimal


@dataclass(frozen=True, slots=True)
class CommitmentRows:
    """The rows of one batch that measure a commitment: Usage, an id, status Used or Unused.

    Codes are the normaliser's (day, currency, account, commitment id); `used` is False for
    Unused rows; `effective_cost` holds those rows' amounts only.
    """

    keys: dict[str, IntArray]
    used: BoolArray
    effective_cost: pa.Array


class CommitmentAggregator:
    """Sums used and unused EffectiveCost per (day, currency, account, commitment), exactly."""

    def __init__(self) -> None:
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._partials: list[pa.Table] = []

    def add(self, rows: CommitmentRows) -> None:
        if not len(rows.used):
            return
        zero = pa.scalar(0, MONEY_TYPE)
        used = pa.array(rows.used)
        columns = {name: pa.array(rows.keys[name]) for name in _KEYS}
        columns[_MONEY[0]] = pc.if_else(used, rows.effective_cost, zero)
        columns[_MONEY[1]] = pc.if_else(used, zero, rows.effective_cost)
        self._pending.append(pa.table(columns))
        self._pending_rows += len(rows.used)
        if self._pending_rows >= _PENDING_ROWS:
            self._flush()

    def result(self) -> pa.Table | None:
        """One row per key with both sums, or None when no row measured a commitment."""
        self._flush()
        return _summed(pa.concat_tables(self._partials)) if self._partials else None

    def _flush(self) -> None:
        if self._pending:
            self._partials.append(_summed(pa.concat_tables(self._pending)))
            self._pending, self._pending_rows = [], 0


def _summed(table: pa.Table) -> pa.Table:
    grouped = table.group_by(list(_KEYS), use_threads=False).aggregate(
        [(name, "sum") for name in _MONEY]
    )
    return grouped.rename_columns([name.removesuffix("_sum") for name in grouped.column_names])


def first_seen(
    known: dict[int, tuple[int, int]], ids: IntArray, names: IntArray, types: IntArray
) -> None:
    """Remember each commitment's name and type codes from the first row that carries it."""
    distinct, first = np.unique(ids, return_index=True)
    for code, row in zip(distinct.tolist(), first.tolist(), strict=True):
        known.setdefault(code, (int(names[row]), int(types[row])))


def utilization_by_commitment(days: Iterable[CommitmentDay]) -> tuple[CommitmentUtilization, ...]:
    """Daily rows summed per commitment (sorted by id): the figure a period reports."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for day in days:
        total = sums[day.commitment_discount_id]
        total[0] += day.used_effective_cost
        total[1] += day.unused_effective_cost
    return tuple(CommitmentUtilization(key, *sums[key]) for key in sorted(sums))


def commitment_utilization(
    path_or_bytes: str | Path | bytes, *, limits: IngestLimits | None = None
) -> tuple[CommitmentUtilization, ...]:
    """Per CommitmentDiscountId, from rows with ChargeCategory Usage and a Used/Unused status.

    FOCUS 1.2: unused commitment ("waste") is Usage with CommitmentDiscountStatus=Unused;
    purchase rows carry the fee, not the utilization, and are left out. Needs only the four
    columns above, so the spec's commitment scenarios (which lack billing columns) qualify.
    The ingest computes the same figures per day in its one pass (`ParsedFile.commitments`);
    this reads a file on its own, for exports that are not cost files.
    """
    limits = limits or IngestLimits()
    opened = open_batches(inspect(read_raw(path_or_bytes, name=None), limits=limits), limits=limits)
    missing = opened.columns.missing(_NEEDED)
    if missing == ["CommitmentDiscountStatus"]:
        return ()  # purchases only: nothing says what was used
    if missing:
        raise ValueError(f"commitment utilization needs columns: {', '.join(missing)}")
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for batch in opened.batches:
        _add(batch, sums)
    return tuple(
        CommitmentUtilization(key, value["used"], value["unused"])
        for key, value in sorted(sums.items())
    )


def _add(batch: pa.RecordBatch, sums: dict[str, dict[str, Decimal]]) -> None:
    amounts, _ = money(batch.column("EffectiveCost"))
    rows = zip(
        batch.column("CommitmentDiscountId").to_pylist(),
        batch.column("CommitmentDiscountStatus").to_pylist(),
        batch.column("ChargeCategory").to_pylist(),
        amounts.to_pylist(),
        strict=True,
    )
    for commitment, status, category, amount in rows:
        state = (status or "").strip().lower()
        if (
            commitment
            and (category or "").strip().lower() == "usage"
            and state in ("used", "unused")
        ):
            sums[commitment.strip()][state] += amount or Decimal(0)


def decoded_days(
    table: pa.Table | None,
    *,
    texts: Sequence[str],
    currencies: Sequence[str],
    named: dict[int, tuple[int, int]],
) -> tuple[CommitmentDay, ...]:
    """Codes back to values: one CommitmentDay per summed key."""
    if table is None:
        return ()
    days = pa.array(table.column("charge_day").to_numpy().astype(np.int32), pa.date32())
    ids = table.column("commitment").to_pylist()
    decoded = (
        CommitmentDay(
            commitment_discount_id=texts[code],
            commitment_discount_name=_text(texts, named[code][0]),
            commitment_discount_type=_text(texts, named[code][1]),
            charge_date=day,
            billing_currency=currencies[currency],
            billing_account_id=texts[account],
            used_effective_cost=used,
            unused_effective_cost=unused,
        )
        for code, day, currency, account, used, unused in zip(
            ids,
            days.to_pylist(),
            table.column("billing_currency").to_pylist(),
            table.column("billing_account").to_pylist(),
            table.column(_MONEY[0]).to_pylist(),
            table.column(_MONEY[1]).to_pylist(),
            strict=True,
        )
    )
    return tuple(sorted(decoded, key=_order))


def _order(day: CommitmentDay) -> tuple[str, date, str, str]:
    return (
        day.commitment_discount_id,
        day.charge_date,
        day.billing_currency,
        day.billing_account_id,
    )


def _text(texts: Sequence[str], code: int) -> str | None:
    return texts[code] if code >= 0 else None
