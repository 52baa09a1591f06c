"""Child process: decode Parquet from stdin to an Arrow IPC stream of text on stdout, capped.

Run by data.connectors.focus.parquet_sandbox as `python -I parquet_child.py COLUMNS BATCH CAP`
(isolated: nothing from this directory or the environment is importable). It imports only
pyarrow, then caps its own address space at what it already maps plus CAP bytes (threat 20: a
forged Parquet file can claim tiny sizes and decode to gigabytes, and a dictionary column
expands only when cast). Every column is cast to text here, so the expansion happens under the
cap. Exit 3 with the reason on stderr: the file cannot be decoded; exit 4: it needed more memory
than the cap.
"""

import json
import os
import resource
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DECODE_FAILED = 3
OUT_OF_MEMORY = 4


def main() -> int:
    """Decode stdin's Parquet columns (argv[1], JSON) in batches of argv[2] rows to stdout."""
    columns, batch_rows, cap_bytes = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    content = sys.stdin.buffer.read()
    limit = _mapped_bytes() + cap_bytes  # the interpreter, pyarrow and the input are in already
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        _write(pq.ParquetFile(pa.BufferReader(content)), columns, batch_rows)
    except MemoryError:
        return OUT_OF_MEMORY
    except (pa.ArrowException, OSError, ValueError) as error:
        if "out of memory" in str(error).lower() or "malloc" in str(error).lower():
            return OUT_OF_MEMORY
        sys.stderr.write(str(error)[:500])
        return DECODE_FAILED
    return 0


def _mapped_bytes() -> int:
    """This process's virtual size now (bytes), from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _write(parquet: pq.ParquetFile, columns: list[str], batch_rows: int) -> None:
    """Every batch as text columns, in the order the reader gives them."""
    sink = pa.PythonFile(sys.stdout.buffer, mode="w")
    writer = None
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
        text = pa.RecordBatch.from_arrays(
            [_to_string(column) for column in batch.columns], names=batch.schema.names
        )
        writer = writer or pa.ipc.new_stream(sink, text.schema)
        writer.write_batch(text)
    if writer is None:  # no rows: still a valid stream, with the columns as text
        wanted = [f.name for f in parquet.schema_arrow if f.name in set(columns)]
        writer = pa.ipc.new_stream(sink, pa.schema([(name, pa.string()) for name in wanted]))
    writer.close()
    sink.flush()


def _to_string(column: pa.Array) -> pa.Array:
    """Parquet types vary by exporter: text, so one parser serves CSV and Parquet alike."""
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_map(column.type) or pa.types.is_struct(column.type):
        # Some Parquet exports store Tags as a map: one JSON object per row, like CSV exports.
        values = [
            None if v is None else json.dumps(dict(v) if isinstance(v, list) else v)
            for v in column.to_pylist()
        ]
        return pa.array(values, pa.string())
    return pc.cast(column, pa.string())


if __name__ == "__main__":
    sys.exit(main())
