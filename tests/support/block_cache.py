"""promtool-built TSDB blocks, made once per content and copied for each Prometheus serving them."""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import os
import pickle
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.prometheus import backfill

Writer = Callable[..., Sequence[Path]]


def cached_backfill(
    promtool: Path, tsdb_dir: Path, cache_root: Path, writer: Writer, **content: Any
) -> None:
    """Fill `tsdb_dir` with the blocks of `writer(**content, out_dir=...)`'s OpenMetrics files.

    The blocks are built once under `cache_root`, keyed by a hash of the content, the writer's
    source and promtool, then copied: every server (each xdist worker's, the faketime pass's)
    gets its own TSDB to write its head and compactions into, and no server sees another's."""
    entry = cache_root / _key(promtool, writer, content)
    with _locked(entry.with_suffix(".lock")):
        if not (entry / "complete").exists():
            _build(promtool, entry, writer, content)
    shutil.copytree(entry / "tsdb", tsdb_dir)


def cache_root_for(basetemp: Path) -> Path:
    """`pytest-of-<user>/tightrope-blocks` above pytest's per-run (or per-worker) base, so
    workers and later runs share it; beside `basetemp` when --basetemp put it elsewhere."""
    for parent in basetemp.parents:
        if parent.name.startswith("pytest-of-"):
            return parent / "tightrope-blocks"
    return basetemp.parent / "tightrope-blocks"


def _build(promtool: Path, entry: Path, writer: Writer, content: dict[str, Any]) -> None:
    shutil.rmtree(entry, ignore_errors=True)  # a build interrupted before `complete`
    staging = entry.with_name(f"{entry.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    files = writer(**content, out_dir=staging / "openmetrics")
    backfill(promtool, files, staging / "tsdb")
    shutil.rmtree(staging / "openmetrics")
    (staging / "complete").touch()
    staging.rename(entry)


def _key(promtool: Path, writer: Writer, content: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(pickle.dumps(sorted(content.items()), protocol=5))
    digest.update(inspect.getsource(inspect.getmodule(writer)).encode())  # type: ignore[arg-type]
    digest.update(inspect.getsource(backfill).encode())
    stat = promtool.stat()
    digest.update(f"{promtool}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{writer.__module__.rsplit('.', 1)[-1]}-{digest.hexdigest()[:16]}"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive flock: one builder at a time, the others wait and then copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
