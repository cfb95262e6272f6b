"""Find contacts by a search text and a condition of the filter language (contact lists, segment counts and previews).

The search text narrows in SQL (name, email, user id). The condition is compiled to SQL
(workflow_runtime.engine.filter_sql, proven equal to the evaluator), so a count is one
SELECT COUNT and a page one query with LIMIT and OFFSET, asked first: a first page shorter
than its limit holds every match, and no count is asked. A condition SQL cannot decide
exactly (filter_sql.NotCompilable) is evaluated by the one evaluator
(workflow_runtime.engine.filters) instead, over contacts read in chunks
(workflow_runtime.engine.chunk_subject).

The order is a column's (workflow_runtime.audience.contact_columns), ascending or descending,
contacts without a value last, ties broken by id, the same on SQLite and PostgreSQL: a
property sorts numbers by value before texts, and texts regardless of case.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from workflow_runtime.audience.contact_columns import TEXT_FIELDS, ColumnInvalid, parse_column
from workflow_runtime.engine.chunk_subject import CHUNK, SegmentFilters, matching
from workflow_runtime.engine.filter_sql import NotCompilable, compile_where, json_number, json_text
from workflow_runtime.engine.filters import Predicate, compile_condition
from workflow_runtime.storage.models import Contact

_PROBING_WORK_MEM = "64kB"  # PostgreSQL's least: no hash of a rule's contacts fits


@dataclass(frozen=True)
class ContactMatches:
    """One page of matching contacts (in list order) and how many match in all (None: not counted, see find_contacts)."""

    contacts: list[Contact]
    total: int | None


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
                                "city or properties.<path> (the lifetime revenue is added up per page, not sorted by).")
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
            number = _first_found([json_number(path, dialect) for path in column.paths])
            text = _first_found([json_text(path, dialect) for path in column.paths])
            terms = [case((number.is_(None), literal(1)), else_=literal(0)), number, text, Contact.id]
            missing = text.is_(None)
        ordered = [term.desc() if self.descending else term.asc() for term in terms]
        return ordered if missing is None else [case((missing, literal(1)), else_=literal(0)).asc(), *ordered]


def _first_found(values: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The first of `values` that is not NULL (SQLite's coalesce wants two or more)."""
    return values[0] if len(values) == 1 else func.coalesce(*values)


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
                  order: ContactOrder | None = None, count: bool = True) -> ContactMatches:
    """The page [offset, offset + limit) of contacts matching `text` and `condition`, in `order`, and the total.

    Without `count` the total is known only when a first page is not full (it holds every match), else None: a
    page alone is a LIMIT query that stops early, while counting reads every match (the segment page asks for the
    page and the count apart, and shows the page first).

    Raises ValueError, naming the problem, for an invalid condition.
    """
    query = _compiled_query(session, now, text, condition, order)
    if query is None:
        return page_of(evaluated_chunks(session, now, text=text, condition=condition, order=order), limit, offset)
    page = _page(session, query, limit, offset, order or ContactOrder()) if limit > 0 else []
    if offset == 0 and len(page) < limit:  # the page holds every match: it is the count
        return ContactMatches(page, len(page))
    if not count:
        return ContactMatches(page, None)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return ContactMatches(page, total)


def _page(session: Session, query: Select[tuple[Contact]], limit: int, offset: int,
          order: ContactOrder) -> list[Contact]:
    """The page's contacts. In last-seen order PostgreSQL walks ix_contacts_last_seen_at and stops after the page, having
    tested a few hundred contacts; but it chooses between hashing the contacts an event rule selects (once, for every
    contact) and probing contact by contact from the whole table's estimate, LIMIT or not, and such a hash takes longer
    to build than the page (a combined condition's first page at a million contacts: 270 ms hashing, 10 ms probing).
    A work_mem too small for any hash leaves it the probes, for the page only: the count reads every match, and
    hashes."""
    walks = order.key == "last_seen_at" and session.get_bind().dialect.name == "postgresql"
    if walks:
        session.execute(sql_text(f"SET LOCAL work_mem = '{_PROBING_WORK_MEM}'"))
    page = list(session.scalars(query.limit(limit).offset(offset)))
    if walks:
        session.execute(sql_text("RESET work_mem"))
    return page


def matching_chunks(session: Session, now: datetime, *, text: str | None = None,
                    condition: Mapping[str, Any] | None = None,
                    order: ContactOrder | None = None) -> Iterator[list[Contact]]:
    """Every contact matching `text` and `condition`, in `order`, a chunk at a time (an export never holds the list).

    Raises ValueError, naming the problem, for an invalid condition (when called, not when first iterated).
    """
    query = _compiled_query(session, now, text, condition, order)
    if query is None:
        return evaluated_chunks(session, now, text=text, condition=condition, order=order)
    return (list(chunk) for chunk in session.scalars(query.execution_options(yield_per=CHUNK)).partitions())


def evaluated_chunks(session: Session, now: datetime, *, text: str | None = None,
                     condition: Mapping[str, Any] | None = None,
                     order: ContactOrder | None = None) -> Iterator[list[Contact]]:
    """As matching_chunks, the condition decided by the Python evaluator contact by contact: for what SQL cannot
    decide exactly, and the baseline the benchmark measures against.

    Raises ValueError, naming the problem, for an invalid condition (when called, not when first iterated).
    """
    predicate = compile_condition(condition) if condition is not None else None
    return _evaluated(session, now, predicate, search_query(text, order, session.get_bind().dialect.name))


def _evaluated(session: Session, now: datetime, predicate: Predicate | None,
               query: Select[tuple[Contact]]) -> Iterator[list[Contact]]:
    segments = SegmentFilters(session)
    for chunk in session.scalars(query.execution_options(yield_per=CHUNK)).partitions():
        found = list(chunk) if predicate is None else matching(session, predicate, chunk, now, segments)
        if found:
            yield found


def page_of(chunks: Iterable[list[Contact]], limit: int, offset: int) -> ContactMatches:
    """The page [offset, offset + limit) of contacts that come in chunks, and how many came in all."""
    page: list[Contact] = []
    total = 0
    for chunk in chunks:
        for contact in chunk:
            if offset <= total < offset + limit:
                page.append(contact)
            total += 1
    return ContactMatches(page, total)


def _compiled_query(session: Session, now: datetime, text: str | None, condition: Mapping[str, Any] | None,
                    order: ContactOrder | None) -> Select[tuple[Contact]] | None:
    """The search query with the condition compiled to SQL, or None where SQL cannot decide it exactly."""
    query = search_query(text, order, session.get_bind().dialect.name)
    if condition is None:
        return query
    try:
        where = compile_where(session, condition, now)
    except NotCompilable:
        return None
    if session.get_bind().dialect.name == "postgresql":
        # Correlated event subqueries make the planner's estimates large enough to JIT-compile the query, which took
        # two thirds of a 100,000-contact count (370 of 575 ms) to save nothing; for this transaction only.
        session.execute(sql_text("SET LOCAL jit = off"))
        # psycopg prepares a statement run five times, and PostgreSQL then plans it once for any event name and window:
        # at a million contacts that generic plan took 1.5-3 s where one planned for the values (in a millisecond or
        # two) takes 0.5 s.
        session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
    return query.where(where)
