"""The columns a contact list shows and exports: first-class fields, a few derived ones (city, first-touch
source, revenue) and any property path, each with how it reads a contact and how the list sorts by it.

Column keys are what `?columns=` and `?sort=` take: `name`, `email`, `user_id`, `phone`, `time_zone`,
`id`, `first_seen_at`, `last_seen_at`, `city` (the `city` property, else `address.city` as Segment's
identify traits spell it), `source` (the UTM tags of the contact's first event that had any), `tags`,
`revenue` (the `revenue` property: no lifetime revenue is kept per contact, a site sends it as a trait)
and `properties.<path>` (dots reach into nested objects).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import Contact, Event

PROPERTY_PREFIX = "properties."
# As common.schema.json's property_path: no spaces, no leading dot; and no empty step between dots.
_PROPERTY_PATH = re.compile(r"^[^.\s][^\s]*$")
MAX_PATH_LENGTH = 200
UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign")
DEFAULT_COLUMNS = ("id", "name", "email", "user_id", "first_seen_at", "last_seen_at")

# Property paths that named columns read, first found wins.
_PROPERTY_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "city": (("city",), ("address", "city")),
    "revenue": (("revenue",),),
}
_FIELD_COLUMNS = ("id", "name", "email", "user_id", "phone", "time_zone", "first_seen_at", "last_seen_at")
# Fields sorted as text ignore case: "anna" comes before "Boris".
TEXT_FIELDS = ("name", "email", "user_id", "phone", "time_zone")
NAMED_COLUMNS = (*_FIELD_COLUMNS, "city", "source", "tags", "revenue")


class ColumnInvalid(ValueError):
    """A column key names no column; the message says which and what is offered."""


FirstTouch = Mapping[str, str | None]


@dataclass(frozen=True)
class Column:
    """One column: its key, its CSV header cells, and the cells of a contact (with its first-touch UTM tags)."""

    key: str
    headers: tuple[str, ...]
    cells: Callable[[Contact, FirstTouch | None], tuple[Any, ...]]
    # What the list sorts by: a Contact attribute name, or property paths (first found wins); neither: unsortable.
    field: str | None = None
    paths: tuple[tuple[str, ...], ...] = ()

    @property
    def needs_first_touch(self) -> bool:
        """Whether its cells read the contact's first-touch UTM tags (one query per chunk of contacts)."""
        return self.key == "source"


def property_path(text: str) -> tuple[str, ...]:
    """The steps of a dotted property path; raises ColumnInvalid for one that names no property."""
    if not text or len(text) > MAX_PATH_LENGTH or not _PROPERTY_PATH.match(text) or "" in text.split("."):
        raise ColumnInvalid(f"{text!r} is not a property path: use a name like plan or address.city "
                            f"(no spaces, no empty part between dots, at most {MAX_PATH_LENGTH} characters).")
    return tuple(text.split("."))


def lookup(properties: Mapping[str, Any] | None, path: Sequence[str]) -> Any:
    """The value at a path through nested objects, or None where there is none."""
    value: Any = properties or {}
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _first_found(paths: tuple[tuple[str, ...], ...]) -> Callable[[Contact, FirstTouch | None], tuple[Any, ...]]:
    def cells(contact: Contact, _touch: FirstTouch | None) -> tuple[Any, ...]:
        return (next((value for value in (lookup(contact.properties, path) for path in paths) if value is not None),
                     None),)
    return cells


def _field(name: str) -> Callable[[Contact, FirstTouch | None], tuple[Any, ...]]:
    return lambda contact, _touch: (getattr(contact, name),)


def _source(_contact: Contact, touch: FirstTouch | None) -> tuple[Any, ...]:
    return tuple((touch or {}).get(tag) for tag in UTM_TAGS)


def _tags(contact: Contact, _touch: FirstTouch | None) -> tuple[Any, ...]:
    return (", ".join(str(tag) for tag in contact.tags or []),)


def parse_column(key: str) -> Column:
    """The column `key` names; raises ColumnInvalid naming the key and the choices."""
    if key in _FIELD_COLUMNS:
        return Column(key, (key,), _field(key), field=key)
    if key in _PROPERTY_COLUMNS:
        paths = _PROPERTY_COLUMNS[key]
        return Column(key, (key,), _first_found(paths), paths=paths)
    if key == "source":
        return Column(key, UTM_TAGS, _source)
    if key == "tags":
        return Column(key, ("tags",), _tags)
    if key.startswith(PROPERTY_PREFIX):
        path = property_path(key[len(PROPERTY_PREFIX):])
        return Column(key, (key,), _first_found((path,)), paths=(path,))
    raise ColumnInvalid(f"{key!r} is not a column: use one of {', '.join(NAMED_COLUMNS)}, "
                        f"or properties.<path> for any property (e.g. properties.plan).")


def parse_columns(text: str) -> list[Column]:
    """The columns of a comma-separated list of keys, in order, each once; raises ColumnInvalid."""
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise ColumnInvalid("Name at least one column, e.g. name,email,properties.plan.")
    return [parse_column(key) for key in dict.fromkeys(keys)]


def first_touches(session: Session, contact_ids: Iterable[int]) -> dict[int, dict[str, str | None]]:
    """The UTM tags of each contact's earliest event that carried any (first-touch attribution), by contact id."""
    ids = list(contact_ids)
    if not ids:
        return {}
    tags = [getattr(Event, tag) for tag in UTM_TAGS]
    ranked = (
        select(Event.contact_id, *tags,
               func.row_number().over(partition_by=Event.contact_id, order_by=(Event.timestamp, Event.id)).label("n"))
        .where(Event.contact_id.in_(ids), or_(*(tag.is_not(None) for tag in tags)))
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.n == 1))
    return {row.contact_id: {tag: getattr(row, tag) for tag in UTM_TAGS} for row in rows}
