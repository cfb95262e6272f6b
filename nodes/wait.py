"""Wait: holds a run for a duration or until a weekday and time of day."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.execution import Go, Hold, Outcome, StepContext
from nodes.registry import register
from nodes.timing import add_duration, next_time_of_day


@register
class Wait(NodeType):
    """Holds the contact for a fixed time, or until the next chosen moment in their time zone."""

    type = "wait"
    label = "Wait"
    category = Category.TIMING
    description = "Waits for a set time, or until a chosen day and time in the contact's time zone."
    ports = ("next",)
    waits = True
    config_schema = {
        "type": "object",
        "description": "Give either a duration or an until moment, not both.",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "duration": {**ref("common.schema.json", "duration"), "title": "Wait for", "default": "P1D"},
            "until": {
                "title": "Wait until",
                "description": "The next moment on one of these days at this time, in the contact's time zone.",
                "type": "object",
                "required": ["time"],
                "additionalProperties": False,
                "properties": {
                    "weekdays": {
                        "title": "On days",
                        "description": "Leave out for any day.",
                        "type": "array",
                        "minItems": 1,
                        "uniqueItems": True,
                        "items": ref("common.schema.json", "weekday"),
                    },
                    "time": {**ref("common.schema.json", "time_of_day"), "title": "At", "default": "10:00"},
                },
            },
        },
        "examples": [{"duration": "PT1H"}, {"until": {"weekdays": ["monday", "thursday"], "time": "10:00"}}],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Hold for the duration, or until the next weekday/time of day in the contact's time zone."""
        if ctx.resumed:
            return Go("next")
        if "duration" in config:
            return Hold(add_duration(ctx.now, config["duration"]))
        until = config["until"]
        return Hold(next_time_of_day(ctx.now, ctx.time_zone, until["time"], until.get("weekdays")))
