"""Sums and scopes of daily cost records: totals per currency, scopes delivered, concatenation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from data.connectors.focus.report import CurrencyTotal, Partition
from data.connectors.focus.values import MONEY_TYPE
from data.repos.costs import AllocatedCostColumns

UNKNOWN_PROVIDER = "Unknown"  # the normaliser's name for an empty ProviderName
_MIDNIGHT = time(0)
_MONEY = ("billed_cost", "effective_cost", "list_cost")


def currency_totals(
    costs: AllocatedCostColumns, *, known: Container[str] | None = None
) -> tuple[CurrencyTotal, ...]:
    """Exact sums per BillingCurrency (never across currencies), summed by Arrow in decimal128.

    A row is unallocated when it names no service, or (given the catalog's lower-cased `known`
    references) one no service answers to. Each sum is Decimal(0) plus the column's, as a
    running Decimal sum writes it: the unallocated sum of a currency with no unallocated row is
    Decimal(0) itself.
    """
    if not len(costs):
        return ()
    unallocated = pa.array(_unallocated(costs.service_ref, known), pa.bool_())
    zero = pa.scalar(0, costs.effective_cost.type)
    table = pa.table(
        {
            "currency": costs.billing_currency,
            "billed": costs.billed_cost,
            "effective": costs.effective_cost,
            "list": costs.list_cost,
            "unallocated": pc.if_else(unallocated, costs.effective_cost, zero),
            "unallocated_rows": pc.cast(unallocated, pa.int64()),
            "rows": costs.source_rows,
        }
    )
    names = ("billed", "effective", "list", "unallocated", "unallocated_rows", "rows")
    sums = table.group_by("currency").aggregate([(name, "sum") for name in names]).to_pylist()
    return tuple(_currency_total(row) for row in sorted(sums, key=lambda row: row["currency"]))


def _unallocated(refs: Sequence[str | None], known: Container[str] | None) -> list[bool]:
    """Per row: names no service; each distinct reference is lower-cased and looked up once."""
    answered = {ref: known is None or ref.lower() in known for ref in set(refs) if ref is not None}
    return [ref is None or not answered[ref] for ref in refs]


def _currency_total(sums: dict[str, Any]) -> CurrencyTotal:
    unallocated = sums["unallocated_sum"] if sums["unallocated_rows_sum"] else 0
    return CurrencyTotal(
        sums["currency"],
        Decimal(0) + sums["billed_sum"],
        Decimal(0) + sums["effective_sum"],
        Decimal(0) + sums["list_sum"],
        Decimal(0) + unallocated,
        rows=sums["rows_sum"],
    )


def partitions(costs: AllocatedCostColumns) -> tuple[Partition, ...]:
    """One scope per (billing account, period start): the widest end, rows, providers, and the
    last charge day inside the period (a row dated outside it — a FOCUS warning — would let a
    stray date decide which delivery is newer; it counts only when no row is inside)."""
    ends: dict[tuple[str, datetime], datetime] = {}
    rows: dict[tuple[str, datetime], int] = defaultdict(int)
    providers: dict[tuple[str, datetime], set[str]] = defaultdict(set)
    inside: dict[tuple[str, datetime], date] = {}
    anywhere: dict[tuple[str, datetime], date] = {}
    for (account, start, end, provider, day), count in _distinct(costs).items():
        key = (account, start)
        ends[key] = max(ends.get(key, end), end)
        rows[key] += count
        providers[key].add(provider)
        anywhere[key] = max(anywhere.get(key, day), day)
        if start.date() <= day < end.date() or (day == end.date() and end.time() != _MIDNIGHT):
            inside[key] = max(inside.get(key, day), day)
    return tuple(
        Partition(*key, ends[key], rows[key], provider_label(providers[key]),
                  inside.get(key, anywhere[key]))
        for key in sorted(ends)
    )  # fmt: skip


def _distinct(costs: AllocatedCostColumns) -> dict[tuple[Any, ...], int]:
    """Source rows per distinct (account, period start, end, provider, day): a few hundred
    keys for tens of thousands of rows, so the comparisons above run per key, not per row
    (every fold there — max, sum, union — gives the same answer either way)."""
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    combos = zip(
        costs.billing_account_id, costs.billing_period_start, costs.billing_period_end,
        costs.provider, costs.charge_date, strict=True,
    )  # fmt: skip
    for combo, count in zip(combos, costs.source_rows, strict=True):
        counts[combo] += count
    return counts


def provider_label(names: set[str]) -> str:
    """The ProviderName values of a scope, sorted; rows without one do not count."""
    return ", ".join(sorted(names - {UNKNOWN_PROVIDER})) or UNKNOWN_PROVIDER


def concatenated(parts: Sequence[AllocatedCostColumns]) -> AllocatedCostColumns:
    """The rows of every part, side by side (money keeps its exact decimals)."""
    if len(parts) == 1:
        return parts[0]
    fields: dict[str, Any] = {}
    for name in AllocatedCostColumns.__dataclass_fields__:
        if name in _MONEY:
            arrays = [pc.cast(getattr(part, name), MONEY_TYPE) for part in parts]
            fields[name] = pa.concat_arrays(arrays)
        else:
            fields[name] = [value for part in parts for value in getattr(part, name)]
    return AllocatedCostColumns(**fields)


def filtered(costs: AllocatedCostColumns, keep: Sequence[bool]) -> AllocatedCostColumns:
    """The rows where `keep` is true."""
    mask = pa.array(keep, pa.bool_())
    fields: dict[str, Any] = {}
    for name in AllocatedCostColumns.__dataclass_fields__:
        values = getattr(costs, name)
        if name in _MONEY:
            fields[name] = values.filter(mask)
        else:
            fields[name] = [value for value, wanted in zip(values, keep, strict=True) if wanted]
    return AllocatedCostColumns(**fields)


_KEYS = tuple(
    name
    for name in AllocatedCostColumns.__dataclass_fields__
    if name not in (*_MONEY, "source_rows")
)


def summed(costs: AllocatedCostColumns) -> AllocatedCostColumns:
    """One row per distinct key, money and source rows summed (exactly, in decimal128): the
    parts of one delivery share most daily keys, so their rows fold to about one part's."""
    keys = {name: pa.array(getattr(costs, name)) for name in _KEYS}
    money = {name: pc.cast(getattr(costs, name), MONEY_TYPE) for name in _MONEY}
    table = pa.table({**keys, **money, "source_rows": pa.array(costs.source_rows, pa.int64())})
    sums = [(name, "sum") for name in (*_MONEY, "source_rows")]
    grouped = table.group_by(list(_KEYS), use_threads=False).aggregate(sums)
    fields: dict[str, Any] = {name: grouped.column(name).to_pylist() for name in _KEYS}
    fields |= {name: grouped.column(f"{name}_sum").combine_chunks() for name in _MONEY}
    fields["source_rows"] = grouped.column("source_rows_sum").to_pylist()
    return AllocatedCostColumns(**fields)
