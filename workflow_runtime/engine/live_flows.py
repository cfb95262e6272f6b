"""What is live, read once for many batches: which flows are live, their event triggers and their segment triggers.

A runtime batch reads these itself, the triggers of its events' names only, because a flow may be published or
paused between two batches. Where nothing can be (a forecast's replay, on a database of its own), the batches are
given one `LiveFlows` instead, and save the look-ups each would make.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from workflow_runtime.engine.enrolment import event_triggers
from workflow_runtime.engine.segments import live_segment_triggers
from workflow_runtime.storage.models import Flow, FlowStatus


@dataclass(frozen=True)
class LiveFlows:
    """Flow id → live; event name → the triggers starting on it; segment id → the triggers entering it. The batches
    given it fill `flows` in with any flow they meet that it does not hold (batches.advance_all)."""

    flows: dict[int, bool]
    event_triggers: dict[str, list[Row[Any]]]
    segment_triggers: dict[int, list[Row[Any]]]

    @classmethod
    def read(cls, session: Session) -> LiveFlows:
        """Every flow's status and every trigger of the live versions, as the database holds them now."""
        flows = {flow_id: status is FlowStatus.LIVE
                 for flow_id, status in session.connection().execute(select(Flow.id, Flow.status))}
        return cls(flows, event_triggers(session), live_segment_triggers(session))
