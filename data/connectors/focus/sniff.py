"""What a file is, from its bytes alone: Parquet, gzip-compressed CSV or CSV (never the name)."""

from __future__ import annotations

from typing import Literal

from data.errors import UnsupportedContent

Kind = Literal["csv", "csv.gz", "parquet"]

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
# Signatures of files people upload by mistake, named so the analyst knows what they sent.
_KNOWN_OTHERS = (
    (b"PK\x03\x04", "a ZIP archive (unzip it and upload the CSV or Parquet inside)"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document (export it as CSV)"),
    (b"BZh", "a bzip2 archive (use gzip or no compression)"),
    (b"\xfd7zXZ", "an xz archive (use gzip or no compression)"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive (use gzip or no compression)"),
    (b"ARROW1", "an Arrow IPC file (export Parquet or CSV)"),
)


def sniff(head: bytes, tail: bytes) -> Kind:
    """Classify by magic bytes; text that is not an obvious binary is a CSV candidate.

    A Parquet file carries PAR1 at both ends: PAR1 at the head only is a truncated or forged
    file. A NUL in the first line (no header holds one) or many NULs in the first block mean
    binary content; a stray NUL inside a data row is text the ingest refuses by row and column.
    """
    if head.startswith(PARQUET_MAGIC):
        if not tail.endswith(PARQUET_MAGIC) or len(tail) < 12:
            raise UnsupportedContent(_message("bytes that start like Parquet but are truncated"))
        return "parquet"
    if head.startswith(GZIP_MAGIC):
        return "csv.gz"
    for magic, described in _KNOWN_OTHERS:
        if head.startswith(magic):
            raise UnsupportedContent(_message(described))
    if _binary(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedContent(_message("binary data (NUL bytes)"))
    return "csv"


def _binary(head: bytes) -> bool:
    first_line = head.split(b"\n", 1)[0]
    return b"\x00" in first_line or head.count(b"\x00") * 64 > len(head)


def _message(described: str) -> str:
    return (
        f"unsupported file content: {described}; expected a FOCUS export as CSV, "
        "gzip-compressed CSV or Parquet"
    )
