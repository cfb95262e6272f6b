"""Evaluates the filter language (flows/schema/filter.schema.json) for one contact.

Triggers, conditions, goals, exit rules and segments all call this one module. It is
pure: the caller hands in a `FilterSubject` and the time, so the runtime, the segment
code, previews and the simulator share it. A condition is compiled once into a
predicate (which raises ValueError on anything invalid) and then evaluated, so a
caller may compile a flow's rules once and reuse them.
"""
from __future__ import annotations

import enum
import numbers
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol, TypeVar

import isodate

from workflow_runtime.storage.models.message import MessageStatus


class PropertyOp(str, enum.Enum):
    """Operators of a property rule.

    eq / neq: equal or not (ints and floats compare, ISO-8601 strings compare as datetimes);
    gt, gte, lt, lte: order of numbers or datetimes, False for anything else;
    contains / not_contains: case-insensitive substring of a string, or member of a list;
    exists / not_exists: present and not null; in / not_in: equal to one of a list.
    The negative operators are True when the property is missing.
    """

    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    IN = "in"
    NOT_IN = "not_in"


class EventOp(str, enum.Enum):
    """did: at least one matching event (or the count rule holds); did_not: the opposite."""

    DID = "did"
    DID_NOT = "did_not"


class CountOp(str, enum.Enum):
    """How an event rule's count compares: at least (gte), at most (lte) or exactly (eq)."""

    GTE = "gte"
    LTE = "lte"
    EQ = "eq"


class SegmentOp(str, enum.Enum):
    """in: the contact is a member of the segment; not_in: it is not."""

    IN = "in"
    NOT_IN = "not_in"


class MessageOp(str, enum.Enum):
    """is: the message reached the status; is_not: it did not."""

    IS = "is"
    IS_NOT = "is_not"


class FilterSubject(Protocol):
    """The contact a filter is evaluated for, as the runtime or the segment code sees it."""

    @property
    def properties(self) -> Mapping[str, Any]:
        """The contact's properties merged with its built-in fields (email, name, phone, user_id, time_zone)."""

    def events(self, name: str, since: datetime | None) -> Iterable[Mapping[str, Any]]:
        """The contact's events called `name` at or after `since`, each with "properties" and "timestamp".

        A superset is fine: the evaluator re-checks the window.
        """

    def in_segment(self, segment_id: int) -> bool:
        """Whether the contact is a member of the segment."""

    def message_statuses(self, node_id: str) -> Collection[str]:
        """Every status the contact's message from send node `node_id` has reached (a clicked message was also read)."""


Predicate = Callable[[FilterSubject, datetime], bool]
# Whether a condition holds, and the JSON pointer (within the condition) of the rule that decided it.
Decision = tuple[bool, str]
Explainer = Callable[[FilterSubject, datetime], Decision]
PropertyPredicate = Callable[[Mapping[str, Any]], bool]

_MISSING = object()
_E = TypeVar("_E", bound=enum.Enum)


def evaluate(condition: Mapping[str, Any], subject: FilterSubject, now: datetime) -> bool:
    """Whether `condition` holds for `subject` at `now` (naive datetimes are taken as UTC)."""
    return compile_condition(condition)(subject, now)


def matches_properties(rules: Sequence[Mapping[str, Any]], properties: Mapping[str, Any]) -> bool:
    """Whether every property rule of a `where` list holds for `properties`."""
    return compile_property_rules(rules)(properties)


def compile_condition(condition: Mapping[str, Any]) -> Predicate:
    """A predicate for `condition`; raises ValueError, naming the problem, if it is invalid."""
    if not isinstance(condition, Mapping):
        raise ValueError(f"A condition must be an object, not {condition!r}.")
    for key, compiler in _COMPILERS.items():
        if key in condition:
            return compiler(condition)
    raise ValueError(
        f"A condition needs one of the keys {', '.join(_COMPILERS)}; got {sorted(map(str, condition))}."
    )


def compile_explainer(condition: Mapping[str, Any]) -> Explainer:
    """Like `compile_condition`, and names the rule that decided, for a run's journey: in `all`, the first rule
    that failed (the group itself when every rule held); in `any`, the first that held (the group when none did);
    in `not`, its rule's. Rules are evaluated in the same order, and stop at the same rule, as the predicate's."""
    predicate = compile_condition(condition)  # validates the whole condition, naming any problem
    key = next(iter(condition)) if len(condition) == 1 else None
    if key == "not":
        inner = compile_explainer(condition["not"])

        def negated(subject: FilterSubject, now: datetime) -> Decision:
            holds, rule = inner(subject, now)
            return not holds, "/not" + rule

        return negated
    if key in ("all", "any"):
        explainers = [compile_explainer(child) for child in condition[key]]
        decisive = key == "any"  # the outcome of a rule that decides its group: any holding one, all a failing one

        def group(subject: FilterSubject, now: datetime) -> Decision:
            for index, explain in enumerate(explainers):
                holds, rule = explain(subject, now)
                if holds is decisive:
                    return holds, f"/{key}/{index}{rule}"
            return not decisive, ""

        return group
    return lambda subject, now: (predicate(subject, now), "")


def compile_property_rules(rules: Sequence[Mapping[str, Any]]) -> PropertyPredicate:
    """A predicate that holds when every rule of a `where` list holds."""
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        raise ValueError(f"A where list must be a list of property rules, not {rules!r}.")
    predicates = [compile_property_rule(rule) for rule in rules]
    return lambda properties: all(predicate(properties) for predicate in predicates)


def compile_property_rule(rule: Mapping[str, Any]) -> PropertyPredicate:
    """A predicate on a properties mapping for one property rule."""
    _check_keys(rule, {"property", "op", "value"}, "property rule")
    path = rule.get("property")
    if not isinstance(path, str) or not path:
        raise ValueError(f"A property rule needs a property name, not {path!r}.")
    op = _member(PropertyOp, rule.get("op"), f"property rule on {path!r}")
    positive = NEGATIONS.get(op, op)
    if positive is PropertyOp.EXISTS:
        value = None
    elif "value" not in rule:
        raise ValueError(f"The property rule on {path!r} with op {op.value!r} needs a value.")
    else:
        value = rule["value"]
        if positive is PropertyOp.IN and (not isinstance(value, Sequence) or isinstance(value, str)):
            raise ValueError(f"The property rule on {path!r} with op {op.value!r} needs a list as its value.")
    test = _TESTS[positive]
    negate = op in NEGATIONS

    def predicate(properties: Mapping[str, Any]) -> bool:
        actual = _lookup(properties, path)
        return (actual is not _MISSING and test(actual, value)) != negate

    return predicate


def _compile_group(condition: Mapping[str, Any]) -> Predicate:
    if len(condition) != 1:
        raise ValueError(f"A group has exactly one of all, any or not; got {sorted(map(str, condition))}.")
    key, children = next(iter(condition.items()))
    if key == "not":
        inner = compile_condition(children)
        return lambda subject, now: not inner(subject, now)
    if not isinstance(children, Sequence) or isinstance(children, str) or not children:
        raise ValueError(f"A group's {key!r} needs a non-empty list of conditions.")
    predicates = [compile_condition(child) for child in children]
    combine = all if key == "all" else any
    return lambda subject, now: combine(predicate(subject, now) for predicate in predicates)


def _compile_event_rule(rule: Mapping[str, Any]) -> Predicate:
    _check_keys(rule, {"event", "op", "where", "count", "within"}, "event rule")
    name = rule["event"]
    if not isinstance(name, str) or not name:
        raise ValueError(f"An event rule needs an event name, not {name!r}.")
    what = f"event rule on {name!r}"
    op = _member(EventOp, rule.get("op", EventOp.DID.value), what)
    where = compile_property_rules(rule.get("where", []))
    count_test = _compile_count(rule["count"], what) if "count" in rule else None
    within = parse_duration(rule["within"], what) if "within" in rule else None

    def predicate(subject: FilterSubject, now: datetime) -> bool:
        now = aware(now)
        since = window_start(now, within)
        matching = (
            event
            for event in subject.events(name, since)
            if _in_window(event, since, now) and where(_event_properties(event))
        )
        did = count_test(sum(1 for _ in matching)) if count_test else any(True for _ in matching)
        return did != (op is EventOp.DID_NOT)

    return predicate


def _compile_count(count: Any, what: str) -> Callable[[int], bool]:
    if not isinstance(count, Mapping) or set(count) != {"op", "value"}:
        raise ValueError(f"The count of the {what} must be an object with op and value, not {count!r}.")
    op = _member(CountOp, count["op"], f"count of the {what}")
    value = count["value"]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"The count of the {what} needs a whole number of at least 0, not {value!r}.")
    compare = {CountOp.GTE: operator.ge, CountOp.LTE: operator.le, CountOp.EQ: operator.eq}[op]
    return lambda n: compare(n, value)


def _compile_segment_rule(rule: Mapping[str, Any]) -> Predicate:
    _check_keys(rule, {"segment", "op"}, "segment rule")
    segment_id = rule["segment"]
    if not isinstance(segment_id, int) or isinstance(segment_id, bool):
        raise ValueError(f"A segment rule needs a segment id (a whole number), not {segment_id!r}.")
    negate = _member(SegmentOp, rule.get("op", SegmentOp.IN.value), f"segment rule on {segment_id}") is SegmentOp.NOT_IN
    return lambda subject, now: subject.in_segment(segment_id) != negate


def _compile_message_rule(rule: Mapping[str, Any]) -> Predicate:
    _check_keys(rule, {"message", "status", "op"}, "message rule")
    node_id = rule["message"]
    if not isinstance(node_id, str) or not node_id:
        raise ValueError(f"A message rule needs the id of a send node, not {node_id!r}.")
    what = f"message rule on {node_id!r}"
    status = _member(MessageStatus, rule.get("status"), what).value
    negate = _member(MessageOp, rule.get("op", MessageOp.IS.value), what) is MessageOp.IS_NOT
    return lambda subject, now: (status in subject.message_statuses(node_id)) != negate


_COMPILERS: dict[str, Callable[[Mapping[str, Any]], Predicate]] = {
    "all": _compile_group,
    "any": _compile_group,
    "not": _compile_group,
    "property": lambda rule: _on_properties(compile_property_rule(rule)),
    "event": _compile_event_rule,
    "segment": _compile_segment_rule,
    "message": _compile_message_rule,
}


def _on_properties(predicate: PropertyPredicate) -> Predicate:
    return lambda subject, now: predicate(subject.properties)


def _check_keys(rule: Any, allowed: set[str], what: str) -> None:
    if not isinstance(rule, Mapping):
        raise ValueError(f"A {what} must be an object, not {rule!r}.")
    unknown = set(rule) - allowed
    if unknown:
        raise ValueError(f"A {what} has no key {', '.join(sorted(map(repr, unknown)))}; use {', '.join(sorted(allowed))}.")


def _member(enum_type: type[_E], raw: Any, what: str) -> _E:
    """The enum member named by `raw`, or a ValueError listing the choices."""
    if isinstance(raw, str):
        try:
            return enum_type(raw)
        except ValueError:
            pass
    choices = ", ".join(member.value for member in enum_type)
    raise ValueError(f"Unknown value {raw!r} in the {what}; use one of {choices}.")


def parse_duration(raw: Any, what: str) -> timedelta | isodate.Duration:
    """An event rule's window (`within`), exact or calendar (P1M); ValueError naming the rule otherwise."""
    if not isinstance(raw, str):
        raise ValueError(f"The window of the {what} must be an ISO 8601 duration such as P14D, not {raw!r}.")
    try:
        return isodate.parse_duration(raw)
    except (ValueError, ArithmeticError) as error:
        raise ValueError(f"The window of the {what} must be an ISO 8601 duration such as P14D, not {raw!r}.") from error


def window_start(now: datetime, within: timedelta | isodate.Duration | None) -> datetime | None:
    """Where a window ending `now` starts (None: no window, all of history)."""
    if within is None:
        return None
    try:
        return now - within
    except (OverflowError, ValueError):  # a window longer than the calendar: all of history
        return None


def _in_window(event: Mapping[str, Any], since: datetime | None, now: datetime) -> bool:
    timestamp = as_datetime(event.get("timestamp"))
    if timestamp is None:
        raise ValueError(f"An event must have a timestamp (a datetime or an ISO 8601 string); got {event!r}.")
    return (since is None or timestamp >= since) and timestamp <= now


def _event_properties(event: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = event.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _lookup(properties: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path through nested mappings, or _MISSING."""
    value: Any = properties
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


def aware(moment: datetime) -> datetime:
    """The moment with UTC assumed when it carries no time zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def as_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime from a datetime, a date or an ISO 8601 string; None otherwise."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), timezone.utc)
    if isinstance(value, str) and value[:4].isdigit():  # every ISO 8601 form starts with the year
        try:
            return aware(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """`a` and `b` as a pair that orders meaningfully (numbers, or datetimes), else None."""
    if _is_number(a) and _is_number(b):
        return a, b
    if isinstance(a, (str, date)) and isinstance(b, (str, date)):
        moments = as_datetime(a), as_datetime(b)
        if moments[0] is not None and moments[1] is not None:
            return moments
    return None


def _equal(a: Any, b: Any) -> bool:
    if type(a) is type(b) and a == b:  # equal as they are, so equal as numbers or moments too
        return True
    pair = _comparable(a, b)
    if pair is not None:
        return pair[0] == pair[1]
    return type(a) is type(b) and a == b


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, value: Any) -> bool:
        pair = _comparable(actual, value)
        return pair is not None and compare(*pair)

    return test


def _contains(actual: Any, value: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(value, str) and value.casefold() in actual.casefold()
    if isinstance(actual, (list, tuple)):
        return any(_equal(item, value) for item in actual)
    return False


def _in(actual: Any, values: Sequence[Any]) -> bool:
    """Equal to one of `values`; a list property matches when any of its items is."""
    items = actual if isinstance(actual, (list, tuple)) else (actual,)
    return any(_equal(item, value) for item in items for value in values)


_TESTS: dict[PropertyOp, Callable[[Any, Any], bool]] = {
    PropertyOp.EQ: _equal,
    PropertyOp.GT: _ordered(operator.gt),
    PropertyOp.GTE: _ordered(operator.ge),
    PropertyOp.LT: _ordered(operator.lt),
    PropertyOp.LTE: _ordered(operator.le),
    PropertyOp.CONTAINS: _contains,
    PropertyOp.EXISTS: lambda actual, _: actual is not None,
    PropertyOp.IN: _in,
}
NEGATIONS = {
    PropertyOp.NEQ: PropertyOp.EQ,
    PropertyOp.NOT_CONTAINS: PropertyOp.CONTAINS,
    PropertyOp.NOT_EXISTS: PropertyOp.EXISTS,
    PropertyOp.NOT_IN: PropertyOp.IN,
}
