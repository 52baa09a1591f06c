"""PostgreSQL binary COPY built from numpy columns: no Python object, no text, per value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray

# PGCOPY signature, flags, header extension length; -1 field count ends the stream.
_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = b"\xff\xff"
# Binary timestamps count microseconds from 2000-01-01 UTC, not 1970.
_POSTGRES_EPOCH_US = 946_684_800 * 1_000_000
# Rows encoded at a time: ~100 bytes each, a few MiB per chunk however large the load.
_CHUNK_ROWS = 32_768


@dataclass(frozen=True, slots=True)
class BinaryColumn:
    """One column as big-endian bytes, `width` per row, and which rows are NULL."""

    data: np.ndarray  # (rows, width) uint8
    null: np.ndarray | None = None  # bool per row; None: no NULLs

    @property
    def width(self) -> int:
        return int(self.data.shape[1])


def int4_column(values: np.ndarray) -> BinaryColumn:
    return BinaryColumn(_big_endian(values, ">i4"))


def float8_column(values: FloatArray) -> BinaryColumn:
    """Doubles sent bit for bit; NaN is written as NULL (an SLI not reported that hour)."""
    missing = np.isnan(values)
    return BinaryColumn(_big_endian(values, ">f8"), missing if missing.any() else None)


def timestamptz_column(hours: np.ndarray) -> BinaryColumn:
    """datetime64 (naive UTC) → microseconds since PostgreSQL's epoch."""
    micros = hours.astype("datetime64[us]").astype(np.int64) - _POSTGRES_EPOCH_US
    return BinaryColumn(_big_endian(micros, ">i8"))


def text_column(value: str, rows: int) -> BinaryColumn:
    """The same text in every row (a load's source tag)."""
    encoded = np.frombuffer(value.encode(), dtype=np.uint8)
    return BinaryColumn(np.broadcast_to(encoded, (rows, len(encoded))))


def binary_copy_chunks(columns: Sequence[BinaryColumn]) -> Iterator[bytes]:
    """The whole COPY stream (header, rows, trailer), a chunk of rows at a time."""
    rows = len(columns[0].data) if columns else 0
    yield _HEADER
    for start in range(0, rows, _CHUNK_ROWS):
        yield _encoded(columns, start, min(start + _CHUNK_ROWS, rows))
    yield _TRAILER


def _encoded(columns: Sequence[BinaryColumn], start: int, stop: int) -> bytes:
    """Rows [start, stop): each a field count, then per field its length (-1: NULL) and its
    bytes. Laid out at full width first; the bytes of NULL fields are then cut out."""
    width = 2 + sum(4 + column.width for column in columns)
    out = np.empty((stop - start, width), dtype=np.uint8)
    out[:, :2] = np.frombuffer(len(columns).to_bytes(2, "big"), dtype=np.uint8)
    keep: np.ndarray | None = None
    offset = 2
    for column in columns:
        length = np.frombuffer(column.width.to_bytes(4, "big"), dtype=np.uint8)
        out[:, offset : offset + 4] = length
        data_end = offset + 4 + column.width
        out[:, offset + 4 : data_end] = column.data[start:stop]
        if column.null is not None and column.null[start:stop].any():
            null = column.null[start:stop]
            out[null, offset : offset + 4] = np.uint8(0xFF)  # -1
            keep = np.ones(out.shape, dtype=bool) if keep is None else keep
            keep[null, offset + 4 : data_end] = False
        offset = data_end
    return out.tobytes() if keep is None else out[keep].tobytes()


def _big_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    converted = np.ascontiguousarray(values, dtype=dtype)
    return converted.view(np.uint8).reshape(len(converted), -1)


def decode_fixed_rows(stream: bytes | memoryview, dtypes: Sequence[str]) -> list[np.ndarray]:
    """The columns of a binary COPY TO stream whose fields are all fixed-width and never NULL
    (`dtypes`: their big-endian numpy types, e.g. ">i8", ">f8"), in native byte order.

    Every row then has the same layout, so the whole stream is one structured array: no
    Python object per value. A stream of any other shape (a NULL, another width or field
    count, a header extension) raises ValueError rather than being misread.
    """
    view = memoryview(stream)
    if len(view) < len(_HEADER) + len(_TRAILER) or bytes(view[:11]) != _HEADER[:11]:
        raise ValueError("not a PostgreSQL binary COPY stream")
    if bytes(view[11:19]) != bytes(8) or bytes(view[-2:]) != _TRAILER:
        raise ValueError("binary COPY stream with flags, a header extension or no trailer")
    fields = [("count", ">i2")]
    for i, dtype in enumerate(dtypes):
        fields += [(f"length{i}", ">i4"), (f"value{i}", dtype)]
    layout = np.dtype(fields)
    body = view[len(_HEADER) : len(view) - len(_TRAILER)]
    if len(body) % layout.itemsize:
        raise ValueError("binary COPY rows are not all fixed-width (a NULL?)")
    rows = np.frombuffer(body, dtype=layout)
    widths = [np.dtype(dtype).itemsize for dtype in dtypes]
    if (rows["count"] != len(dtypes)).any() or any(
        (rows[f"length{i}"] != width).any() for i, width in enumerate(widths)
    ):
        raise ValueError("binary COPY rows do not have the expected fields")
    return [
        rows[f"value{i}"].astype(np.dtype(dtype).newbyteorder("="))
        for i, dtype in enumerate(dtypes)
    ]


class ChunkReader:
    """A file-like `read(size)` over an iterator of byte chunks (what copy_expert reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending = memoryview(chunk)
        cut = len(self._pending) if size < 0 else size
        piece, self._pending = self._pending[:cut], self._pending[cut:]
        return bytes(piece)
