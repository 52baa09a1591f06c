"""Stream a FOCUS file as Arrow record batches of strings under 1.2 names, within the row cap."""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from data.connectors.focus.columns import ColumnMap, map_columns, wanted_columns
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.parquet_sandbox import sandboxed_batches
from data.connectors.focus.source import SourceFile
from data.connectors.focus.split import (
    Part,
    newlines_before,
    ordered_batches,
    split_parts,
    usable_readers,
)
from data.connectors.focus.values import prepared
from data.errors import TooManyRows, UnsupportedContent

MONEY_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost")

NULL_SPELLINGS = ("", "NULL", "null", "Null")
_HEADER_BYTES = 1024 * 1024
_READ_AHEAD_BATCHES = 2


@dataclass(frozen=True, slots=True)
class BadLine:
    """A CSV line the parser could not split into the header's columns."""

    line: int | None
    message: str


@dataclass(slots=True)
class OpenedFile:
    """The header mapping and a one-shot stream of batches; `bad_lines` fills while streaming."""

    columns: ColumnMap
    batches: Iterator[pa.RecordBatch]
    bad_lines: list[BadLine]

    def close(self) -> None:
        """Stop reading (and the read-ahead thread) when the stream is left early."""
        close = getattr(self.batches, "close", None)
        if close is not None:
            close()


def open_batches(
    source: SourceFile,
    *,
    limits: IngestLimits,
    multiline: bool = True,
    split: bool = True,
    wanted: tuple[str, ...] | None = None,
) -> OpenedFile:
    """Batches carry only the `wanted` columns present (FOCUS 1.2 names; default every column
    the ingest may read), renamed to their FOCUS 1.2 names.

    `multiline=False` reads CSV faster (~25 % less parse time) but splits a quoted value that
    holds a newline into bad lines: callers retry with True when any line was bad. A plain CSV
    of `limits.parallel_csv_bytes` or more is parsed in parts by several readers at once
    (`split_csv`) unless `split=False`; batches, bad lines and line numbers are the same.
    """
    wanted = wanted_columns() if wanted is None else wanted
    if source.kind == "parquet":
        return _open_parquet(source, limits, wanted)
    return _open_csv(source, limits, multiline, split and split_csv(source, limits), wanted)


def split_csv(source: SourceFile, limits: IngestLimits) -> bool:
    """Whether `open_batches` parses this file with several readers (a big plain CSV)."""
    readers = limits.csv_readers or usable_readers()
    return source.kind == "csv" and readers > 1 and source.size_bytes >= limits.parallel_csv_bytes


def _open_csv(
    source: SourceFile, limits: IngestLimits, multiline: bool, split: bool, wanted: tuple[str, ...]
) -> OpenedFile:
    header = csv_header(source)
    if len(header) > limits.max_columns:
        raise TooManyRows(f"the header has {len(header):,} columns (cap {limits.max_columns:,})")
    columns = map_columns(header)
    if not columns.source_by_name:
        raise UnsupportedContent(
            "unsupported file content: no FOCUS column in the first line; expected a header "
            f"such as BillingPeriodStart,ChargePeriodStart,BilledCost,...{_delimiter_hint(header)}"
        )
    csv_file = _CsvFile(
        source, header, columns, wanted, multiline, limits.csv_block_bytes, limits.csv_batch_rows
    )
    if split:
        batches, bad_lines = _parts(csv_file, limits)
    else:
        bad_lines = []
        batches = _read_ahead(csv_file.batches(source.open_text(), bad_lines, header_line=True))
    return OpenedFile(columns, _capped(batches, limits.max_rows), bad_lines)


@dataclass(frozen=True, slots=True)
class _CsvFile:
    source: SourceFile
    header: list[str]
    columns: ColumnMap
    wanted: tuple[str, ...]
    multiline: bool
    block_bytes: int
    batch_rows: int

    def batches(
        self, text: pa.NativeFile, bad_lines: list[BadLine], *, header_line: bool
    ) -> Iterator[pa.RecordBatch]:
        """Prepared batches of the wanted columns. The header is given, so a part without it
        parses alike; line numbers count from the stream's start (header included)."""
        names = self.columns.source_by_name
        cells = [names[name] for name in self.wanted if name in names]
        reader = pcsv.open_csv(
            text,
            read_options=pcsv.ReadOptions(
                block_size=self.block_bytes,
                column_names=self.header,
                skip_rows=1 if header_line else 0,
                use_threads=False,  # Arrow numbers bad lines only then; no slower when streaming
            ),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=self.multiline, invalid_row_handler=_record_bad_line(bad_lines)
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(cells, pa.string()),
                include_columns=cells,
                null_values=list(NULL_SPELLINGS),
                strings_can_be_null=True,
                check_utf8=False,  # the whole text was checked before (`source.inspect`)
            ),
        )
        # Arrow converts a 4 MiB block in cache; the normaliser then takes blocks joined.
        return _prepared(_gathered(_renamed(reader, self.columns), self.batch_rows))


def _parts(
    csv_file: _CsvFile, limits: IngestLimits
) -> tuple[Iterator[pa.RecordBatch], list[BadLine]]:
    """Parts parsed by parallel readers; each part's bad lines join the file's, numbered from
    the file's first line, once the caller has taken the part (so they stay in file order)."""
    content, readers = csv_file.source.content, limits.csv_readers or usable_readers()
    count = max(readers, -(-content.size // limits.csv_part_bytes))
    parts = split_parts(content, parts=count)
    found: list[list[BadLine]] = [[] for _ in parts]
    bad_lines: list[BadLine] = []

    def parse(part: Part) -> Iterator[pa.RecordBatch]:
        text = pa.BufferReader(content.slice(part.start, part.end - part.start))
        return csv_file.batches(text, found[part.index], header_line=part.index == 0)

    def part_done(part: Part) -> None:
        before = newlines_before(content, part.start) if part.index and found[part.index] else 0
        bad_lines.extend(
            BadLine(None if bad.line is None else bad.line + before, bad.message)
            for bad in found[part.index]
        )
        csv_file.source.release(part.start, part.end)  # its rows are parsed: let the pages go

    batches = ordered_batches(parts, parse, readers=readers, part_done=part_done)
    return batches, bad_lines


def _delimiter_hint(header: list[str]) -> str:
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if len(header) == 1 and delimiter in header[0]:
            return f" (this file is separated by {name}: export it comma-separated)"
    return ""


def csv_header(source: SourceFile) -> list[str]:
    """The first line's cells (BOM stripped), parsed with the csv module so quotes are honoured."""
    head = source.open_text().read(_HEADER_BYTES)
    first = head.split(b"\n", 1)[0].decode("utf-8").lstrip("\ufeff").rstrip("\r")
    if not first.strip():
        raise UnsupportedContent("unsupported file content: the first line is blank, not a header")
    return next(csv.reader(io.StringIO(first)))


def _record_bad_line(bad_lines: list[BadLine]) -> object:
    def handle(row: pcsv.InvalidRow) -> str:
        text = row.text if len(row.text) <= 80 else row.text[:79] + "…"
        message = f"expected {row.expected_columns} cells, found {row.actual_columns}: {text!r}"
        bad_lines.append(BadLine(row.number, message))
        return "skip"

    return handle


def _open_parquet(source: SourceFile, limits: IngestLimits, wanted: tuple[str, ...]) -> OpenedFile:
    """Gate on the footer's declared sizes before a single row is decoded (threat 20)."""
    try:
        parquet = pq.ParquetFile(pa.BufferReader(source.content))
    except (pa.ArrowException, OSError) as error:
        raise UnsupportedContent(
            f"unsupported file content: unreadable Parquet ({error})"
        ) from None
    meta = parquet.metadata
    for what, value, cap in (
        ("rows", meta.num_rows, limits.max_rows),
        ("columns", meta.num_columns, limits.max_columns),
        ("row groups", meta.num_row_groups, limits.max_row_groups),
    ):
        if value > cap:
            raise TooManyRows(f"the Parquet file declares {value:,} {what} (cap {cap:,})")
    columns = map_columns(parquet.schema_arrow.names)
    cells = [columns.source_by_name[name] for name in wanted if name in columns.source_by_name]
    # Decoded, and cast to text, in a memory-capped child: the footer's sizes can be forged
    # and a dictionary column expands only when cast (threat 20).
    stream = sandboxed_batches(source.content, cells, limits=limits)
    batches = _capped(_read_ahead(_prepared(_renamed(stream, columns))), limits.max_rows)
    return OpenedFile(columns, batches, [])


def _read_ahead(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Parse the next batches in a thread while the caller normalises this one.

    Arrow releases the GIL while it splits and converts a block, so on two cores the CSV
    parse (~0.9 s CPU per million 388-byte rows) overlaps the Python-side work instead of
    adding to it. Errors surface here, in order; closing the stream stops the thread.
    """
    ready: queue.Queue[tuple[pa.RecordBatch | None, BaseException | None]] = queue.Queue(
        _READ_AHEAD_BATCHES
    )
    stop = threading.Event()

    def put(item: tuple[pa.RecordBatch | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put((batch, None)):
                    return
            put((None, None))
        except BaseException as error:  # re-raised in the consumer, where it is handled
            put((None, error))

    thread = threading.Thread(target=produce, name="focus-reader", daemon=True)
    thread.start()
    try:
        while True:
            batch, error = ready.get()
            if error is not None:
                raise error
            if batch is None:
                return
            yield batch
    finally:
        stop.set()
        thread.join()


def _gathered(batches: Iterator[pa.RecordBatch], rows_wanted: int) -> Iterator[pa.RecordBatch]:
    """Consecutive batches joined until they hold `rows_wanted` rows (the last may hold fewer)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= rows_wanted:
            yield _joined(pending)
            pending, rows = [], 0
    if pending:
        yield _joined(pending)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    return batches[0] if len(batches) == 1 else pa.concat_batches(batches)


def _prepared(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield prepared(batch, MONEY_COLUMNS)


def _renamed(batches: Iterator[pa.RecordBatch], columns: ColumnMap) -> Iterator[pa.RecordBatch]:
    canonical = {cell: name for name, cell in columns.source_by_name.items()}
    for batch in batches:
        yield batch.rename_columns([canonical[cell] for cell in batch.schema.names])


def _capped(batches: Iterator[pa.RecordBatch], max_rows: int) -> Iterator[pa.RecordBatch]:
    """Stop at the first batch that takes the count past the cap: nothing beyond it is parsed."""
    seen = 0
    for batch in batches:
        seen += batch.num_rows
        if seen > max_rows:
            raise TooManyRows(
                f"the file holds more than {max_rows:,} rows (the cap): split it into parts "
                "of one delivery — upload them together, or name them <name>-00001.csv, "
                "<name>-00002.csv, … in the billing directory (each file alone would replace "
                "the other's billing period)"
            )
        yield batch
