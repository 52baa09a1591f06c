"""Daily costs per service and FOCUS service category, in billing currency."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from data.models import CostDailyRow, IngestedFileRow
from data.repos.bulk import insert_columns, processed_once, processor_of


@dataclass(frozen=True, slots=True)
class DailyCost:
    """One day of cost for one service (None = unallocated) and one category; FOCUS names."""

    service_id: int | None
    charge_date: date
    service_category: str
    billing_currency: str
    billed_cost: float
    effective_cost: float
    list_cost: float
    provider: str
    sub_account_id: str | None = None


def insert_daily_costs(
    session: Session, costs: Sequence[DailyCost], *, ingested_file_id: int | None = None
) -> int:
    """Append daily cost rows; money goes to the database as exact decimals."""
    rows = [
        {
            "service_id": cost.service_id,
            "charge_date": cost.charge_date,
            "service_category": cost.service_category,
            "billing_currency": cost.billing_currency,
            "billed_cost": _money(cost.billed_cost),
            "effective_cost": _money(cost.effective_cost),
            "list_cost": _money(cost.list_cost),
            "provider": cost.provider,
            "sub_account_id": cost.sub_account_id,
            "ingested_file_id": ingested_file_id,
        }
        for cost in costs
    ]
    if rows:
        session.execute(insert(CostDailyRow), rows)
    return len(rows)


def latest_cost_date(session: Session, *, source: str | None = None) -> date | None:
    """The newest charged day stored, of every delivery or of one delivery `source`."""
    query = select(func.max(CostDailyRow.charge_date))
    if source is not None:
        query = query.join(
            IngestedFileRow, CostDailyRow.ingested_file_id == IngestedFileRow.id
        ).where(IngestedFileRow.source == source)
    value: Any = session.scalar(query)  # SQLite returns the ISO text
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _money(value: float) -> Decimal:
    # repr() keeps the float's shortest exact decimal form; Decimal(float) would not.
    return Decimal(repr(value)).quantize(Decimal("1e-10"))


@dataclass(frozen=True, slots=True)
class AllocatedCost:
    """One day of FOCUS cost for one key, before the service reference is resolved to an id.

    `service_ref` is a tag value or a ResourceId rule's service (None: unallocated); `team` is
    set only when an account rule claimed a row no service claimed.
    """

    charge_date: date
    billing_currency: str
    service_category: str
    charge_category: str
    provider: str
    billing_account_id: str
    billing_period_start: datetime
    billing_period_end: datetime
    sub_account_id: str | None
    service_ref: str | None
    team: str | None
    allocated_by: str
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    source_rows: int


@dataclass(frozen=True, slots=True)
class AllocatedCostColumns:
    """The fields of AllocatedCost as columns (row i is item i of each): what the FOCUS ingest
    decodes to and writes, without a Python object per row. Money is exact Arrow decimals."""

    charge_date: list[date]
    billing_currency: list[str]
    service_category: list[str]
    charge_category: list[str]
    provider: list[str]
    billing_account_id: list[str]
    billing_period_start: list[datetime]
    billing_period_end: list[datetime]
    sub_account_id: list[str | None]
    service_ref: list[str | None]
    team: list[str | None]
    allocated_by: list[str]
    billed_cost: pa.Array
    effective_cost: pa.Array
    list_cost: pa.Array
    source_rows: list[int]

    def __len__(self) -> int:
        return len(self.source_rows)

    def rows(self) -> tuple[AllocatedCost, ...]:
        """One AllocatedCost per row, for callers that want objects (slow for big files)."""
        columns = [getattr(self, name) for name in _ALLOCATED_FIELDS]
        columns = [c.to_pylist() if isinstance(c, pa.Array) else c for c in columns]
        return tuple(AllocatedCost(*values) for values in zip(*columns, strict=True))

    @classmethod
    def of(cls, costs: Sequence[AllocatedCost]) -> AllocatedCostColumns:
        """The columns of per-row costs (money keeps each Decimal's exact value)."""
        columns = {name: [getattr(c, name) for c in costs] for name in _ALLOCATED_FIELDS}
        for name in _MONEY_COLUMNS:  # the type is inferred: wide enough for every value
            columns[name] = pa.array(columns[name])
        return cls(**columns)


def insert_allocated_costs(
    session: Session,
    costs: AllocatedCostColumns | Sequence[AllocatedCost],
    *,
    service_ids: Mapping[str, int],
    ingested_file_id: int,
) -> int:
    """Append FOCUS daily costs; a reference absent from `service_ids` is written unallocated.

    Rows go to the driver in bulk (SQLite executemany, PostgreSQL COPY) with the columns' own
    bind processors applied column by column: per-row statement building in SQLAlchemy costs
    ~15 µs a row, more than the database itself spends. Money is rounded half-even to the
    schema's 10 decimals (as Decimal.quantize does).
    """
    columns = costs if isinstance(costs, AllocatedCostColumns) else AllocatedCostColumns.of(costs)
    if len(columns):
        _bulk_insert(session, _allocated_columns(columns, service_ids, ingested_file_id))
    return len(columns)


def _allocated_columns(
    costs: AllocatedCostColumns, service_ids: Mapping[str, int], ingested_file_id: int
) -> dict[str, Any]:
    """The cost_daily columns: references resolved once per distinct value."""
    resolved = {
        ref: service_ids.get(ref.lower()) for ref in set(costs.service_ref) if ref is not None
    }
    services = [None if ref is None else resolved[ref] for ref in costs.service_ref]
    methods = [
        "unallocated" if service is None and ref is not None else method
        for ref, service, method in zip(
            costs.service_ref, services, costs.allocated_by, strict=True
        )
    ]
    providers = {provider: provider[:40] for provider in set(costs.provider)}
    return {
        "service_id": services,
        "charge_date": costs.charge_date,
        "service_category": costs.service_category,
        "charge_category": costs.charge_category,
        "billing_currency": costs.billing_currency,
        "billed_cost": costs.billed_cost,
        "effective_cost": costs.effective_cost,
        "list_cost": costs.list_cost,
        "provider": [providers[provider] for provider in costs.provider],
        "sub_account_id": costs.sub_account_id,
        "billing_account_id": costs.billing_account_id,
        "billing_period_start": costs.billing_period_start,
        "team": costs.team,
        "allocated_by": methods,
        "ingested_file_id": [ingested_file_id] * len(costs),
    }


def _bulk_insert(session: Session, columns: dict[str, Any]) -> None:
    connection = session.connection()
    for name, values in columns.items():
        processor = processor_of(connection, _COST_DAILY, name)
        if name in _MONEY_COLUMNS:
            columns[name] = _money_values(
                values, processor, copy=connection.dialect.name == "postgresql"
            )
        elif processor is not None:
            columns[name] = processed_once(values, processor)
    insert_columns(connection, _COST_DAILY, columns)


def _money_values(
    amounts: pa.Array, processor: Callable[[Any], Any] | None, *, copy: bool = False
) -> list[Any]:
    """Exact decimals rounded half-even to 10 places, then bound.

    A processor that binds a Decimal as a float (SQLite: REAL) is applied in Arrow: the
    rounded decimal's text parsed to float64, correctly rounded like float(Decimal), without
    a Decimal object per value. PostgreSQL's COPY (`copy`, no processor) gets the decimal's
    text from Arrow, which the server reads as the same numeric, without a Decimal object per
    cell (a demo seed's 60k-row cost load: 0.52–0.55 s → 0.41–0.45 s client CPU). Others get
    the Decimals (mostly distinct: no cache).
    """
    rounded = pc.cast(
        pc.round(_widened(amounts), ndigits=10, round_mode="half_to_even"), _MONEY_TYPE
    )
    if processor is not None and isinstance(processor(_PROBE), float):
        return pc.cast(pc.cast(rounded, pa.string()), pa.float64()).to_pylist()  # type: ignore[no-any-return]
    if copy and processor is None:
        return pc.cast(rounded, pa.string()).to_pylist()  # type: ignore[no-any-return]
    values = rounded.to_pylist()
    if processor is None:
        return values  # type: ignore[no-any-return]
    return [None if value is None else processor(value) for value in values]


def _widened(amounts: pa.Array) -> pa.Array:
    """Decimals at the widest precision with their scale: rounding can carry a digit
    (999.99999999995 → 1000.0000000000), which overflowed a narrow inferred decimal128(19, 16)
    — and, next to a zero, came out as 0 without an error (found by Hypothesis)."""
    kind = amounts.type
    if pa.types.is_decimal128(kind) and kind.precision < _MONEY_TYPE.precision:
        return pc.cast(amounts, pa.decimal128(_MONEY_TYPE.precision, kind.scale))
    return amounts


_MONEY_TYPE = pa.decimal128(38, 10)  # the schema's scale (Numeric(20, 10)), Arrow's widest
_PROBE = Decimal("1.5")
_MONEY_COLUMNS = frozenset({"billed_cost", "effective_cost", "list_cost"})
_ALLOCATED_FIELDS = tuple(AllocatedCost.__dataclass_fields__)
_COST_DAILY: Table = CostDailyRow.__table__  # type: ignore[assignment]
COST_TABLE = _COST_DAILY
