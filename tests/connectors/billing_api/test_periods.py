"""Which billing periods a refresh window pulls: the months it touches, plus a settling tail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from data.connectors.billing_api import billing_periods


@pytest.mark.parametrize(
    ("start", "end", "settle_days", "periods"),
    [
        (datetime(2026, 10, 20, 5), datetime(2026, 10, 20, 6), 5, ("2026-10",)),
        (datetime(2026, 11, 2, 5), datetime(2026, 11, 2, 6), 5, ("2026-10", "2026-11")),
        (datetime(2026, 11, 2, 5), datetime(2026, 11, 2, 6), 0, ("2026-11",)),
        (datetime(2026, 10, 31, 23), datetime(2026, 11, 1, 0), 0, ("2026-10",)),
        (datetime(2026, 12, 30), datetime(2027, 2, 1, 1), 0, ("2026-12", "2027-01", "2027-02")),
    ],
)
def test_periods_cover_the_window_and_the_settling_days(
    start: datetime, end: datetime, settle_days: int, periods: tuple[str, ...]
) -> None:
    window = (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))

    assert billing_periods(*window, settle_days=settle_days) == periods
