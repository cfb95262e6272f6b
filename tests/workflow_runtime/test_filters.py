"""The filter language: the schema that checks rules and the evaluator that applies them."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flows.schemas import load, ref, validator
from tests.workflow_runtime import test_filter_sql as filter_sql
from workflow_runtime.engine.filters import (
    CountOp,
    EventOp,
    MessageOp,
    MessageStatus,
    PropertyOp,
    SegmentOp,
    compile_condition,
    compile_explainer,
    evaluate,
    matches_properties,
)


@dataclass(frozen=True)
class SnapshotSubject:
    """An in-memory FilterSubject: a contact's properties, events, segments and message statuses.

    `event_log` holds every event as {"name", "properties", "timestamp"}; `messages`
    maps a send node id to the statuses its message reached.
    """

    properties: Mapping[str, Any] = field(default_factory=dict)
    event_log: Sequence[Mapping[str, Any]] = ()
    segments: Collection[int] = frozenset()
    messages: Mapping[str, Collection[str]] = field(default_factory=dict)

    def events(self, name: str, since: datetime | None) -> list[Mapping[str, Any]]:
        """The logged events called `name`; the evaluator applies the window."""
        return [event for event in self.event_log if event.get("name") == name]

    def in_segment(self, segment_id: int) -> bool:
        """Whether `segment_id` is among the snapshot's segments."""
        return segment_id in self.segments

    def message_statuses(self, node_id: str) -> Collection[str]:
        """The statuses recorded for the message of send node `node_id`."""
        return self.messages.get(node_id, ())

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=timezone.utc)
CONDITION = validator(ref("filter.schema.json", "condition"))

CONTACT = {
    "email": "Anna@Example.com",
    "plan": "trial",
    "total": 120,
    "ratio": 0.5,
    "verified": True,
    "nothing": None,
    "zip": "10115",
    "signed_up_at": "2024-06-01T09:00:00+00:00",
    "tags": ["vip", "newsletter", 3],
    "address": {"city": "Berlin", "geo": {"lat": 52.5}},
}


def _holds(rule: dict[str, Any], properties: dict[str, Any] = CONTACT) -> bool:
    return matches_properties([rule], properties)


def _at(days_ago: float, **properties: Any) -> dict[str, Any]:
    return {"timestamp": NOW - timedelta(days=days_ago), "properties": properties}


PROPERTY_CASES = [
    ("plan", "eq", "trial", True),
    ("plan", "eq", "Trial", False),
    ("total", "eq", 120.0, True),
    ("verified", "eq", True, True),
    ("verified", "eq", 1, False),
    ("nothing", "eq", None, True),
    ("missing", "eq", None, False),
    ("zip", "eq", 10115, False),
    ("plan", "neq", "pro", True),
    ("plan", "neq", "trial", False),
    ("missing", "neq", "trial", True),
    ("total", "gt", 100, True),
    ("total", "gt", 120, False),
    ("total", "gte", 120, True),
    ("ratio", "lt", 1, True),
    ("ratio", "lte", 0.5, True),
    ("total", "lt", 120, False),
    ("zip", "gt", 100, False),
    ("total", "gt", "100", False),
    ("plan", "gt", "a", False),
    ("verified", "gt", 0, False),
    ("missing", "lt", 5, False),
    ("signed_up_at", "gt", "2024-05-31", True),
    ("signed_up_at", "lt", "2024-06-01T10:00:00+01:00", False),
    ("signed_up_at", "eq", "2024-06-01T09:00:00Z", True),
    ("signed_up_at", "lte", "2024-06-01T09:00:00", True),
    ("email", "contains", "example.COM", True),
    ("email", "contains", "gmail", False),
    ("tags", "contains", "vip", True),
    ("tags", "contains", "VIP", False),
    ("tags", "contains", 3, True),
    ("total", "contains", 1, False),
    ("email", "not_contains", "gmail", True),
    ("tags", "not_contains", "vip", False),
    ("missing", "not_contains", "x", True),
    ("plan", "exists", None, True),
    ("nothing", "exists", None, False),
    ("missing", "exists", None, False),
    ("nothing", "not_exists", None, True),
    ("plan", "not_exists", None, False),
    ("plan", "in", ["trial", "pro"], True),
    ("plan", "in", ["pro"], False),
    ("total", "in", [119, 120.0], True),
    ("tags", "in", ["newsletter", "x"], True),
    ("missing", "in", ["trial"], False),
    ("plan", "not_in", ["pro"], True),
    ("plan", "not_in", ["trial"], False),
    ("missing", "not_in", ["trial"], True),
    ("address.city", "eq", "Berlin", True),
    ("address.geo.lat", "gt", 50, True),
    ("address.zip", "exists", None, False),
    ("plan.name", "exists", None, False),
    ("address.city.name", "neq", "x", True),
]


@pytest.mark.parametrize(("property_", "op", "value", "expected"), PROPERTY_CASES)
def test_property_operators(property_: str, op: str, value: Any, expected: bool) -> None:
    rule = {"property": property_, "op": op} if op.endswith("exists") else {"property": property_, "op": op, "value": value}
    assert CONDITION.is_valid(rule)
    assert _holds(rule) is expected


def test_every_property_operator_is_covered() -> None:
    ops = {op for _, op, _, _ in PROPERTY_CASES}
    assert ops == {op.value for op in PropertyOp}


def test_datetime_and_date_objects_compare_with_iso_strings() -> None:
    properties = {"seen": datetime(2024, 6, 1, 9, 0), "birthday": date(1990, 5, 1)}
    assert _holds({"property": "seen", "op": "eq", "value": "2024-06-01T09:00:00+00:00"}, properties)
    assert _holds({"property": "birthday", "op": "lt", "value": "1990-05-02"}, properties)
    assert not _holds({"property": "birthday", "op": "gt", "value": 5}, properties)


def test_where_list_needs_every_rule() -> None:
    rules = [{"property": "plan", "op": "eq", "value": "trial"}, {"property": "total", "op": "gt", "value": 500}]
    assert not matches_properties(rules, CONTACT)
    assert matches_properties(rules[:1], CONTACT)
    assert matches_properties([], CONTACT)


def test_groups_combine_and_nest() -> None:
    subject = SnapshotSubject(properties=CONTACT)
    yes = {"property": "plan", "op": "eq", "value": "trial"}
    no = {"property": "plan", "op": "eq", "value": "pro"}
    assert evaluate({"all": [yes, yes]}, subject, NOW)
    assert not evaluate({"all": [yes, no]}, subject, NOW)
    assert evaluate({"any": [no, yes]}, subject, NOW)
    assert not evaluate({"any": [no, no]}, subject, NOW)
    assert evaluate({"not": no}, subject, NOW)
    assert not evaluate({"not": {"any": [no, {"not": no}]}}, subject, NOW)
    assert evaluate({"all": [{"any": [no, yes]}, {"not": {"all": [yes, no]}}]}, subject, NOW)


def test_event_rules_filter_count_and_window() -> None:
    subject = SnapshotSubject(
        event_log=[
            {"name": "order_paid", **_at(1, amount=50)},
            {"name": "order_paid", **_at(3, amount=500)},
            {"name": "order_paid", **_at(30, amount=20)},
            {"name": "page_viewed", **_at(0.5, url="https://shop.example/Pricing")},
            {"name": "order_paid", **_at(-1, amount=900)},  # after `now`: not happened yet
        ]
    )

    def holds(rule: dict[str, Any]) -> bool:
        assert CONDITION.is_valid(rule)
        return evaluate(rule, subject, NOW)

    assert holds({"event": "order_paid"})
    assert holds({"event": "page_viewed", "where": [{"property": "url", "op": "contains", "value": "/pricing"}]})
    assert not holds({"event": "signed_up"})
    assert holds({"event": "signed_up", "op": "did_not"})
    assert not holds({"event": "order_paid", "op": "did_not"})
    assert holds({"event": "order_paid", "count": {"op": "eq", "value": 3}})
    assert holds({"event": "order_paid", "within": "P7D", "count": {"op": "eq", "value": 2}})
    assert holds({"event": "order_paid", "within": "P2D", "count": {"op": "lte", "value": 1}})
    assert not holds({"event": "order_paid", "within": "P2D", "count": {"op": "gte", "value": 2}})
    assert holds({"event": "order_paid", "op": "did_not", "within": "P2D", "count": {"op": "gte", "value": 2}})
    assert not holds({"event": "order_paid", "within": "PT12H"})
    assert holds({"event": "order_paid", "op": "did_not", "within": "PT12H"})
    assert holds({"event": "order_paid", "where": [{"property": "amount", "op": "gte", "value": 100}], "within": "P7D"})
    assert not holds({"event": "order_paid", "where": [{"property": "amount", "op": "gte", "value": 100}], "within": "P2D"})
    assert holds({"event": "signed_up", "count": {"op": "eq", "value": 0}})
    assert holds({"event": "order_paid", "within": "P1M", "count": {"op": "eq", "value": 3}})
    assert holds({"event": "order_paid", "within": "P10Y", "count": {"op": "eq", "value": 3}})
    # longer than the validator allows (P10Y), as a flow stored before the bound may hold it: all of history
    too_long = {"event": "order_paid", "within": "P9999Y", "count": {"op": "eq", "value": 3}}
    assert not CONDITION.is_valid(too_long) and evaluate(too_long, subject, NOW)


def test_event_window_accepts_naive_now_and_string_timestamps() -> None:
    subject = SnapshotSubject(event_log=[{"name": "visit", "properties": {}, "timestamp": "2024-06-15T11:30:00Z"}])
    assert evaluate({"event": "visit", "within": "PT1H"}, subject, NOW.replace(tzinfo=None))
    assert not evaluate({"event": "visit", "within": "PT10M"}, subject, NOW)


def test_segment_rules() -> None:
    subject = SnapshotSubject(segments={3, 7})
    assert evaluate({"segment": 3}, subject, NOW)
    assert not evaluate({"segment": 4}, subject, NOW)
    assert evaluate({"segment": 4, "op": "not_in"}, subject, NOW)
    assert not evaluate({"segment": 7, "op": "not_in"}, subject, NOW)


def test_message_rules() -> None:
    subject = SnapshotSubject(messages={"welcome": {"sent", "delivered", "read"}})
    assert evaluate({"message": "welcome", "status": "read"}, subject, NOW)
    assert not evaluate({"message": "welcome", "status": "clicked"}, subject, NOW)
    assert evaluate({"message": "welcome", "status": "clicked", "op": "is_not"}, subject, NOW)
    assert not evaluate({"message": "promo", "status": "sent"}, subject, NOW)
    assert evaluate({"message": "promo", "status": "sent", "op": "is_not"}, subject, NOW)


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        ({"property": "plan", "op": "bigger", "value": 1}, "'bigger'"),
        ({"property": "plan", "value": 1}, "use one of eq"),
        ({"property": "plan", "op": "eq"}, "needs a value"),
        ({"property": "plan", "op": "in", "value": "trial"}, "needs a list"),
        ({"property": "", "op": "exists"}, "property name"),
        ({"property": "plan", "op": "eq", "value": 1, "within": "P1D"}, "'within'"),
        ({"event": "visit", "op": "done"}, "'done'"),
        ({"event": "visit", "count": {"op": "gt", "value": 1}}, "'gt'"),
        ({"event": "visit", "count": {"op": "eq", "value": -1}}, "at least 0"),
        ({"event": "visit", "within": "two weeks"}, "ISO 8601"),
        ({"event": "visit", "where": {"property": "a"}}, "list of property rules"),
        ({"segment": "vip"}, "segment id"),
        ({"segment": 1, "op": "out"}, "'out'"),
        ({"message": "welcome", "status": "opened"}, "'opened'"),
        ({"message": "welcome", "status": "read", "op": "was"}, "'was'"),
        ({"all": []}, "non-empty list"),
        ({"any": [{"segment": 1}], "not": {"segment": 1}}, "exactly one"),
        ({"colour": "red"}, "one of the keys"),
        ({}, "one of the keys"),
        ({"not": "segment"}, "must be an object"),
    ],
)
def test_invalid_conditions_raise_value_error(condition: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)" + fragment.replace("(", r"\(")) as raised:
        evaluate(condition, SnapshotSubject(), NOW)
    assert raised.value.args[0].endswith(".")
    assert not CONDITION.is_valid(condition)


def test_invalid_rules_raise_even_when_short_circuited() -> None:
    condition = {"any": [{"segment": 1}, {"property": "plan", "op": "bigger", "value": 1}]}
    with pytest.raises(ValueError, match="bigger"):
        evaluate(condition, SnapshotSubject(segments={1}), NOW)


def test_events_without_timestamp_raise() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        evaluate({"event": "visit"}, SnapshotSubject(event_log=[{"name": "visit", "properties": {}}]), NOW)


def test_compiled_condition_is_reusable() -> None:
    predicate = compile_condition({"property": "plan", "op": "eq", "value": "pro"})
    assert predicate(SnapshotSubject(properties={"plan": "pro"}), NOW)
    assert not predicate(SnapshotSubject(properties={"plan": "trial"}), NOW)


# --- the schema -------------------------------------------------------------------


def _schema_enum(definition: str, prop: str) -> list[str]:
    return load("filter.schema.json")["$defs"][definition]["properties"][prop]["enum"]


def test_schema_enums_match_the_evaluator() -> None:
    assert _schema_enum("property_rule", "op") == [op.value for op in PropertyOp]
    assert _schema_enum("event_rule", "op") == [op.value for op in EventOp]
    assert load("filter.schema.json")["$defs"]["event_rule"]["properties"]["count"]["properties"]["op"]["enum"] == [
        op.value for op in CountOp
    ]
    assert _schema_enum("segment_rule", "op") == [op.value for op in SegmentOp]
    assert _schema_enum("message_rule", "op") == [op.value for op in MessageOp]
    assert _schema_enum("message_rule", "status") == [status.value for status in MessageStatus]


def test_schema_examples_are_valid_and_evaluate() -> None:
    defs = load("filter.schema.json")["$defs"]
    examples = [example for definition in defs.values() for example in definition.get("examples", [])]
    assert len(examples) >= 5
    for example in examples:
        assert list(CONDITION.iter_errors(example)) == []
        assert evaluate(example, SnapshotSubject(properties=CONTACT), NOW) in (True, False)


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        (
            {"all": [{"segment": 1}, {"any": [{"property": "plan", "op": "bigger", "value": 1}]}]},
            "$.all[1].any[0].op",
            "'bigger' is not one of",
        ),
        ({"any": [{"event": "visit", "within": "soon"}]}, "$.any[0].within", "'soon' is not a 'duration'"),
        ({"not": {"message": "welcome"}}, "$.not", "'status' is a required property"),
        ({"all": [{"segment": "vip"}]}, "$.all[0].segment", "'vip' is not of type 'integer'"),
        ({"all": [{"colour": "red"}]}, "$.all[0]", "'colour' is not one of ['all', 'any'"),
        ({"property": "plan", "op": "exists", "value": 1}, "$", "('value' was unexpected)"),
        ({"property": "plan", "op": "in", "value": "pro"}, "$.value", "'pro' is not of type 'array'"),
        ({"property": "plan", "op": "eq", "value": [1]}, "$.value", "is not of type"),
        ({"event": "visit", "count": {"op": "gte"}}, "$.count", "'value' is a required property"),
        ({"all": [{"segment": 1}], "any": [{"segment": 1}]}, "$", "has too many properties"),
        ({"all": []}, "$.all", "should be non-empty"),
    ],
)
def test_schema_errors_point_at_the_bad_rule(condition: dict[str, Any], path: str, message: str) -> None:
    errors = list(CONDITION.iter_errors(condition))
    assert [error.json_path for error in errors] == [path]
    assert message in errors[0].message


# --- property-based: valid conditions evaluate, junk only raises ValueError ---------

PATHS = st.sampled_from(["plan", "total", "tags", "address.city", "address.geo.lat", "signed_up_at", "nothing", "missing.x"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.datetimes(timezones=st.none() | st.just(timezone.utc)).map(datetime.isoformat),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)
VALUE_OPS = [op.value for op in PropertyOp if op.value not in {"exists", "not_exists", "in", "not_in"}]

property_rules = st.one_of(
    st.fixed_dictionaries({"property": PATHS, "op": st.sampled_from(VALUE_OPS), "value": SCALARS}),
    st.fixed_dictionaries({"property": PATHS, "op": st.sampled_from(["exists", "not_exists"])}),
    st.fixed_dictionaries({"property": PATHS, "op": st.sampled_from(["in", "not_in"]), "value": st.lists(SCALARS, min_size=1, max_size=4)}),
)
event_rules = st.fixed_dictionaries(
    {"event": st.sampled_from(["visit", "order_paid"])},
    optional={
        "op": st.sampled_from([op.value for op in EventOp]),
        "where": st.lists(property_rules, max_size=2),
        "count": st.fixed_dictionaries({"op": st.sampled_from([op.value for op in CountOp]), "value": st.integers(0, 5)}),
        "within": st.sampled_from(["PT1S", "PT1H", "P1D", "P2W", "P1M", "P1Y", "P10Y", "P1DT12H"]),
    },
)
segment_rules = st.fixed_dictionaries({"segment": st.integers(1, 5)}, optional={"op": st.sampled_from(["in", "not_in"])})
message_rules = st.fixed_dictionaries(
    {"message": st.sampled_from(["welcome", "promo"]), "status": st.sampled_from([s.value for s in MessageStatus])},
    optional={"op": st.sampled_from(["is", "is_not"])},
)
conditions = st.recursive(
    st.one_of(property_rules, event_rules, segment_rules, message_rules),
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
    ),
    max_leaves=8,
)
moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none() | st.just(timezone.utc))
subjects = st.builds(
    SnapshotSubject,
    properties=st.dictionaries(st.sampled_from(["plan", "total", "tags", "address", "signed_up_at", "nothing", "missing"]), VALUES),
    event_log=st.lists(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["visit", "order_paid"]),
                "properties": st.dictionaries(st.sampled_from(["plan", "total", "address"]), VALUES, max_size=3),
                "timestamp": moments,
            }
        ),
        max_size=4,
    ),
    segments=st.frozensets(st.integers(1, 5)),
    messages=st.dictionaries(st.sampled_from(["welcome", "promo"]), st.frozensets(st.sampled_from([s.value for s in MessageStatus]))),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=conditions, subject=subjects, now=moments)
def test_schema_valid_conditions_always_evaluate(condition: dict[str, Any], subject: SnapshotSubject, now: datetime) -> None:
    assume(CONDITION.is_valid(condition))
    assert evaluate(condition, subject, now) in (True, False)


JUNK_KEYS = st.sampled_from(["all", "any", "not", "property", "op", "value", "event", "where", "count", "within", "segment", "message", "status", "x"])
junk = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JUNK_KEYS, inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(condition=junk, subject=subjects)
def test_junk_only_raises_value_error(condition: Any, subject: SnapshotSubject) -> None:
    try:
        result = evaluate(condition, subject, NOW)
    except ValueError as error:
        assert str(error).endswith(".")
    else:
        assert result in (True, False)


def _part(condition: Any, pointer: str) -> Any:
    for key in pointer.split("/")[1:]:
        condition = condition[int(key)] if isinstance(condition, list) else condition[key]
    return condition


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=filter_sql.conditions, row=filter_sql.contact_rows, segments=st.sets(st.sampled_from([1, 2, 3])),
       statuses=st.sets(st.sampled_from(["sent", "read"])))
def test_the_explainer_decides_as_the_predicate_and_names_the_rule_that_decided(
        condition: dict[str, Any], row: dict[str, Any], segments: set[int], statuses: set[str]) -> None:
    """Its outcome is the predicate's; along its pointer, each all/any group's named rule is the first whose
    outcome decides the group (a failing one in an all, a holding one in an any), every rule before it went the
    other way; an empty pointer at a group means no rule decided early (all held, or none of an any did)."""
    subject = SnapshotSubject(properties=row["properties"], event_log=row["events"], segments=segments,
                              messages={"email_a": statuses})
    holds, pointer = compile_explainer(condition)(subject, filter_sql.NOW)
    assert holds is evaluate(condition, subject, filter_sql.NOW)
    parts = pointer.split("/")[1:]
    at, index = condition, 0
    while index < len(parts):
        key = parts[index]
        if key == "not":
            at, index = at["not"], index + 1
            continue
        chosen = int(parts[index + 1])
        decisive = key == "any"
        outcomes = [evaluate(child, subject, filter_sql.NOW) for child in at[key]]
        assert outcomes[chosen] is decisive and decisive not in outcomes[:chosen]
        at, index = at[key][chosen], index + 2
    assert at == _part(condition, pointer)
    if len(at) == 1 and next(iter(at)) in ("all", "any"):  # a group named whole: no rule decided early
        key = next(iter(at))
        assert [evaluate(child, subject, filter_sql.NOW) for child in at[key]] == [key == "all"] * len(at[key])
