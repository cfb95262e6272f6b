"""The columns a contact list shows and exports: first-class fields, a few derived ones (city, first-touch
source, lifetime revenue) and any property path, each with how it reads a contact and how the list sorts by it.

Column keys are what `?columns=` and `?sort=` take: `name`, `email`, `user_id`, `phone`, `time_zone`,
`id`, `first_seen_at`, `last_seen_at`, `city` (the `city` property, else `address.city` as Segment's
identify traits spell it), `source` (the UTM tags of the contact's first event that had any), `tags`,
`revenue` (the contact's lifetime revenue: their revenue events added up, `engine.revenue`; computed per page,
so the list does not sort by it) and `properties.<path>` (dots reach into nested objects).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workflow_runtime.engine.attribution import UTM_TAGS, first_touches
from workflow_runtime.engine.revenue import LifetimeRevenue, lifetime_revenue
from workflow_runtime.storage.models import Contact

PROPERTY_PREFIX = "properties."
# As common.schema.json's property_path: no spaces, no leading dot; and no empty step between dots.
_PROPERTY_PATH = re.compile(r"^[^.\s][^\s]*$")
MAX_PATH_LENGTH = 200
DEFAULT_COLUMNS = ("id", "name", "email", "user_id", "first_seen_at", "last_seen_at")

# Property paths that named columns read, first found wins.
_PROPERTY_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "city": (("city",), ("address", "city")),
}
_FIELD_COLUMNS = ("id", "name", "email", "user_id", "phone", "time_zone", "first_seen_at", "last_seen_at")
# Fields sorted as text ignore case: "anna" comes before "Boris".
TEXT_FIELDS = ("name", "email", "user_id", "phone", "time_zone")
NAMED_COLUMNS = (*_FIELD_COLUMNS, "city", "source", "tags", "revenue")


class ColumnInvalid(ValueError):
    """A column key names no column; the message says which and what is offered."""


@dataclass(frozen=True)
class Derived:
    """What some columns read beside the contact's row: its first-touch UTM tags, its lifetime revenue."""

    first_touch: Mapping[str, str | None] | None = None
    lifetime: LifetimeRevenue | None = None


Cells = Callable[[Contact, Derived], tuple[Any, ...]]


@dataclass(frozen=True)
class Column:
    """One column: its key, its CSV header cells, and the cells of a contact (with what is derived for it)."""

    key: str
    headers: tuple[str, ...]
    cells: Cells
    # What the list sorts by: a Contact attribute name, or property paths (first found wins); neither: unsortable.
    field: str | None = None
    paths: tuple[tuple[str, ...], ...] = ()


def derived(session: Session, columns: Sequence[Column], contacts: Sequence[Contact]) -> dict[int, Derived]:
    """What the columns read beside the rows, for a chunk of contacts: one query for each thing read."""
    keys = {column.key for column in columns}
    ids = [contact.id for contact in contacts]
    touches = first_touches(session, ids) if "source" in keys else {}
    lifetimes = lifetime_revenue(session, ids) if "revenue" in keys else {}
    return {contact_id: Derived(touches.get(contact_id), lifetimes.get(contact_id)) for contact_id in ids}


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


def _first_found(paths: tuple[tuple[str, ...], ...]) -> Cells:
    def cells(contact: Contact, _derived: Derived) -> tuple[Any, ...]:
        return (next((value for value in (lookup(contact.properties, path) for path in paths) if value is not None),
                     None),)
    return cells


def _field(name: str) -> Cells:
    return lambda contact, _derived: (getattr(contact, name),)


def _source(_contact: Contact, found: Derived) -> tuple[Any, ...]:
    return tuple((found.first_touch or {}).get(tag) for tag in UTM_TAGS)


def _revenue(_contact: Contact, found: Derived) -> tuple[Any, ...]:
    return (float(found.lifetime.revenue) if found.lifetime else 0.0,)


def _tags(contact: Contact, _derived: Derived) -> tuple[Any, ...]:
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
    if key == "revenue":
        return Column(key, ("revenue",), _revenue)
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
