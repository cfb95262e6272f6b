"""Segment entry: re-evaluate the segments live flows trigger on, and enrol contacts who enter one.

Only segments some live flow starts on are tracked, so contacts with no such flow
cost nothing. An event re-checks its contact; the scheduler also sweeps periodically, for
segments that time alone changes ("no visit for 14 days"): the sweep asks SQL, with each
tracked segment's compiled condition (engine.filter_sql), which contacts' memberships would
change now, and re-checks only those — every contact only when a condition cannot be
compiled exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, exists, not_, or_, select
from sqlalchemy.orm import Session

from workflow_runtime.engine.definition import load_definition
from workflow_runtime.engine.enrolment import Admission, start_run
from workflow_runtime.engine.filter_sql import NotCompilable, compile_where
from workflow_runtime.engine.filters import evaluate
from workflow_runtime.engine.interpreter import BatchEffects
from workflow_runtime.engine.subject import ContactSubject
from workflow_runtime.storage.contact_rows import AnyContact
from workflow_runtime.storage.models import Contact, Flow, FlowSegmentTrigger, FlowStatus, Segment, SegmentMembership
from workflow_runtime.storage.run_rows import RunRow


def live_segment_triggers(session: Session) -> dict[int, list[Row[Any]]]:
    """The live flows' "entered segment" triggers, by segment id (rows of flow_segment_triggers)."""
    query = (
        select(*FlowSegmentTrigger.__table__.columns)
        .join(Flow, Flow.id == FlowSegmentTrigger.flow_id)
        .where(Flow.status == FlowStatus.LIVE, Flow.live_version_id == FlowSegmentTrigger.flow_version_id)
    )
    triggers: dict[int, list[Row[Any]]] = defaultdict(list)
    for trigger in session.connection().execute(query):
        triggers[trigger.segment_id].append(trigger)
    return triggers


class SegmentTracker:
    """The tracked segments and some contacts' memberships of them, read once; `refresh` keeps both current."""

    def __init__(self, session: Session, contact_ids: Iterable[int],
                 triggers: dict[int, list[Row[Any]]]) -> None:
        self.session = session
        self.triggers = triggers
        contact_ids = list(contact_ids)
        self.segments = list(session.scalars(select(Segment).where(Segment.id.in_(triggers)).order_by(Segment.id)))
        self.members: defaultdict[int, set[int]] = defaultdict(set)
        if contact_ids and self.segments:
            query = select(SegmentMembership.contact_id, SegmentMembership.segment_id).where(
                SegmentMembership.contact_id.in_(contact_ids), SegmentMembership.segment_id.in_(triggers)
            )
            for contact_id, segment_id in session.execute(query):
                self.members[contact_id].add(segment_id)

    def refresh(self, contact: AnyContact, now: datetime, effects: BatchEffects,
                admission: Admission | None = None) -> list[RunRow]:
        """Update the contact's tracked memberships; returns the runs started by segments it entered."""
        session = self.session
        members = self.members[contact.id]
        subject = ContactSubject(session, contact, now)
        started = []
        for segment in self.segments:
            inside = evaluate(segment.filter, subject, now)
            if inside and segment.id not in members:
                members.add(segment.id)
                session.add(SegmentMembership(segment_id=segment.id, contact_id=contact.id, entered_at=now))
                for trigger in self.triggers[segment.id]:
                    definition = load_definition(session, trigger.flow_version_id)
                    context = {"segment": segment.id, "segment_name": segment.name}
                    run = start_run(session, definition, definition.nodes[trigger.node_id], contact, now, effects,
                                    context, admission)
                    if run is not None:
                        started.append(run)
            elif not inside and segment.id in members:
                members.discard(segment.id)
                session.execute(
                    delete(SegmentMembership).where(
                        SegmentMembership.segment_id == segment.id, SegmentMembership.contact_id == contact.id
                    )
                )
        return started


def refresh_contact(session: Session, contact: AnyContact, now: datetime, effects: BatchEffects,
                    triggers: dict[int, list[FlowSegmentTrigger]] | None = None) -> list[RunRow]:
    """Update the contact's tracked memberships; returns the runs started by segments it entered."""
    triggers = live_segment_triggers(session) if triggers is None else triggers
    if not triggers:
        return []
    return SegmentTracker(session, [contact.id], triggers).refresh(contact, now, effects)


def refresh_contacts(session: Session, contact_ids: list[int], now: datetime, effects: BatchEffects) -> list[RunRow]:
    """refresh_contact for a batch of contacts (the periodic sweep's job)."""
    triggers = live_segment_triggers(session)
    if not triggers:
        return []
    contacts = list(effects.contacts.load(session, contact_ids, lock=True).values())
    tracker = SegmentTracker(session, [contact.id for contact in contacts], triggers)
    return [run for contact in contacts for run in tracker.refresh(contact, now, effects)]


def membership_changes(session: Session, now: datetime,
                       triggers: dict[int, list[FlowSegmentTrigger]] | None = None) -> list[int] | None:
    """The contacts, in id order, whose tracked memberships a re-check would change at `now`: in a tracked segment's
    condition but not its member, or its member no longer in the condition. None when a condition cannot be
    compiled to SQL exactly (or is not valid): then only re-checking every contact tells."""
    triggers = live_segment_triggers(session) if triggers is None else triggers
    changed: set[int] = set()
    for segment in session.scalars(select(Segment).where(Segment.id.in_(triggers))):
        try:
            inside = compile_where(session, segment.filter, now)
        except (NotCompilable, ValueError):
            return None
        member = exists().where(SegmentMembership.segment_id == segment.id,
                                SegmentMembership.contact_id == Contact.id)
        query = select(Contact.id).where(or_(and_(inside, ~member), and_(member, not_(inside))))
        changed.update(session.scalars(query))
    return sorted(changed)
