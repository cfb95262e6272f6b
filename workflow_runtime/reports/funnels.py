"""Funnels over the stored events, computed in SQL (PostgreSQL, and the same on SQLite).

A funnel is 2 to 8 ordered steps, each an event name with optional rules on the event's properties
(the filter language's), a conversion window, and the time range in which step 1 happened.

What a contact reaches, exactly (tests/workflow_runtime/test_funnels.py recounts it by brute force):
  - every event of the contact matching step 1 within the range is a *start*;
  - from a start, step k is the earliest event matching it after step k-1's event — later in time, or at
    the same time with a higher id (the order events were stored in) — and no later than the start plus
    the window; in strict order it must be the very next event of the contact, whatever its name;
  - the contact reaches the most steps any start reaches; of the starts that do, the earliest one is the
    contact's, and its step times give the time between steps (their medians) and its step-1 event the
    breakdown by UTM tag.

Each step is one probe of ix_events_contact_id_name_timestamp_id per start that reached the step before (an
`ORDER BY timestamp, id LIMIT 1`): on PostgreSQL a chain of LEFT JOIN LATERAL, on SQLite (no LATERAL) a chain
of materialized CTEs adding the event's id, then its time. The window's end is `start + window`, an interval on PostgreSQL and,
on SQLite, the start's whole seconds moved by the window's (strftime) with its microseconds after them,
so the comparison stays exact to the microsecond on both.
"""
from __future__ import annotations

import enum
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import CTE, ColumnElement, Interval, Select, and_, case, func, literal, or_, select, text, true
from sqlalchemy.orm import Session, aliased

from workflow_runtime.engine.attribution import UTM_TAGS
from workflow_runtime.engine.filter_sql import NotCompilable, compile_where, json_text, properties_match
from workflow_runtime.engine.filters import compile_condition
from workflow_runtime.storage.models import Contact, Event, Segment
from workflow_runtime.storage.models.contact import builtin_fields

MIN_STEPS, MAX_STEPS = 2, 8
MAX_WINDOW = timedelta(days=365)
BREAKDOWN_GROUPS = 10  # values shown apart; the rest are added up as OTHER
OTHER = "(other)"


class Order(str, enum.Enum):
    """sequence: steps in order, other events allowed between; strict: each step the contact's very next event."""

    SEQUENCE = "sequence"
    STRICT = "strict"


class InvalidFunnel(ValueError):
    """A definition the funnel cannot be computed for; `pointer` names where (a JSON pointer)."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True)
class Step:
    event: str
    where: tuple[Mapping[str, Any], ...] = ()
    label: str | None = None


@dataclass(frozen=True)
class Breakdown:
    """Split the contacts by a UTM tag of their step-1 event, a contact property, or membership of a segment."""

    by: str  # one of UTM_TAGS, "property" or "segment"
    property: str | None = None
    segment_id: int | None = None


@dataclass(frozen=True)
class Funnel:
    steps: tuple[Step, ...]
    window: timedelta
    order: Order
    since: datetime
    until: datetime
    breakdown: Breakdown | None = None


def check(funnel: Funnel) -> None:
    """InvalidFunnel naming the first problem of a definition (its schema checked the shapes already)."""
    if not MIN_STEPS <= len(funnel.steps) <= MAX_STEPS:
        raise InvalidFunnel("/steps", f"A funnel has {MIN_STEPS} to {MAX_STEPS} steps, not {len(funnel.steps)}.")
    for index, step in enumerate(funnel.steps):
        try:
            compile_condition({"event": step.event, "where": list(step.where)})
        except ValueError as error:
            raise InvalidFunnel(f"/steps/{index}", f"Step {index + 1}: {error}") from error
    if not timedelta(seconds=1) <= funnel.window <= MAX_WINDOW or funnel.window.microseconds:
        raise InvalidFunnel("/window", "The window is whole seconds, from a second to a year.")
    if funnel.since >= funnel.until:
        raise InvalidFunnel("/from", "`from` must come before `to`.")
    if funnel.breakdown and funnel.breakdown.by == "property" and not funnel.breakdown.property:
        raise InvalidFunnel("/breakdown/property", "Say which contact property to break the funnel down by.")
    if funnel.breakdown and '"' in (funnel.breakdown.property or ""):
        raise InvalidFunnel("/breakdown/property", "A property path cannot hold a double quote.")
    if funnel.breakdown and funnel.breakdown.by == "segment" and funnel.breakdown.segment_id is None:
        raise InvalidFunnel("/breakdown/segment_id", "Say which segment to break the funnel down by.")


def journeys(session: Session, funnel: Funnel, now: datetime) -> Select[Any]:
    """One row per contact who started the funnel: contact_id, depth (steps reached), t1…tn (None past the depth)
    and `breakdown` (its value, or None)."""
    check(funnel)
    dialect = session.get_bind().dialect.name
    first = aliased(Event, name="first_step")
    starts = select(
        first.contact_id.label("contact_id"), first.id.label("i1"), first.timestamp.label("t1"),
        _start_breakdown(first, funnel.breakdown).label("tag"),
    ).where(first.name == funnel.steps[0].event, first.timestamp >= funnel.since, first.timestamp <= funnel.until,
            _matches(session, funnel.steps[0], first, now))
    if dialect == "postgresql":
        # The correlated steps make the planner's estimates large enough to JIT-compile the query, which took half of
        # a 250,000-event funnel (1.1 of 2.3 s) to save nothing; and it caches each step's probes (Memoize), which
        # never hit, every probe following another event. For this transaction only.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL enable_memoize = off"))
        reached = _laterally(session, funnel, starts, now)
    else:
        reached = _by_layers(session, funnel, starts, now)
    steps = len(funnel.steps)
    depth = 1 + sum((case((reached.c[f"i{number}"].is_not(None), 1), else_=0) for number in range(2, steps + 1)),
                    start=literal(0))
    ranked = select(reached, depth.label("depth"), func.row_number().over(
        partition_by=reached.c.contact_id, order_by=(depth.desc(), reached.c.t1, reached.c.i1)).label("rank")
    ).subquery()
    breakdown = _contact_breakdown(session, funnel.breakdown, ranked.c.contact_id, ranked.c.tag, dialect, now)
    return select(ranked.c.contact_id, ranked.c.depth, *(ranked.c[f"t{number}"] for number in range(1, steps + 1)),
                  breakdown.label("breakdown")).where(ranked.c.rank == 1)


def _laterally(session: Session, funnel: Funnel, starts: Select[Any], now: datetime) -> Any:
    """PostgreSQL: each start joined, step after step, to the event that reaches the next step (LEFT JOIN LATERAL,
    one index probe each, and none once a step was missed)."""
    start = starts.subquery("starts")
    joined: Any = start
    columns: list[Any] = [start.c.contact_id, start.c.tag, start.c.i1, start.c.t1]
    previous_id, previous_time = start.c.i1, start.c.t1
    outer: list[Any] = [start]  # what each step's subquery refers to: the start and the steps before
    for number, step in enumerate(funnel.steps[1:], start=2):
        candidate = aliased(Event, name=f"candidate{number}")
        conditions = _candidates(session, funnel, step, candidate, start.c, previous_time, previous_id, "postgresql", now)
        found = select(candidate.id, candidate.timestamp, candidate.name, candidate.properties).where(
            previous_time.is_not(None), *conditions).order_by(candidate.timestamp, candidate.id).limit(1).correlate(*outer)
        if funnel.order is Order.STRICT:  # the very next event counts only if it is the step's, within the window
            following = found.subquery(f"following{number}")
            found = select(following.c.id, following.c.timestamp).where(
                _holds(session, funnel, step, following.c, start.c.t1, "postgresql", now)).correlate(*outer)
        step_event = found.lateral(f"step{number}")
        outer.append(step_event)
        joined = joined.outerjoin(step_event, true())
        columns += [step_event.c.id.label(f"i{number}"), step_event.c.timestamp.label(f"t{number}")]
        previous_id, previous_time = step_event.c.id, step_event.c.timestamp
    return select(*columns).select_from(joined).subquery("reached")


def _by_layers(session: Session, funnel: Funnel, starts: Select[Any], now: datetime) -> Any:
    """SQLite, which has no LATERAL: a chain of materialized CTEs, each adding to every start that reached the step
    before the id of the event reaching the next (a correlated subquery), then that event's time."""
    layer: CTE = starts.cte("step1").prefix_with("MATERIALIZED")
    carried = ["contact_id", "tag", "i1", "t1"]
    for number, step in enumerate(funnel.steps[1:], start=2):
        candidate = aliased(Event, name=f"candidate{number}")
        previous_time = layer.c[f"t{number - 1}"]
        conditions = _candidates(session, funnel, step, candidate, layer.c, previous_time, layer.c[f"i{number - 1}"],
                                 "sqlite", now)
        following = (select(candidate.id).where(*conditions).order_by(candidate.timestamp, candidate.id).limit(1)
                     .correlate(layer).scalar_subquery())
        # Only a start that reached the step before looks further: CASE spares the others the subquery.
        found = select(layer, case((previous_time.is_not(None), following)).label("candidate")).cte(
            f"candidate{number}").prefix_with("MATERIALIZED")
        reached = aliased(Event, name=f"reached{number}")
        holds = [reached.id == found.c.candidate]
        if funnel.order is Order.STRICT:  # the very next event counts only if it is the step's, within the window
            holds.append(_holds(session, funnel, step, reached, found.c.t1, "sqlite", now))
        event_id = select(reached.id).where(*holds).scalar_subquery()
        moment = select(reached.timestamp).where(*holds).scalar_subquery()
        layer = select(*(found.c[name] for name in carried), case((found.c.candidate.is_not(None), event_id))
                       .label(f"i{number}"), case((found.c.candidate.is_not(None), moment)).label(f"t{number}")
                       ).cte(f"step{number}").prefix_with("MATERIALIZED")
        carried += [f"i{number}", f"t{number}"]
    return layer


def compute(session: Session, funnel: Funnel, now: datetime) -> dict[str, Any]:
    """The funnel's figures: per step the contacts who reached it, rates, the median time from the step before;
    and the same counts per breakdown value (the BREAKDOWN_GROUPS largest by step 1, the rest as OTHER).

    PostgreSQL adds them up itself (counts and percentile_cont medians, the total and each breakdown value in one
    pass: GROUPING SETS), so a million events' journeys never cross the wire; SQLite's rows are added up here."""
    if session.get_bind().dialect.name == "postgresql":
        counts, medians, groups = _summed_in_sql(session, funnel, now)
    else:
        counts, medians, groups = _summed_here(session, funnel, now)
    steps = [{"index": number, "event": step.event, "label": step.label or step.event, "count": counts[number - 1],
              "median_seconds_from_previous": medians[number - 1]}
             for number, step in enumerate(funnel.steps, start=1)]
    _rates(steps)
    return {"steps": steps, "breakdown": _breakdown(groups, len(funnel.steps)) if funnel.breakdown else None}


Summed = tuple[list[int], list[float | None], dict[str | None, list[int]]]


def _summed_in_sql(session: Session, funnel: Funnel, now: datetime) -> Summed:
    journey = journeys(session, funnel, now).subquery()
    figures: list[Any] = []
    for number in range(1, len(funnel.steps) + 1):
        reached = journey.c.depth >= number
        figures.append(func.count().filter(reached))
        if number > 1:
            gap = func.extract("epoch", journey.c[f"t{number}"] - journey.c[f"t{number - 1}"])
            figures.append(func.percentile_cont(0.5).within_group(gap).filter(reached))
    value = journey.c.breakdown
    query = select(func.grouping(value), value, *figures).group_by(func.grouping_sets(text("()"), value)) \
        if funnel.breakdown else select(literal(1), literal(None), *figures)
    counts: list[int] = []
    medians: list[float | None] = []
    groups: dict[str | None, list[int]] = {}
    for grouped, breakdown, *row in session.execute(query):
        step_counts = [row[0], *row[1::2]]
        if grouped:  # the total of every contact: the grand total row of the grouping sets
            counts, medians = step_counts, [None, *(None if median is None else float(median) for median in row[2::2])]
        else:
            groups[None if breakdown is None else str(breakdown)] = step_counts
    return counts, medians, groups


def _summed_here(session: Session, funnel: Funnel, now: datetime) -> Summed:
    rows = session.execute(journeys(session, funnel, now)).all()
    counts: list[int] = []
    medians: list[float | None] = []
    for number in range(1, len(funnel.steps) + 1):
        reached = [row for row in rows if row.depth >= number]
        gaps = [(_moment(row[1 + number]) - _moment(row[number])).total_seconds() for row in reached] \
            if number > 1 else []
        counts.append(len(reached))
        medians.append(statistics.median(gaps) if gaps else None)
    groups: dict[str | None, list[int]] = {}
    for row in rows:
        depths = groups.setdefault(None if row.breakdown is None else str(row.breakdown), [0] * len(funnel.steps))
        for number in range(row.depth):
            depths[number] += 1
    return counts, medians, groups


def contacts(session: Session, funnel: Funnel, now: datetime, step: int, dropped: bool, limit: int | None = None,
             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The contacts who reached step `step` (1-based) — or, `dropped`, reached it and not the next — latest first,
    with when they reached it; and how many there are."""
    if not 1 <= step <= len(funnel.steps) or (dropped and step == len(funnel.steps)):
        raise InvalidFunnel("/step", f"Choose a step from 1 to {len(funnel.steps) - (1 if dropped else 0)}.")
    journey = journeys(session, funnel, now).subquery()
    chosen = journey.c.depth == step if dropped else journey.c.depth >= step
    reached_at = journey.c[f"t{step}"]
    total = session.scalar(select(func.count()).select_from(journey).where(chosen)) or 0
    query = (select(Contact, reached_at).join(journey, journey.c.contact_id == Contact.id).where(chosen)
             .order_by(reached_at.desc(), Contact.id.desc()).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    items = [{"id": contact.id, "name": contact.name, "email": contact.email, "user_id": contact.user_id,
              "reached_at": _moment(at).isoformat()} for contact, at in session.execute(query)]
    return items, total


def _matches(session: Session, step: Step, event: Any, now: datetime) -> ColumnElement[bool]:
    try:
        return properties_match(session, step.where, event.properties, now)
    except NotCompilable as error:
        raise InvalidFunnel("/steps", f"A rule of step {step.event!r} cannot be used in a funnel: {error}") from error


def _after(candidate: Any, previous_time: Any, previous_id: Any) -> ColumnElement[bool]:
    """Later than the step before's event: a later time, or the same time and a higher id."""
    # The first term is implied by the second, and bounds the index range scan from below.
    return and_(candidate.timestamp >= previous_time, or_(
        candidate.timestamp > previous_time, and_(candidate.timestamp == previous_time, candidate.id > previous_id)))


def _candidates(session: Session, funnel: Funnel, step: Step, candidate: Any, start: Any, previous_time: Any,
                previous_id: Any, dialect: str, now: datetime) -> list[ColumnElement[bool]]:
    """The events of the start's contact that may reach `step`: after the step before's event; in sequence order
    also the step's own, within the window (in strict order the next event is judged once found: `_holds`)."""
    conditions = [candidate.contact_id == start.contact_id, _after(candidate, previous_time, previous_id)]
    if funnel.order is Order.SEQUENCE:
        conditions += [candidate.name == step.event, _matches(session, step, candidate, now),
                       candidate.timestamp <= _window_end(start.t1, funnel.window, dialect)]
    return conditions


def _window_end(start: Any, window: timedelta, dialect: str) -> ColumnElement[Any]:
    """The start plus the window, exact to the microsecond (see the module docstring)."""
    if dialect == "postgresql":
        return start + literal(window, Interval())
    seconds = int(window.total_seconds())
    return func.strftime("%Y-%m-%d %H:%M:%S", func.substr(start, 1, 19), f"+{seconds} seconds").op("||")(
        func.substr(start, 20))


def _holds(session: Session, funnel: Funnel, step: Step, event: Any, start_time: Any, dialect: str,
           now: datetime) -> ColumnElement[bool]:
    """In strict order: the contact's next event is this step's, within the window."""
    return and_(event.name == step.event, _matches(session, step, event, now),
                event.timestamp <= _window_end(start_time, funnel.window, dialect))


def _start_breakdown(first: Any, breakdown: Breakdown | None) -> ColumnElement[Any]:
    if breakdown is not None and breakdown.by in UTM_TAGS:
        return getattr(first, breakdown.by)
    return literal(None)


def _contact_breakdown(session: Session, breakdown: Breakdown | None, contact_id: Any, tag: Any, dialect: str,
                       now: datetime) -> ColumnElement[Any]:
    """The breakdown value of each row: the start's UTM tag, or a correlated read of the contact."""
    if breakdown is None or breakdown.by in UTM_TAGS:
        return tag
    if breakdown.by == "segment":
        if session.get(Segment, breakdown.segment_id) is None:
            raise InvalidFunnel("/breakdown/segment_id", f"There is no segment {breakdown.segment_id}.")
        member = compile_where(session, {"segment": breakdown.segment_id}, now)
        value = case((member, "in the segment"), else_="not in the segment")
    else:
        path = tuple((breakdown.property or "").split("."))
        value = getattr(Contact, path[0]) if len(path) == 1 and path[0] in builtin_fields(Contact()) \
            and path[0] != "tags" else json_text(path, dialect)
    return select(value).where(Contact.id == contact_id).scalar_subquery()


def _rates(steps: list[dict[str, Any]]) -> None:
    first = steps[0]["count"]
    for index, step in enumerate(steps):
        before = steps[index - 1]["count"] if index else first
        step["rate_from_first"] = step["count"] / first if first else 0.0
        step["rate_from_previous"] = step["count"] / before if before else 0.0


def _breakdown(groups: dict[str | None, list[int]], total: int) -> list[dict[str, Any]]:
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0], item[0] is None, item[0] or ""))
    shown, rest = ranked[:BREAKDOWN_GROUPS], ranked[BREAKDOWN_GROUPS:]
    if rest:
        shown.append((OTHER, [sum(counts[number] for _value, counts in rest) for number in range(total)]))
    return [{"value": value, "steps": [{"index": number + 1, "count": counts[number],
                                        "rate_from_first": counts[number] / counts[0] if counts[0] else 0.0}
                                       for number in range(total)]} for value, counts in shown]


def _moment(value: datetime | str) -> datetime:
    """A time read from a CTE: SQLite hands back the text it stores (UTC), PostgreSQL an aware datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc) if isinstance(value, str) else value
