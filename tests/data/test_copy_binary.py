"""Binary COPY streams read back as numpy columns: exact; a stream of another shape refused."""

from __future__ import annotations

import numpy as np
import pytest

from data.repos.copy_binary import binary_copy_chunks, decode_fixed_rows, float8_column, int4_column


def _stream(*columns: object) -> bytes:
    return b"".join(binary_copy_chunks(list(columns)))  # type: ignore[arg-type]


def test_fixed_width_columns_come_back_bit_for_bit() -> None:
    ids = np.array([3, -7, 2**31 - 1], dtype=np.int64)
    values = np.array([0.1, -1e-300, 1.7976931348623157e308])

    back_ids, back_values = decode_fixed_rows(
        _stream(int4_column(ids), float8_column(values)), (">i4", ">f8")
    )

    np.testing.assert_array_equal(back_ids, ids)
    assert back_values.tobytes() == values.tobytes()
    assert back_values.dtype.isnative


def test_an_empty_result_gives_empty_columns() -> None:
    header_and_trailer = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + b"\xff\xff"

    (ids,) = decode_fixed_rows(header_and_trailer, (">i4",))

    assert len(ids) == 0


def test_a_null_field_is_refused_not_misread() -> None:
    values = np.array([1.0, np.nan, 2.0, 3.0])  # NaN is written as NULL: that row is shorter

    with pytest.raises(ValueError, match=r"fixed-width|expected fields"):
        decode_fixed_rows(_stream(float8_column(values), float8_column(values)), (">f8", ">f8"))


def test_other_field_widths_are_refused() -> None:
    stream = _stream(int4_column(np.arange(6)))

    with pytest.raises(ValueError):
        decode_fixed_rows(stream, (">i8",))


def test_a_stream_that_is_not_binary_copy_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL binary COPY"):
        decode_fixed_rows(b"1,2\n3,4\n", (">i4", ">i4"))
