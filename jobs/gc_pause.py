"""The cyclic garbage collector paused around work that makes many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic GC for the block and re-enable it however the block ends, if it was on.

    Evaluating a batch and unpickling its results make thousands of short-lived objects and no
    reference cycles: the collector's passes over the whole heap meanwhile only cost CPU
    (decision 029). Reference counting still frees everything as before.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
