"""The one place that reads the wall clock: pages, queries and jobs are handed a Clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where "now" comes from; a page reads it once per run, a job once per run too."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


@dataclass(frozen=True, slots=True)
class SystemClock:
    """The machine's wall clock, the only direct read of it in the product."""

    def now(self) -> datetime:
        """`datetime.now(UTC)`."""
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock stopped at one instant: tests, demos and reproducing a report as of a date."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")

    def now(self) -> datetime:
        """The instant it was stopped at, in UTC."""
        return self.at.astimezone(UTC)


def clock_for(fixed_at: datetime | None) -> Clock:
    """The system clock, or one stopped at `fixed_at` (TIGHTROPE_CLOCK_FIXED_AT) when given."""
    return SystemClock() if fixed_at is None else FixedClock(fixed_at)


def system_now() -> datetime:
    """The system clock as a plain callable (the sidecar's JobContext default)."""
    return SystemClock().now()


def utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime is refused (its zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    return moment.astimezone(UTC)
