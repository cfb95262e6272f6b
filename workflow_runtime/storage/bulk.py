"""Many rows of one table inserted or updated in one statement, and many ids matched with one
parameter, for the runtime's batches.

On PostgreSQL the rows travel as one JSON document (orjson writes it in a fraction of the
time psycopg takes to dump a parameter per column) and `json_populate_recordset` turns it
back into rows of the table's own type: one short statement, whatever the batch size,
instead of a statement per row (psycopg's pipelined executemany costs tens of
microseconds a row) or a multi-row VALUES with thousands of placeholders (which psycopg
re-parses on every call). A None in a JSON column becomes SQL NULL there (read back as
None, like the JSON null the ORM writes). SQLite gets a Core executemany of the same rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any, ClassVar, Self

from sqlalchemy import ColumnElement, Executable, Table, Update, any_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import UserDefinedType

from workflow_runtime.storage import write_behind
from workflow_runtime.storage.json_columns import dump_json

Row = Mapping[str, Any]


def any_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` for a batch's ids: on PostgreSQL `= ANY(array)`, one parameter, so the
    statement stays short and the same for any number of ids (psycopg re-parses a long IN list every time)."""
    values = list(values)
    if _is_postgresql(session):
        text = array_text(values)
        if text is not None:
            return column == any_(bindparam(None, text, type_=_array_text_type(column.type)))
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


class Prepared:
    """A statement built once per kind of database, each list of ids in it one parameter, for a batch to run
    again and again: building a statement, and working out its cache key, costs a few times what SQLite takes to
    run it. `build` makes it, given `in_list(column, name)` (`any_of` with a named parameter):

        RUNS_BY_ID = Prepared(lambda in_list: select(Run.id).where(in_list(Run.id, "ids")))
        session.connection().execute(*RUNS_BY_ID.bound(session, ids=[1, 2, 3]))
    """

    def __init__(self, build: Callable[[Callable[[Any, str], ColumnElement[bool]]], Executable]) -> None:
        self._build = build
        self._built: dict[str, tuple[Executable, frozenset[str]]] = {}

    def bound(self, session: Session, **params: Any) -> tuple[Executable, dict[str, Any]]:
        """The statement for the session's database and `params`, its lists as that statement takes them."""
        on_postgresql = _is_postgresql(session)
        statement, lists = self._built.get("postgresql" if on_postgresql else "sqlite") or self._prepare(on_postgresql)
        for name in lists:
            values = list(params[name])
            params[name] = _checked_array_text(values) if on_postgresql else values
        return statement, params

    def _prepare(self, on_postgresql: bool) -> tuple[Executable, frozenset[str]]:
        lists: set[str] = set()

        def in_list(column: Any, name: str) -> ColumnElement[bool]:
            lists.add(name)
            if on_postgresql:
                return column == any_(bindparam(name, type_=_array_text_type(column.type)))
            return column.in_(bindparam(name, expanding=True))

        built = self._built["postgresql" if on_postgresql else "sqlite"] = (self._build(in_list), frozenset(lists))
        return built


def _checked_array_text(values: Sequence[Any]) -> str:
    text = array_text(values)
    if text is None:
        raise TypeError(f"a prepared statement's list holds integers or strings, not {values[:3]!r}…")
    return text


class _ArrayText(UserDefinedType[Any]):
    """A parameter holding an array in PostgreSQL's text form (`array_text`), cast to the array type
    in the statement (`$1::BIGINT[]`). psycopg sends a str untyped, so the server reads the
    parameter as that array type once; a parameter typed as text would be cast again for
    every row the condition is tested on."""

    cache_ok = True
    render_bind_cast = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **_kw: Any) -> str:
        return self.spec


@lru_cache(maxsize=None)
def _array_text_type(item_type: Any) -> _ArrayText:
    return _ArrayText(postgresql.ARRAY(item_type).compile(dialect=postgresql.dialect()))


def array_text(values: Sequence[Any]) -> str | None:
    """PostgreSQL's text form of an array of integers or of strings (`{1,2}`, `{"a","b"}`), for a
    query to cast; None for other values. psycopg's array dumper costs over a microsecond an
    element, five times this, and a batch passes thousands of ids."""
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(value) is str for value in values):
        return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"
    return None


def insert_rows(session: Session, table: Table, rows: Sequence[Row], skip_conflicts_on: str | None = None,
                wait: bool = True) -> None:
    """INSERT `rows` (all with the same keys); with `skip_conflicts_on`, rows whose value of that
    unique column is taken are left out (ON CONFLICT DO NOTHING) instead of failing. With
    `wait=False`, PostgreSQL's work goes on while the caller does (see `write_behind`)."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _is_postgresql(session):
        _execute(session, _json_insert(table, columns, skip_conflicts_on), {"rows": dump_json(rows)}, wait)
        return
    session.connection().execute(_sqlite_insert(table, skip_conflicts_on), [dict(row) for row in rows])


def update_rows(session: Session, table: Table, rows: Sequence[Row], wait: bool = True) -> None:
    """UPDATE each row's columns, found by its "id" (all rows with the same keys); `wait` as for insert_rows."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _is_postgresql(session):
        _execute(session, _json_update(table, columns), {"rows": dump_json(rows)}, wait)
        return
    values = [{"row_id": row["id"], **{f"new_{key}": value for key, value in row.items() if key != "id"}}
              for row in rows]
    session.connection().execute(_sqlite_update(table, columns), values)


class StoredRow:
    """A plain row a batch read with Core (a ContactRow, a MessageRow) that remembers its `CHANGING` columns' values
    as stored, so `update_changed` writes back only the rows the batch changed. A subclass lists its columns in its
    `__slots__` and in `COLUMNS` (the order `loaded` takes values in unless told), and names the changing ones."""

    __slots__ = ("stored",)
    COLUMNS: ClassVar[tuple[str, ...]]
    CHANGING: ClassVar[tuple[str, ...]]
    _changing_values: ClassVar[Callable[[Any], tuple[Any, ...]]]  # attrgetter of CHANGING, made per subclass
    id: int
    stored: tuple[Any, ...]  # the CHANGING columns' values as read, or as last written

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._changing_values = attrgetter(*cls.CHANGING)

    @classmethod
    def loaded(cls, values: Iterable[Any], columns: tuple[str, ...] | None = None) -> Self:
        """A row read from the database, its values in `columns` order (COLUMNS; columns left out are not set)."""
        row = cls.__new__(cls)
        for column, value in zip(columns or cls.COLUMNS, values, strict=True):
            setattr(row, column, value)
        row.stored = cls._changing_values(row)
        return row


def update_changed(session: Session, table: Table, rows: Iterable[StoredRow]) -> None:
    """UPDATE, in one statement sent without waiting, the rows whose CHANGING columns differ from their `stored`
    values, and note their new values as stored."""
    changed = []
    for row in rows:
        values = row._changing_values(row)
        if values != row.stored:
            changed.append({"id": row.id, **dict(zip(row.CHANGING, values, strict=True))})
            row.stored = values
    update_rows(session, table, changed, wait=False)


def add_rows(session: Session, table: Table, rows: Sequence[Row], key: tuple[str, ...], wait: bool = True) -> None:
    """INSERT `rows` (all with the same keys, each `key` once); where a row with that `key` exists,
    add the new values of the other columns to it (counters). Rows go in `key` order, so concurrent
    batches lock them in one order and cannot deadlock. `wait` as for insert_rows."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _is_postgresql(session):
        _execute(session, _json_add(table, columns, key), {"rows": dump_json(rows)}, wait)
        return
    ordered = sorted(rows, key=lambda row: tuple(row[column] for column in key))
    session.connection().execute(_sqlite_add(table, columns, key), ordered)


def _execute(session: Session, statement: str, params: dict[str, Any], wait: bool) -> None:
    if wait:
        session.connection().exec_driver_sql(statement, params)
    else:
        write_behind.send(session, statement, params)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# SQLite's statements are built once per table and columns: building one costs more than SQLite takes to run it.
@lru_cache(maxsize=64)
def _sqlite_insert(table: Table, skip_conflicts_on: str | None) -> sqlite.Insert:
    statement = sqlite.insert(table)
    if skip_conflicts_on is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[skip_conflicts_on])
    return statement


@lru_cache(maxsize=64)
def _sqlite_update(table: Table, columns: tuple[str, ...]) -> Update:
    values = {column: bindparam(f"new_{column}") for column in columns if column != "id"}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


@lru_cache(maxsize=64)
def _sqlite_add(table: Table, columns: tuple[str, ...], key: tuple[str, ...]) -> sqlite.Insert:
    statement = sqlite.insert(table)
    added = {column: table.c[column] + statement.excluded[column] for column in columns if column not in key}
    return statement.on_conflict_do_update(index_elements=list(key), set_=added)


@lru_cache(maxsize=64)
def _json_insert(table: Table, columns: tuple[str, ...], skip_conflicts_on: str | None) -> str:
    names = ", ".join(_quoted(column) for column in columns)
    conflict = f" ON CONFLICT ({_quoted(skip_conflicts_on)}) DO NOTHING" if skip_conflicts_on else ""
    return (f"INSERT INTO {table.name} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{table.name}, %(rows)s){conflict}")


@lru_cache(maxsize=64)
def _json_add(table: Table, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    names = ", ".join(_quoted(column) for column in columns)
    keys = ", ".join(_quoted(column) for column in key)
    added = ", ".join(f"{_quoted(column)} = {table.name}.{_quoted(column)} + excluded.{_quoted(column)}"
                      for column in columns if column not in key)
    return (f"INSERT INTO {table.name} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{table.name}, %(rows)s) ORDER BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {added}")


@lru_cache(maxsize=64)
def _json_update(table: Table, columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{_quoted(column)} = v.{_quoted(column)}" for column in columns if column != "id")
    return (f"UPDATE {table.name} SET {assignments} "
            f"FROM json_populate_recordset(NULL::{table.name}, %(rows)s) AS v WHERE {table.name}.id = v.id")


def _quoted(column: str) -> str:
    return f'"{column}"'
