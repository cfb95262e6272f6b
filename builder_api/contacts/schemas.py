"""Marshmallow schemas of the contacts endpoints."""
from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from builder_api.paging import MAX_OFFSET, Page
from workflow_runtime.audience.contact_columns import DEFAULT_COLUMNS, ColumnInvalid, parse_columns
from workflow_runtime.audience.contact_search import ContactOrder


class ConditionParam(fields.Field):
    """A filter-language condition passed as JSON text in a query string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            condition = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError as error:
            raise ValidationError(f"is not JSON: {error.msg} at character {error.pos}.") from error
        except RecursionError as error:
            raise ValidationError("is nested too deeply to read: use fewer levels of all / any / not.") from error
        if not isinstance(condition, dict):
            raise ValidationError("must be a JSON object: a condition of the filter language.")
        return condition


class OrderParam(fields.String):
    """A list order: a column key, `-` first for descending (`-last_seen_at`, `name`, `properties.plan`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> ContactOrder:
        try:
            return ContactOrder.parse(super()._deserialize(value, attr, data, **kwargs))
        except ColumnInvalid as invalid:
            raise ValidationError(str(invalid)) from invalid


MAX_COLUMNS_LENGTH = 4000


class ColumnsParam(fields.String):
    """Comma-separated column keys (`name,email,city,source,properties.plan`), in the order to show them."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_COLUMNS_LENGTH:
            raise ValidationError(f"is longer than {MAX_COLUMNS_LENGTH} characters: choose fewer columns.")
        try:
            return parse_columns(text)
        except ColumnInvalid as invalid:
            raise ValidationError(str(invalid)) from invalid


COLUMN_KEYS = ("Column keys: id, name, email, user_id, phone, time_zone, first_seen_at, last_seen_at, city (the city "
               "property, else address.city), source (utm_source, utm_medium and utm_campaign of the first event that "
               "had any), tags, revenue (the revenue property) and properties.<path> for any property.")


class ContactSearch(Schema):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Part of a name, email or user id."})
    filter = ConditionParam(metadata={"description": "A condition of the filter language, as JSON (as in segments)."})
    segment = fields.Integer(validate=validate.Range(min=1, max=MAX_OFFSET),
                             metadata={"description": "Only the contacts in this segment (by id)."})
    sort = OrderParam(metadata={
        "description": "The column to sort by, `-` first for descending (default `-last_seen_at`); contacts without "
                       "a value come last, ties go by id. Sortable: the fields, city, revenue and properties.<path>. "
                       + COLUMN_KEYS})


class ContactListQuery(Page, ContactSearch):
    pass


class ContactExportQuery(ContactSearch):
    columns = ColumnsParam(load_default=lambda: parse_columns(",".join(DEFAULT_COLUMNS)), metadata={
        "description": f"The CSV's columns, comma-separated (default {','.join(DEFAULT_COLUMNS)}). " + COLUMN_KEYS})


class ContactSummary(Schema):
    id = fields.Integer(required=True)
    user_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    time_zone = fields.String(allow_none=True)
    tags = fields.List(fields.Raw(), required=True)
    properties = fields.Dict(required=True)
    first_seen_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)
    unsubscribed_at = fields.DateTime(allow_none=True)


class FirstTouch(Schema):
    utm_source = fields.String(allow_none=True)
    utm_medium = fields.String(allow_none=True)
    utm_campaign = fields.String(allow_none=True)


class LifetimeRevenue(Schema):
    revenue = fields.Float(required=True, metadata={
        "description": "The contact's revenue events added up (GET /api/reports/revenue/events names them)."})
    orders = fields.Integer(required=True)
    first_order_at = fields.DateTime(allow_none=True, required=True)
    last_order_at = fields.DateTime(allow_none=True, required=True)


class ListedContact(ContactSummary):
    first_touch = fields.Nested(FirstTouch, allow_none=True, metadata={
        "description": "The UTM tags of the contact's first event that had any (first-touch source), or null."})
    lifetime = fields.Nested(LifetimeRevenue, required=True)


class ContactList(Schema):
    contacts = fields.List(fields.Nested(ListedContact), required=True)
    total = fields.Integer(required=True)


class CardContact(ListedContact):
    anonymous_ids = fields.List(fields.String(), required=True)


class TimelineEvent(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    properties = fields.Dict(required=True)
    timestamp = fields.DateTime(required=True)
    page_url = fields.String(allow_none=True)
    page_title = fields.String(allow_none=True)
    referrer = fields.String(allow_none=True)
    utm_source = fields.String(allow_none=True)
    utm_medium = fields.String(allow_none=True)
    utm_campaign = fields.String(allow_none=True)


class CardReply(Schema):
    id = fields.Integer(required=True)
    body = fields.String(required=True, metadata={"description": "What the contact wrote."})
    source = fields.String(required=True, metadata={"description": "widget (the on-site chat) or email (an answer "
                                                                   "to the forwarded chat message)."})
    created_at = fields.DateTime(required=True)


class CardMessage(Schema):
    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    statuses = fields.List(fields.String(), required=True, metadata={"description": "Every status it reached, in order."})
    flow_id = fields.Integer(allow_none=True)
    flow_name = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    node_id = fields.String(allow_none=True)
    node_label = fields.String(allow_none=True, metadata={"description": "The sending node's label, else its node type's name."})
    content = fields.Dict(required=True)
    subject = fields.String(allow_none=True, metadata={
        "description": "An email's subject, a popup's title, a webhook's method and URL, as written (templates included)."})
    excerpt = fields.String(allow_none=True, metadata={"description": "The start of its text, on one line."})
    error = fields.String(allow_none=True, metadata={"description": "Why its channel gave up, for a failed message."})
    replies = fields.List(fields.Nested(CardReply), required=True, metadata={"description": "The contact's answers, oldest first."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True, metadata={"description": "When it last changed status."})


class CardRun(Schema):
    id = fields.Integer(required=True)
    flow_id = fields.Integer(required=True)
    flow_name = fields.String(required=True)
    version = fields.Integer(required=True)
    node_id = fields.String(required=True)
    node_label = fields.String(required=True, metadata={"description": "The current step's label, else its node type's name."})
    status = fields.String(required=True)
    entered_at = fields.DateTime(required=True, metadata={"description": "When the contact entered the flow."})
    waiting_until = fields.DateTime(allow_none=True)
    waiting_for = fields.String(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "Why the step failed, for an errored run."})
    converted_at = fields.DateTime(allow_none=True)
    revenue = fields.Float(allow_none=True)


class ContactCard(Schema):
    contact = fields.Nested(CardContact, required=True)
    events = fields.List(fields.Nested(TimelineEvent), required=True, metadata={"description": "One page of the timeline, latest first."})
    events_total = fields.Integer(required=True)
    messages = fields.List(fields.Nested(CardMessage), required=True)
    runs = fields.List(fields.Nested(CardRun), required=True)
