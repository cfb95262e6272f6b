"""Segment's tracking spec as marshmallow schemas: each loads a call into a `Call` for the runtime.

Fields Segment defines and we store are checked (ids, timestamps, names, objects,
context.page, context.campaign, ip, userAgent, timezone, the traits kept in contact
columns); everything else in `context` and `traits` is kept as sent, and unknown
top-level fields (`integrations`, `version`, `channel` …) are ignored.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)
from marshmallow.utils import is_aware

from workflow_runtime.ingest.tracking_calls import Call

ID_MAX_LENGTH = 200  # contacts.user_id, contact_anonymous_ids.anonymous_id, events.message_id / name


class Identifier(fields.Field):
    """A Segment id: a string, or a number (clients send both); stored as a string of 1–200 characters."""

    default_error_messages = {
        "invalid": "Not a valid id: send a string or a number.",
        "length": f"An id must be 1 to {ID_MAX_LENGTH} characters long.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        text = str(value)
        if not 1 <= len(text) <= ID_MAX_LENGTH:
            raise self.make_error("length")
        return text


def in_utc(moment: datetime) -> datetime:
    """The moment in UTC (one without an offset is taken as UTC), as the database keeps it: a moment it cannot
    hold is refused here, naming its field, rather than when the call is written.

    Raises:
        OverflowError: if in UTC it falls outside the years 1 to 9999 (0001-01-01T00:00:00+05:00 does).
    """
    return moment.astimezone(timezone.utc) if is_aware(moment) else moment.replace(tzinfo=timezone.utc)


class Timestamp(fields.AwareDateTime):
    """An ISO-8601 date-time, loaded in UTC; one without an offset is taken as UTC."""

    default_error_messages = {
        "invalid": "Not an ISO-8601 date-time such as 2026-03-02T10:00:00.000Z.",
        "range": "This date-time falls outside the years 1 to 9999 once converted to UTC: send one such as "
                 "2026-03-02T10:00:00.000Z.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=timezone.utc, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return in_utc(super()._deserialize(value, attr, data, **kwargs))
        except OverflowError:
            raise self.make_error("range") from None


def check_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(f"{name!r} is not an IANA time zone such as Europe/Berlin.") from None


def check_ip_address(text: str) -> None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not an IPv4 or IPv6 address.") from None


class ObjectOf(fields.Nested):
    """A nested object; anything else is refused at its own pointer (not marshmallow's `_schema`)."""

    default_error_messages = {"type": "Send a JSON object."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.make_error("type")
        return super()._deserialize(value, attr, data, **kwargs)


def _text(max_length: int | None = None) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=max_length) if max_length else None)


def _object(**kwargs: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(), error_messages={"invalid": "Send a JSON object."}, **kwargs)


class PageContext(Schema):
    """context.page: where a call happened."""

    class Meta:
        unknown = INCLUDE

    url = _text()
    title = _text()
    referrer = _text()
    path = _text()
    search = _text()


class Campaign(Schema):
    """context.campaign: the UTM tags (`name` is utm_campaign)."""

    class Meta:
        unknown = INCLUDE

    name = _text(200)
    source = _text(200)
    medium = _text(200)
    term = _text(200)
    content = _text(200)


class Context(Schema):
    """A call's context; fields not listed here are kept as sent."""

    class Meta:
        unknown = INCLUDE

    ip = fields.String(allow_none=True, validate=check_ip_address)
    userAgent = _text(2000)
    timezone = fields.String(allow_none=True, validate=check_time_zone)
    page = ObjectOf(PageContext, allow_none=True)
    campaign = ObjectOf(Campaign, allow_none=True)


class Traits(Schema):
    """identify's traits: those stored in the contact's own columns are checked, the rest kept as sent."""

    class Meta:
        unknown = INCLUDE

    email = _text(320)
    name = _text(200)
    phone = _text(50)
    timezone = fields.String(allow_none=True, validate=check_time_zone)
    firstName = _text(200)
    lastName = _text(200)


class CallSchema(Schema):
    """What every call carries: who (userId or anonymousId), when, and in which context."""

    call_type = ""

    class Meta:
        unknown = EXCLUDE

    userId = Identifier(allow_none=True)
    anonymousId = Identifier(allow_none=True)
    messageId = fields.String(allow_none=True, validate=validate.Length(min=1, max=ID_MAX_LENGTH))
    timestamp = Timestamp(allow_none=True)
    sentAt = Timestamp(allow_none=True)
    context = ObjectOf(Context, load_default=dict, allow_none=True)

    @validates_schema
    def _names_someone(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("userId") is None and data.get("anonymousId") is None:
            raise ValidationError("Send a userId or an anonymousId: every call is about someone.", "userId")

    @post_load
    def _make_call(self, data: dict[str, Any], **kwargs: Any) -> Call:
        return Call(
            type=self.call_type,
            user_id=data.get("userId"),
            anonymous_id=data.get("anonymousId"),
            message_id=data.get("messageId"),
            timestamp=data.get("timestamp"),
            sent_at=data.get("sentAt"),
            context=data.get("context") or {},
            event=data.get("event"),
            name=data.get("name"),
            category=data.get("category"),
            properties=data.get("properties") or {},
            traits=data.get("traits") or {},
            group_id=data.get("groupId"),
            previous_id=data.get("previousId"),
        )


class TrackSchema(CallSchema):
    """track: something the user did."""

    call_type = "track"
    event = fields.String(required=True, validate=validate.Length(min=1, max=ID_MAX_LENGTH))
    properties = _object(load_default=dict, allow_none=True)


class PageSchema(CallSchema):
    """page: a page view (stored as the event `page_viewed`)."""

    call_type = "page"
    name = _text(ID_MAX_LENGTH)
    category = _text(ID_MAX_LENGTH)
    properties = _object(load_default=dict, allow_none=True)


class ScreenSchema(PageSchema):
    """screen: a mobile screen view (stored as the event `screen_viewed`)."""

    call_type = "screen"


class IdentifySchema(CallSchema):
    """identify: who the user is, and their traits."""

    call_type = "identify"
    traits = ObjectOf(Traits, load_default=dict, allow_none=True)


class GroupSchema(CallSchema):
    """group: the account the user belongs to."""

    call_type = "group"
    groupId = Identifier(required=True)
    traits = _object(load_default=dict, allow_none=True)


class AliasSchema(CallSchema):
    """alias: the identity `previousId` is the user `userId`."""

    call_type = "alias"
    previousId = Identifier(required=True)
    userId = Identifier(required=True)


CALL_SCHEMAS: dict[str, Schema] = {
    schema.call_type: schema()
    for schema in (IdentifySchema, TrackSchema, PageSchema, ScreenSchema, GroupSchema, AliasSchema)
}


class BatchMessage(fields.Field):
    """One message of a batch, loaded by the schema its `type` names."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Call:
        if not isinstance(value, dict):
            raise ValidationError("Each message of a batch must be a JSON object.")
        schema = CALL_SCHEMAS.get(value.get("type"))
        if schema is None:
            raise ValidationError({"type": [f"Must be one of: {', '.join(CALL_SCHEMAS)}."]})
        return schema.load(value)


class BatchSchema(Schema):
    """batch: many calls in one request; its `context` and `sentAt` apply to every message that lacks them."""

    class Meta:
        unknown = EXCLUDE

    batch = fields.List(BatchMessage(), required=True)
    sentAt = Timestamp(allow_none=True)
    context = _object(allow_none=True)

    @pre_load
    def _share_batch_fields(self, data: Any, **kwargs: Any) -> Any:
        return share_batch_fields(data)


def share_batch_fields(data: Any) -> Any:
    """Segment applies a batch's context and sentAt to each message (the message's own win)."""
    if not isinstance(data, dict) or not isinstance(data.get("batch"), list):
        return data
    shared_context = data.get("context") if isinstance(data.get("context"), dict) else None
    sent_at = data.get("sentAt")
    if shared_context is None and sent_at is None:
        return data
    messages = []
    for message in data["batch"]:
        if isinstance(message, dict):
            message = dict(message)
            if sent_at is not None:
                message.setdefault("sentAt", sent_at)
            if shared_context is not None and isinstance(message.get("context", {}), dict):
                message["context"] = {**shared_context, **message.get("context", {})}
        messages.append(message)
    return {**data, "batch": messages}


class Acknowledged(Schema):
    """Segment's answer to an accepted call."""

    success = fields.Boolean(required=True)
