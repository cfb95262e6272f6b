"""Reusable message content for the email, chat and popup channels."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, str_enum, utcnow


class Channel(str, enum.Enum):
    """How a message reaches a contact: email, chat (on-site widget) or popup (on-site); webhook: a webhook
    node's HTTP call to an integration, kept in the same ledger and delivered the same way (channels.webhook),
    though it is not a message to the contact and no template is made for it."""

    EMAIL = "email"
    CHAT = "chat"
    POPUP = "popup"
    WEBHOOK = "webhook"


# The channels the visitor's widget shows. A tuple, not a set: a `str` enum member's hash is
# not its value's, so a set of members would miss the string "chat".
ONSITE_CHANNELS = (Channel.CHAT, Channel.POPUP)
# The channels a message template is made for (a webhook's request is written in its node), as an enum of
# their own for the API to offer and check.
TEMPLATE_CHANNELS = (Channel.EMAIL, Channel.CHAT, Channel.POPUP)
TemplateChannel = enum.Enum("TemplateChannel", {channel.name: channel.value for channel in TEMPLATE_CHANNELS}, type=str)


class MessageTemplate(Base):
    """Content a send node can reference; `version` grows on every edit (render caches key on it)."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text)
    # MJML compiled to HTML when an email template is saved, so no worker compiles it again.
    compiled_html: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
