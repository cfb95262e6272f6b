"""Storing segments: validate the condition as flows do, refuse what would break, and say when memberships need a refresh.

Memberships are kept only for segments a live flow starts on (workflow_runtime.engine.segments).
When such a segment's condition changes, every contact is re-checked by the runtime's own
segment sweep: those the new condition takes in enter the segment (and the flows start
for them, as for any entry), those it leaves out leave it. Other segments have no stored
memberships: their counts and previews evaluate the condition when asked.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.errors import ErrorCode
from flows.schema_messages import SchemaLayer
from flows.schemas import ref, validator
from workflow_runtime.engine.filters import compile_condition
from workflow_runtime.engine.segments import live_segment_triggers
from workflow_runtime.storage.models import Flow, FlowSegmentTrigger, Segment

_CONDITION = validator(ref("filter.schema.json", "condition"))


class SegmentNotFound(LookupError):
    """No segment has this id."""


class SegmentInvalid(ValueError):
    """A segment cannot be stored as given; `errors` are field-level: {"field", "pointer", "message"}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(error["message"] for error in errors))
        self.errors = errors


class SegmentInUse(RuntimeError):
    """A flow starts on the segment, so it cannot be deleted."""


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


def delete_segment(session: Session, segment: Segment) -> None:
    """Delete a segment no flow starts on; raises SegmentInUse naming the flows that do."""
    query = (select(Flow.id, Flow.name).join(FlowSegmentTrigger, FlowSegmentTrigger.flow_id == Flow.id)
             .where(FlowSegmentTrigger.segment_id == segment.id).distinct().order_by(Flow.id))
    flows = session.execute(query).all()
    if flows:
        names = ", ".join(f"'{name}' (id {flow_id})" for flow_id, name in flows)
        raise SegmentInUse(f"Segment '{segment.name}' starts the flows {names}: change their triggers first.")
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


def _error(pointer: str, message: str) -> dict[str, str]:
    return {"field": pointer.lstrip("/").replace("/", "."), "pointer": pointer, "message": message}
