"""Caps that keep a hostile or oversized file from exhausting memory (threats 18 and 20)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IngestLimits(BaseModel):
    """Size caps and batch size of one ingest; built from explicit arguments (or Settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_rows: int = Field(default=5_000_000, ge=1, description="Data rows a file may hold.")
    max_columns: int = Field(default=1_000, ge=1, description="Columns a file may declare.")
    max_row_groups: int = Field(default=10_000, ge=1, description="Parquet row groups.")
    max_text_bytes: int = Field(
        default=8 * 1024**3, ge=1, description="Decompressed CSV size, bytes (gzip bombs)."
    )
    batch_rows: int = Field(default=262_144, ge=1, description="Rows parsed per batch.")
    parquet_memory_bytes: int = Field(
        default=2 * 1024**3,
        ge=256 * 1024**2,
        description="Address space of the child process that decodes a Parquet file, bytes.",
    )
    parquet_timeout_s: float = Field(
        default=300.0, gt=0, description="Seconds a Parquet file may take to decode."
    )
    # Tuning, not caps: when a CSV is parsed by several readers at once, and in what parts.
    parallel_csv_bytes: int = Field(
        default=32 * 1024**2, ge=1, description="Plain CSV size from which readers run in parallel."
    )
    csv_part_bytes: int = Field(
        default=64 * 1024**2, ge=1, description="Bytes per part a parallel reader takes at once."
    )
    # 4 MiB: a block's 22 converted columns then stay in cache while Arrow sweeps them; 16 MiB
    # blocks cost ~1.5× the parse CPU on a loaded 2-core machine (decision 028).
    csv_block_bytes: int = Field(
        default=4 * 1024**2, ge=4096, description="Bytes of CSV text the parser converts at once."
    )
    # Arrow's blocks (~10k rows at 4 MiB) joined before the normaliser, whose work per batch
    # (a dozen Arrow calls per column) does not grow with its rows (decision 028, session 7).
    csv_batch_rows: int = Field(
        default=16_384, ge=1, description="Rows per CSV batch handed to the normaliser."
    )
    # Rows summed at once, with the running sums, while the stream goes on: what is pending
    # when it ends is summed after the parse, on one core (decision 028, session 9).
    sum_rows: int = Field(
        default=131_072, ge=1, description="Rows gathered before the daily sums take them in."
    )
    csv_readers: int | None = Field(
        default=None, ge=1, le=8, description="Parallel CSV readers (None: one per CPU, ≤ 4)."
    )
    max_findings: int = Field(
        default=20, ge=1, le=1_000, description="Example rows kept per kind of finding."
    )
