"""Event names and property paths seen in the data, offered as the marketer types them (node forms, filters,
the contact list's columns).

Asked for on keystrokes, so every answer reads a bounded recent sample, never every stored
document: event names are counted over the latest EVENT_WINDOW events (a range of the
primary key), property paths are gathered in Python from at most DOCUMENT_SAMPLE property
documents — the most recently seen contacts', or the latest events' (of one name, within
the same window). Python does the key extraction, so the SQL is the same on SQLite and
PostgreSQL. What is rare in the recent data may be missing: these are suggestions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflow_runtime.audience.contact_search import escape_like
from workflow_runtime.storage.models import Contact, Event

EVENT_WINDOW = 50_000
DOCUMENT_SAMPLE = 1_000
EXAMPLES = 3
EXAMPLE_LENGTH = 60

Scope = Literal["contact", "event"]


@dataclass(frozen=True)
class EventName:
    """An event name and how many of the sampled events had it."""

    name: str
    count: int


@dataclass
class PropertyPath:
    """A property path (one level of nesting: address.city), how many sampled documents had it, a few values."""

    path: str
    count: int = 0
    examples: list[Any] = field(default_factory=list)


def event_names(session: Session, prefix: str = "", limit: int = 20, window: int = EVENT_WINDOW) -> list[EventName]:
    """The names of the latest `window` events starting with `prefix` (any case), most frequent first."""
    count = func.count().label("count")
    query = _recent_events(session, select(Event.name, count), window).group_by(Event.name)
    if prefix:
        query = query.where(Event.name.ilike(escape_like(prefix) + "%", escape="\\"))
    rows = session.execute(query.order_by(count.desc(), Event.name).limit(limit))
    return [EventName(name, number) for name, number in rows]


def property_paths(session: Session, scope: Scope, *, event: str | None = None, prefix: str = "", limit: int = 50,
                   window: int = EVENT_WINDOW, sample: int = DOCUMENT_SAMPLE) -> list[PropertyPath]:
    """Property paths starting with `prefix` (any case) in a recent sample, most common first, with example values.

    `scope` "contact" reads the most recently seen contacts; "event" the latest events, only those called `event`
    when it is given.
    """
    if scope == "contact":
        query = select(Contact.properties).order_by(Contact.last_seen_at.desc(), Contact.id.desc())
    else:
        query = _recent_events(session, select(Event.properties), window).order_by(Event.id.desc())
        if event is not None:
            query = query.where(Event.name == event)
    found = _tally(session.scalars(query.limit(sample)))
    wanted = prefix.lower()
    chosen = [path for path in found.values() if path.path.lower().startswith(wanted)]
    return sorted(chosen, key=lambda path: (-path.count, path.path))[:limit]


def _recent_events(session: Session, query: Select[Any], window: int) -> Select[Any]:
    """`query` narrowed to the latest `window` events, by id (the primary key's index, read backwards)."""
    floor = session.scalar(select(Event.id).order_by(Event.id.desc()).offset(window - 1).limit(1))
    return query if floor is None else query.where(Event.id >= floor)


def _tally(documents: Iterable[Mapping[str, Any] | None]) -> dict[str, PropertyPath]:
    """Every path of the documents, a nested object's keys one level down, counted once per document."""
    found: dict[str, PropertyPath] = {}

    def note(path: str, value: Any) -> None:
        entry = found.setdefault(path, PropertyPath(path))
        entry.count += 1
        example = value[:EXAMPLE_LENGTH] if isinstance(value, str) else value
        if isinstance(value, str | int | float | bool) and len(entry.examples) < EXAMPLES and example not in entry.examples:
            entry.examples.append(example)

    for document in documents:
        for key, value in (document or {}).items():
            if isinstance(value, Mapping) and value:
                for inner, nested in value.items():
                    note(f"{key}.{inner}", nested)
            else:
                note(key, value)
    return found
