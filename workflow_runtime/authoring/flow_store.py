"""Storing flows: import a document as a draft, export it back, publish immutable versions.

Every write validates first and refuses the whole document with all its errors, so
nothing is stored half-way.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from flows.document import canonical, shape_errors
from flows.scenarios import all_scenarios
from flows.upgrade import CURRENT_VERSION, upgrade
from flows.validation import ErrorCode, FlowError, FlowInvalid, ensure_valid, pointer, validate_flow
from workflow_runtime.storage.models import (
    Flow,
    FlowSegmentTrigger,
    FlowStatus,
    FlowTrigger,
    FlowVersion,
    MessageTemplate,
    Segment,
)


class FlowNotFound(LookupError):
    """No flow (or no such version of it) has this id."""


NAME_LENGTH = 200  # Flow.name's column, and the flow schema's maxLength
UNTITLED = "Untitled flow"


def get_flow(session: Session, flow_id: int) -> Flow:
    """The flow with `flow_id`, or FlowNotFound."""
    flow = session.get(Flow, flow_id)
    if flow is None:
        raise FlowNotFound(f"there is no flow with id {flow_id}")
    return flow


def import_flow(session: Session, document: Any, *, scenario_slug: str | None = None) -> Flow:
    """Store a valid document as a new draft flow under a name no other flow has (raises FlowInvalid with every error)."""
    document = ensure_valid(document)
    document["name"] = unique_name(session, document["name"])
    flow = Flow(
        name=document["name"],
        description=document.get("description", ""),
        draft=document,
        scenario_slug=scenario_slug,
    )
    session.add(flow)
    session.flush()
    return flow


def create_flow(session: Session, name: str, document: Any = None, description: str | None = None) -> Flow:
    """A new draft flow called `name`, empty or holding `document` even if it is not valid yet."""
    flow = Flow(name=name, description="", draft={})
    set_draft(flow, empty_document(name) if document is None else document, name=name, description=description)
    session.add(flow)
    session.flush()
    return flow


def empty_document(name: str) -> dict[str, Any]:
    """The draft of a flow before anything is drawn on it."""
    return canonical({"schema_version": CURRENT_VERSION, "name": name, "nodes": [], "edges": []})


def set_draft(flow: Flow, document: Any, *, name: str | None = None, description: str | None = None) -> None:
    """Replace the flow's draft; unfinished drafts are kept, but only in the shape of a flow (else FlowInvalid).

    The flow's name and description and the draft's are kept equal: `name` and
    `description` win, then the document's, then what the flow had.
    """
    errors = shape_errors(document)
    if errors:
        raise FlowInvalid(errors)
    draft = dict(upgrade(document))
    flow.name = name or _usable_name(draft.get("name")) or flow.name or UNTITLED
    if description is not None:
        flow.description = description
    elif isinstance(draft.get("description"), str):
        flow.description = draft["description"]
    draft["name"] = flow.name
    draft.pop("description", None)
    if flow.description:
        draft["description"] = flow.description
    flow.draft = canonical(draft)


def _usable_name(name: Any) -> str | None:
    return name if isinstance(name, str) and 0 < len(name.strip()) and len(name) <= NAME_LENGTH else None


def draft_errors(session: Session, flow: Flow) -> list[FlowError]:
    """Everything that would stop the draft from being published, by node id and JSON pointer."""
    return validate_flow(flow.draft) or missing_references(session, flow.draft)


def duplicate_flow(session: Session, flow: Flow) -> Flow:
    """A new draft flow with a copy of `flow`'s draft, numbered after it: "Cart" → "Cart (2)"."""
    return create_flow(session, unique_name(session, flow.name), flow.draft, flow.description)


def rename_flow(flow: Flow, name: str | None = None, description: str | None = None) -> None:
    """Change the flow's name or description (and its draft's), leaving the map as it is."""
    set_draft(flow, flow.draft, name=name, description=description)


_NUMBERED = re.compile(r" \(\d+\)$")  # the " (2)" unique_name adds
_NUMBERS_PER_QUERY = 50


def unique_name(session: Session, name: str, column: InstrumentedAttribute[str] = Flow.name) -> str:
    """`name` if no row has it in `column` (flows' names unless told), else the first "<name> (n)" from 2 up that
    none has (within NAME_LENGTH).

    A copy of a copy counts on from the first: with "Cart" and "Cart (2)" stored, "Cart (2)"
    gives "Cart (3)". A numbered name with no flow of its base name is a name of its own:
    "Sale (2024)" gives "Sale (2024) (2)".
    """
    base = _NUMBERED.sub("", name)
    taken = _taken(session, [name, base], column)
    if name not in taken:
        return name
    if base not in taken:
        base = name
    first = 2
    while True:
        candidates = [_numbered(base, number) for number in range(first, first + _NUMBERS_PER_QUERY)]
        taken = _taken(session, candidates, column)
        free = [candidate for candidate in candidates if candidate not in taken]
        if free:
            return free[0]
        first += _NUMBERS_PER_QUERY


def _taken(session: Session, names: list[str], column: InstrumentedAttribute[str]) -> set[str]:
    """Which of `names` a row has in `column`."""
    return set(session.scalars(select(column).where(column.in_(names))))


def _numbered(base: str, number: int) -> str:
    suffix = f" ({number})"
    return base[: NAME_LENGTH - len(suffix)] + suffix


def get_version(session: Session, flow: Flow, number: int) -> FlowVersion:
    """Published version `number` of the flow, or FlowNotFound."""
    stored = session.scalar(select(FlowVersion).filter_by(flow_id=flow.id, number=number))
    if stored is None:
        raise FlowNotFound(f"flow {flow.id} has no version {number}")
    return stored


def export_flow(session: Session, flow_id: int, version: int | None = None) -> dict[str, Any]:
    """The canonical document of a flow's draft, or of one of its published versions."""
    flow = get_flow(session, flow_id)
    if version is None:
        return canonical(flow.draft)
    return canonical(get_version(session, flow, version).document)


def publish_flow(session: Session, flow: Flow) -> FlowVersion:
    """Freeze the draft as the next version and make it live; running contacts keep theirs."""
    document = ensure_valid(flow.draft)
    missing = missing_references(session, document)
    if missing:
        raise FlowInvalid(missing)
    last = session.scalar(select(func.max(FlowVersion.number)).where(FlowVersion.flow_id == flow.id))
    version = FlowVersion(flow=flow, number=(last or 0) + 1, document=document)
    session.add(version)
    flow.live_version = version
    if flow.status in (FlowStatus.DRAFT, FlowStatus.ARCHIVED):
        flow.status = FlowStatus.LIVE
    session.flush()
    _index_triggers(session, flow, version)
    return version


def _index_triggers(session: Session, flow: Flow, version: FlowVersion) -> None:
    """Point the enrolment indexes at the new version's triggers; running contacts keep their version."""
    session.execute(delete(FlowTrigger).where(FlowTrigger.flow_id == flow.id))
    session.execute(delete(FlowSegmentTrigger).where(FlowSegmentTrigger.flow_id == flow.id))
    for node in version.document["nodes"]:
        if node["type"] != "trigger":
            continue
        config, where = node["config"], {"flow_version_id": version.id, "node_id": node["id"], "flow_id": flow.id}
        source = config.get("on", "event")
        if source == "event":
            session.add(FlowTrigger(event_name=config["event"], **where))
        elif source == "segment_entered":
            session.add(FlowSegmentTrigger(segment_id=config["segment"], **where))
    session.flush()


# (node type, config key) → the table the id must exist in, and what to tell the marketer.
_REFERENCES = (
    ("trigger", "segment", Segment, "segment"),
    ("send_email", "template_id", MessageTemplate, "message template"),
)


def missing_references(session: Session, document: dict[str, Any]) -> list[FlowError]:
    """Errors for node configs that name a segment or message template that does not exist."""
    errors = []
    for index, node in enumerate(document["nodes"]):
        for node_type, key, model, noun in _REFERENCES:
            wanted = node["config"].get(key) if node["type"] == node_type else None
            if wanted is not None and session.get(model, wanted) is None:
                errors.append(
                    FlowError(
                        pointer=pointer(["nodes", index, "config", key]),
                        node_id=node["id"],
                        message=f"Node '{node['id']}' uses {noun} {wanted}, which does not exist: pick an existing one.",
                        code=ErrorCode.CONFIG,
                    )
                )
    return errors


def load_scenarios(session: Session) -> list[Flow]:
    """Import each scenario not yet in the database, as a draft; returns the new flows."""
    present = set(session.scalars(select(Flow.scenario_slug).where(Flow.scenario_slug.is_not(None))))
    return [
        import_flow(session, scenario.document, scenario_slug=scenario.slug)
        for scenario in all_scenarios()
        if scenario.slug not in present
    ]
