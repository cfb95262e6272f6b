"""The inbox list: a viewer's conversations by view (unassigned, mine, all), status and search, latest activity
first, and the counts its tabs and the unread badge show."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from workflow_runtime.channels import team_push
from workflow_runtime.inbox.access import Viewer
from workflow_runtime.storage.models import Contact, Conversation, ConversationStatus, Reply, User


class View(str, enum.Enum):
    """Which conversations a tab of the inbox lists: nobody's yet, the viewer's, or every one the viewer sees."""

    UNASSIGNED = "unassigned"
    MINE = "mine"
    ALL = "all"


class StatusFilter(str, enum.Enum):
    """open (snoozed ones whose time came included), snoozed (still), closed, or all."""

    OPEN = "open"
    SNOOZED = "snoozed"
    CLOSED = "closed"
    ALL = "all"


@dataclass(frozen=True)
class Listed:
    """A page of conversations as the list shows them, and how many match in all."""

    items: list[dict[str, Any]]
    total: int


def status_condition(status: StatusFilter, now: datetime) -> ColumnElement[bool]:
    """The SQL condition of a status filter at `now` (a snooze that ran out counts as open)."""
    lapsed = and_(Conversation.status == ConversationStatus.SNOOZED, Conversation.snoozed_until <= now)
    if status is StatusFilter.OPEN:
        return or_(Conversation.status == ConversationStatus.OPEN, lapsed)
    if status is StatusFilter.SNOOZED:
        return and_(Conversation.status == ConversationStatus.SNOOZED, Conversation.snoozed_until > now)
    if status is StatusFilter.CLOSED:
        return Conversation.status == ConversationStatus.CLOSED
    return true()


def view_condition(view: View, viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition of a tab (a token, who is nobody, has no conversations of its own)."""
    if view is View.UNASSIGNED:
        return Conversation.assignee_id.is_(None)
    if view is View.MINE:
        return Conversation.assignee_id == viewer.user_id if viewer.user_id is not None else false()
    return true()


def search_condition(text: str) -> ColumnElement[bool]:
    """Conversations whose contact's name, email or user id, or one of whose contact's messages, contains
    `text` (case-insensitive; % and _ are plain characters)."""
    contact_matches = exists().where(Contact.id == Conversation.contact_id, or_(
        Contact.name.icontains(text, autoescape=True), Contact.email.icontains(text, autoescape=True),
        Contact.user_id.icontains(text, autoescape=True)))
    wrote_it = exists().where(Reply.contact_id == Conversation.contact_id, Reply.body.icontains(text, autoescape=True))
    return or_(contact_matches, wrote_it)


def conversations(session: Session, viewer: Viewer, now: datetime, *, view: View = View.ALL,
                  status: StatusFilter = StatusFilter.OPEN, search: str | None = None, contact_id: int | None = None,
                  limit: int = 50, offset: int = 0) -> Listed:
    """A page of the conversations the viewer sees in a tab, latest activity first (ties: newest id first)."""
    conditions = [viewer.visible(), view_condition(view, viewer), status_condition(status, now)]
    if search:
        conditions.append(search_condition(search))
    if contact_id is not None:
        conditions.append(Conversation.contact_id == contact_id)
    total = session.scalar(select(func.count()).select_from(Conversation).where(*conditions)) or 0
    rows = list(session.scalars(select(Conversation).where(*conditions)
                                .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
                                .limit(limit).offset(offset)))
    # Loaded in two queries, so each summary finds its contact and assignee in the session.
    list(session.scalars(select(Contact).where(Contact.id.in_({row.contact_id for row in rows}))))
    list(session.scalars(select(User).where(User.id.in_({row.assignee_id for row in rows if row.assignee_id}))))
    return Listed([team_push.summary(session, row, now) for row in rows], total)


def counts(session: Session, viewer: Viewer, now: datetime) -> dict[str, int]:
    """The open conversations in each tab, and how many the viewer sees hold unread messages (the badge)."""
    is_open = status_condition(StatusFilter.OPEN, now)
    query = select(
        *(func.count().filter(view_condition(view, viewer), is_open).label(view.value) for view in View),
        func.count().filter(Conversation.unread > 0).label("unread"),
    ).select_from(Conversation).where(viewer.visible())
    row = session.execute(query).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}
