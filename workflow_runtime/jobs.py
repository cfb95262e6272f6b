"""RQ entry points: thin, id-only, idempotent. A retried or duplicated job changes nothing twice."""
from __future__ import annotations

from collections.abc import Sequence

from workflow_runtime import engine, runtime


def advance_runs(run_ids: Sequence[int]) -> int:
    """Advance the due runs among `run_ids`; returns the steps taken."""
    current = runtime.current()
    with current.sessions.begin() as session:
        effects = engine.advance_runs(session, run_ids, current.clock.now())
    current.dispatcher.mirror(effects.wakeups)
    return effects.steps


def process_events(event_ids: Sequence[int]) -> int:
    """Apply the events (goals, exit rules, wake-ups, enrolment) and advance what they touched; returns steps."""
    current = runtime.current()
    with current.sessions.begin() as session:
        effects = engine.process_events(session, event_ids, current.clock.now())
    current.dispatcher.mirror(effects.wakeups)
    return effects.steps


def refresh_segments(contact_ids: Sequence[int]) -> int:
    """Re-check tracked segment memberships for these contacts (the periodic sweep); returns steps."""
    current = runtime.current()
    with current.sessions.begin() as session:
        effects = engine.refresh_segments(session, contact_ids, current.clock.now())
    current.dispatcher.mirror(effects.wakeups)
    return effects.steps
