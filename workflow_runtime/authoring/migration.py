"""Publishing a live flow with a migration plan: keep its contacts on the versions they entered, or move the ones
waiting to the new version.

`preview` answers, against the document about to be published, "N contacts waiting at X (version 1) → Y" for
every node of an older version where contacts are, which of them go by themselves (the same node, its wait
unchanged) and which need the marketer's choice (a node removed, its type or its wait changed); nothing is
written. `publish` refuses a plan that misses a needed choice or names a node that does not exist, with a
sentence naming the version and node, then freezes the draft and, for a move, records the migration in the
same transaction; jobs then move the runs a chunk at a time (engine.version_migration, where the rules of who
moves where, and how, live).
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select, update
from sqlalchemy.orm import Session

from flows.document import node_label
from flows.validation import FlowInvalid
from workflow_runtime.authoring import flow_store
from workflow_runtime.engine.definition import FlowDefinition, load_definition
from workflow_runtime.engine.version_migration import Change, Choices, Target, change_of, older_versions, target_for
from workflow_runtime.storage.bulk import any_of
from workflow_runtime.storage.models import (
    UNFINISHED,
    UNFINISHED_MIGRATIONS,
    Flow,
    FlowMigration,
    FlowVersion,
    MigrationStatus,
    Run,
    RunStatus,
)


class MigrationMode(str, enum.Enum):
    """keep: every contact stays on the version they entered (the default, as before plans); move: contacts waiting
    in older versions move to the new one."""

    KEEP = "keep"
    MOVE = "move"


@dataclass(frozen=True)
class Choice:
    """The contacts waiting at `node_id` of version `version` go to node `to` of the new version (None: they exit)."""

    version: int
    node_id: str
    to: str | None


@dataclass(frozen=True)
class MigrationPlan:
    """What publishing does with the contacts of older versions."""

    mode: MigrationMode = MigrationMode.KEEP
    choices: tuple[Choice, ...] = ()

    def keyed(self) -> Choices:
        return {(choice.version, choice.node_id): choice.to for choice in self.choices}


@dataclass(frozen=True)
class Problem:
    """Why a plan is refused, naming the version and node (and `index`, the choice in the plan's map, if one)."""

    message: str
    version: int | None
    node_id: str | None
    index: int | None = None


class PlanRefused(ValueError):
    """The plan cannot be applied; `problems` name each node concerned."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems[0].message if len(problems) == 1
                         else f"{problems[0].message} (and {len(problems) - 1} more)")
        self.problems = list(problems)


class Action(str, enum.Enum):
    """What happens to the contacts waiting at a node: move (to `to`), exit, stay (a keep plan), or choose (a move
    plan must say, and does not)."""

    MOVE = "move"
    EXIT = "exit"
    STAY = "stay"
    CHOOSE = "choose"


class Wake(str, enum.Enum):
    """When moved contacts wake: kept (the same wait, unchanged), recomputed (the new node's wait, counted from when
    they started waiting), now (the node is no wait: it executes at once)."""

    KEPT = "kept"
    RECOMPUTED = "recomputed"
    NOW = "now"


@dataclass(frozen=True)
class WaitingAt:
    """The contacts at one node of an older version, and where the plan sends them."""

    version: int
    node_id: str
    node_type: str
    label: str
    change: str  # engine.version_migration.Change
    waiting: int  # settled there: what a move plan moves (or exits)
    staying: int  # a step away (active, woken) or mid-send: they stay on their version
    action: Action
    chosen: bool  # by the plan's map, not by the rule for an unchanged node
    to: str | None = None
    to_label: str | None = None
    wake: Wake | None = None


@dataclass(frozen=True)
class Preview:
    """What a plan would do, against the version number `to_version` about to be published."""

    to_version: int
    nodes: list[WaitingAt] = field(default_factory=list)

    @property
    def moving(self) -> int:
        return sum(row.waiting for row in self.nodes if row.action is Action.MOVE)

    @property
    def exiting(self) -> int:
        return sum(row.waiting for row in self.nodes if row.action is Action.EXIT)

    @property
    def staying(self) -> int:
        return sum(row.staying + (row.waiting if row.action in (Action.STAY, Action.CHOOSE) else 0)
                   for row in self.nodes)

    @property
    def missing(self) -> list[WaitingAt]:
        """The nodes where contacts wait that the plan must choose for and does not."""
        return [row for row in self.nodes if row.action is Action.CHOOSE and row.waiting]


def next_number(session: Session, flow: Flow) -> int:
    """The number the flow's next published version takes."""
    return (session.scalar(select(func.max(FlowVersion.number)).where(FlowVersion.flow_id == flow.id)) or 0) + 1


def preview(session: Session, flow: Flow, document: dict[str, Any], number: int, plan: MigrationPlan) -> Preview:
    """Where a plan sends the contacts of the flow's versions before `number`, `document` being that version's (a
    valid one: the draft about to be published, or the version just published). Raises PlanRefused for a choice
    naming a version or node that does not exist; a missing choice is a row to `choose`, not an error."""
    new = FlowDefinition.from_document(0, flow.id, document)
    older = older_versions(session, flow.id, number)
    refuse_unknown_nodes(session, plan, older, new, number)
    choices = plan.keyed() if plan.mode is MigrationMode.MOVE else {}
    # engine.version_migration.is_settled, in SQL: waiting, not woken, no state of its node.
    settled = and_(Run.status == RunStatus.WAITING, Run.resume.is_(None), cast(Run.node_state, String) == "{}")
    query = (
        select(Run.flow_version_id, Run.node_id, func.count(), func.sum(case((settled, 1), else_=0)))
        .where(any_of(session, Run.flow_version_id, older), Run.status.in_(UNFINISHED))
        .group_by(Run.flow_version_id, Run.node_id)
    )
    rows: list[tuple[int, int, WaitingAt]] = []
    for version_id, node_id, unfinished, waiting in session.execute(query):
        old = load_definition(session, version_id)
        version, spec, settled_here = older[version_id], old.nodes[node_id], int(waiting or 0)
        row = WaitingAt(version, node_id, spec.node_type.type, node_label(_document(session, version_id), node_id),
                        change_of(spec, new.nodes.get(node_id)), settled_here, unfinished - settled_here,
                        Action.STAY if plan.mode is MigrationMode.KEEP else Action.MOVE,
                        chosen=(version, node_id) in choices)
        if plan.mode is MigrationMode.MOVE:
            row = _sent(row, target_for(spec, version, new, choices), new, document)
        rows.append((version, list(old.nodes).index(node_id), row))  # in the order the map was drawn
    return Preview(number, [row for _version, _index, row in sorted(rows, key=lambda item: item[:2])])


def _sent(row: WaitingAt, target: Target | None, new: FlowDefinition, document: dict[str, Any]) -> WaitingAt:
    """The row with where the plan sends its contacts, and when they wake there."""
    if target is None:
        return replace(row, action=Action.CHOOSE, chosen=False)
    if target.node_id is None:
        return replace(row, action=Action.EXIT)
    waits = new.nodes[target.node_id].node_type.waits
    return replace(row, to=target.node_id, to_label=node_label(document, target.node_id),
                   wake=(Wake.KEPT if target.kept else Wake.RECOMPUTED) if waits else Wake.NOW)


def _document(session: Session, version_id: int) -> dict[str, Any]:
    return session.get(FlowVersion, version_id).document


def refuse_unknown_nodes(session: Session, plan: MigrationPlan, older: dict[int, int], new: FlowDefinition,
                         number: int) -> None:
    """Raise PlanRefused for a map in a keep plan, and for every choice naming a version, a node of it or a target
    that does not exist (or a trigger, where contacts only enter)."""
    if plan.mode is MigrationMode.KEEP:
        if plan.choices:
            raise PlanRefused([Problem("A keep plan leaves every contact on the version they entered: leave out the "
                                       "map, or set mode to move.", None, None, 0)])
        return
    numbers = {version: version_id for version_id, version in older.items()}
    problems: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    for index, choice in enumerate(plan.choices):
        where = f"'{choice.node_id}' of version {choice.version}"
        if (choice.version, choice.node_id) in seen:
            problems.append(Problem(f"The map has two choices for {where}: keep one.", choice.version,
                                    choice.node_id, index))
        seen.add((choice.version, choice.node_id))
        if choice.version not in numbers:
            problems.append(Problem(f"The map names version {choice.version}, which is not a version of this flow "
                                    f"before version {number}.", choice.version, choice.node_id, index))
        elif choice.node_id not in load_definition(session, numbers[choice.version]).nodes:
            problems.append(Problem(f"The map names {where}: version {choice.version} has no such node.",
                                    choice.version, choice.node_id, index))
        if choice.to is None:
            continue
        target = new.nodes.get(choice.to)
        if target is None:
            problems.append(Problem(f"The map sends the contacts waiting at {where} to '{choice.to}', which version "
                                    f"{number} does not have: pick one of its nodes, or exit.", choice.version,
                                    choice.node_id, index))
        elif target.node_type.is_entry:
            problems.append(Problem(f"The map sends the contacts waiting at {where} to '{choice.to}', a trigger: "
                                    "contacts only enter a flow there. Pick another node, or exit.", choice.version,
                                    choice.node_id, index))
    if problems:
        raise PlanRefused(problems)


def refuse_missing_choices(previewed: Preview) -> None:
    """Raise PlanRefused naming each node where contacts wait that the plan must choose for and does not."""
    problems = [Problem(f"{row.waiting} contact{'s' if row.waiting != 1 else ''} wait at '{row.node_id}' of version "
                        f"{row.version}, which version {previewed.to_version} {_WHY[row.change]}: choose a node of "
                        f"version {previewed.to_version} for them, or exit.", row.version, row.node_id)
                for row in previewed.missing]
    if problems:
        raise PlanRefused(problems)


_WHY = {Change.REMOVED: "no longer has", Change.TYPE_CHANGED: "turned into another type of node",
        Change.WAIT_CHANGED: "waits differently at"}


def publish(session: Session, flow: Flow, plan: MigrationPlan, now: datetime,
            wall_now: datetime) -> tuple[FlowVersion, FlowMigration | None]:
    """Publish the draft (flow_store.publish_flow) and, for a move plan, record its migration (flushed, so it has
    its id) for jobs to apply; an earlier migration of the flow still running is superseded by it.

    Raises FlowInvalid (the draft) or PlanRefused (the plan) before anything is written.
    """
    if plan.mode is MigrationMode.KEEP:
        refuse_unknown_nodes(session, plan, {}, FlowDefinition(0, flow.id, {}, {}), 0)  # a keep plan takes no map
        return flow_store.publish_flow(session, flow), None
    errors = flow_store.draft_errors(session, flow)
    if errors:
        raise FlowInvalid(errors)
    previewed = preview(session, flow, flow.draft, next_number(session, flow), plan)
    refuse_missing_choices(previewed)
    version = flow_store.publish_flow(session, flow)
    session.execute(
        update(FlowMigration)
        .where(FlowMigration.flow_id == flow.id, FlowMigration.status.in_(UNFINISHED_MIGRATIONS))
        .values(status=MigrationStatus.FAILED, finished_at=now, touched_at=wall_now,
                error=f"superseded by the migration to version {version.number}, which moves these contacts")
        .execution_options(synchronize_session=False)
    )
    migration = FlowMigration(
        flow_id=flow.id, to_version_id=version.id, status=MigrationStatus.QUEUED,
        choices=[{"version": choice.version, "node_id": choice.node_id, "to": choice.to} for choice in plan.choices],
        to_move=previewed.moving + previewed.exiting, cursor=0, sweep=1, skipped=0, moved=0, exited=0,
        created_at=now, touched_at=wall_now,
    )
    session.add(migration)
    session.flush()
    return version, migration
