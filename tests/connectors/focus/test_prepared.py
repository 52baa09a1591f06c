"""The reader's Arrow share of a batch: money as exact decimals, a repeated money text cast once."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from data.connectors.focus.values import MONEY_TYPE, prepared

MONEY = ("BilledCost", "EffectiveCost", "ListCost")
_AMOUNT = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**6), max_value=10**6, places=11, allow_nan=False).map(str),
)


def _batch(billed: list[str | None], effective: list[str | None]) -> pa.RecordBatch:
    return pa.record_batch(
        {
            "BilledCost": pa.array(billed, pa.string()),
            "EffectiveCost": pa.array(effective, pa.string()),
            "ListCost": pa.array(["1.5"] * len(billed), pa.string()),
            "Tags": pa.array(["{}"] * len(billed), pa.string()),
        }
    )


def _exact(texts: list[str | None]) -> list[Decimal | None]:
    return [None if text is None else Decimal(text).quantize(Decimal("1e-16")) for text in texts]


@given(st.lists(_AMOUNT, min_size=1, max_size=30), st.data())
def test_each_money_column_holds_its_own_text_as_decimals(
    billed: list[str | None], data: st.DataObject
) -> None:
    # Effective cost equal to the billed cost in every row, or differing in one.
    effective = list(billed)
    if data.draw(st.booleans()):
        row = data.draw(st.integers(0, len(billed) - 1))
        effective[row] = data.draw(_AMOUNT.filter(lambda text: text != billed[row]))

    batch = prepared(_batch(billed, effective), MONEY)

    assert batch.column("BilledCost").type == MONEY_TYPE
    assert batch.column("EffectiveCost").type == MONEY_TYPE
    assert batch.column("BilledCost").to_pylist() == _exact(billed)
    assert batch.column("EffectiveCost").to_pylist() == _exact(effective)


def test_a_money_text_that_is_not_a_number_stays_text_in_the_column_that_holds_it() -> None:
    batch = prepared(_batch(["1.25", "2"], ["1.25", "$2"]), MONEY)

    assert batch.column("BilledCost").type == MONEY_TYPE
    assert batch.column("EffectiveCost").to_pylist() == ["1.25", "$2"]
