"""What the widget tests share: a live flow that greets a visitor with a popup and a chat message."""
from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from typing import Any

from tests.live_server import live_server  # noqa: F401 - the widget tests' server
from tests.workflow_runtime.runtime_support import document
from workflow_runtime.storage.models import AnonymousId, Message

WRITE_KEY = "test-write-key"

POPUP = {
    "size": "large",
    "title": "Hi {{ name }}",
    "body": "Use {{ event.promo_code }} today",
    "button": {"text": "Back to my cart", "url": "https://shop.example/cart"},
}


def greeting_flow(popup: dict[str, Any] | None = None) -> dict[str, Any]:
    """On `visited`: a popup, then a chat message, then the end."""
    return document(
        "Greeting",
        {
            "start": ("trigger", {"event": "visited"}),
            "popup": ("send_popup", popup or POPUP),
            "chat": ("send_chat", {"body": "Can I help, {{ name }}?", "sender_name": "Anna"}),
            "end": ("exit", {}),
        },
        [("start", "next", "popup"), ("popup", "next", "chat"), ("chat", "next", "end")],
    )


def visitor(harness: Any, anonymous_id: str, **fields: Any) -> int:
    """A contact known by this browser's anonymous id (what the ingestion of its page view leaves behind)."""
    contact_id = harness.contact(**fields)
    with harness.runtime.sessions.begin() as session:
        session.add(AnonymousId(anonymous_id=anonymous_id, contact_id=contact_id))
    return contact_id


def greeted(harness: Any, contact_id: int, promo_code: str = "CART10") -> dict[str, Message]:
    """Run the greeting for the contact through the real runtime; its messages by channel."""
    harness.track(contact_id, "visited", {"promo_code": promo_code})
    return {message.channel.value: message for message in harness.messages(contact_id)}


def write_key_auth(key: str = WRITE_KEY) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sse_events(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Parse server-sent events (id, event, data) from a stream's lines; comments are skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
