"""Server-side login sessions: start one, find the live one a cookie names, end one or all of a user's.

The cookie holds a random session id; only its SHA-256 is stored (as for API tokens), so a
leaked database logs nobody in, and deleting a row logs its browser out for good.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import LoginSession, User


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(session: Session, user: User, lifetime: timedelta) -> tuple[LoginSession, str]:
    """A new session row for `user` and the id for its cookie (only hashed in the row); drops their expired ones."""
    # Sessions nobody logged out of are cleared here, so the table keeps no more than the live logins.
    expired = delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.created_at <= _oldest(lifetime))
    session.execute(expired)
    session_id = secrets.token_urlsafe(32)
    row = LoginSession(user_id=user.id, token_hash=_digest(session_id), csrf_token=secrets.token_urlsafe(32))
    session.add(row)
    session.flush()
    return row, session_id


def find(session: Session, session_id: str, lifetime: timedelta) -> LoginSession | None:
    """The session `session_id` names, if it was not ended, is younger than `lifetime` and its user is not disabled."""
    return session.scalar(
        select(LoginSession)
        .join(User, User.id == LoginSession.user_id)
        .where(
            LoginSession.token_hash == _digest(session_id),
            LoginSession.created_at > _oldest(lifetime),
            # Besides ending their sessions, disabling checks here: a login racing the disabling stays refused.
            User.disabled_at.is_(None),
        )
    )


def end(session: Session, row: LoginSession) -> None:
    """Log this session out: its cookie, and every copy of it, stops working."""
    session.delete(row)


def end_all(session: Session, user: User) -> None:
    """Log the user out everywhere (a new password, a disabled user)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def _oldest(lifetime: timedelta) -> datetime:
    return datetime.now(timezone.utc) - lifetime
