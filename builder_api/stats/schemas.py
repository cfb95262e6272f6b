"""Marshmallow schemas of the statistics endpoints: the query strings and the shapes served."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from builder_api.ids import MAX_ID
from builder_api.paging import Page
from workflow_runtime.storage.models import Channel


class StatsQuery(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Version number to report alone; default every version, added up."})
    first = fields.Date(data_key="from", metadata={"description": "First day (UTC, YYYY-MM-DD) counted; default the beginning."})
    last = fields.Date(data_key="to", metadata={"description": "Last day (UTC, YYYY-MM-DD) counted; default today."})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise ValidationError(f"'to' ({data['last']}) is before 'from' ({data['first']}).", "to")


class Totals(Schema):
    entered = fields.Integer(required=True)
    converted = fields.Integer(required=True)
    conversion_rate = fields.Float(required=True)
    revenue = fields.Float(required=True)


class Variant(Schema):
    port = fields.String(required=True)
    label = fields.String(required=True)
    entered = fields.Integer(required=True)
    converted = fields.Integer(required=True)
    conversion_rate = fields.Float(required=True)


class ChannelFigures(Schema):
    """One channel's messages at a send node, by stage."""

    queued = fields.Integer(required=True, metadata={
        "description": "Recorded and waiting for the channel: not yet accepted by the SMTP server, shown by the "
                       "widget or answered by the integration, nor failed (a gauge, at the end of the range)."})
    sent = fields.Integer(required=True, metadata={"description": "Recorded in the send ledger (queued or not)."})
    delivered = fields.Integer(required=True, metadata={
        "description": "Handed over: accepted by the SMTP server, shown in the visitor's browser, or answered 2xx."})
    read = fields.Integer(required=True)
    clicked = fields.Integer(required=True)
    replied = fields.Integer(required=True)
    unsubscribed = fields.Integer(required=True)
    dismissed = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    suppressed = fields.Integer(required=True, metadata={
        "description": "Not recorded at all: the contact unsubscribed or has no address."})


class ExitedBy(Schema):
    goal = fields.Integer(required=True, metadata={"description": "Ended here because they reached the flow's goal."})
    exit_rule = fields.Integer(required=True, metadata={"description": "Ended here by one of the flow's exit rules."})
    archived = fields.Integer(required=True, metadata={"description": "Ended here when the flow was archived."})
    moved = fields.Integer(required=True, metadata={
        "description": "Moved from here to another node, the start or a newer version: a new run went on there."})
    operator = fields.Integer(required=True, metadata={"description": "Ended here by an operator, with a reason."})
    unrecorded = fields.Integer(required=True, metadata={
        "description": "Ended here before causes were counted: their cause is not known."})


class NodeStats(Schema):
    type = fields.String(required=True)
    entered = fields.Integer(required=True)
    waiting = fields.Integer(required=True, metadata={"description": "Runs waiting in the node at the end of the range's last day (now, by default)."})
    left = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": "Runs that left by each port."})
    completed = fields.Integer(required=True, metadata={"description": "Runs whose path ended here."})
    exited = fields.Integer(required=True, metadata={"description": "Runs ended here early: the sum of exited_by."})
    exited_by = fields.Nested(ExitedBy, required=True)
    errored = fields.Integer(required=True, metadata={
        "description": "Runs parked here because a step failed (GET /api/failures lists them, with why)."})
    converted = fields.Integer(required=True, metadata={"description": "Runs that reached the flow's goal after passing the node."})
    conversion_rate = fields.Float(required=True)
    revenue = fields.Float(required=True)
    channels = fields.Dict(keys=fields.String(validate=validate.OneOf([channel.value for channel in Channel])),
                           values=fields.Nested(ChannelFigures), metadata={
                               "description": "Send nodes only: their messages per channel (a popup and its fallback "
                                              "email apart), by stage."})
    variants = fields.List(fields.Nested(Variant), metadata={"description": "Split nodes only."})
    winner = fields.String(allow_none=True, metadata={"description": "Split nodes only: the variant that converts best, once p < 0.05."})
    significance = fields.Float(allow_none=True, metadata={"description": "Split nodes only: the p-value of the best variant against the runner-up (two-proportion z-test, Bonferroni-adjusted)."})


class EdgeCount(Schema):
    source = fields.String(attribute="from", data_key="from", required=True)
    port = fields.String(required=True)
    to = fields.String(required=True)
    count = fields.Integer(required=True)


class Day(Schema):
    day = fields.Date(required=True)
    entered = fields.Integer(required=True)
    converted = fields.Integer(required=True)
    revenue = fields.Float(required=True)


class RemovedNode(NodeStats):
    id = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "Its label, else its node type's name."})
    versions = fields.List(fields.Integer(), required=True, metadata={"description": "The versions that had the node."})


class VersionTotals(Schema):
    number = fields.Integer(required=True)
    live = fields.Boolean(required=True)
    published_at = fields.DateTime(required=True)
    entered = fields.Integer(required=True)
    converted = fields.Integer(required=True)
    waiting = fields.Integer(required=True, metadata={"description": "Its runs waiting at the end of the range."})


class FlowStats(Schema):
    flow_id = fields.Integer(required=True)
    version = fields.Integer(required=True, allow_none=True, metadata={"description": "The version picked; null when every version is added up."})
    shown_version = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The version whose nodes and edges carry the figures (the picked, else live, else latest); null until published."})
    versions = fields.List(fields.Nested(VersionTotals), required=True, metadata={"description": "Each version counted, oldest first."})
    first = fields.Date(attribute="from", data_key="from", required=True, allow_none=True)
    last = fields.Date(attribute="to", data_key="to", required=True, allow_none=True)
    totals = fields.Nested(Totals, required=True)
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeStats), required=True)
    email_configured = fields.Boolean(required=True, metadata={
        "description": "Whether this server has an SMTP server (AUTOMAP_SMTP_URL): without one no email leaves, "
                       "they stay queued."})
    removed_nodes = fields.List(fields.Nested(RemovedNode), required=True, metadata={
        "description": "Nodes of earlier versions the shown one no longer has, with their figures."})
    edges = fields.List(fields.Nested(EdgeCount), required=True)
    series = fields.List(fields.Nested(Day), required=True)


class NodeContactsQuery(Page):
    metric = fields.String(required=True, metadata={"description": "entered, waiting, converted, completed, exited, exited:<goal|exit_rule|archived>, errored, left:<port>, or for send nodes <channel>:<status> (email:queued, popup:read, …)."})
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class NodeContact(Schema):
    id = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    at = fields.DateTime(required=True, allow_none=True)


class NodeContacts(Schema):
    contacts = fields.List(fields.Nested(NodeContact), required=True)
    total = fields.Integer(required=True)
