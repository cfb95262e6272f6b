"""Moving the contacts who wait in a flow's older versions to a newer one, a chunk of runs at a time.

Where a waiting run goes: the marketer's choice for its (version, node) if there is one (a node of the
new version, or out of the flow); else the node of the same id, if the new version has one of the same
type whose wait did not change (`change_of` in CARRIED); else the plan must choose (authoring.migration
refuses a plan that does not), and a run that came there after the plan was made stays on its version.

A moved run ends where it waits (exited, cause `moved`, so its node still balances and its history stays
as it happened) and a new run goes on in the new version (engine.relocation.move_run), counted `entered`
there; new run ids give its sends idempotency keys of their own, so nothing the old version sent is
mistaken for the new one's. At a node that waits, the new run waits too: until the same time when the
wait carried over unchanged, else until the node's wait counted from when the contact started waiting
(its path step's time), which may be due at once. At any other node it is due now and executes it.

Only settled runs move: waiting, not woken (no `resume`), and holding no state of their node (a send that
awaits its outcome or its fallback keeps its version: its state points at the old run's message, and
moving it would send again or lose whether it was seen). Active or woken runs are a step away from
settling somewhere; a sweep that could not lock some runs sweeps again, and what is still unsettled at
the end stays on its version (`stayed`). Errored runs stay parked where they failed.

Each chunk locks its runs' contacts, then the runs, both SKIP LOCKED: a contact an event batch holds (or
a run a batch advances) is left for the next sweep rather than waited for, so no job waits on another
and an event batch never reads a contact's runs half moved.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nodes.execution import Hold
from nodes.timing import add_duration
from workflow_runtime.engine.counters import CounterBatch, ExitCause
from workflow_runtime.engine.definition import FlowDefinition, NodeSpec, load_definition
from workflow_runtime.engine.interpreter import BatchEffects, RunContext, exit_run
from workflow_runtime.engine.relocation import move_run
from workflow_runtime.storage.bulk import any_of
from workflow_runtime.storage.contact_rows import CONTACTS, ContactRow
from workflow_runtime.storage.models import (
    UNFINISHED,
    UNFINISHED_MIGRATIONS,
    FlowMigration,
    FlowVersion,
    MigrationStatus,
    Run,
    RunStatus,
)
from workflow_runtime.storage.models.run import PathStep
from workflow_runtime.storage.run_rows import COLUMNS, AnyRun, RunRow, RunRows, select_runs

# Runs examined per chunk unless the job queue's batch size says otherwise.
CHUNK = 500
# Sweeps over the waiting runs at most: a sweep that could not lock some runs is followed by another.
MAX_SWEEPS = 3

# (old version number, old node id) → a node id of the new version, or None: out of the flow.
Choices = Mapping[tuple[int, str], str | None]


class Change:
    """How a node of an older version stands in the newer one (str values, as the API shows them)."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"  # same id and type, another config that does not bear on a wait (a send's content)
    WAIT_CHANGED = "wait_changed"
    TYPE_CHANGED = "type_changed"
    REMOVED = "removed"


CARRIED = (Change.UNCHANGED, Change.CHANGED)


def change_of(old: NodeSpec, new: NodeSpec | None) -> str:
    """How `old` changed into `new` (the newer version's node of the same id, if any)."""
    if new is None:
        return Change.REMOVED
    if new.node_type is not old.node_type:
        return Change.TYPE_CHANGED
    if dict(new.config) == dict(old.config):
        return Change.UNCHANGED
    return Change.WAIT_CHANGED if old.node_type.waits else Change.CHANGED


@dataclass(frozen=True)
class Target:
    """Where a waiting run goes: a node of the new version (None: out of the flow); `kept` when it waits in the
    same wait, unchanged, so it keeps its wake-up time."""

    node_id: str | None
    kept: bool = False


def target_for(old: NodeSpec, version: int, new: FlowDefinition, choices: Choices) -> Target | None:
    """Where runs waiting at `old` (of version number `version`) go in `new`; None when that needs a choice."""
    carried = change_of(old, new.nodes.get(old.id)) in CARRIED
    if (version, old.id) in choices:
        to = choices[version, old.id]
        return Target(to, kept=to == old.id and carried)
    return Target(old.id, kept=True) if carried else None


def is_settled(run: AnyRun) -> bool:
    """Whether the run waits where it can be moved from: waiting, not woken, holding no state of its node."""
    return run.status is RunStatus.WAITING and run.resume is None and not run.node_state


def waiting_since(run: AnyRun) -> datetime | None:
    """When the run started waiting where it is: its path step's time, or, in the node a migration moved it to,
    when it started waiting before it was moved (None for steps kept before times were)."""
    moved = run.context.get("moved_from") or {}
    if len(run.path) == 1 and "waiting_since" in moved:
        return datetime.fromisoformat(moved["waiting_since"])
    return PathStep.read(run.path[-1]).entered_at


@dataclass(frozen=True)
class Chunk:
    """What one call did: the wake-ups of the runs it started (to mirror), runs ended, and whether to call again."""

    wakeups: dict[int, datetime]
    ended: int
    more: bool


def older_versions(session: Session, flow_id: int, number: int) -> dict[int, int]:
    """The flow's versions before `number`: id → number."""
    query = select(FlowVersion.id, FlowVersion.number).where(FlowVersion.flow_id == flow_id,
                                                             FlowVersion.number < number)
    return {version_id: version for version_id, version in session.execute(query)}


def migrate_next_chunk(session: Session, migration_id: int, now: datetime, wall_now: datetime,
                       size: int = CHUNK) -> Chunk:
    """Move the migration's next `size` waiting runs (in id order) as its choices say; commit the session after it."""
    migration = session.get(FlowMigration, migration_id)
    if migration is None or migration.status not in UNFINISHED_MIGRATIONS:
        return Chunk({}, 0, more=False)
    target = session.get(FlowVersion, migration.to_version_id)
    older = older_versions(session, migration.flow_id, target.number)
    candidates = session.execute(
        select(Run.id, Run.contact_id)
        .where(any_of(session, Run.flow_version_id, older), Run.status == RunStatus.WAITING, Run.resume.is_(None),
               Run.id > migration.cursor)
        .order_by(Run.id)
        .limit(size)
    ).all()
    if not candidates:
        return _end_sweep(session, migration, older, now, wall_now)
    if not _move_cursor(session, migration, cursor=candidates[-1].id):
        return Chunk({}, 0, more=False)  # another job took this chunk: it commits it and queues the next
    contacts = _lock_contacts(session, {contact_id for _run_id, contact_id in candidates})
    rows = RunRows()  # plain rows, written back in one UPDATE (see run_rows)
    runs = rows.load(session, select_runs()
                     .where(any_of(session, Run.id, [run_id for run_id, contact_id in candidates if contact_id in contacts]),
                            Run.status == RunStatus.WAITING, Run.resume.is_(None))
                     .order_by(Run.id)
                     .with_for_update(skip_locked=True))
    definition = load_definition(session, target.id)
    choices = {(choice["version"], choice["node_id"]): choice["to"] for choice in migration.choices}
    counters = CounterBatch()
    started: list[RunRow] = []
    exited = 0
    for run in runs:
        if not is_settled(run):
            continue  # mid-send: it keeps its version
        version = older[run.flow_version_id]
        where = target_for(load_definition(session, run.flow_version_id).nodes[run.node_id], version, definition,
                           choices)
        if where is None:
            continue  # it came to a node the plan has no choice for after the plan was made: it stays
        if where.node_id is None:
            exit_run(run, ExitCause.MOVED, now, counters, f"out of the flow when version {target.number} was published")
            exited += 1
            continue
        held, since = Hold(run.wake_at, run.waiting_for, run.waiting_where or ()), waiting_since(run) or now
        moved = move_run(run, where.node_id, now, counters, detail=f"to version {target.number} at {where.node_id}",
                         version_id=target.id)
        _settle(session, run, moved, version, where, (held, since), definition, contacts[run.contact_id], now,
                counters)
        # move_run builds an ORM Run; the chunk writes it as a plain row, with the others, in one INSERT.
        started.append(RunRow(**{column: getattr(moved, column) for column in COLUMNS}))
        rows.add(started[-1])
    rows.write(session)
    counters.flush(session)
    migration.skipped += len(candidates) - len(runs)
    migration.moved += len(started)
    migration.exited += exited
    migration.status = MigrationStatus.RUNNING
    migration.started_at = migration.started_at or now
    migration.touched_at = wall_now
    wakeups = {run.id: run.wake_at for run in started if run.wake_at is not None}
    return Chunk(wakeups, len(started) + exited, more=True)


def _settle(session: Session, old: AnyRun, new: Run, version: int, where: Target, waited: tuple[Hold, datetime],
            definition: FlowDefinition, contact: ContactRow, now: datetime, counters: CounterBatch) -> None:
    """Give the new run its version's goal window (counted from when the contact entered the flow) and, at a node
    that waits, the old run's wait (`waited`: its hold before it ended, and since when): kept when unchanged, else
    the node's wait counted from when it started waiting. At any other node it stays due now, to execute it."""
    new.context["moved_from"]["version"] = version
    goal = definition.goal
    new.goal_event = goal["event"] if goal else None
    new.goal_deadline = add_duration(old.entered_at, goal["within"]) if goal and goal.get("within") else None
    spec = definition.nodes[where.node_id]
    if not spec.node_type.waits:
        return
    held, since = waited
    if where.kept:
        hold = held
    else:
        context = RunContext(session, new, contact, definition, since, BatchEffects(), _away)
        outcome = spec.node_type.execute(context, spec.config)
        if not isinstance(outcome, Hold):
            return
        hold = outcome
    new.status = RunStatus.WAITING
    new.wake_at = hold.until
    new.waiting_for = hold.event
    new.waiting_where = list(hold.where) or None
    new.context["moved_from"]["waiting_since"] = since.isoformat()
    counters.add(definition.version_id, where.node_id, "waiting", now)


def _away(_contact_id: int, _at: datetime) -> bool:
    """Presence for a wait computed in the past: no wait node asks, and no one is on the site then."""
    return False


def _lock_contacts(session: Session, contact_ids: set[int]) -> dict[int, ContactRow]:
    """Lock these contacts in id order, skipping those another job holds (an event batch applying their events)."""
    query = (select(*CONTACTS.columns).where(any_of(session, CONTACTS.c.id, contact_ids)).order_by(CONTACTS.c.id)
             .with_for_update(key_share=True, skip_locked=True))
    return {row.id: row for row in (ContactRow.loaded(values) for values in session.connection().execute(query))}


def _move_cursor(session: Session, migration: FlowMigration, **values: int) -> bool:
    """Move the cursor (or start a sweep) only from the values this job read: False if another job did first (or a
    newer migration superseded this one)."""
    changed = session.execute(
        update(FlowMigration)
        .where(FlowMigration.id == migration.id, FlowMigration.cursor == migration.cursor,
               FlowMigration.sweep == migration.sweep, FlowMigration.status.in_(UNFINISHED_MIGRATIONS))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False
    for key, value in values.items():
        setattr(migration, key, value)
    return True


def _end_sweep(session: Session, migration: FlowMigration, older: Mapping[int, int], now: datetime,
               wall_now: datetime) -> Chunk:
    """Sweep again if this sweep could not lock some runs (and sweeps are left), else finish, counting who stayed."""
    if migration.skipped and migration.sweep < MAX_SWEEPS:
        if not _move_cursor(session, migration, cursor=0, sweep=migration.sweep + 1):
            return Chunk({}, 0, more=False)
        migration.skipped = 0
        migration.touched_at = wall_now
        return Chunk({}, 0, more=True)
    stayed = select(func.count()).where(any_of(session, Run.flow_version_id, older), Run.status.in_(UNFINISHED))
    migration.stayed = session.scalar(stayed) or 0
    _finish(migration, MigrationStatus.DONE, now, wall_now)
    return Chunk({}, 0, more=False)


def idle_migrations(session: Session, idle_since: datetime | None = None) -> list[int]:
    """Unfinished migrations untouched since `idle_since` (or all): their job was lost."""
    query = select(FlowMigration.id).where(FlowMigration.status.in_(UNFINISHED_MIGRATIONS)).order_by(FlowMigration.id)
    if idle_since is not None:
        query = query.where(FlowMigration.touched_at <= idle_since)
    return list(session.scalars(query))


def fail(session: Session, migration_id: int, error: str, now: datetime, wall_now: datetime) -> None:
    """Fail an unfinished migration with the reason (a chunk failed for a reason of its own; the runs moved stay
    moved)."""
    migration = session.get(FlowMigration, migration_id)
    if migration is not None and migration.status in UNFINISHED_MIGRATIONS:
        _finish(migration, MigrationStatus.FAILED, now, wall_now, error)


def _finish(migration: FlowMigration, status: MigrationStatus, now: datetime, wall_now: datetime,
            error: str | None = None) -> None:
    migration.status = status
    migration.error = error
    migration.finished_at = now
    migration.touched_at = wall_now

