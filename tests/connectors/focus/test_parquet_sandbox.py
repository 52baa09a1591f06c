"""Parquet is decoded in a memory-capped child with a deadline: a forged file costs the child."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from data.connectors.focus import IngestLimits, validate_file
from tests.connectors.focus.builders import focus_row, parquet_bytes

MIB = 1024**2


def forged_bomb(rows: int, tag_bytes: int) -> bytes:
    """Within every footer cap and small on disk (each column is one dictionary value), but
    its Tags decode to rows × tag_bytes of text: the footer cannot tell."""
    values = {**focus_row(), "Tags": '{"service": "' + "x" * tag_bytes + '"}'}
    indices = pa.array(np.zeros(rows, dtype=np.int32))
    table = pa.table(
        {
            name: pa.DictionaryArray.from_arrays(indices, pa.array([value]))
            for name, value in values.items()
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def test_a_file_that_decodes_past_the_memory_cap_is_refused_and_this_process_stays_small() -> None:
    bomb = forged_bomb(rows=200_000, tag_bytes=8_192)  # 1.6 GB of Tags once decoded
    limits = IngestLimits(parquet_memory_bytes=256 * MIB)
    tracemalloc.start()

    report = validate_file(bomb, name="bills.parquet", limits=limits)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(bomb) < 200_000
    assert not report.ok
    assert "needs more than 256 MiB of memory" in report.errors[0].message
    assert peak < 50 * MIB  # the decoding happened in the child


def test_a_file_that_takes_longer_than_the_deadline_is_refused() -> None:
    limits = IngestLimits(parquet_timeout_s=0.001)

    report = validate_file(parquet_bytes([focus_row()]), name="bills.parquet", limits=limits)

    assert not report.ok
    assert "took longer than 0.001 s" in report.errors[0].message


def test_a_normal_file_reads_the_same_through_the_child() -> None:
    rows = [focus_row(), focus_row(EffectiveCost="2.25", BilledCost="2.25")]

    report = validate_file(parquet_bytes(rows), name="bills.parquet")

    assert report.ok, report.summary()
    assert report.rows_read == 2
    assert [str(t.effective_cost) for t in report.totals] == ["3.7500000000000000"]
