"""Who sees which conversations: a user whose inbox access is `assigned` sees the unassigned ones and their own;
every other user, and a script with an API token, sees them all. A conversation someone may not see does
not exist for them (404), in the list, the thread, the actions and the live stream alike."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import Conversation, InboxAccess, User


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the inbox: a user (None: an API token) and whether they see every conversation."""

    user_id: int | None
    sees_all: bool

    @classmethod
    def of(cls, user: User | None) -> Viewer:
        """The viewer a logged-in user (or, for None, an API token) is."""
        if user is None:
            return cls(None, True)
        return cls(user.id, user.inbox_access is not InboxAccess.ASSIGNED)

    def visible(self) -> ColumnElement[bool]:
        """The SQL condition of the conversations this viewer may see."""
        if self.sees_all:
            return true()
        return or_(Conversation.assignee_id.is_(None), Conversation.assignee_id == self.user_id)

    def may_see(self, assignee_id: int | None) -> bool:
        """Whether this viewer may see a conversation assigned to `assignee_id`."""
        return self.sees_all or assignee_id is None or assignee_id == self.user_id

    def may_see_contact(self, session: Session, contact_id: int) -> bool:
        """Whether this viewer may see what the contact wrote: the contact's conversation, if it has one, is theirs
        to see."""
        if self.sees_all:
            return True
        assignee = session.scalar(select(Conversation.assignee_id).where(Conversation.contact_id == contact_id))
        return self.may_see(assignee)

    def may_see_summary(self, summary: dict[str, Any]) -> bool:
        """`may_see` for a conversation as the inbox's notices carry it."""
        assignee = summary.get("assignee")
        return self.may_see(assignee["id"] if assignee else None)
