"""Find contacts by a search text and a condition of the filter language (contact lists, segment counts and previews).

The search text narrows in SQL (name, email, user id). The condition is evaluated by
the one evaluator (workflow_runtime.engine.filters) rather than translated to SQL: its
semantics — case-insensitive `contains`, numbers and ISO dates compared as such, event
windows, nested segments — would otherwise be written twice, in two SQL dialects, and
drift from what flows and segments decide. To keep that affordable, contacts are read
in chunks (workflow_runtime.engine.chunk_subject).

The order is a column's (workflow_runtime.audience.contact_columns), ascending or descending,
contacts without a value last, ties broken by id, the same on SQLite and PostgreSQL: a
property sorts numbers by value before texts, and texts regardless of case.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from workflow_runtime.audience.contact_columns import TEXT_FIELDS, ColumnInvalid, parse_column
from workflow_runtime.engine.chunk_subject import CHUNK, SegmentFilters, matching
from workflow_runtime.engine.filters import compile_condition
from workflow_runtime.storage.models import Contact


@dataclass(frozen=True)
class ContactMatches:
    """One page of matching contacts (in list order) and how many match in all."""

    contacts: list[Contact]
    total: int


@dataclass(frozen=True)
class ContactOrder:
    """A list's order: a sortable column's key, ascending or descending."""

    key: str = "last_seen_at"
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> ContactOrder:
        """The order `text` names: a column key, with a leading `-` for descending; raises ColumnInvalid."""
        descending = text.startswith("-")
        key = text[1:] if descending else text
        column = parse_column(key)
        if column.field is None and not column.paths:
            raise ColumnInvalid(f"The list cannot be sorted by {key!r}: sort by a field (name, email, last_seen_at, …), "
                                "city, revenue or properties.<path>.")
        return cls(key, descending)

    def clauses(self, dialect: str) -> list[ColumnElement[Any]]:
        """ORDER BY terms for `dialect` (sqlite or postgresql): no value last, then the value, then the id."""
        column = parse_column(self.key)
        if column.field is not None:
            value = getattr(Contact, column.field)
            terms = [func.lower(value) if column.field in TEXT_FIELDS else value, Contact.id]
            # Times and ids are never missing; sorted by themselves, the last-seen index serves the default list.
            missing = value.is_(None) if value.nullable else None
        else:
            number = _first_found([_json_number(path, dialect) for path in column.paths])
            text = _first_found([_json_text(path, dialect) for path in column.paths])
            terms = [case((number.is_(None), literal(1)), else_=literal(0)), number, text, Contact.id]
            missing = text.is_(None)
        ordered = [term.desc() if self.descending else term.asc() for term in terms]
        return ordered if missing is None else [case((missing, literal(1)), else_=literal(0)).asc(), *ordered]


def _first_found(values: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The first of `values` that is not NULL (SQLite's coalesce wants two or more)."""
    return values[0] if len(values) == 1 else func.coalesce(*values)


def _json_number(path: tuple[str, ...], dialect: str) -> ColumnElement[Any]:
    """The property at `path` when it is a JSON number, else NULL."""
    value = Contact.properties[path]
    if dialect == "postgresql":
        return case((func.jsonb_typeof(value) == "number", value.as_string().cast(Numeric)))
    return case((_sqlite_json_type(path).in_(("integer", "real")), value.as_numeric(30, 10)))


def _json_text(path: tuple[str, ...], dialect: str) -> ColumnElement[Any]:
    """The property at `path` as lower-case text (true and false spelt so on both databases), NULL when missing or null."""
    value = Contact.properties[path]
    if dialect == "postgresql":
        return func.lower(value.as_string())
    kind = _sqlite_json_type(path)
    return case((kind.in_(("true", "false")), kind), (kind == "null", None), else_=func.lower(value.as_string()))


def _sqlite_json_type(path: tuple[str, ...]) -> ColumnElement[Any]:
    """SQLite's JSON type of the property at `path` (integer, real, text, true, false, null, object, array), NULL when
    missing: read from the document itself, since an extracted value has lost it (true reads as the integer 1)."""
    return func.json_type(Contact.properties, "$" + "".join(f'."{step}"' for step in path))


def search_query(text: str | None, order: ContactOrder | None = None, dialect: str = "sqlite") -> Select[tuple[Contact]]:
    """Contacts in `order` (most recently seen first by default) whose name, email or user id contains `text` (any case)."""
    query = select(Contact).order_by(*(order or ContactOrder()).clauses(dialect))
    if text:
        pattern = f"%{escape_like(text)}%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\")
                                  for column in (Contact.name, Contact.email, Contact.user_id))))
    return query


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape character, a backslash) escaped, to match as typed."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_contacts(session: Session, now: datetime, *, text: str | None = None,
                  condition: Mapping[str, Any] | None = None, limit: int = 50, offset: int = 0,
                  order: ContactOrder | None = None) -> ContactMatches:
    """The page [offset, offset + limit) of contacts matching `text` and `condition`, in `order`, and the total.

    Raises ValueError, naming the problem, for an invalid condition.
    """
    if condition is None:
        query = search_query(text, order, session.get_bind().dialect.name)
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        return ContactMatches(list(session.scalars(query.limit(limit).offset(offset))), total)
    page: list[Contact] = []
    total = 0
    for chunk in matching_chunks(session, now, text=text, condition=condition, order=order):
        for contact in chunk:
            if offset <= total < offset + limit:
                page.append(contact)
            total += 1
    return ContactMatches(page, total)


def matching_chunks(session: Session, now: datetime, *, text: str | None = None,
                    condition: Mapping[str, Any] | None = None,
                    order: ContactOrder | None = None) -> Iterator[list[Contact]]:
    """Every contact matching `text` and `condition`, in `order`, a chunk at a time (an export never holds the list).

    Raises ValueError, naming the problem, for an invalid condition.
    """
    predicate = compile_condition(condition) if condition is not None else None
    segments = SegmentFilters(session)
    query = search_query(text, order, session.get_bind().dialect.name)
    for chunk in session.scalars(query.execution_options(yield_per=CHUNK)).partitions():
        found = list(chunk) if predicate is None else matching(session, predicate, chunk, now, segments)
        if found:
            yield found
