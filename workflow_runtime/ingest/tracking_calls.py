"""Segment tracking calls and what each records: the event it stores, the traits it sets.

Event names (what flows, segments and goals match on):

- track  → the call's `event`, with its `properties`;
- page   → `page_viewed`, its properties holding `url`, `title`, `referrer`, `path`,
  `search` (from `properties`, else `context.page`), plus the page's `name` and
  `category` when given;
- screen → `screen_viewed`, with its properties and `name`;
- identify, group and alias store no event: identify and group change the contact,
  alias joins identities.

Every event also fills the columns `page_url`, `page_title`, `referrer` (properties,
else `context.page`) and `utm_source|medium|campaign|term|content` (`context.campaign`,
whose `name` is the campaign, else the page URL's `utm_*` query parameters), and keeps
the whole `context` (ip, userAgent, timezone, locale, library …).

Time: Segment's clock-skew correction. A call sent at `sentAt` (the client's clock)
and received at `receivedAt` (ours) happened at `receivedAt - (sentAt - timestamp)`;
without `sentAt` its `timestamp` is taken as is, and without either it happened when
it was received. The result is then clamped to the `MAX_AGE` (ten years) up to its
receipt: never later than the receipt, never earlier than ten years before it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PAGE_VIEWED = "page_viewed"
SCREEN_VIEWED = "screen_viewed"
PAGE_FIELDS = ("url", "title", "referrer", "path", "search")
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
UTM_MAX_LENGTH = 200  # events.utm_* columns
NAME_MAX_LENGTH = 200  # contacts.name

# How long before its receipt a call may have happened. A later time (a fast client clock, with
# no sentAt to correct it) becomes the receipt: nothing happens after it reached us, and a future
# event would miss the waits and goals it is for. History may be imported ten years back; an
# older time is a broken clock (epoch 0, the year 1). The clamp also keeps the correction, even
# of absurd values, inside the years a datetime can hold.
MAX_AGE = timedelta(days=3653)

# Traits stored in the contact's own columns; every other trait goes into its properties.
BUILTIN_TRAITS = {"email": "email", "name": "name", "phone": "phone", "timezone": "time_zone"}


@dataclass(frozen=True)
class Call:
    """One validated Segment call: identify, track, page, screen, group or alias."""

    type: str
    user_id: str | None = None
    anonymous_id: str | None = None
    message_id: str | None = None
    timestamp: datetime | None = None
    sent_at: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)
    event: str | None = None
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    group_id: str | None = None
    previous_id: str | None = None
    # False for a call made with the public site key whose userId no user_hash vouched for: it may
    # touch only its own anonymous contact (see ingest.identity_claims).
    verified: bool = True

    @property
    def records_event(self) -> bool:
        return self.type in ("track", "page", "screen")

    def happened_at(self, received_at: datetime) -> datetime:
        """When the call happened on our clock: corrected for the client's clock skew, clamped to the
        MAX_AGE up to its receipt."""
        if self.timestamp is None:
            return received_at
        # How long before its receipt it happened, as a difference: that of two datetimes cannot overflow.
        age = received_at - self.timestamp if self.sent_at is None else self.sent_at - self.timestamp
        return received_at - min(max(age, timedelta(0)), MAX_AGE)


def event_name(call: Call) -> str:
    """The name the call's event is stored under (see the module docstring)."""
    if call.type == "page":
        return PAGE_VIEWED
    if call.type == "screen":
        return SCREEN_VIEWED
    assert call.event is not None, "a track call has an event name"
    return call.event


def event_properties(call: Call) -> dict[str, Any]:
    """The stored event's properties: a page view's also say where it happened."""
    if call.type == "track":
        return dict(call.properties)
    properties: dict[str, Any] = {}
    if call.type == "page":
        page = call.context.get("page") or {}
        properties.update((key, page[key]) for key in PAGE_FIELDS if page.get(key) is not None)
    properties.update(call.properties)
    properties.update((key, value) for key, value in (("name", call.name), ("category", call.category))
                      if value is not None)
    return properties


def _utm_tags(context: dict[str, Any], url: str | None) -> dict[str, str | None]:
    """UTM tags from context.campaign, else from the page URL's query string."""
    campaign = context.get("campaign") or {}
    if campaign:
        tags = {tag: campaign.get("name" if tag == "campaign" else tag) for tag in UTM_FIELDS}
    else:
        query = dict(parse_qsl(urlsplit(url).query)) if url else {}
        tags = {tag: query.get(f"utm_{tag}") for tag in UTM_FIELDS}
    return {f"utm_{tag}": value[:UTM_MAX_LENGTH] if isinstance(value, str) else None for tag, value in tags.items()}


def event_row(call: Call, contact_id: int, received_at: datetime) -> dict[str, Any]:
    """The `events` row a track, page or screen call stores."""
    properties = event_properties(call)
    page = call.context.get("page") or {}

    def where(key: str) -> str | None:
        value = properties.get(key) if call.type == "page" else None
        value = value if isinstance(value, str) else page.get(key)
        return value if isinstance(value, str) else None

    url = where("url")
    return {
        "contact_id": contact_id,
        "name": event_name(call),
        "properties": properties,
        "timestamp": call.happened_at(received_at),
        "received_at": received_at,
        "message_id": call.message_id,
        "page_url": url,
        "page_title": where("title"),
        "referrer": where("referrer"),
        **_utm_tags(call.context, url),
        "context": call.context,
    }


def apply_traits(contact: dict[str, Any], traits: dict[str, Any]) -> None:
    """Set identify's traits on a contact's fields: email, name, phone and timezone (→ time_zone)
    in its columns, the rest in its properties (a null trait clears it)."""
    properties = dict(contact.get("properties") or {})
    for trait, value in traits.items():
        column = BUILTIN_TRAITS.get(trait)
        if column is not None:
            contact[column] = value
        elif value is None:
            properties.pop(trait, None)
        else:
            properties[trait] = value
    if "name" not in traits and ("firstName" in traits or "lastName" in traits):
        parts = [traits.get("firstName"), traits.get("lastName")]
        contact["name"] = " ".join(str(part) for part in parts if part)[:NAME_MAX_LENGTH] or contact.get("name")
    contact["properties"] = properties


def apply_group(contact: dict[str, Any], group_id: str, traits: dict[str, Any]) -> None:
    """A group call records the contact's account in its `group` property: {"id", …traits}."""
    contact["properties"] = {**(contact.get("properties") or {}), "group": {"id": group_id, **traits}}
