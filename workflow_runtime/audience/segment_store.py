"""Storing segments: validate the condition as flows do, refuse what would break, and say when memberships need a refresh.

A segment is in use while a flow starts on it (a trigger of any version), or the draft or
live version of a flow, or another segment, refers to it in a rule (`{"segment": id}` in a
condition, a goal or an exit rule): deleting it would silently change what they select.

Memberships are kept only for segments a live flow starts on (workflow_runtime.engine.segments).
When such a segment's condition changes, every contact is re-checked by the runtime's own
segment sweep: those the new condition takes in enter the segment (and the flows start
for them, as for any entry), those it leaves out leave it. Other segments have no stored
memberships: their counts and previews evaluate the condition when asked.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.errors import ErrorCode
from flows.schema_messages import SchemaLayer
from flows.schemas import ref, validator
from workflow_runtime.engine.filters import compile_condition
from workflow_runtime.engine.segments import live_segment_triggers
from workflow_runtime.storage.models import Contact, Flow, FlowSegmentTrigger, FlowVersion, Segment

_CONDITION = validator(ref("filter.schema.json", "condition"))
SNAPSHOT_CHUNK = 500  # contacts tagged per statement


class SegmentNotFound(LookupError):
    """No segment has this id."""


class SegmentInvalid(ValueError):
    """A segment cannot be stored as given; `errors` are field-level: {"field", "pointer", "message"}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(error["message"] for error in errors))
        self.errors = errors


class SegmentInUse(RuntimeError):
    """A flow or another segment uses the segment, so it cannot be deleted."""


class Named(NamedTuple):
    """A flow or a segment, by id and name."""

    id: int
    name: str


class SegmentUsers(NamedTuple):
    """Who uses a segment: flows that start on it or refer to it, and segments that refer to it, by id."""

    flows: list[Named]
    segments: list[Named]


def get_segment(session: Session, segment_id: int) -> Segment:
    """The segment with `segment_id`, or SegmentNotFound."""
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise SegmentNotFound(f"There is no segment with id {segment_id}.")
    return segment


def condition_errors(session: Session, condition: Any, segment_id: int | None = None) -> list[dict[str, str]]:
    """What is wrong with a condition (of a segment, or a contact list's filter): the filter schema's errors,
    then what only the evaluator can tell, then unknown or circular segment rules."""
    try:
        found = SchemaLayer({"filter": condition}).errors(_CONDITION, condition, ("filter",), ErrorCode.SCHEMA)
        errors = [_error(error.pointer, error.message) for error in found]
        if not errors:
            compile_condition(condition)
    except RecursionError:
        return [_error("/filter", "The filter is nested too deeply to read: use fewer levels of all / any / not.")]
    except ValueError as invalid:
        return [_error("/filter", str(invalid))]
    if errors:
        return errors
    for pointer, referred in _segment_rules(condition, "/filter"):
        if referred == segment_id:
            errors.append(_error(pointer + "/segment", f"The segment cannot contain itself (rule at {pointer})."))
        elif session.get(Segment, referred) is None:
            errors.append(_error(pointer + "/segment", f"There is no segment with id {referred}: pick an existing one."))
    return errors


def create_segment(session: Session, name: str, condition: Any, description: str = "") -> Segment:
    """Store a new segment; raises SegmentInvalid with every field's problem."""
    _check(session, name, condition, None)
    segment = Segment(name=name, description=description, filter=condition)
    session.add(segment)
    session.flush()
    return segment


def snapshot_segment(session: Session, name: str, contact_ids: Sequence[int], tag: str) -> Segment:
    """A segment of exactly these contacts, as they are now (the people a funnel step lost, say): each gets `tag`,
    and the segment's condition is that tag, so it stays these contacts while the tag stays theirs. Raises
    SegmentInvalid (a name taken) before any contact is changed."""
    condition = {"property": "tags", "op": "contains", "value": tag}
    _check(session, name, condition, None)
    for start in range(0, len(contact_ids), SNAPSHOT_CHUNK):
        chunk = contact_ids[start:start + SNAPSHOT_CHUNK]
        for contact in session.scalars(select(Contact).where(Contact.id.in_(chunk)).with_for_update()):
            contact.tags = [*(contact.tags or []), tag]
    return create_segment(session, name, condition, f"A snapshot: the {len(contact_ids)} contacts tagged {tag}.")


def update_segment(session: Session, segment: Segment, changes: Mapping[str, Any]) -> bool:
    """Apply `changes` (name, description, filter); True if memberships must be refreshed (see module docstring)."""
    name = changes.get("name", segment.name)
    condition = changes.get("filter", segment.filter)
    _check(session, name, condition, segment.id)
    refresh = "filter" in changes and condition != segment.filter and segment.id in live_segment_triggers(session)
    segment.name = name
    segment.description = changes.get("description", segment.description)
    segment.filter = condition
    session.flush()
    return refresh


def segment_users(session: Session) -> dict[int, SegmentUsers]:
    """Who uses each segment, by segment id (see the module docstring); a segment nobody uses is left out."""
    flows: defaultdict[int, set[Named]] = defaultdict(set)
    starting = select(FlowSegmentTrigger.segment_id, Flow.id, Flow.name).join(Flow, FlowSegmentTrigger.flow_id == Flow.id)
    for segment_id, flow_id, name in session.execute(starting):
        flows[segment_id].add(Named(flow_id, name))
    documents = (select(Flow.id, Flow.name, Flow.draft, FlowVersion.document)
                 .outerjoin(FlowVersion, FlowVersion.id == Flow.live_version_id))
    for flow_id, name, draft, live in session.execute(documents):
        for segment_id in _referred_segments(draft) | _referred_segments(live):
            flows[segment_id].add(Named(flow_id, name))
    segments: defaultdict[int, set[Named]] = defaultdict(set)
    for segment_id, name, condition in session.execute(select(Segment.id, Segment.name, Segment.filter)):
        for referred in _referred_segments(condition) - {segment_id}:
            segments[referred].add(Named(segment_id, name))
    return {segment_id: SegmentUsers(sorted(flows.get(segment_id, ())), sorted(segments.get(segment_id, ())))
            for segment_id in flows.keys() | segments.keys()}


def delete_segment(session: Session, segment: Segment) -> None:
    """Delete a segment nobody uses; raises SegmentInUse naming the flows and segments that do."""
    users = segment_users(session).get(segment.id)
    if users is not None:
        named = [f"the flow '{name}' (id {flow_id})" for flow_id, name in users.flows]
        named += [f"the segment '{name}' (id {segment_id})" for segment_id, name in users.segments]
        raise SegmentInUse(f"Segment '{segment.name}' is used by {_listed(named)}: change their triggers, conditions, "
                           "goals or exit rules so they no longer refer to it, then delete it.")
    session.delete(segment)
    session.flush()


def _check(session: Session, name: str, condition: Any, segment_id: int | None) -> None:
    errors = condition_errors(session, condition, segment_id)
    taken = session.scalar(select(Segment.id).where(Segment.name == name))
    if taken is not None and taken != segment_id:
        errors.insert(0, _error("/name", f"A segment called '{name}' already exists: choose another name."))
    if errors:
        raise SegmentInvalid(errors)


def _segment_rules(condition: Any, pointer: str) -> list[tuple[str, int]]:
    """(JSON pointer, segment id) of every segment rule in a schema-valid condition."""
    if "segment" in condition:
        return [(pointer, condition["segment"])]
    if "not" in condition:
        return _segment_rules(condition["not"], pointer + "/not")
    for key in ("all", "any"):
        if key in condition:
            return [found for index, child in enumerate(condition[key])
                    for found in _segment_rules(child, f"{pointer}/{key}/{index}")]
    return []


def _referred_segments(document: Any) -> set[int]:
    """The segment ids anything in a flow document or a condition refers to: every `"segment": <id>` in it,
    whether a rule's or a trigger's (walked without recursion: a stored draft may be deep)."""
    return {found["segment"] for found in _mappings(document)
            if isinstance(found.get("segment"), int) and not isinstance(found["segment"], bool)}


def _mappings(document: Any) -> Iterator[Mapping[str, Any]]:
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _error(pointer: str, message: str) -> dict[str, str]:
    return {"field": pointer.lstrip("/").replace("/", "."), "pointer": pointer, "message": message}
