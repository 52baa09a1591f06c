"""Commitment discount utilization from FOCUS usage rows: used vs unused EffectiveCost."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.reader import open_batches
from data.connectors.focus.source import inspect, read_raw
from data.connectors.focus.values import money

_NEEDED = ("CommitmentDiscountId", "CommitmentDiscountStatus", "ChargeCategory", "EffectiveCost")


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


def commitment_utilization(
    path_or_bytes: str | Path | bytes, *, limits: IngestLimits | None = None
) -> tuple[CommitmentUtilization, ...]:
    """Per CommitmentDiscountId, from rows with ChargeCategory Usage and a Used/Unused status.

    FOCUS 1.2: unused commitment ("waste") is Usage with CommitmentDiscountStatus=Unused;
    purchase rows carry the fee, not the utilization, and are left out. Needs only the four
    columns above, so the spec's commitment scenarios (which lack billing columns) qualify.
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
