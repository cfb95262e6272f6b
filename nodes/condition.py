"""Condition: sends a run down `yes` or `no` by a filter rule."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.execution import Go, Outcome, StepContext
from nodes.registry import register


@register
class Condition(NodeType):
    """Chooses a path with the shared filter language."""

    type = "condition"
    label = "Condition"
    category = Category.LOGIC
    description = "Checks the contact's properties, events, segments or messages and goes on by yes or no."
    ports = ("yes", "no")
    config_schema = {
        "type": "object",
        "required": ["filter"],
        "additionalProperties": False,
        "properties": {
            "filter": {**ref("filter.schema.json", "condition"), "title": "Rule"},
        },
        "examples": [{"filter": {"event": "order_paid", "op": "did_not", "within": "P7D"}}],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """yes when the filter holds for the contact now, else no; the run's path keeps the rule that decided."""
        holds, rule = ctx.decide(config["filter"])
        return Go("yes" if holds else "no", rule="/filter" + rule)
