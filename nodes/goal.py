"""Goal: a checkpoint that counts a conversion for the nodes before it."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from nodes.base import Category, NodeType
from nodes.execution import Go, Outcome, StepContext
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

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Count a conversion, with the node's fixed revenue if any, for every node the run passed."""
        revenue = config.get("revenue")
        ctx.convert(Decimal(str(revenue)) if revenue is not None else None)
        return Go("next")
