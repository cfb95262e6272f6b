"""Find contacts by a search text and a condition of the filter language (contact lists, segment counts and previews).

The search text narrows in SQL (name, email, user id). The condition is evaluated by
the one evaluator (workflow_runtime.engine.filters) rather than translated to SQL: its
semantics — case-insensitive `contains`, numbers and ISO dates compared as such, event
windows, nested segments — would otherwise be written twice, in two SQL dialects, and
drift from what flows and segments decide. To keep that affordable, contacts are read
in chunks (workflow_runtime.engine.chunk_subject).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from workflow_runtime.engine.chunk_subject import CHUNK, SegmentFilters, matching
from workflow_runtime.engine.filters import compile_condition
from workflow_runtime.storage.models import Contact


@dataclass(frozen=True)
class ContactMatches:
    """One page of matching contacts (in list order) and how many match in all."""

    contacts: list[Contact]
    total: int


def search_query(text: str | None) -> Select[tuple[Contact]]:
    """Contacts, most recently seen first, whose name, email or user id contains `text` (any case)."""
    query = select(Contact).order_by(Contact.last_seen_at.desc(), Contact.id.desc())
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\")
                                  for column in (Contact.name, Contact.email, Contact.user_id))))
    return query


def find_contacts(session: Session, now: datetime, *, text: str | None = None,
                  condition: Mapping[str, Any] | None = None, limit: int = 50, offset: int = 0) -> ContactMatches:
    """The page [offset, offset + limit) of contacts matching `text` and `condition`, and the total.

    Raises ValueError, naming the problem, for an invalid condition.
    """
    query = search_query(text)
    if condition is None:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        return ContactMatches(list(session.scalars(query.limit(limit).offset(offset))), total)
    predicate = compile_condition(condition)
    segments = SegmentFilters(session)
    page: list[Contact] = []
    total = 0
    for chunk in session.scalars(query.execution_options(yield_per=CHUNK)).partitions():
        for contact in matching(session, predicate, chunk, now, segments):
            if offset <= total < offset + limit:
                page.append(contact)
            total += 1
    return ContactMatches(page, total)
