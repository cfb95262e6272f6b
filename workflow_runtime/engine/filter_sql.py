"""Compiles a condition of the filter language to a WHERE clause over `contacts`, on SQLite and PostgreSQL, with
exactly the evaluator's semantics (workflow_runtime.engine.filters), so counts and pages are one query each.

Property rules read the contact's built-in fields from their columns and everything else from the JSON `properties`
(eq and in, on PostgreSQL, as one containment test: `properties @> '{"plan": "pro"}'`); an event rule with neither a
window nor a `where` reads the event tallies (storage.models.event_tally: one index range of the name's tallies from
the count it needs on, hashed, instead of a probe per contact); other event rules become EXISTS or a bounded
correlated COUNT over `events`, which PostgreSQL probes per contact through ix_events_contact_id_name_timestamp_id
or, for a window asked of every contact, reads once through ix_events_name_timestamp_contact_id; segment rules
inline the segment's condition to the evaluator's depth limit; message rules, which name a send node of a flow, see no
messages outside one (as workflow_runtime.engine.chunk_subject does).

What SQL cannot decide exactly raises NotCompilable, and the caller evaluates that condition in Python instead:
  - a rule value that is an ISO 8601 date or time (the evaluator compares such strings as moments, which would take
    Python's own parser in SQL): eq, neq, in, not_in, contains, not_contains and the order operators;
  - contains / not_contains with text that is not ASCII (Python's case folding has no SQL twin), or, on SQLite,
    whose letters more than twelve other characters fold into (ß into ss, ﬁ into fi, …);
  - values the schema does not allow (lists or objects where a scalar belongs), NaN or infinity, an integer beyond
    64 bits on SQLite, text with a NUL character on PostgreSQL, a property path with a double quote on SQLite;
  - a segment rule whose segment's stored condition is invalid (the evaluator only fails if it gets there);
  - on SQLite, groups and segments nested more than 24 deep (its parser's stack is fixed).
One known difference remains on SQLite: a stored integer beyond 64 bits is read there as the nearest double.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    String,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import type_coerce

from workflow_runtime.engine.filters import (
    NEGATIONS,
    CountOp,
    EventOp,
    MessageOp,
    PropertyOp,
    SegmentOp,
    as_datetime,
    aware,
    compile_condition,
    parse_duration,
    window_start,
)
from workflow_runtime.engine.subject import MAX_SEGMENT_DEPTH
from workflow_runtime.storage.models import Contact, Event, EventTally, Segment
from workflow_runtime.storage.models.contact import builtin_fields

Clause = ColumnElement[Any]
# Characters whose case folding holds ASCII letters ("ß" folds to "ss"): spelt out before a substring test.
_FOLDED = {char: char.casefold() for char in map(chr, range(128, 0x110000))
           if any(ord(folded) < 128 for folded in char.casefold())}
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INT64 = 2**63
# Nested replace() calls SQLite parses within its parser's stack, deep conditions around them included.
_SQLITE_MAX_FOLDS = 12
_SQLITE_MAX_NESTING = 24
_EXACT_FLOAT = 2**53


class NotCompilable(Exception):
    """The condition holds a rule SQL cannot decide exactly on this database; evaluate it in Python."""


def compile_where(session: Session, condition: Mapping[str, Any], now: datetime) -> Clause:
    """A WHERE clause over `contacts` selecting exactly the contacts the evaluator selects at `now`.

    Raises ValueError, naming the problem, for an invalid condition, and NotCompilable (see the module docstring).
    """
    compile_condition(condition)
    return _Compiler(session, aware(now)).condition(condition, 0)


def properties_match(session: Session, rules: Sequence[Mapping[str, Any]], document: Clause, now: datetime) -> Clause:
    """The property rules of an event rule's `where` over `document` (an events alias's `properties`): what a funnel
    step asks of its event. Raises NotCompilable as compile_where does."""
    compiler = _Compiler(session, aware(now))
    return and_(true(), *(compiler.property_rule(rule, lambda path: compiler.json_value(document, path))
                          for rule in rules))


def json_number(path: tuple[str, ...], dialect: str) -> Clause:
    """The contact property at `path` when it is a JSON number, else NULL (for sorting)."""
    value = Contact.properties[path]
    if dialect == "postgresql":
        return case((func.jsonb_typeof(value) == "number", value.as_string().cast(Numeric)))
    return case((sqlite_json_type(Contact.properties, path).in_(("integer", "real")), value.as_numeric(30, 10)))


def json_text(path: tuple[str, ...], dialect: str) -> Clause:
    """The contact property at `path` as lower-case text (true and false spelt so on both databases), NULL when
    missing or null (for sorting)."""
    value = Contact.properties[path]
    if dialect == "postgresql":
        return func.lower(value.as_string())
    kind = sqlite_json_type(Contact.properties, path)
    return case((kind.in_(("true", "false")), kind), (kind == "null", None), else_=func.lower(value.as_string()))


def sqlite_json_type(document: Clause, path: tuple[str, ...]) -> Clause:
    """SQLite's JSON type of the value at `path` (integer, real, text, true, false, null, object, array), NULL when
    missing: read from the document itself, since an extracted value has lost it (true reads as the integer 1)."""
    return func.json_type(document, _sqlite_path(path))


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{step}"' for step in path)


class _Value(ABC):
    """One value as the evaluator's `_lookup` finds it: each test is a boolean that is never NULL."""

    @abstractmethod
    def missing(self) -> Clause: ...

    @abstractmethod
    def kind_is(self, kind: str) -> Clause:
        """Whether the value is of a JSON kind: null, true, false, number, string, array or object."""

    @abstractmethod
    def number(self) -> Clause:
        """The value as a number (only read where kind_is("number"))."""

    @abstractmethod
    def text(self) -> Clause:
        """The value as text (only read where kind_is("string"))."""

    def any_item(self, test: Callable[[_Value], Clause]) -> Clause:
        """Whether the value is a list with an item for which `test` holds."""
        return false()

    def contained(self, wanted: Any) -> Clause | None:
        """Whether the document holds `wanted` (a JSON scalar or a list of one) at the value's path, as one JSONB
        containment test (a scan reads it several times faster than the path's kind and text, and a GIN index could
        serve it); None where the value has no such test."""
        return None


class _Missing(_Value):
    """A path the contact cannot have (into a built-in field, which is text or a list)."""

    def missing(self) -> Clause:
        return true()

    def kind_is(self, kind: str) -> Clause:
        return false()

    def number(self) -> Clause:
        return literal(None)

    def text(self) -> Clause:
        return literal(None)


class _TextColumn(_Value):
    """A built-in text field: text, or null."""

    def __init__(self, column: Clause) -> None:
        self._column = column

    def missing(self) -> Clause:
        return false()

    def kind_is(self, kind: str) -> Clause:
        if kind == "null":
            return self._column.is_(None)
        return self._column.is_not(None) if kind == "string" else false()

    def number(self) -> Clause:
        return literal(None)

    def text(self) -> Clause:
        return self._column


class _PostgresJson(_Value):
    """A JSONB value (SQL NULL when missing), at `path` in `document` when read from one."""

    def __init__(self, value: Clause, document: Clause | None = None, path: tuple[str, ...] = ()) -> None:
        self._value = value
        self._document = document
        self._path = path

    @classmethod
    def at(cls, document: Clause, path: tuple[str, ...]) -> _PostgresJson | _GuardedJson:
        """The value at `path` in `document`; a step that reads as a number must not index a list (`_lookup` reads
        only objects), so its parent is checked to be an object."""
        json = type_coerce(document, JSONB)
        value = cls(json[path] if path else json, json, path)
        guards = [func.jsonb_typeof(json[path[:index]] if index else document) == "object"
                  for index, step in enumerate(path) if any(char.isdigit() for char in step)]
        return _GuardedJson(value, and_(*guards)) if guards else value

    def contained(self, wanted: Any) -> Clause | None:
        """`document @> {"a": {"b": wanted}}`: containment reads objects only, as `_lookup` does, compares scalars
        as the evaluator's `_equal` does (same kind, numbers by value, text exactly) and finds a scalar in a list
        only when `wanted` is a list around it; the value being missing makes it false."""
        if self._document is None or not self._path:
            return None
        for step in reversed(self._path):
            wanted = {step: wanted}
        return self._document.contains(literal(wanted, JSONB))

    def missing(self) -> Clause:
        return self._value.is_(None)

    def kind_is(self, kind: str) -> Clause:
        if kind in ("true", "false"):
            return func.coalesce(and_(func.jsonb_typeof(self._value) == "boolean", self.text() == kind), false())
        return func.coalesce(func.jsonb_typeof(self._value) == kind, false())

    def number(self) -> Clause:
        return case((func.jsonb_typeof(self._value) == "number", self.text().cast(Numeric)))

    def text(self) -> Clause:
        return self._value.op("#>>", return_type=String)(literal_column("'{}'"))

    def any_item(self, test: Callable[[_Value], Clause]) -> Clause:
        items = func.jsonb_array_elements(
            case((func.jsonb_typeof(self._value) == "array", self._value), else_=literal_column("'[]'::jsonb"))
        ).table_valued("value").alias("item")
        return select(literal(1)).select_from(items).where(test(_PostgresJson(items.c.value))).exists()


class _GuardedJson(_Value):
    """A JSONB value that is missing unless `guard` holds."""

    def __init__(self, value: _PostgresJson, guard: Clause) -> None:
        self._value = value
        self._guard = func.coalesce(guard, false())

    def missing(self) -> Clause:
        return or_(not_(self._guard), self._value.missing())

    def kind_is(self, kind: str) -> Clause:
        return and_(self._guard, self._value.kind_is(kind))

    def number(self) -> Clause:
        return self._value.number()

    def text(self) -> Clause:
        return self._value.text()

    def any_item(self, test: Callable[[_Value], Clause]) -> Clause:
        return and_(self._guard, self._value.any_item(test))

    def contained(self, wanted: Any) -> Clause | None:
        return self._value.contained(wanted)  # containment reads objects only: it needs no guard


class _SqliteJson(_Value):
    """A value in a SQLite JSON document, or an item of a json_each (`kind` and `value` columns)."""

    _KINDS = {"number": ("integer", "real"), "string": ("text",)}

    def __init__(self, kind: Clause, value: Clause, items: Callable[[], Any] | None = None) -> None:
        self._kind = kind
        self._value = value
        self._items = items

    @classmethod
    def at(cls, document: Clause, path: tuple[str, ...]) -> _SqliteJson:
        """The value at `path` in `document`."""
        if any('"' in step for step in path):
            raise NotCompilable(f"The property path {'.'.join(path)!r} holds a double quote, which SQLite's JSON "
                                "paths cannot spell.")
        return cls(sqlite_json_type(document, path), func.json_extract(document, _sqlite_path(path)),
                   lambda: func.json_each(document, _sqlite_path(path)).table_valued("type", "value").alias("item"))

    def missing(self) -> Clause:
        return self._kind.is_(None)

    def kind_is(self, kind: str) -> Clause:
        return func.coalesce(self._kind.in_(self._KINDS.get(kind, (kind,))), false())

    def number(self) -> Clause:
        return self._value

    def text(self) -> Clause:
        return self._value

    def any_item(self, test: Callable[[_Value], Clause]) -> Clause:
        if self._items is None:
            return false()
        items = self._items()
        return and_(self.kind_is("array"), select(literal(1)).select_from(items).where(
            test(_SqliteJson(items.c.type, items.c.value))).exists())


class _Compiler:
    """Compiles conditions for one session's database at one moment."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect.name
        self._now = now
        self._builtins = tuple(builtin_fields(Contact()))
        self._nesting = 0  # groups and inlined segments around the condition being compiled
        if self._dialect not in ("sqlite", "postgresql"):
            raise NotCompilable(f"Conditions are compiled for SQLite and PostgreSQL, not {self._dialect}.")

    def condition(self, condition: Mapping[str, Any], depth: int) -> Clause:
        """The clause of a valid condition, whose segment rules are `depth` segments deep."""
        self._nesting += 1
        try:
            if self._dialect == "sqlite" and self._nesting > _SQLITE_MAX_NESTING:
                raise NotCompilable(f"The condition nests deeper than SQLite's parser reads ({_SQLITE_MAX_NESTING}).")
            return self._clause(condition, depth)
        finally:
            self._nesting -= 1

    def _clause(self, condition: Mapping[str, Any], depth: int) -> Clause:
        if "not" in condition:
            return not_(self.condition(condition["not"], depth))
        for key, combine in (("all", and_), ("any", or_)):
            if key in condition:
                return combine(*(self.condition(child, depth) for child in condition[key]))
        if "property" in condition:
            return self.property_rule(condition, self._contact_value)
        if "event" in condition:
            return self._event_rule(condition)
        if "segment" in condition:
            return self._segment_rule(condition, depth)
        # A message rule names a send node of a flow: outside one there are no messages.
        negate = MessageOp(condition.get("op", MessageOp.IS.value)) is MessageOp.IS_NOT
        return true() if negate else false()

    def _contact_value(self, path: tuple[str, ...]) -> _Value:
        """The value at `path` in the contact's properties merged with its built-in fields (which win)."""
        if path[0] in self._builtins:
            if len(path) > 1:
                return _Missing()
            if path[0] == "tags":
                return self._tags()
            return _TextColumn(getattr(Contact, path[0]))
        return self.json_value(Contact.properties, path)

    def _tags(self) -> _Value:
        """The tags, always a list as builtin_fields makes them (an empty one for none)."""
        if self._dialect == "postgresql":
            listed = func.jsonb_typeof(Contact.tags) == "array"
            return _PostgresJson(case((listed, type_coerce(Contact.tags, JSONB)), else_=literal_column("'[]'::jsonb")))
        listed = func.json_type(Contact.tags) == "array"
        tags = case((listed, Contact.tags), else_=literal_column("'[]'"))
        return _SqliteJson(literal("array"), literal(None),
                           lambda: func.json_each(tags).table_valued("type", "value").alias("item"))

    def json_value(self, document: Clause, path: tuple[str, ...]) -> _Value:
        return _PostgresJson.at(document, path) if self._dialect == "postgresql" else _SqliteJson.at(document, path)

    def property_rule(self, rule: Mapping[str, Any], value_at: Callable[[tuple[str, ...]], _Value]) -> Clause:
        op = PropertyOp(rule["op"])
        positive = NEGATIONS.get(op, op)
        value = value_at(tuple(rule["property"].split(".")))
        holds = self._contained(value, positive, rule.get("value"))
        if holds is None:
            holds = and_(not_(value.missing()), self._test(value, positive, rule.get("value")))
        return not_(holds) if op in NEGATIONS else holds

    def _contained(self, value: _Value, op: PropertyOp, raw: Any) -> Clause | None:
        """An eq or in rule as JSONB containment (_Value.contained), None where the value has no such test. `in`
        holds for a scalar equal to an item or a list holding one."""
        if op is PropertyOp.EQ:
            self._scalar(raw)
            return value.contained(raw)
        if op is not PropertyOp.IN:
            return None
        tests = [value.contained(one) for item in self._listed(raw) for one in (item, [item])]
        return None if any(test is None for test in tests) else or_(false(), *tests)

    def _listed(self, raw: Any) -> list[Any]:
        """The values of an in rule as given, once each is known to be one SQL compares exactly (see _scalar)."""
        if not isinstance(raw, Sequence) or isinstance(raw, str):
            raise NotCompilable("An in rule needs a list of values.")
        for item in raw:
            self._scalar(item)
        return list(raw)

    def _test(self, value: _Value, positive: PropertyOp, raw: Any) -> Clause:
        """Whether a present value passes the rule's positive operator."""
        if positive is PropertyOp.EXISTS:
            return not_(value.kind_is("null"))
        if positive is PropertyOp.EQ:
            return self._equal(value, self._scalar(raw))
        if positive is PropertyOp.IN:
            wanted = [self._scalar(item) for item in self._listed(raw)]
            return or_(and_(not_(value.kind_is("array")), or_(false(), *(self._equal(value, item) for item in wanted))),
                       value.any_item(lambda item: or_(false(), *(self._equal(item, one) for one in wanted))))
        if positive is PropertyOp.CONTAINS:
            return self._contains(value, self._scalar(raw))
        return self._ordered(value, positive, self._scalar(raw))

    def _scalar(self, raw: Any) -> Any:
        """A rule value SQL compares exactly; raises NotCompilable for the others (see the module docstring)."""
        if isinstance(raw, str):
            if as_datetime(raw) is not None:
                raise NotCompilable(f"The value {raw!r} is a date or time, compared as a moment by the evaluator.")
            if "\x00" in raw and self._dialect == "postgresql":
                raise NotCompilable("PostgreSQL text cannot hold a NUL character.")
            return raw
        if raw is None or isinstance(raw, bool):
            return raw
        if isinstance(raw, int):
            if self._dialect == "sqlite" and not -_INT64 <= raw < _INT64:
                raise NotCompilable(f"SQLite cannot compare the integer {raw} exactly.")
            return raw if self._dialect == "sqlite" else Decimal(raw)
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise NotCompilable(f"{raw!r} is not a number SQL compares.")
            if self._dialect == "sqlite":
                return raw
            # Stored numbers are the shortest text that reads back as their double: compare with this one's.
            return Decimal(int(raw)) if raw.is_integer() and abs(raw) >= _EXACT_FLOAT else Decimal(repr(raw))
        raise NotCompilable(f"The value {raw!r} is not a text, number, true, false or null.")

    def _equal(self, value: _Value, wanted: Any) -> Clause:
        """The evaluator's `_equal` with a scalar: same kind and value, numbers by value whether int or float."""
        if wanted is None:
            return value.kind_is("null")
        if isinstance(wanted, bool):
            return value.kind_is("true" if wanted else "false")
        if isinstance(wanted, str):
            return func.coalesce(and_(value.kind_is("string"), value.text() == wanted), false())
        return func.coalesce(and_(value.kind_is("number"), value.number() == wanted), false())

    def _contains(self, value: _Value, wanted: Any) -> Clause:
        """Case-insensitive substring of a text, or equal to an item of a list."""
        in_list = value.any_item(lambda item: self._equal(item, wanted))
        if not isinstance(wanted, str):
            return in_list
        if not wanted.isascii():
            raise NotCompilable(f"contains {wanted!r}: only ASCII text is folded to one case the way Python does it.")
        needle = wanted.lower()
        # Only characters folding to a letter of the needle can take part in a match: the rest may stay as they are.
        unfolded = {char: folded for char, folded in _FOLDED.items() if set(folded) & set(needle)}
        if self._dialect == "sqlite" and len(unfolded) > _SQLITE_MAX_FOLDS:
            raise NotCompilable(f"contains {wanted!r}: too many characters fold into it for SQLite's parser.")
        folded = value.text()
        for char, replacement in unfolded.items():
            folded = func.replace(folded, char, replacement)
        if self._dialect == "postgresql":
            found = func.strpos(func.translate(folded, _UPPER, _UPPER.lower()), needle) > 0
        else:  # SQLite's lower() folds ASCII only
            found = func.instr(func.lower(folded), needle) > 0
        return or_(func.coalesce(and_(value.kind_is("string"), found), false()), in_list)

    @staticmethod
    def _ordered(value: _Value, op: PropertyOp, wanted: Any) -> Clause:
        """Numbers in order; anything else (a non-date text, true, false, null) is not ordered."""
        if wanted is None or isinstance(wanted, (bool, str)):
            return false()
        number = value.number()
        compared = {PropertyOp.GT: number > wanted, PropertyOp.GTE: number >= wanted,
                    PropertyOp.LT: number < wanted, PropertyOp.LTE: number <= wanted}[op]
        return func.coalesce(and_(value.kind_is("number"), compared), false())

    def _event_rule(self, rule: Mapping[str, Any]) -> Clause:
        name = rule["event"]
        negated = EventOp(rule.get("op", EventOp.DID.value)) is EventOp.DID_NOT
        if "within" not in rule and not rule.get("where"):
            return self._tallied(name, rule.get("count"), negated=negated)
        within = parse_duration(rule["within"], name) if "within" in rule else None
        since = window_start(self._now, within)
        matching = select(Event.id).where(Event.contact_id == Contact.id, Event.name == name,
                                          Event.timestamp <= self._now)
        if since is not None:
            matching = matching.where(Event.timestamp >= since)
        for where in rule.get("where", []):
            matching = matching.where(self.property_rule(where, lambda path: self.json_value(Event.properties, path)))
        matching = matching.correlate(Contact)
        did = self._counted(matching, rule.get("count"))
        return not_(did) if negated else did

    @staticmethod
    def _counted(matching: Any, count: Mapping[str, Any] | None) -> Clause:
        """Whether the matching events' number passes `count` (at least one without it), counting no further than
        the answer needs."""
        op, wanted = (CountOp(count["op"]), count["value"]) if count else (CountOp.GTE, 1)
        if op is CountOp.GTE and wanted == 0:
            return true()
        if op is CountOp.GTE and wanted == 1:
            return matching.exists()
        if op is not CountOp.GTE and wanted == 0:
            return not_(matching.exists())
        limit = wanted if op is CountOp.GTE else wanted + 1
        counted = select(func.count()).select_from(matching.limit(limit).subquery()).scalar_subquery()
        return {CountOp.GTE: counted >= wanted, CountOp.LTE: counted <= wanted, CountOp.EQ: counted == wanted}[op]

    def _tallied(self, name: str, count: Mapping[str, Any] | None, *, negated: bool) -> Clause:
        """Whether the contact's number of `name` events up to now passes `count` (at least one without it), or
        fails it when `negated`, read from its tally. A tally whose latest event is after now (events sent with a
        future time) counts the events up to now again, as far as the answer needs."""
        op, wanted = (CountOp(count["op"]), count["value"]) if count else (CountOp.GTE, 1)
        if op is CountOp.GTE and wanted == 0:
            return false() if negated else true()
        at_most = op is CountOp.LTE or wanted == 0  # passed by everyone but those who did it more often
        if at_most:
            least, settled, recounted = wanted + 1, EventTally.count > wanted, self._so_far(name, wanted + 1) > wanted
        elif op is CountOp.GTE:
            least, settled, recounted = wanted, true(), self._so_far(name, wanted) >= wanted
        else:
            least, settled, recounted = wanted, EventTally.count == wanted, self._so_far(name, wanted + 1) == wanted
        has_one = self._tally(name, least, settled, recounted, apart=at_most == negated)
        return ~has_one if at_most != negated else has_one

    def _tally(self, name: str, least: int, settled: Clause, recounted: Clause, *, apart: bool) -> Clause:
        """Whether the contact has a `name` tally of at least `least` that passes: `settled` when its latest event is
        not after now, else `recounted`.

        `apart` asks the two cases as two EXISTS, for a contact selected by having such a tally: the settled one is
        then plain index conditions, which PostgreSQL answers for every contact at once from one range of
        ix_event_tallies_name_count, hashed, inside an `any` too. Under a NOT (selected by having none), one EXISTS
        holding both is one anti-join, a primary-key probe per candidate."""
        def tally(*tests: Clause) -> Clause:
            return exists().where(EventTally.contact_id == Contact.id, EventTally.name == name,
                                  EventTally.count >= least, *tests).correlate(Contact)

        settled_test = and_(EventTally.last_at <= self._now, settled)
        recounted_test = and_(EventTally.last_at > self._now, recounted)
        return or_(tally(settled_test), tally(recounted_test)) if apart else tally(or_(settled_test, recounted_test))

    def _so_far(self, name: str, limit: int) -> Clause:
        """The tally's contact's number of `name` events up to now, counted no further than `limit`."""
        events = select(Event.id).where(Event.contact_id == EventTally.contact_id, Event.name == name,
                                        Event.timestamp <= self._now).correlate(EventTally).limit(limit)
        return select(func.count()).select_from(events.subquery()).scalar_subquery()

    def _segment_rule(self, rule: Mapping[str, Any], depth: int) -> Clause:
        negate = SegmentOp(rule.get("op", SegmentOp.IN.value)) is SegmentOp.NOT_IN
        segment = self._session.get(Segment, rule["segment"]) if depth < MAX_SEGMENT_DEPTH else None
        if segment is None:  # no such segment, or nested past the limit: nobody is in it
            member: Clause = false()
        else:
            try:
                compile_condition(segment.filter)
            except (ValueError, RecursionError) as invalid:
                raise NotCompilable(f"Segment {segment.id}'s condition is invalid: {invalid}") from invalid
            member = self.condition(segment.filter, depth + 1)
        return not_(member) if negate else member
