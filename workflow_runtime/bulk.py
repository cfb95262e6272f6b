"""Many rows of one table inserted or updated in one statement, and many ids matched with one
parameter, for the runtime's batches.

On PostgreSQL each column travels as one array parameter (in binary: psycopg's text
format escapes every element with a regex) and `unnest` turns the arrays back into rows:
one short statement, whatever the batch size, instead of a statement per row (psycopg's
pipelined executemany costs tens of microseconds a row) or a multi-row VALUES with
thousands of placeholders (which psycopg re-parses on every call). SQLite gets a Core
executemany of the same rows.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, any_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow_runtime import write_behind
from workflow_runtime.json_columns import dump_json

Row = Mapping[str, Any]


def any_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` for a batch's ids: on PostgreSQL `= ANY(array)`, one parameter, so the
    statement stays short and the same for any number of ids (psycopg re-parses a long IN list every time)."""
    values = list(values)
    if _is_postgresql(session):
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def insert_rows(session: Session, table: Table, rows: Sequence[Row], skip_conflicts_on: str | None = None,
                wait: bool = True) -> None:
    """INSERT `rows` (all with the same keys); with `skip_conflicts_on`, rows whose value of that
    unique column is taken are left out (ON CONFLICT DO NOTHING) instead of failing. With
    `wait=False`, PostgreSQL's work goes on while the caller does (see `write_behind`)."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _is_postgresql(session):
        _execute(session, _unnest_insert(table, columns, skip_conflicts_on), _arrays(table, columns, rows), wait)
        return
    core = sqlite.insert(table)
    if skip_conflicts_on is not None:
        core = core.on_conflict_do_nothing(index_elements=[skip_conflicts_on])
    session.execute(core, [dict(row) for row in rows])


def update_rows(session: Session, table: Table, rows: Sequence[Row], wait: bool = True) -> None:
    """UPDATE each row's columns, found by its "id" (all rows with the same keys); `wait` as for insert_rows."""
    if not rows:
        return
    columns = tuple(rows[0])
    if _is_postgresql(session):
        _execute(session, _unnest_update(table, columns), _arrays(table, columns, rows), wait)
        return
    values = {column: bindparam(f"new_{column}") for column in columns if column != "id"}
    core = update(table).where(table.c.id == bindparam("row_id")).values(values)
    session.execute(core, [{"row_id": row["id"], **{f"new_{key}": value for key, value in row.items() if key != "id"}}
                           for row in rows])


def _execute(session: Session, statement: str, params: dict[str, list[Any]], wait: bool) -> None:
    if wait:
        session.connection().exec_driver_sql(statement, params)
    else:
        write_behind.send(session, statement, params)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _arrays(table: Table, columns: tuple[str, ...], rows: Sequence[Row]) -> dict[str, list[Any]]:
    """One list per column, its values as the column's SQL type takes them."""
    arrays = {}
    for position, column in enumerate(columns):
        convert = _converter(table.c[column].type)
        values = [row[column] for row in rows]
        arrays[f"p{position}"] = values if convert is None else [convert(value) for value in values]
    return arrays


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    """What the model's type would do to a value before the driver sees it (None: nothing)."""
    if isinstance(column_type, JSON) or isinstance(getattr(column_type, "impl", None), JSON):
        return dump_json  # as SQLAlchemy's JSON type binds it: None is the JSON null
    if getattr(column_type, "enum_class", None) is not None:
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    return None


def _cast(table: Table, column: str) -> str:
    return table.c[column].type.compile(dialect=postgresql.dialect())


@lru_cache(maxsize=64)
def _unnest_insert(table: Table, columns: tuple[str, ...], skip_conflicts_on: str | None) -> str:
    names = ", ".join(_quoted(column) for column in columns)
    arrays = ", ".join(f"%(p{position})b::{_cast(table, column)}[]" for position, column in enumerate(columns))
    conflict = f" ON CONFLICT ({_quoted(skip_conflicts_on)}) DO NOTHING" if skip_conflicts_on else ""
    return f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}){conflict}"


@lru_cache(maxsize=64)
def _unnest_update(table: Table, columns: tuple[str, ...]) -> str:
    arrays = ", ".join(f"%(p{position})b::{_cast(table, column)}[]" for position, column in enumerate(columns))
    assignments = ", ".join(f"{_quoted(column)} = v.{_quoted(column)}" for column in columns if column != "id")
    names = ", ".join(_quoted(column) for column in columns)
    return f"UPDATE {table.name} SET {assignments} FROM unnest({arrays}) AS v({names}) WHERE {table.name}.id = v.id"


def _quoted(column: str) -> str:
    return f'"{column}"'
