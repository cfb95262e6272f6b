"""The common tracking call loaded without marshmallow: the same checks, the same `Call`, a tenth of the time.

At thousands of calls a second, marshmallow's generic machinery (~60 µs a call, a
quarter of the API process's CPU) is the largest single cost of /v1/batch. `load_call`
checks exactly what the schemas in `schemas.py` check, in plain Python, for the
well-formed case only: at the first value it is not sure of — a wrong type, a bad
length, a timestamp `datetime.fromisoformat` refuses (marshmallow's own parser), an
unknown time zone — it gives up (None), and the view lets the schemas load the body,
so a bad call gets their 400 naming the field, word for word. tests/builder_api/
test_ingest_quick_load.py holds both paths to the same result.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from builder_api.ingest.schemas import (
    CALL_SCHEMAS,
    ID_MAX_LENGTH,
    BatchSchema,
    CallSchema,
    Campaign,
    Context,
    PageContext,
    Traits,
    check_ip_address,
    check_time_zone,
    in_utc,
    share_batch_fields,
)
from workflow_runtime.ingest.tracking_calls import Call


class _Unsure(Exception):
    """A value the quick path does not vouch for: the schemas decide."""


def _identifier(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Unsure
    text = str(value)
    if not 1 <= len(text) <= ID_MAX_LENGTH:
        raise _Unsure
    return text


def _text(value: Any, max_length: int | None = None, min_length: int = 0) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) < min_length or (max_length is not None and len(value) > max_length):
        raise _Unsure
    return value


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Unsure
    try:
        return in_utc(datetime.fromisoformat(value))  # as schemas.Timestamp
    except (ValueError, OverflowError):
        raise _Unsure from None


def _checked(value: Any, check: Any) -> str | None:
    """A string the schema checks with a validator (`check_ip_address`, `check_time_zone`)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Unsure
    try:
        check(value)
    except ValidationError:
        raise _Unsure from None
    return value


def _object(value: Any) -> dict[str, Any] | None:
    """`fields.Dict`: any JSON object (its keys are strings), copied."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Unsure
    return dict(value)


def _texts(value: Any, limits: dict[str, int | None]) -> dict[str, Any] | None:
    """A nested schema of optional strings with these maximum lengths; other keys kept as sent (INCLUDE)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Unsure
    for name, limit in limits.items():
        if name in value:
            _text(value[name], limit)
    return dict(value)


def _text_limits(schema: type[Schema]) -> dict[str, int | None]:
    """The schema's plain text fields (those it only checks for length) and their maximum lengths
    (None: any), read from the schema so the two paths cannot drift apart."""
    limits = {}
    for name, field in schema._declared_fields.items():
        if isinstance(field, fields.String) and all(isinstance(check, validate.Length) for check in field.validators):
            limits[name] = next((check.max for check in field.validators), None)
    return limits


_PAGE = _text_limits(PageContext)
_CAMPAIGN = _text_limits(Campaign)
_TRAITS = _text_limits(Traits)
_USER_AGENT_LIMIT = _text_limits(Context)["userAgent"]


def _context(value: Any) -> dict[str, Any] | None:
    """schemas.Context."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Unsure
    context = dict(value)
    if "ip" in context:
        _checked(context["ip"], check_ip_address)
    if "userAgent" in context:
        _text(context["userAgent"], _USER_AGENT_LIMIT)
    if "timezone" in context:
        _checked(context["timezone"], check_time_zone)
    if "page" in context:
        context["page"] = _texts(context["page"], _PAGE)
    if "campaign" in context:
        context["campaign"] = _texts(context["campaign"], _CAMPAIGN)
    return context


def _traits(value: Any) -> dict[str, Any] | None:
    """schemas.Traits."""
    traits = _texts(value, _TRAITS)
    if traits is not None and "timezone" in traits:
        _checked(traits["timezone"], check_time_zone)
    return traits


def load_call(call_type: str, message: Any) -> Call | None:
    """The call as `CALL_SCHEMAS[call_type]` would load it, or None if the schema must decide."""
    if not isinstance(message, dict):
        return None
    get = message.get
    try:
        user_id = _identifier(get("userId"))
        anonymous_id = _identifier(get("anonymousId"))
        event = name = category = group_id = previous_id = None
        properties: dict[str, Any] | None = None
        traits: dict[str, Any] | None = None
        if call_type == "track":
            event = _text(get("event"), ID_MAX_LENGTH, 1)
            if event is None:
                return None
            properties = _object(get("properties"))
        elif call_type in ("page", "screen"):
            name = _text(get("name"), ID_MAX_LENGTH)
            category = _text(get("category"), ID_MAX_LENGTH)
            properties = _object(get("properties"))
        elif call_type == "identify":
            traits = _traits(get("traits"))
        elif call_type == "group":
            group_id = _identifier(get("groupId"))
            traits = _object(get("traits"))
            if group_id is None:
                return None
        elif call_type == "alias":
            previous_id = _identifier(get("previousId"))
            if previous_id is None or user_id is None:
                return None
        else:
            return None
        if user_id is None and anonymous_id is None:
            return None
        return Call(
            type=call_type, user_id=user_id, anonymous_id=anonymous_id,
            message_id=_text(get("messageId"), ID_MAX_LENGTH, 1),
            timestamp=_timestamp(get("timestamp")), sent_at=_timestamp(get("sentAt")),
            context=_context(get("context")) or {}, event=event, name=name, category=category,
            properties=properties or {}, traits=traits or {}, group_id=group_id, previous_id=previous_id,
        )
    except _Unsure:
        return None


def load_batch(body: Any) -> dict[str, Any] | None:
    """The batch body as BatchSchema would load it ({"batch": [Call, …]}), or None if the schema must decide."""
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        return None
    try:
        _timestamp(body.get("sentAt"))
        _object(body.get("context"))
    except _Unsure:
        return None
    calls = []
    for message in share_batch_fields(body)["batch"]:
        call = load_call(message.get("type"), message) if isinstance(message, dict) else None
        if call is None:
            return None
        calls.append(call)
    return {"batch": calls}


def quick_load(schema: Any, body: Any) -> Any:
    """What `schema` (a tracking call's, or the batch's, class or instance) would load from `body`, or None
    if it must decide."""
    if schema is BatchSchema or isinstance(schema, BatchSchema):
        return load_batch(body)
    if isinstance(schema, CallSchema) and schema is CALL_SCHEMAS.get(schema.call_type):
        return load_call(schema.call_type, body)
    return None
