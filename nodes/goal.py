"""Goal: a checkpoint that counts a conversion for the nodes before it."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from nodes.base import Category, NodeType
from nodes.execution import Go, Outcome, StepContext
from nodes.registry import register

# The largest revenue one conversion may bring, as for a goal event's revenue property (below 10^16);
# the sums of it in node_counters have no limit.
MAX_REVENUE = 10**16


@register
class Goal(NodeType):
    """Counts a conversion (and optional revenue) for every node on the run's path so far."""

    type = "goal"
    label = "Goal"
    category = Category.OUTCOME
    description = "Marks a success: every step the contact passed before it is credited with a conversion."
    ports = ("next",)
    may_end_path = True
    config_schema = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"title": "Goal name", "type": "string", "minLength": 1, "maxLength": 200, "examples": ["Order paid"]},
            "revenue": {"title": "Revenue", "description": "A fixed value credited for each conversion.", "type": "number",
                        "minimum": 0, "exclusiveMaximum": MAX_REVENUE},
        },
        "examples": [{"name": "Order paid", "revenue": 49}],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Count a conversion, with the node's fixed revenue if any, for every node the run passed."""
        ctx.convert(fixed_revenue(config.get("revenue")))
        return Go("next")


def fixed_revenue(value: Any) -> Decimal | None:
    """The node's revenue in cents; None for none, or for one the schema now refuses that a flow published
    before it may hold (infinite, or 10^16 or more), as the goal events' revenue is read."""
    if value is None or isinstance(value, bool):
        return None
    amount = Decimal(str(value))
    if not amount.is_finite() or abs(amount) >= MAX_REVENUE:
        return None
    return amount.quantize(Decimal("0.01"))
