"""Cut a CSV into parts at line ends and parse them with several readers, batches kept in order.

    file:    | header + part 0 | part 1 | part 2 | part 3 | ...
    readers: A takes part 0, B part 1; whichever is free next takes part 2, ...
    caller:  every batch of part 0, then of part 1, ...

Row numbers, first-seen values and errors come out in file order, exactly as from one reader.
A reader starts a part at most `readers` parts ahead of the one the caller is taking, so memory
is bounded by the part size, not the file size.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

_SCAN_BYTES = 8 * 1024 * 1024
_MAX_READERS = 4
_NEWLINE, _QUOTE = 0x0A, 0x22
Bytes = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Part:
    """Bytes [start, end) of the file: whole lines, the header only in part 0."""

    index: int
    start: int
    end: int


def usable_readers() -> int:
    """One reader per CPU this process may run on, at most four (Arrow parses on the GIL-free
    side; beyond that the normaliser, on one core, is the bound)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, _MAX_READERS))


def split_parts(content: pa.Buffer, *, parts: int) -> list[Part]:
    """Cut near equal sizes, each cut just after a newline that ends a CSV record.

    A cut needs an even count of `"` bytes before it: RFC 4180 quotes a value whole and
    doubles the quotes inside it, so parity tells inside from outside (Arrow's parser keeps a
    quoted newline inside its value whenever it sees both lines, even in its fast mode). A
    stray quote inside an unquoted value breaks parity: callers re-read with one reader when
    a split parse finds bad lines.
    """
    data = np.frombuffer(content, dtype=np.uint8)
    cuts, odd = [0], False
    for k in range(1, parts):
        cut = _next_line(data, max(cuts[-1], len(data) * k // parts))
        odd ^= bool(_count(data, _QUOTE, cuts[-1], cut) % 2)
        while odd and cut < len(data):
            after = _next_line(data, cut)
            odd ^= bool(_count(data, _QUOTE, cut, after) % 2)
            cut = after
        if cut >= len(data):
            break
        cuts.append(cut)
    cuts.append(len(data))
    return [Part(i, start, end) for i, (start, end) in enumerate(itertools.pairwise(cuts))]


def newlines_before(content: pa.Buffer, offset: int) -> int:
    """Line ends in the first `offset` bytes: a part's line numbers start after them."""
    return _count(np.frombuffer(content, dtype=np.uint8), _NEWLINE, 0, offset)


def _next_line(data: Bytes, position: int) -> int:
    """The offset just after the first newline at or after `position` (the end if none)."""
    for start in range(position, len(data), _SCAN_BYTES):
        found = np.flatnonzero(data[start : start + _SCAN_BYTES] == _NEWLINE)
        if found.size:
            return start + int(found[0]) + 1
    return len(data)


def _count(data: Bytes, byte: int, start: int, end: int) -> int:
    # In slices: a whole-file comparison would allocate a bool per byte of the file.
    return sum(
        int(np.count_nonzero(data[a : min(a + _SCAN_BYTES, end)] == byte))
        for a in range(start, end, _SCAN_BYTES)
    )


def ordered_batches(
    parts: list[Part],
    parse: Callable[[Part], Iterator[pa.RecordBatch]],
    *,
    readers: int,
    part_done: Callable[[Part], None],
) -> Iterator[pa.RecordBatch]:
    """Every batch of part 0, then of part 1, …, parsed by `readers` threads at once.

    A part's error is raised when the caller reaches that part (in file order, as one reader
    would); `part_done` runs once the caller has taken all of a part's batches. Closing the
    stream stops the threads.
    """
    relay = _Relay(len(parts), readers=readers)
    threads = [
        threading.Thread(target=relay.work, args=(parts, parse), name=f"focus-reader-{i}")
        for i in range(min(readers, len(parts)))
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    try:
        for part in parts:
            yield from relay.take(part.index)
            part_done(part)
    finally:
        relay.stop()
        for thread in threads:
            thread.join()


_Item = tuple[pa.RecordBatch | None, BaseException | None]


class _Relay:
    """Hands parts to the reader threads in file order and their batches to the caller.

    A thread starts part i only while i < (parts the caller finished) + readers + 1: up to
    `readers` parts ahead of the one being taken, so a reader done with its part starts the
    next instead of idling while the caller drains the part before.
    """

    def __init__(self, parts: int, *, readers: int) -> None:
        self._changed = threading.Condition()
        self._outputs: list[list[_Item]] = [[] for _ in range(parts)]
        self._claimed = self._finished = 0
        self._window = readers + 1
        self._stopped = False

    def work(self, parts: list[Part], parse: Callable[[Part], Iterator[pa.RecordBatch]]) -> None:
        while (index := self._claim(len(parts))) is not None:
            try:
                for batch in parse(parts[index]):
                    if not self._put(index, (batch, None)):
                        return
                self._put(index, (None, None))
            except BaseException as error:  # re-raised in the caller when it reaches the part
                self._put(index, (None, error))

    def take(self, index: int) -> Iterator[pa.RecordBatch]:
        output = self._outputs[index]
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(output))
                batch, error = output.pop(0)
            if error is not None:
                raise error
            if batch is None:
                break
            yield batch
        with self._changed:
            self._finished += 1
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._outputs = [[] for _ in self._outputs]  # let the parsed batches go
            self._changed.notify_all()

    def _claim(self, count: int) -> int | None:
        with self._changed:
            if self._stopped or self._claimed >= count:
                return None
            index, self._claimed = self._claimed, self._claimed + 1
            self._changed.wait_for(lambda: self._stopped or index < self._finished + self._window)
            return None if self._stopped else index

    def _put(self, index: int, item: _Item) -> bool:
        with self._changed:
            if self._stopped:
                return False
            self._outputs[index].append(item)
            self._changed.notify_all()
            return True
