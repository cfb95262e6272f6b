"""The workspace's keys — the public site key, the secret server key and the identity secret — as the
database keeps them, so an admin can rotate them from the builder and every process sees the new one.

A rotated key's predecessor stays valid until `previous_valid_until`, so the site can deploy the new one.
The values are kept as they are (not hashed): the Settings page shows them, and the identity secret is an
HMAC key the server needs in full.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, str_enum, utcnow


class KeyName(str, enum.Enum):
    """Which key a row holds: `write_key` (the public site key, in every page), `server_key` (the site's backend,
    trusted) or `identity_secret` (the HMAC-SHA256 key of `context.user_hash`)."""

    WRITE_KEY = "write_key"
    SERVER_KEY = "server_key"
    IDENTITY_SECRET = "identity_secret"


class WorkspaceKey(Base):
    """One key of the workspace: its current value and, for a while after a rotation, the one before."""

    __tablename__ = "workspace_keys"

    name: Mapped[KeyName] = mapped_column(str_enum(KeyName), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    previous_value: Mapped[str | None] = mapped_column(String(200))
    previous_valid_until: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
