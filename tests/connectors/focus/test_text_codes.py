"""TextCodes: a file's texts resolved once each, in first-seen order, looked up in Arrow."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from data.connectors.focus.values import TextCodes

TEXTS = st.sampled_from(["a", "b", "B", " a", "", "ß", "2026-10-01T00:00:00Z", "x" * 40])
BATCHES = st.lists(st.lists(st.none() | TEXTS, max_size=30), min_size=1, max_size=6)


class Recorder:
    """A resolve function that numbers texts by arrival and remembers every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> int:
        self.calls.append(text)
        return 100 + len(self.calls)


def reference(batches: list[list[str | None]]) -> tuple[list[list[int]], list[str]]:
    """What a dict lookup per row gives: the same codes, the same calls in the same order."""
    seen: dict[str, int] = {}
    calls: list[str] = []
    codes = []
    for batch in batches:
        for text in batch:
            if text is not None and text not in seen:
                calls.append(text)
                seen[text] = 100 + len(calls)
        codes.append([-1 if text is None else seen[text] for text in batch])
    return codes, calls


@given(BATCHES)
def test_codes_and_calls_match_a_lookup_per_row(batches: list[list[str | None]]) -> None:
    resolve = Recorder()
    codes = TextCodes(resolve)

    got = [codes.codes(pa.array(batch, pa.string())).tolist() for batch in batches]

    assert (got, resolve.calls) == reference(batches)


def test_a_later_batch_resolves_only_the_texts_it_brings() -> None:
    resolve = Recorder()
    codes = TextCodes(resolve)
    codes.codes(pa.array(["t1", "t2", "t1"]))

    second = codes.codes(pc.dictionary_encode(pa.array(["t2", None, "t3", "t1", "t3"])))

    assert resolve.calls == ["t1", "t2", "t3"]
    assert second.tolist() == [102, -1, 103, 101, 103]
    assert second.dtype == np.int64


def test_a_chunked_column_is_read_whole() -> None:
    codes = TextCodes(Recorder())

    got = codes.codes(pa.chunked_array([["x", "y"], ["y", None, "z"]]))

    assert got.tolist() == [101, 102, 102, -1, 103]


def test_a_dictionary_repeating_a_value_resolves_it_once() -> None:
    resolve = Recorder()
    codes = TextCodes(resolve)
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 2, None, 3], pa.int32()), pa.array(["p", "q", "p", None])
    )

    got = codes.codes(dictionary)

    assert resolve.calls == ["p", "q"]
    assert got.tolist() == [101, 102, 101, -1, -1]
