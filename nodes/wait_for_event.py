"""Wait for event: holds a run until the contact does an event, or a time-out passes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.execution import Go, Hold, Outcome, StepContext
from nodes.registry import register
from nodes.timing import add_duration


@register
class WaitForEvent(NodeType):
    """Leaves by `event` when the event arrives in time, by `timeout` otherwise."""

    type = "wait_for_event"
    label = "Wait for event"
    category = Category.TIMING
    description = "Waits until the contact does something, or gives up after a time-out."
    ports = ("event", "timeout")
    port_labels = {"event": "Event came", "timeout": "Timed out"}
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

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Hold until the event arrives (port event) or the time-out passes (port timeout)."""
        if ctx.resumed:
            return Go(ctx.resumed)
        return Hold(add_duration(ctx.now, config["timeout"]), event=config["event"], where=config.get("where", []))
