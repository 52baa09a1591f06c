"""Parse FOCUS text cells: one Python parse per distinct value, numpy indexing for the rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.arrays import BoolArray, IntArray

T = TypeVar("T")

MONEY_TYPE = pa.decimal128(38, 16)
_WIDE_TYPE = pa.decimal256(76, 40)
# Real exports write null as "NULL", "null" or an empty cell (focus.md): all three are null here.
_NULL_TEXT = frozenset({"", "null", "none", "nan"})
_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_MISSING = -1
_INVALID = -2


def is_null_text(value: str) -> bool:
    return value.strip().lower() in _NULL_TEXT


def encode_arrow(column: pa.Array | pa.ChunkedArray) -> tuple[IntArray, pa.Array]:
    """Dictionary-encode: row → index into the distinct values (-1 where null), the values
    as an Arrow string array. A column the reader already encoded (`prepared`) is used as is."""
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    indices = pc.fill_null(encoded.indices, _MISSING).to_numpy(zero_copy_only=False)
    dictionary = encoded.dictionary
    if not pa.types.is_string(dictionary.type):
        dictionary = dictionary.cast(pa.string())
    return indices.astype(np.int64, copy=False), dictionary


class TextCodes:
    """Text → integer code, `resolve`d once per distinct text and remembered for the file.

    A batch's distinct texts are looked up in the known ones by one Arrow `index_in`: only
    texts not seen before reach Python (a batch of hourly rows repeats ~750 timestamps that
    were all seen in the first batch; a dict lookup each cost ~0.5 s CPU per million rows).
    New texts are resolved in the batch's first-seen order, as a loop over them would.
    """

    def __init__(self, resolve: Callable[[str], int]) -> None:
        self._resolve = resolve
        self._known = pa.array([], pa.string())
        self._known_codes: IntArray = np.empty(0, dtype=np.int64)

    def codes(self, column: pa.Array | pa.ChunkedArray) -> IntArray:
        """Per row: the text's code, -1 where the cell is null."""
        indices, dictionary = encode_arrow(column)
        return np.append(self.of(dictionary), _MISSING)[indices]

    def of(self, texts: pa.Array) -> IntArray:
        """The code of each text (-1 for a null one)."""
        positions = self._positions(texts)
        new = positions < 0
        if new.any():
            # Distinct, in first-seen order (`unique` keeps it): each resolved once, even from
            # a dictionary that repeats a value.
            added = pc.unique(texts.filter(pa.array(new)).drop_null())
            if len(added):
                codes = np.array([self._resolve(text) for text in added.to_pylist()], np.int64)
                self._known = pa.concat_arrays([self._known, added])
                self._known_codes = np.concatenate([self._known_codes, codes])
                positions = self._positions(texts)
        result: IntArray = np.append(self._known_codes, _MISSING)[positions]
        return result

    def _positions(self, texts: pa.Array) -> IntArray:
        """Each text's index among the known ones, -1 where unknown (or null)."""
        found = pc.fill_null(pc.index_in(texts, value_set=self._known), -1)
        return found.to_numpy(zero_copy_only=False).astype(np.int64)  # type: ignore[no-any-return]


class Interner(Generic[T]):
    """Distinct text → parsed value → small integer code, remembered across batches.

    `parse` returns None for a null spelling and raises ValueError for an invalid value; rows map to
    code -1 (null) or -2 (invalid).
    """

    def __init__(self, parse: Callable[[str], T | None]) -> None:
        self._parse = parse
        self._code_by_text: dict[str, int] = {}
        self._code_by_value: dict[T, int] = {}
        self.values: list[T] = []
        self._texts = TextCodes(self.code)

    def codes(self, column: pa.Array | pa.ChunkedArray) -> IntArray:
        return self._texts.codes(column)

    def code(self, text: str) -> int:
        code = self._code_by_text.get(text)
        if code is None:
            code = self._parse_code(text)
            self._code_by_text[text] = code
        return code

    def _parse_code(self, text: str) -> int:
        try:
            value = self._parse(text)
        except ValueError:
            return _INVALID
        if value is None:
            return _MISSING
        if value not in self._code_by_value:
            self._code_by_value[value] = len(self.values)
            self.values.append(value)
        return self._code_by_value[value]


def parse_text(text: str) -> str | None:
    """Trimmed text, None for a null spelling."""
    return None if is_null_text(text) else text.strip()


def parse_timestamp(text: str) -> int | None:
    """Seconds since the epoch, UTC; accepts `...T22:00:00Z`, `... 22:00:00`, `...T10:00Z`.

    Exports that omit the zone mean UTC (focus.md), so a naive timestamp is read as UTC.
    """
    if is_null_text(text):
        return None
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def money(column: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, BoolArray]:
    """Exact decimals and a mask of the rows whose text is not a plain number (those become 0).

    The fast path is one Arrow cast (done ahead by the reader: `prepared`); only a failing
    batch pays for the per-row regex.
    """
    array = _combined(column)
    if pa.types.is_decimal(array.type):
        return array, np.zeros(len(array), dtype=np.bool_)
    exact = _cast(array)
    if exact is None:
        array = _nullify_spellings(array)
        exact = _cast(array)
    if exact is not None:
        return exact, np.zeros(len(array), dtype=np.bool_)
    valid = pc.fill_null(pc.match_substring_regex(array, _NUMBER), True)
    cleaned = pc.if_else(valid, array, pa.scalar(None, pa.string()))
    invalid = ~valid.to_numpy(zero_copy_only=False)
    exact = _cast(cleaned)
    if exact is None:  # a number too long for 38 digits: find it row by row
        invalid |= np.array(
            [_cast(pa.array([v], pa.string())) is None for v in cleaned.to_pylist()]
        )
        exact = _cast(pc.if_else(pa.array(~invalid), cleaned, pa.scalar(None, pa.string())))
    assert exact is not None
    return exact, invalid


def prepared(batch: pa.RecordBatch, money_columns: tuple[str, ...]) -> pa.RecordBatch:
    """The pure-Arrow share of the normaliser's work on a batch, done wherever it runs: money
    columns cast to exact decimals (left as text when the cast fails: the normaliser then
    finds the bad rows) and every other column dictionary-encoded. Arrow releases the GIL
    here, so the reader's thread does it while the normaliser works on the previous batch.
    """
    arrays = []
    cast: list[tuple[pa.Array, pa.Array]] = []  # (text, decimals) of the money cast so far
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if not pa.types.is_string(column.type):
            arrays.append(column)
        elif name in money_columns:
            exact = _cast_again(column, cast)
            arrays.append(column if exact is None else exact)
        else:
            arrays.append(pc.dictionary_encode(column))
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _cast_again(column: pa.Array, cast: list[tuple[pa.Array, pa.Array]]) -> pa.Array | None:
    """`_cast`, reusing an earlier money column's decimals when its text is the same in every
    row: on-demand usage bills what it costs (BilledCost = EffectiveCost), and comparing the
    text (~1 ms per million rows) is ~40× cheaper than parsing it again as decimals."""
    for text, exact in cast:
        if column.equals(text):
            return exact
    exact = _cast(column)
    if exact is not None:
        cast.append((column, exact))
    return exact


def _cast(array: pa.Array) -> pa.Array | None:
    """Exact decimals; more than 16 decimal places (some exports write 20) round half-even."""
    try:
        return _combined(pc.cast(array, MONEY_TYPE))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        wide = pc.round(pc.cast(array, _WIDE_TYPE), ndigits=MONEY_TYPE.scale)
        return _combined(pc.cast(wide, MONEY_TYPE))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _nullify_spellings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Parquet strings may still spell null as text; CSV ones were nulled by the reader."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    trimmed = pc.utf8_lower(pc.utf8_trim_whitespace(array))
    spelled = pc.is_in(trimmed, value_set=pa.array(sorted(_NULL_TEXT)))
    if not pc.any(spelled).as_py():
        return array
    return pc.if_else(spelled, pa.scalar(None, pa.string()), array)


def _combined(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def invalid_rows(codes: IntArray) -> IntArray:
    return np.flatnonzero(codes == _INVALID)


def null_rows(codes: IntArray) -> IntArray:
    return np.flatnonzero(codes == _MISSING)
