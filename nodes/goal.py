"""Goal: a checkpoint that counts a conversion for the nodes before it."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
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
        ctx.convert(revenue_amount(config.get("revenue")))
        return Go("next")


def revenue_amount(value: Any) -> Decimal | None:
    """An amount of revenue in cents, from a number or a numeric text (an event's property, a goal node's fixed
    revenue); None for anything else: a boolean, text that is no number, NaN or an infinity, and 10^16 or more (a
    typo or a test would swamp every sum it joined)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= MAX_REVENUE:
        return None
    return amount.quantize(Decimal("0.01"))
