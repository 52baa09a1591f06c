"""Parquet decoded in a memory-capped child process with a deadline (threats.md item 20)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from data.connectors.focus.limits import IngestLimits
from data.errors import MalformedFile, TooManyRows, UnsupportedContent

CHILD = Path(__file__).with_name("parquet_child.py")
DECODE_FAILED = 3  # parquet_child's exit codes
OUT_OF_MEMORY = 4


def sandboxed_batches(
    content: bytes, columns: list[str], *, limits: IngestLimits
) -> Iterator[pa.RecordBatch]:
    """`columns` of a Parquet file as record batches, decoded by a child process whose address
    space is capped at `limits.parquet_memory_bytes` and which is killed after
    `limits.parquet_timeout_s`: a decompression bomb costs the child, never this process.

    Raises TooManyRows (memory cap), UnsupportedContent (deadline) or MalformedFile (the file
    cannot be decoded), after the batches that did decode.
    """
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script, no shell
        [sys.executable, "-I", str(CHILD), json.dumps(columns), str(limits.batch_rows),
         str(limits.parquet_memory_bytes)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        process.kill()

    deadline = threading.Timer(limits.parquet_timeout_s, expire)
    deadline.start()
    streamed = False
    try:
        yield from _stream(process, content)
        streamed = True
    finally:
        stderr = _finish(process, wait=streamed)  # the deadline still stands while it exits
        deadline.cancel()
    _raise_for(process.returncode, stderr, limits, timed_out=expired.is_set())


def _finish(process: subprocess.Popen[bytes], *, wait: bool) -> bytes:
    """Reap the child (stopping it first when the caller left early) and return its stderr."""
    if not wait and process.poll() is None:
        process.kill()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()
    stderr = process.stderr.read() if process.stderr is not None else b""
    process.wait()
    return stderr


def _stream(process: subprocess.Popen[bytes], content: bytes) -> Iterator[pa.RecordBatch]:
    stdin, stdout = process.stdin, process.stdout
    if stdin is None or stdout is None:  # Popen(..., PIPE) always sets both
        raise MalformedFile("the Parquet decoder could not be started")
    try:
        stdin.write(content)  # the child reads it all before it writes anything
        stdin.close()
        reader = pa.ipc.open_stream(stdout)
    except (BrokenPipeError, pa.ArrowException, OSError):
        return  # the child failed before streaming: its exit code says why
    try:
        yield from reader
    except (pa.ArrowException, OSError):
        return  # cut short (killed or failed): its exit code says why


def _raise_for(
    returncode: int | None, stderr: bytes, limits: IngestLimits, *, timed_out: bool
) -> None:
    if returncode == 0:
        return
    if returncode == OUT_OF_MEMORY:
        cap_mib = limits.parquet_memory_bytes / 1024**2
        raise TooManyRows(
            f"decoding the Parquet file needs more than {cap_mib:,.0f} MiB of memory (the cap):"
            " a decompression bomb, or an export to split by billing period"
        )
    if returncode == DECODE_FAILED:
        message = stderr.decode("utf-8", "replace").strip()
        raise MalformedFile(f"the Parquet file cannot be decoded: {message}")
    if timed_out:
        raise UnsupportedContent(
            f"unsupported file content: decoding the Parquet file took longer than "
            f"{limits.parquet_timeout_s:g} s"
        )
    raise MalformedFile(f"the Parquet decoder stopped unexpectedly (exit {returncode})")
