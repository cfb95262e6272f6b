"""MessageRows.load: a delivery's messages read as plain rows, each content parsed once however many carry it."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from workflow_runtime.storage.message_rows import MessageRows
from workflow_runtime.storage.models import Channel, Contact, Message

NOW = datetime(2026, 12, 8, tzinfo=timezone.utc)
NODE_EMAIL = {"subject": "Hi {{ name }}", "body": "<mjml><mj-body><mj-text>Grüße, 👋 \"quoted\"</mj-text></mj-body></mjml>",
              "preheader": "", "limits": {"big": 2**70, "ratio": 0.1, "none": None, "list": [1, "two", {"three": 3}]}}
OTHER_EMAIL = {"subject": "Other", "body": "<mjml></mjml>"}


def test_messages_read_with_their_content_exactly_as_stored_one_dict_per_content(session: Session) -> None:
    contact = Contact(email="ann@example.com", first_seen_at=NOW, last_seen_at=NOW)
    session.add(contact)
    session.flush()
    contents: list[dict[str, Any]] = [NODE_EMAIL, OTHER_EMAIL, NODE_EMAIL]
    ids = [session.scalar(insert(Message).returning(Message.id).values(
        idempotency_key=f"rows-{number}", contact_id=contact.id, channel=Channel.EMAIL, content=content,
        statuses=["sent"], created_at=NOW, updated_at=NOW)) for number, content in enumerate(contents)]

    messages = MessageRows().load(session, ids)

    assert [messages[message_id].content for message_id in ids] == contents
    assert messages[ids[0]].content["limits"]["big"] == 2**70  # past 64 bits, still exact
    assert messages[ids[0]].content is messages[ids[2]].content
    assert [messages[message_id].statuses for message_id in ids] == [["sent"]] * 3
