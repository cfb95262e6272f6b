"""Trigger: the entry point that enrols contacts into a flow."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.execution import Go, Outcome, StepContext
from nodes.registry import register


class TriggerSource(str, enum.Enum):
    """What enrols a contact.

    event: the contact does an event (optionally with property rules);
    segment_entered: the contact enters a segment;
    manual: the API or a broadcast enrols contacts.
    """

    EVENT = "event"
    SEGMENT_ENTERED = "segment_entered"
    MANUAL = "manual"


# What the form shows for each TriggerSource, in its order.
SOURCE_LABELS = {
    TriggerSource.EVENT: "When an event happens",
    TriggerSource.SEGMENT_ENTERED: "When a contact enters a segment",
    TriggerSource.MANUAL: "When added by hand, through the API or a broadcast",
}


def _when(source: TriggerSource) -> dict[str, Any]:
    """The `if` clause matching configs with `on` = source (`on` defaults to event)."""
    if source is TriggerSource.EVENT:
        return {"properties": {"on": {"const": source.value}}}
    return {"required": ["on"], "properties": {"on": {"const": source.value}}}


def _only(required: list[str], allowed: list[str]) -> dict[str, Any]:
    """Requires `required` and rejects keys outside `allowed`, naming the stray key in the error."""
    return {"required": required, "properties": dict.fromkeys(allowed, True), "additionalProperties": False}


@register
class Trigger(NodeType):
    """Starts a run for a contact on an event, on entering a segment, or manually."""

    type = "trigger"
    label = "Trigger"
    category = Category.TRIGGER
    description = "Starts the automation for a contact when they do an event, enter a segment, or are added by hand."
    ports = ("next",)
    is_entry = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "on": {
                "title": "Start",
                "enum": [source.value for source in TriggerSource],
                "enumNames": [SOURCE_LABELS[source] for source in TriggerSource],
                "default": TriggerSource.EVENT.value,
            },
            "event": {**ref("common.schema.json", "event_name"), "title": "Event", "examples": ["cart_updated", "signed_up"]},
            "where": {**ref("filter.schema.json", "property_rules"), "description": "Rules on the event's properties that must all hold."},
            "segment": {**ref("common.schema.json", "segment_id"), "title": "Segment",
                        "description": "The segment whose new members start the automation."},
        },
        "allOf": [
            {"if": _when(TriggerSource.EVENT), "then": _only(["event"], ["on", "event", "where"])},
            {"if": _when(TriggerSource.SEGMENT_ENTERED), "then": _only(["segment"], ["on", "segment"])},
            {"if": _when(TriggerSource.MANUAL), "then": _only([], ["on"])},
        ],
        "examples": [
            {"on": "event", "event": "cart_updated", "where": [{"property": "total", "op": "gt", "value": 0}]},
            {"on": "segment_entered", "segment": 12},
            {"on": "manual"},
        ],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """A run starts here and moves straight on."""
        return Go("next")
