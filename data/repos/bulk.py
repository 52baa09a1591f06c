"""Bulk appends that bypass per-row statement building: SQLite executemany, PostgreSQL COPY."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import Connection, Index, Select, Table, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util.typing import TupleAny

from data.repos.copy_binary import (
    BinaryColumn,
    ChunkReader,
    binary_copy_chunks,
    decode_fixed_rows,
)

# Page cache for one bulk load (KiB, SQLite's negative form): the indexes of a table taking
# millions of rows stay in memory instead of spilling pages through the default 2 MiB cache.
_BULK_CACHE_KIB = 256 * 1024
# copy_expert's read size for binary COPY: fewer, larger writes to the server.
_COPY_READ_BYTES = 1 << 20


def insert_columns(
    connection: Connection, table: Table, columns: Mapping[str, Sequence[Any]]
) -> None:
    """Append rows given as equal-length columns of values the driver takes as they are
    (bound already: `processor_of`, `processed_once`). SQLite gets one executemany of
    tuples, PostgreSQL one COPY."""
    rows = list(zip(*columns.values(), strict=True))
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        copy_rows(connection, table.name, names, rows)
        return
    marks = ", ".join("?" for _ in columns)
    # Table and column names come from the schema, never from input: no injection path.
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(statement, rows)


def insert_dicts(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    repeated: Collection[str] = (),
) -> None:
    """One executemany of `rows` (every row the same keys in the same order) as a Core
    `insert(table)` would store them. On SQLite the values are bound here, column by column
    (the `repeated` columns once per distinct value: a run's timestamp, a status) and go to
    the driver as tuples: Core's per-row parameter building and type processing was most of
    a fleet recompute's write in the cluster's parent (decision 030, session 11). Scalar
    column defaults are filled as Core fills them; a column left out whose default is a
    callable is refused (ValueError) on every backend. Other backends: the Core insert."""
    if not rows:
        return
    given = set(rows[0])
    for column in table.columns:  # on every backend, so a caller is right on both or neither
        if column.name not in given and column.default is not None and not column.default.is_scalar:
            raise ValueError(f"{table.name}.{column.name}: give its value (a callable default)")
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), list(rows))
        return
    columns: dict[str, list[Any]] = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        processor = processor_of(connection, table, name)
        if processor is not None:
            values = (
                processed_once(values, processor)
                if name in repeated
                else [processor(value) for value in values]
            )
        columns[name] = values
    for column in table.columns:
        if column.name in columns or column.default is None:
            continue
        default = column.default.arg  # type: ignore[attr-defined]
        processor = processor_of(connection, table, column.name)
        columns[column.name] = [default if processor is None else processor(default)] * len(rows)
    insert_columns(connection, table, columns)


def processor_of(connection: Connection, table: Table, name: str) -> Callable[[Any], Any] | None:
    """The column type's bind processor for this connection's dialect (None: values as given)."""
    dialect = connection.dialect
    processor: Callable[[Any], Any] | None = (
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    )
    return processor


def processed_once(values: Sequence[Any], processor: Callable[[Any], Any]) -> list[Any]:
    """processor(value) per row, computed once per distinct value: dates, periods, currencies
    and hours repeat across many rows (a per-row call of a TypeDecorator costs microseconds)."""
    done: dict[Any, Any] = {None: None}
    out = []
    for value in values:
        if value not in done:
            done[value] = processor(value)
        out.append(done[value])
    return out


def copy_rows(connection: Connection, table: str, names: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY in CSV; None is written as "" and FORCE_NULL reads "" back as NULL
    (callers never store empty strings). Floats go as repr(), which PostgreSQL reads back to
    the same double."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    statement = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({names}))"
    _copy(connection, statement, buffer)


def copy_columns(connection: Connection, table: Table, columns: Mapping[str, BinaryColumn]) -> None:
    """PostgreSQL binary COPY of numpy-built columns (`data.repos.copy_binary`), streamed a
    chunk of rows at a time: no Python object and no text per value, on either side (the
    CSV path spent ~7 µs a usage row formatting it, the server more parsing it)."""
    names = ", ".join(columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT binary)"
    reader = ChunkReader(binary_copy_chunks(list(columns.values())))
    _copy(connection, statement, reader, size=_COPY_READ_BYTES)


def copy_out_columns(
    connection: Connection, query: Select[*TupleAny], dtypes: Sequence[str]
) -> list[np.ndarray]:
    """A PostgreSQL query's result as numpy columns, through one binary COPY TO: every
    selected column must be fixed-width and NOT NULL (`dtypes`, big-endian; a NULL raises
    ValueError: coalesce it in the query). No Python object per value: reading a fleet's
    usage (3.4 M rows) as driver tuples cost seconds (decision 030, session 11)."""
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # The driver binds the parameters (COPY takes none of its own): values, not text.
        select_sql = cursor.mogrify(str(compiled), compiled.params).decode()
    finally:
        cursor.close()
    buffer = io.BytesIO()
    _copy(connection, f"COPY ({select_sql}) TO STDOUT WITH (FORMAT binary)", buffer)
    return decode_fixed_rows(buffer.getbuffer(), dtypes)


def _copy(connection: Connection, statement: str, source: Any, size: int = 8192) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        cursor.copy_expert(statement, source, size)
    except driver_error as error:
        # The raw cursor bypasses SQLAlchemy: give the caller the error it handles for any
        # other statement (DataError for a value PostgreSQL refuses), not the driver's own.
        raise DBAPIError.instance(statement, None, error, driver_error) from error
    finally:
        cursor.close()


@contextmanager
def bulk_load(connection: Connection, tables: Sequence[Table] = ()) -> Iterator[None]:
    """Around a large load into `tables` in the caller's open transaction: their secondary
    indexes (and, on PostgreSQL, foreign keys) are dropped and made again once the rows are
    in — one sorted build and one validating join instead of a B-tree insert and a trigger
    per row. DDL is transactional on both, so a rollback brings them back.

    SQLite also gets a page cache big enough for the B-trees being filled (restored after);
    PRAGMAs that change durability or the journal are left alone. On PostgreSQL the tables
    stay locked (ACCESS EXCLUSIVE) until the transaction ends: for loads into a database
    nobody reads yet, as the demo seed's."""
    if connection.dialect.name == "postgresql":
        with _postgres_load(connection, tables):
            yield
        return
    if connection.dialect.name != "sqlite":
        yield
        return
    with _sqlite_load(connection, tables):
        yield


@contextmanager
def _sqlite_load(connection: Connection, tables: Sequence[Table]) -> Iterator[None]:
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
    # Only once the driver has begun the transaction (at the first write): pysqlite would run
    # DDL issued before that in autocommit, outside the caller's all-or-nothing.
    begun = getattr(connection.connection.dbapi_connection, "in_transaction", False)
    # By name: Table.indexes is a set, and the order decides which pages the builds take.
    indexes = sorted((index for table in tables for index in table.indexes), key=_index_name)
    rebuilt = indexes if begun else []
    try:
        for index in rebuilt:
            index.drop(connection)
        yield
        for index in rebuilt:
            index.create(connection)
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


# The server's own definitions, so what is made again is what the migrations made.
_FOREIGN_KEYS = text(
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = CAST(:table AS regclass) AND contype = 'f' ORDER BY conname"
)
# The primary key, unless a foreign key refers to the table (dropping it would need CASCADE).
_PRIMARY_KEY = text(
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint p "
    "WHERE conrelid = CAST(:table AS regclass) AND contype = 'p' AND NOT EXISTS "
    "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = p.conrelid)"
)
_PLAIN_INDEXES = text(
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = CAST(:table AS regclass) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
    "ORDER BY c.relname"
)


@contextmanager
def _postgres_load(connection: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """Foreign keys, the primary key and indexes that back no constraint: dropped, then made
    again from the server's definitions. A foreign key checked per COPYed row was half the
    server's CPU; the primary key's B-tree insert per row costs it again what one sorted
    build at the end does (0.85 s against 0.40 + 0.15 s of server CPU for 648k usage rows).
    A row breaking a key fails the load when the key is made again, as it would have failed
    the COPY."""
    saved = [
        (
            table.name,
            [
                *connection.execute(_PRIMARY_KEY, {"table": table.name}),
                *connection.execute(_FOREIGN_KEYS, {"table": table.name}),
            ],
            connection.execute(_PLAIN_INDEXES, {"table": table.name}).all(),
        )
        for table in tables
    ]
    # Names come from the catalog, never from input: no injection path.
    for table, keys, indexes in saved:
        for name, _ in keys:
            connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for table, keys, indexes in saved:
        for name, definition in keys:
            connection.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            connection.exec_driver_sql(definition)


def _index_name(index: Index) -> str:
    return str(index.name)
