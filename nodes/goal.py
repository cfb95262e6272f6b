"""Goal: a checkpoint that counts a conversion for the nodes before it."""
from __future__ import annotations

from nodes.base import Category, NodeType
from nodes.registry import register


@register
class Goal(NodeType):
    """Counts a conversion (and optional revenue) for every node on the run's path so far."""

    type = "goal"
    label = "Goal"
    category = Category.OUTCOME
    description = "Marks a success: every step the contact passed before it is credited with a conversion."
    ports = ("next",)
    config_schema = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"title": "Goal name", "type": "string", "minLength": 1, "maxLength": 200, "examples": ["Order paid"]},
            "revenue": {"title": "Revenue", "description": "A fixed value credited for each conversion.", "type": "number", "minimum": 0},
        },
        "examples": [{"name": "Order paid", "revenue": 49}],
    }
