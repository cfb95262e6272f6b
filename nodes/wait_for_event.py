"""Wait for event: holds a run until the contact does an event, or a time-out passes."""
from __future__ import annotations

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.registry import register


@register
class WaitForEvent(NodeType):
    """Leaves by `event` when the event arrives in time, by `timeout` otherwise."""

    type = "wait_for_event"
    label = "Wait for event"
    category = Category.TIMING
    description = "Waits until the contact does something, or gives up after a time-out."
    ports = ("event", "timeout")
    waits = True
    config_schema = {
        "type": "object",
        "required": ["event", "timeout"],
        "additionalProperties": False,
        "properties": {
            "event": {**ref("common.schema.json", "event_name"), "title": "Event", "examples": ["order_paid"]},
            "where": {**ref("filter.schema.json", "property_rules"), "description": "Rules on the event's properties that must all hold."},
            "timeout": {**ref("common.schema.json", "duration"), "title": "Give up after", "default": "PT1H"},
        },
        "examples": [{"event": "order_paid", "timeout": "PT1H"}],
    }
