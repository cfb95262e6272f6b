"""What the revenue report and the revenue events setting read and answer."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from builder_api.paging import Page
from workflow_runtime.engine.revenue import MAX_REVENUE_EVENTS
from workflow_runtime.reports.revenue_report import Breakdown, Interval

# A dotted path through objects: no spaces, no empty step, no double quote (SQLite's JSON paths cannot spell one).
AMOUNT_PATH = r'^[^."\s]+(\.[^."\s]+)*$'


class RevenueEventSchema(Schema):
    event = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The event's name, as sent (case matters)."})
    amount_property = fields.String(required=True, validate=[
        validate.Length(min=1, max=200),
        validate.Regexp(AMOUNT_PATH, error="Not a property path: use a name like amount or order.total.")],
        metadata={"description": "The property holding the amount: a number or numeric text (dots reach into "
                                 "objects)."})


class RevenueEventList(Schema):
    items = fields.List(fields.Nested(RevenueEventSchema), required=True,
                        validate=validate.Length(max=MAX_REVENUE_EVENTS), metadata={
                            "description": "The events that are orders; empty: nothing is revenue."})
    default = fields.Boolean(dump_only=True, metadata={
        "description": "Whether these are the defaults (nobody saved the setting yet)."})

    @validates_schema
    def _each_event_once(self, data: dict, **_: object) -> None:
        seen: set[str] = set()
        for index, item in enumerate(data.get("items", [])):
            if item["event"] in seen:
                raise ValidationError({"items": {index: {"event": [
                    f"{item['event']!r} is listed twice: each revenue event is named once, so no order counts "
                    "twice."]}}})
            seen.add(item["event"])


class RevenueReportQuery(Schema):
    first = fields.Date(data_key="from", metadata={"description": "First day (UTC, YYYY-MM-DD); default 29 days "
                                                                  "before `to`."})
    last = fields.Date(data_key="to", metadata={"description": "Last day (UTC, YYYY-MM-DD); default today."})
    by = fields.Enum(Breakdown, by_value=True, load_default=Breakdown.SOURCE, metadata={
        "description": "source, medium, campaign: the contacts' first-touch UTM tag; flow: what each flow's goal "
                       "credited."})
    interval = fields.Enum(Interval, by_value=True, load_default=Interval.DAY, metadata={
        "description": "day, week (from Monday) or month: the periods of the series."})

    @validates_schema
    def _ordered(self, data: dict, **_: object) -> None:
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise ValidationError(f"'to' ({data['last']}) is before 'from' ({data['first']}).", "to")


class RevenueContactsQuery(RevenueReportQuery, Page):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The row: a group's `key` as the report gives it (a tag, (none), (other), a flow id)."})


class RevenuePoint(Schema):
    period = fields.String(required=True, metadata={"description": "The period's first day (YYYY-MM-DD)."})
    revenue = fields.Float(required=True)
    count = fields.Integer(required=True)


class RevenueFigures(Schema):
    revenue = fields.Float(required=True)
    count = fields.Integer(required=True, metadata={"description": "Orders (by a tag) or conversions (by flow)."})
    contacts = fields.Integer(required=True, metadata={"description": "Distinct contacts behind them."})
    points = fields.List(fields.Nested(RevenuePoint), required=True, metadata={"description": "One per period."})


class RevenueGroup(RevenueFigures):
    key = fields.String(required=True)
    label = fields.String(required=True)


class RevenueReport(Schema):
    first = fields.String(required=True, data_key="from", metadata={"description": "YYYY-MM-DD"})
    last = fields.String(required=True, data_key="to", metadata={"description": "YYYY-MM-DD"})
    by = fields.String(required=True, validate=validate.OneOf([by.value for by in Breakdown]))
    interval = fields.String(required=True, validate=validate.OneOf([interval.value for interval in Interval]))
    periods = fields.List(fields.String(), required=True, metadata={"description": "Each period's first day."})
    revenue_events = fields.List(fields.Nested(RevenueEventSchema), required=True)
    total = fields.Nested(RevenueFigures, required=True, metadata={"description": "The orders in the range."})
    groups = fields.List(fields.Nested(RevenueGroup), required=True, metadata={
        "description": "Most revenue first; by a tag the top ten and (other), (none) for contacts no tagged event "
                       "reached."})
    counts = fields.String(required=True, validate=validate.OneOf(["orders", "conversions"]))
    additive = fields.Boolean(required=True, metadata={"description": "Whether the groups add up to the total."})
    note = fields.String(required=True, allow_none=True, metadata={"description": "Why they do not, when not."})


class RevenueContact(Schema):
    id = fields.Integer(required=True)
    name = fields.String(allow_none=True, required=True)
    email = fields.String(allow_none=True, required=True)
    revenue = fields.Float(required=True, metadata={"description": "Their revenue in the row and the range."})
    at = fields.DateTime(required=True, metadata={"description": "Their last order (or conversion) in the range."})


class RevenueContacts(Schema):
    contacts = fields.List(fields.Nested(RevenueContact), required=True)
    total = fields.Integer(required=True)
