"""Pull every page of a billing period, stage them as one FOCUS delivery, ingest it once."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.billing_api.contract import Page, Row
from data.connectors.focus import AllocationRules, IngestLimits, IngestReport, ingest_file
from data.connectors.focus.values import parse_timestamp
from data.errors import MalformedPage, PaginationError

SOURCE = "billing-api"  # ingested_file.source and cost_daily's delivery source


class PageSource(Protocol):
    """What a pull needs of the API (the real client, or a fake in tests)."""

    def fetch_page(self, billing_period: str, page_token: str | None = None) -> Page: ...


@dataclass(frozen=True, slots=True)
class StagedPeriod:
    """Every page of one billing period as one Parquet file of FOCUS columns (all text)."""

    billing_period: str
    content: bytes
    pages: int
    items: int

    @property
    def name(self) -> str:
        return f"{SOURCE} {self.billing_period} ({self.pages} pages)"


@dataclass(slots=True)
class _Staging:
    """Pages seen so far: their tables, cursors and content digests (to refuse repeats)."""

    billing_period: str
    max_rows: int
    tables: list[pa.Table] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    digests: set[str] = field(default_factory=set)
    items: int = 0

    def add(self, page: Page, number: int) -> None:
        _check_period(page, self.billing_period, number)
        if page.rows and page.items_sha256 in self.digests:
            raise PaginationError(f"page {number} repeats an earlier page: nothing was loaded")
        self.digests.add(page.items_sha256)
        self.items += len(page.rows)
        if self.items > self.max_rows:
            raise PaginationError(f"the period holds more than {self.max_rows:,} items")
        if page.rows:
            self.tables.append(_table(page.rows))
        token = page.next_page_token
        if token is not None and token in self.tokens:
            raise PaginationError(
                f"page {number} hands back an earlier page token: the cursor loops"
            )
        if token is not None:
            self.tokens.add(token)


def pull_period(
    source: PageSource, billing_period: str, *, max_pages: int, max_rows: int
) -> StagedPeriod:
    """Fetch pages until one has no `next_page_token`; any failure raises and stages nothing.

    A repeated page token or a repeated (non-empty) page is refused, not dropped: the API's
    cursor is not trustworthy then, and a silently skipped page would under-count money.
    """
    staging = _Staging(billing_period, max_rows)
    token: str | None = None
    for number in range(1, max_pages + 1):
        page = source.fetch_page(billing_period, token)
        staging.add(page, number)
        token = page.next_page_token
        if token is None:
            return StagedPeriod(billing_period, _parquet(staging.tables), number, staging.items)
    raise PaginationError(f"{billing_period} spans more than {max_pages:,} pages")


def ingest_period(
    sessions: sessionmaker[Session],
    source: PageSource,
    billing_period: str,
    *,
    rules: AllocationRules,
    now: datetime,
    max_pages: int,
    limits: IngestLimits | None = None,
) -> IngestReport | None:
    """Pull a period and load it through the FOCUS path (validated, allocated, one transaction).

    Unchanged content is a no-op (content hash); changed content replaces the period's rows
    this source wrote earlier. An empty period loads nothing (None) and removes nothing.
    """
    limits = limits or IngestLimits()
    staged = pull_period(source, billing_period, max_pages=max_pages, max_rows=limits.max_rows)
    if staged.items == 0:
        return None
    return ingest_file(
        sessions, staged.content, source=SOURCE, rules=rules, now=now, name=staged.name,
        limits=limits,
    )  # fmt: skip


def billing_periods(start: datetime, end: datetime, *, settle_days: int) -> tuple[str, ...]:
    """Calendar months (UTC, `YYYY-MM`) overlapping [start - settle_days, end), oldest first.

    The open month is pulled on every run (it grows); a closed one for `settle_days` more.
    """
    first = (start - timedelta(days=settle_days)).astimezone(UTC)
    last = (end - timedelta(microseconds=1)).astimezone(UTC)
    year, month, periods = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(periods)


def period_start(billing_period: str) -> datetime:
    year, month = billing_period.split("-")
    return datetime(int(year), int(month), 1, tzinfo=UTC)


def _check_period(page: Page, billing_period: str, number: int) -> None:
    """A row of another period would replace that period's rows with a fragment: refuse it."""
    if page.billing_period != billing_period:
        raise MalformedPage(f"page {number} is of {page.billing_period}, not {billing_period}")
    expected = int(period_start(billing_period).timestamp())
    for index, row in enumerate(page.rows, start=1):
        text = row.get("BillingPeriodStart")
        try:
            stated = parse_timestamp(text) if text is not None else expected
        except ValueError:
            stated = None
        if stated != expected:
            raise MalformedPage(
                f"page {number}, item {index}: BillingPeriodStart {str(text)[:40]!r} "
                f"is not the start of {billing_period}"
            )


def _table(rows: tuple[Row, ...]) -> pa.Table:
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.Table.from_pylist(list(rows), schema=pa.schema([(n, pa.string()) for n in names]))


def _parquet(tables: list[pa.Table]) -> bytes:
    """One file, columns sorted: the same items give the same bytes (the content hash)."""
    if not tables:
        return b""
    table = pa.concat_tables(tables, promote_options="default")
    sink = io.BytesIO()
    pq.write_table(table.select(sorted(table.column_names)), sink)
    return sink.getvalue()
