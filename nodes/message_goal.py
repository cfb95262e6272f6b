"""The optional `goal` of a send node: the action that counts as this message's success.

Each message is judged by what the contact does next (an order, a created trigger),
not by opens or clicks; the three send node types share this one definition.
"""
from __future__ import annotations

from typing import Any

from flows.schemas import ref

GOAL_SCHEMA: dict[str, Any] = {
    "title": "Message goal",
    "description": "The event that counts as this message's success, e.g. order_paid within 7 days of sending.",
    "type": "object",
    "required": ["event"],
    "additionalProperties": False,
    "properties": {
        "event": {**ref("common.schema.json", "event_name"), "title": "Goal event", "examples": ["order_paid"]},
        "where": {**ref("filter.schema.json", "property_rules"), "description": "Rules on the event's properties that must all hold."},
        "within": {**ref("common.schema.json", "duration"), "title": "Within", "description": "How long after sending the event still counts.", "default": "P7D"},
    },
}
