"""Who may use the builder: people who log in, their login sessions, and API tokens for scripts.

Only hashes are stored: a leaked database reveals no password, no usable session and no usable token.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow_runtime.storage.models.base import Base, str_enum, utcnow


class InboxAccess(str, enum.Enum):
    """Which conversations of the inbox a user sees: all of them, or only the unassigned ones and their own."""

    ALL = "all"
    ASSIGNED = "assigned"


class User(Base):
    """A marketer who logs in to the builder with an email and a password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set by `automap users disable`: the user can no longer log in, and their sessions were ended.
    disabled_at: Mapped[datetime | None]
    # How visitors see the user's messages in the chat (None: the team's name, never the email address).
    name: Mapped[str | None] = mapped_column(String(100))
    inbox_access: Mapped[InboxAccess] = mapped_column(str_enum(InboxAccess), default=InboxAccess.ALL,
                                                      server_default=InboxAccess.ALL.value)


class LoginSession(Base):
    """A browser logged in as a user: its cookie holds a random id whose SHA-256 is `token_hash`.

    Deleting the row logs that browser out, whatever copies of the cookie exist.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Kept as is: the browser is given it to repeat in X-CSRF-Token, and it is useless without the cookie.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A named bearer token for scripts; `token_hash` is the SHA-256 of the token, shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a list can tell tokens apart without revealing them.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
