"""The bytes of one file: hashed, sniffed, checked as strict UTF-8 (and for NUL), opened to read."""

from __future__ import annotations

import hashlib
import mmap
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa

from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.sniff import Kind, sniff
from data.connectors.focus.text import first_nul
from data.errors import InvalidEncoding, TooManyRows, UnsupportedContent

_CHUNK_BYTES = 8 * 1024 * 1024
_SNIFF_BYTES = 4096
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
T = TypeVar("T")
Release = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A delivery held as one Arrow buffer (memory-mapped for paths) with its identity."""

    name: str
    content: pa.Buffer
    digest: Future[str]
    kind: Kind
    nul: Future[int]  # offset of the first NUL byte in the text, -1 if none (CSV only)
    release: Release  # drop read bytes [start, end) from memory (a mapped file; else a no-op)

    @property
    def sha256(self) -> str:
        """The content hash (waits for the background hashing to finish)."""
        return self.digest.result()

    @property
    def nul_offset(self) -> int:
        """Where the text holds its first NUL byte, -1 when nowhere (waits for the scan)."""
        return self.nul.result()

    @property
    def size_bytes(self) -> int:
        return int(self.content.size)

    def open_text(self) -> pa.NativeFile:
        """The CSV text stream (decompressed on the fly for gzip)."""
        compression = "gzip" if self.kind == "csv.gz" else None
        return pa.input_stream(self.content, compression=compression)


@dataclass(frozen=True, slots=True)
class RawFile:
    """The bytes and their identity, before anything is decided about their content."""

    name: str
    content: pa.Buffer
    digest: Future[str]
    release: Release

    @property
    def sha256(self) -> str:
        """The content hash (waits for the background hashing to finish)."""
        return self.digest.result()


def read_raw(
    path_or_bytes: str | Path | bytes, *, name: str | None, sha256: str | None = None
) -> RawFile:
    """Map a path (or wrap bytes) and start hashing it, unless the caller already knows the hash.

    SHA-256 runs in a thread while the caller parses: hashlib releases the GIL on large
    buffers, so on two cores the hash (~0.3 s per 388 MB) costs no wall time.
    """
    content, default_name, release = _buffer(path_or_bytes)
    digest = (
        _done(sha256)
        if sha256 is not None
        else _in_thread(lambda: hashlib.sha256(memoryview(content)).hexdigest(), "focus-sha256")
    )
    return RawFile(name or default_name, content, digest, release)


def file_sha256(path_or_bytes: str | Path | bytes) -> str:
    """The content hash, streamed from disk: nothing stays mapped (a delivery's parts are
    identified before any of them is parsed)."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return hashlib.sha256(path_or_bytes).hexdigest()
    digest = hashlib.sha256()
    with Path(path_or_bytes).open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _in_thread(work: Callable[[], T], name: str) -> Future[T]:
    result: Future[T] = Future()

    def run() -> None:
        try:
            result.set_result(work())
        except BaseException as error:  # handed to whoever waits for the result
            result.set_exception(error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return result


def _done(value: T) -> Future[T]:
    result: Future[T] = Future()
    result.set_result(value)
    return result


def inspect(raw: RawFile, *, limits: IngestLimits) -> SourceFile:
    """Sniff the content; CSV text must decode as strict UTF-8 (a BOM is allowed).

    The whole text is scanned for NUL too: a plain CSV in a thread beside the parse (the
    caller asks `nul_offset` before writing), gzip in the pass that checks its UTF-8. Parquet
    strings are checked batch by batch as they are decoded.
    """
    view = memoryview(raw.content)
    if not view:
        raise UnsupportedContent("the file is empty: expected a FOCUS export with a header row")
    kind = sniff(bytes(view[:_SNIFF_BYTES]), bytes(view[-_SNIFF_BYTES:]))
    nul: Future[int] = _done(-1)
    if kind == "csv":
        if not _valid_utf8(raw.content):  # one zero-copy pass; the slow pass names the line
            check_utf8(lambda: _chunks(view))
        nul = _in_thread(lambda: first_nul(raw.content), "focus-nul")
    elif kind == "csv.gz":
        nul = _done(_checked_gzip(view, limits.max_text_bytes))
    return SourceFile(raw.name, raw.content, raw.digest, kind, nul, raw.release)


def _checked_gzip(view: memoryview, max_bytes: int) -> int:
    """Strict UTF-8 and the first NUL's offset, in one pass over the decompressed text."""
    valid, nul, offset = True, -1, 0
    for piece in _pieces(_gunzip(view, max_bytes)):
        valid = valid and _valid_utf8(piece)
        found = piece.find(b"\x00") if nul < 0 else -1
        nul = offset + found if found >= 0 else nul
        offset += len(piece)
    if not valid:
        check_utf8(lambda: _gunzip(view, max_bytes))
    return nul


def check_utf8(chunks: Callable[[], Iterator[bytes]]) -> None:
    """Validate with Arrow's vectorized UTF-8 check; on failure, a second pass names the line."""
    if all(_valid_utf8(piece) for piece in _pieces(chunks())):
        return
    lines_before = 0
    for piece in _pieces(chunks()):
        _decode(piece, lines_before)
        lines_before += piece.count(b"\n")


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Re-cut chunks after their last newline: a newline byte never occurs inside a UTF-8
    sequence, so each piece validates on its own and error offsets are exact."""
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        cut = text.rfind(b"\n") + 1
        if cut:
            yield text[:cut]
        carry = text[cut:]
    yield carry


def _valid_utf8(piece: bytes | pa.Buffer) -> bool:
    """One zero-copy large_string cast: Arrow validates UTF-8 with SIMD, ~10× Python's decode."""
    data = piece if isinstance(piece, pa.Buffer) else pa.py_buffer(piece)
    offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, data]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _decode(piece: bytes, lines_before: int) -> None:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = piece.rfind(b"\n", 0, error.start) + 1
        line = lines_before + piece.count(b"\n", 0, error.start) + 1
        column = error.start - line_start + 1
        bad = piece[error.start : error.start + 1].hex()
        hint = " (the file looks UTF-16)" if piece.startswith(_UTF16_BOMS) else ""
        raise InvalidEncoding(
            f"line {line}, column {column}: invalid UTF-8 (byte 0x{bad}){hint}; "
            "re-export the file as UTF-8"
        ) from None


def _buffer(path_or_bytes: str | Path | bytes) -> tuple[pa.Buffer, str, Release]:
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return pa.py_buffer(path_or_bytes), "upload", _keep
    path = Path(path_or_bytes)
    if path.stat().st_size == 0:
        return pa.py_buffer(b""), path.name, _keep
    with path.open("rb") as stream:
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    return pa.py_buffer(mapped), path.name, _releaser(mapped)


def _releaser(mapped: mmap.mmap) -> Release:
    """Drop pages [start, end) from this process once they are read: they stay in the page
    cache, but no longer count in its resident memory (the readers release each part they
    finish, so a big file is not wholly resident while its rows are aggregated)."""
    if not hasattr(mmap, "MADV_DONTNEED"):
        return _keep

    def release(start: int, end: int) -> None:
        first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
        last = end // mmap.PAGESIZE * mmap.PAGESIZE
        if last > first:
            mapped.madvise(mmap.MADV_DONTNEED, first, last - first)

    return release


def _keep(start: int, end: int) -> None:
    """Nothing to release: the bytes are the caller's, not a mapping."""


def _chunks(view: memoryview) -> Iterator[bytes]:
    for start in range(0, len(view), _CHUNK_BYTES):
        yield bytes(view[start : start + _CHUNK_BYTES])


def _gunzip(view: memoryview, max_bytes: int) -> Iterator[bytes]:
    """Decompress in bounded pieces; more than `max_bytes` of text is refused (a gzip bomb)."""
    inflater, produced = zlib.decompressobj(wbits=31), 0
    try:
        for chunk in _chunks(view):
            while chunk:
                piece = inflater.decompress(chunk, _CHUNK_BYTES)
                produced += len(piece)
                if produced > max_bytes:
                    raise TooManyRows(f"the gzip file expands beyond {max_bytes:,} bytes")
                yield piece
                chunk = inflater.unconsumed_tail
    except zlib.error as error:
        raise UnsupportedContent(f"unsupported file content: broken gzip data ({error})") from None
